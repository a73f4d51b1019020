"""The publication's own record (_publication, _publication_sources): its data status, what
each source loaded, and the citation lines drawn from them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import duckdb

from orchestration.serve.published.connection import published_tables, rows

STATUS_LABELS = {
    "real": "Real data: pinned public releases",
    "synthetic": "SYNTHETIC sample data: not real statistics",
    "mixed": "MIXED: real and synthetic sources",
    "unverified": "Unverified files: not matched to a pinned release",
    "not loaded": "No data loaded",
}


def publication_info(con: duckdb.DuckDBPyConnection) -> dict[str, Any] | None:
    """The publication record with its data status and, per source, what was loaded. A file
    published before statuses were recorded is read as synthetic when it names a sample."""
    tables = set(published_tables(con))
    if "_publication" not in tables:
        return None
    info = rows(con, "select * from _publication")[0]
    if "data_status" not in info:
        info["data_status"] = "synthetic" if "/data/sample/" in (info["sources"] or "") else "mixed"
        info["data_status_note"] = ""
    info["status_label"] = STATUS_LABELS.get(info["data_status"], info["data_status"])
    info["sources_loaded"] = (
        rows(
            con,
            "select source, data_status, rows, publisher, files, loaded_at "
            "from _publication_sources",
        )
        if "_publication_sources" in tables
        else []
    )
    info["not_loaded"] = [
        s["source"] for s in info["sources_loaded"] if s["data_status"] == "not loaded"
    ]
    return info


def citation(info: dict[str, Any] | None, *sources: str) -> str:
    """A plain citation line for a view built from ``sources``: publisher, file name and load
    date of each, the data status, and the publication date. No local paths or hashes."""
    if not info:
        return "Source: no publication record in this file."
    by_name = {s["source"]: s for s in info["sources_loaded"]}
    parts = []
    for name in sources:
        s = by_name.get(name)
        if s is None:
            continue
        if s["data_status"] == "not loaded":
            parts.append(f"{name}: not loaded")
            continue
        files = ", ".join(Path(f).name for f in (s.get("files") or [])) or "no file"
        loaded = s.get("loaded_at")
        when = f", loaded {loaded:%Y-%m-%d}" if loaded else ""
        parts.append(f"{s['publisher']} — file {files}{when} ({s['data_status']})")
    published_at = info.get("published_at")
    stamp = f"{published_at:%Y-%m-%d}" if published_at else "date unknown"
    return "Source: " + "; ".join(parts or ["unknown"]) + f". Published {stamp} by this warehouse."


SOURCE_TITLES = {
    "interop": "ICE IDENT/IAFIS Interoperability Statistics",
    "activations": "Secure Communities activation dates",
    "g287": "ICE 287(g) statistics",
    "noncitizen": "ACS 5-year non-citizen population (table B05001)",
    "population": "Census population estimates (vintage 2019)",
    "figures": "Figures ICE and DHS published",
    "cases": "ICE case-level records (FOIA)",
    "place_figures": "Figures ICE and DHS gave for single places (compiled)",
}


@dataclass(frozen=True)
class Source:
    name: str
    status: str  # real / synthetic / unverified / not loaded (absent from an old publication)
    publisher: str
    files: tuple[str, ...]
    loaded_at: dt.datetime | None

    @property
    def loaded(self) -> bool:
        return self.status != "not loaded"

    def citation(self, published_at: Any) -> str:
        """One plain line: source, publisher, file and date, status."""
        title = SOURCE_TITLES.get(self.name, self.name)
        if not self.loaded:
            return f"Source: {title} — not loaded in this publication."
        files = ", ".join(PurePosixPath(f).name for f in self.files) or "embedded sample"
        date = str(self.loaded_at or published_at or "")[:10]
        return (
            f"Source: {title} — {self.publisher}. File: {files}, loaded {date}. "
            f"Data status: {self.status}."
        )


def sources(con: duckdb.DuckDBPyConnection, tables: set[str]) -> dict[str, Source]:
    if "_publication_sources" not in tables:
        return {}
    return {
        r["source"]: Source(
            r["source"],
            r["data_status"],
            r["publisher"] or "",
            tuple(r["files"] or ()),
            r["loaded_at"],
        )
        for r in rows(
            con, "select source, data_status, publisher, files, loaded_at from _publication_sources"
        )
    }


def source_named(all_sources: dict[str, Source], name: str) -> Source:
    return all_sources.get(name) or Source(name, "not loaded", "", (), None)
