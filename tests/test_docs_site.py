"""dbt's documentation site (data dictionary and lineage), generated offline from the project and
the build database: what the files hold. tests/test_browser_docs.py loads it in Chromium."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.dictionary.dbt_docs import (
    CATALOG,
    INDEX,
    MANIFEST,
    STAMP,
    DocsError,
    generate,
    inline_json,
)
from orchestration.paths import DBT_PROJECT_DIR


@dataclass(frozen=True)
class Site:
    folder: Path
    nodes: int


@pytest.fixture(scope="module")
def site(docs_warehouse):
    assert docs_warehouse.build_untouched  # attached read-only: never written
    return Site(docs_warehouse.docs, docs_warehouse.nodes)


def test_the_site_documents_every_published_table_with_its_columns(site, sample_run):
    manifest = json.loads((site.folder / MANIFEST).read_text(encoding="utf-8"))
    catalog = json.loads((site.folder / CATALOG).read_text(encoding="utf-8"))
    with duckdb.connect(str(sample_run.serving.resolve()), read_only=True) as con:
        published = {
            t: c
            for t, c in con.execute(
                "select table_name, list(column_name order by column_index) from duckdb_columns() "
                "where database_name = current_database() and not internal group by 1"
            ).fetchall()
        }
    models = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    sources = {s["name"]: s for s in manifest["sources"].values()}
    for table, columns in published.items():
        node = models.get(table) or sources[table]  # the _publication tables: dbt sources
        assert node["description"], table
        assert set(node["columns"]) == set(columns), table
        if table in models:  # the catalog: the table as the build database holds it
            entry = catalog["nodes"][node["unique_id"]]
            assert [c.lower() for c in entry["columns"]] == [c.lower() for c in columns]
    assert site.nodes > 100


def test_the_page_is_offline_and_holds_nothing_of_this_machine(site):
    page = (site.folder / INDEX).read_text(encoding="utf-8")
    assert "MANIFEST.JSON INLINE DATA" not in page and "CATALOG.JSON INLINE DATA" not in page
    manifest = json.loads((site.folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False  # no tracker from a CDN
    assert manifest["metadata"]["user_id"] is None
    assert '"send_anonymous_usage_stats": false' in page
    root = str(DBT_PROJECT_DIR.resolve())
    for name in (INDEX, MANIFEST, CATALOG, STAMP):
        assert root not in (site.folder / name).read_text(encoding="utf-8"), name
    # the page's own markup loads nothing from elsewhere (the tracker URL sits in its code,
    # used only when tracking is on: the browser test refuses every request off this machine)
    tags = re.findall(r"<(?:script|link|img)\b[^>]*\b(?:src|href)=\"(?:https?:)?//[^\"]+", page)
    assert tags == []
    assert json.loads((site.folder / STAMP).read_text())["nodes"] == site.nodes


def test_text_that_ends_a_script_cannot_break_out_of_the_page():
    text = inline_json({"description": "</script><script>alert(1)</script>"})
    assert "</script>" not in text
    assert json.loads(text) == {"description": "</script><script>alert(1)</script>"}


def test_no_build_database_is_a_clear_error(tmp_path):
    with pytest.raises(DocsError, match="no build database at .*: run `scomm run` first"):
        generate(tmp_path / "build.duckdb", tmp_path / "docs")


def test_scomm_docs_needs_a_build_database_and_the_warehouse_to_itself(tmp_path):
    from click.testing import CliRunner

    from orchestration.cli import main
    from orchestration.run.lock import warehouse_lock

    result = CliRunner().invoke(main, ["docs", "--warehouse", str(tmp_path)])
    assert result.exit_code == 1
    assert "has no build database: `scomm run --warehouse" in result.output
    (tmp_path / "build.duckdb").touch()
    with warehouse_lock(tmp_path):  # a run in progress
        result = CliRunner().invoke(main, ["docs", "--warehouse", str(tmp_path)])
    assert result.exit_code == 1 and "another scomm run is using" in result.output
    assert not (tmp_path / "docs").exists()
