"""The descriptions of what is published, as dbt renders them into its manifest.

Two kinds of table are published: the models tagged `published` (built by dbt), and the tables
the publish step writes beside them (`_publication`, `_publication_sources`, …), which dbt does
not build. Those are declared as the dbt source `publication`
(`dbt_project/models/publication/_publication__sources.yml`) so that their descriptions live in
the same yml as every other table's: dbt sources are the tables of a warehouse that something
other than dbt writes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PUBLISHED_TAG = "published"
PUBLICATION_SOURCE = "publication"


@dataclass(frozen=True)
class TableDoc:
    """A table's description and its columns' (in the yml's order)."""

    name: str
    description: str
    columns: dict[str, str] = field(default_factory=dict)


def _doc(node: Mapping[str, Any]) -> TableDoc:
    return TableDoc(
        name=node["name"],
        description=(node.get("description") or "").strip(),
        columns={
            name: (column.get("description") or "").strip()
            for name, column in (node.get("columns") or {}).items()
        },
    )


def published_docs(manifest: Mapping[str, Any]) -> dict[str, TableDoc]:
    """Every published table's description, by table name: the models tagged `published` and
    the tables of the `publication` source."""
    docs = {
        n["name"]: _doc(n)
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and PUBLISHED_TAG in n.get("tags", [])
    }
    for source in manifest.get("sources", {}).values():
        if source["source_name"] == PUBLICATION_SOURCE:
            docs[source["name"]] = _doc(source)
    return dict(sorted(docs.items()))
