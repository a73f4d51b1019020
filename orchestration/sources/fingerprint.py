"""What a source's published tables were built from, as one hash per source: its files' sha256
(and whether each is a real, synthetic or unverified file), its entry in sources.yml, and the
version of the code that turns them into tables (this package's source, the dbt project, the
Great Expectations suites and the versions of the libraries that run them).

`scomm run` compares these with the ones the last publication recorded (`_publication_inputs`)
before it imports Dagster, dbt or Great Expectations: nothing changed → "up to date", in well
under a second; some sources changed → only those sources and what is downstream of them run.
The source assets record the same hash for what they actually loaded, so the two can never
disagree about a file that changed between the check and the load.

Only light imports here (hashlib, json, yaml through the catalog): this runs on every
`scomm run`, also when there is nothing to do."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import duckdb

from orchestration.ingest.build_state import clean_sources
from orchestration.paths import DBT_PROJECT_DIR, EXPECTATIONS_DIR, REPO_ROOT
from orchestration.sources.catalog import SOURCE_NAMES, load_sources, read_yaml

# what turns files into published tables; a change to any of these rebuilds every source
CODE_FOLDERS = (
    (REPO_ROOT / "orchestration", "*.py"),
    (DBT_PROJECT_DIR / "models", "*"),
    (DBT_PROJECT_DIR / "seeds", "*"),
    (DBT_PROJECT_DIR / "macros", "*"),
    (DBT_PROJECT_DIR / "tests", "*"),
    (EXPECTATIONS_DIR, "*.json"),
)
CODE_FILES = (DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml")
# the dashboard reads what is published and changes nothing in it
NOT_CODE = (REPO_ROOT / "orchestration" / "serve",)
LIBRARIES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great_expectations")


def sha256_of(path: Path) -> str:
    """A file's sha256 (the standard library's file_digest), without importing the readers
    (pandas) on this path."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@cache
def code_version() -> str:
    """sha256 over the code that builds the tables (file names and contents) and the versions
    of the libraries it runs on."""
    digest = hashlib.sha256()
    files = [f for f in CODE_FILES if f.is_file()]
    for folder, pattern in CODE_FOLDERS:
        files += [
            p
            for p in folder.rglob(pattern)
            if p.is_file()
            and "__pycache__" not in p.parts
            and not any(skip in p.parents for skip in NOT_CODE)
        ]
    for path in sorted(set(files)):
        digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for library in LIBRARIES:
        try:
            digest.update(f"{library}=={version(library)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{library} missing\0".encode())
    return digest.hexdigest()


def spec_hashes(path: Path | None = None) -> dict[str, str]:
    """sha256 of each source's entry in sources.yml (its terms, pins and thresholds)."""
    entries = read_yaml(path).get("sources") or {}
    return {
        name: hashlib.sha256(
            json.dumps(entries.get(name), sort_keys=True, default=str).encode()
        ).hexdigest()
        for name in SOURCE_NAMES
    }


def fingerprint(source: str, files: Iterable[tuple[str, str]], spec_hash: str, code: str) -> str:
    """One source's input: ``files`` as (sha256, data status) in load order."""
    document = {"source": source, "files": [list(f) for f in files], "spec": spec_hash}
    document["code"] = code
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def incremental_fingerprint(previous: str | None, years: list[int], shas: list[str]) -> str:
    """What the case records hold after an incremental load: never equal to a full load's, so
    the next full load always reloads them."""
    document = {"incremental_on": previous, "fiscal_years": years, "files": shas}
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


class HashCache:
    """sha256 of files, remembered per warehouse by (path, size, mtime, ctime, inode): a
    second run on an unchanged multi-gigabyte file does not read it again. ctime cannot be
    set back by a user, so an edited file is always hashed again."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, str] = {}
        self.changed = False
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self.entries = {}

    def sha256(self, file: Path) -> str:
        stat = file.stat()
        key = f"{file.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{stat.st_ctime_ns}|{stat.st_ino}"
        if key not in self.entries:
            self.entries[key] = sha256_of(file)
            self.changed = True
        return self.entries[key]

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(json.dumps(self.entries), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache: without it the next run hashes again


def input_fingerprints(
    sources: dict[str, Path | list[Path]], hashes: HashCache | None = None
) -> dict[str, str]:
    """The fingerprint of every source for a full load of ``sources`` (a source not named
    takes its default from sources.yml: the embedded sample, or not loaded)."""
    hashes = hashes or HashCache(None)
    specs = load_sources()
    spec_hash = spec_hashes()
    code = code_version()
    result = {}
    for name in SOURCE_NAMES:
        given = sources.get(name)
        if given is None:
            default = specs[name].default_path
            files = [default] if default is not None else []
        else:
            files = given if isinstance(given, list) else [given]
        described = []
        for file in files:
            sha = hashes.sha256(file)
            described.append((sha, specs[name].status_of(file, sha)))
        result[name] = fingerprint(name, described, spec_hash[name], code)
    hashes.save()
    return result


@dataclass
class Plan:
    """What a full-load `scomm run` has to do: nothing (up to date), the sources in
    ``changed`` and what is downstream of them, or everything (``full``)."""

    changed: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    full: bool = False
    full_reason: str = ""
    published_run: str | None = None
    published_at: str | None = None

    @property
    def up_to_date(self) -> bool:
        return not self.full and not self.changed

    @property
    def reused(self) -> list[str]:
        return [s for s in SOURCE_NAMES if s not in self.changed]


def published_inputs(serving: Path) -> tuple[dict[str, str], str | None, str | None]:
    """({source: fingerprint}, run id, time) of the current publication ({} when there is
    none, or it predates `_publication_inputs`)."""
    if not serving.exists():
        return {}, None, None
    try:
        with duckdb.connect(str(serving.resolve()), read_only=True) as con:
            tables = {r[0] for r in con.execute("show tables").fetchall()}
            if not {"_publication_inputs", "_publication"} <= tables:
                return {}, None, None
            inputs = dict(
                con.execute("select source, fingerprint from _publication_inputs").fetchall()
            )
            run_id, at = con.execute(
                "select run_id, published_at from _publication"
            ).fetchone() or (
                None,
                None,
            )
    except duckdb.Error:
        return {}, None, None
    return inputs, run_id, str(at)[:19] if at is not None else None


def plan_run(warehouse: Path, sources: dict[str, Path | list[Path]]) -> Plan:
    """Compare the inputs of a full load of ``sources`` with what the publication in
    ``warehouse`` was built from, and with what its build database holds as published."""
    published, run_id, at = published_inputs(warehouse / "marts.duckdb")
    plan = Plan(published_run=run_id, published_at=at)
    if not published:
        plan.full, plan.full_reason = True, "no publication to compare with"
        return plan
    inputs = input_fingerprints(sources, HashCache(warehouse / ".input_hashes.json"))
    clean = clean_sources(warehouse / "build.duckdb")
    for source in SOURCE_NAMES:
        if inputs[source] != published.get(source):
            plan.reasons[source] = "input changed (file, its sources.yml entry or the code)"
        elif clean.get(source) != published.get(source):
            plan.reasons[source] = "build database not as published (a run since failed or stopped)"
    plan.changed = [s for s in SOURCE_NAMES if s in plan.reasons]
    if not (warehouse / "build.duckdb").exists():
        plan.full, plan.full_reason = True, "no build database"
    elif plan.changed and len(plan.changed) == len(SOURCE_NAMES):
        plan.full, plan.full_reason = True, "every source changed (or the code did)"
    return plan
