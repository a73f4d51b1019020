"""The data dictionary: what every published table and column means.

One source of truth, the dbt project's yml (and its `{% docs %}` blocks): dbt renders them into
its manifest, the publish step copies them into the published file as DuckDB comments
(`manifest.py`, `comments.py`), and every reader reads them back from that file — `scomm tables`
and `scomm describe`, the export's codebook (`codebook.py`) — or from dbt's own documentation
site (`dbt_docs.py`). No Dagster here: readers and the dashboard import this room."""
