"""The versioned sources file (sources.yml): every source's publisher, layout, terms, URLs and
optional sha256, validated on load so a bad entry fails with its name rather than mid-run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import unquote, urlparse

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from orchestration.paths import REPO_ROOT, sources_file

Layout = Literal[
    "interop_canonical",
    "census_co_est2019",
    "acs_noncitizen_tidycensus",
    "sc_activation_panel_dta",
    "ice_foia_removals",
    "published_figures",
    "ice_287g_agency_year",
    "place_figures",
]
SOURCE_NAMES: tuple[str, ...] = (
    "interop",
    "population",
    "noncitizen",
    "activations",
    "cases",
    "figures",
    "g287",
    "place_figures",
)
MULTI_FILE_SOURCES: tuple[str, ...] = ("cases",)
# Data status of a loaded file: `real` (the sha256 of a pinned public release), `synthetic` (an
# embedded sample), `unverified` (a file given with --source that matches no pinned release:
# real as far as its provider says, not checked), `not loaded` (no file this run).
DataStatus = Literal["real", "synthetic", "unverified", "not loaded"]
SAMPLE_DIR = REPO_ROOT / "data" / "sample"


class PublicFile(BaseModel):
    """One file of a real public release: where it is published (None when only a mirror has
    it), its pinned sha256, its file name in a mirror folder, and, for a file compiled by this
    project and kept in the repository, its path there (relative to the repository root)."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    url: str | None = None
    path: str | None = None

    @property
    def repo_path(self) -> Path | None:
        return (REPO_ROOT / self.path) if self.path else None


class SourceSpec(BaseModel):
    name: str
    description: str
    layout: Layout
    publisher: str
    license: str
    default: str | None = None
    # the real public release: pinned files (the `public` profile loads these)
    files: list[PublicFile] = Field(default_factory=list)
    allow_insecure: bool = False
    # Completeness gate (case records): a load whose record count for a fiscal year falls by
    # more than this share below the last published load of that year is refused before
    # publishing. A release that is right although smaller is accepted for one run with
    # `scomm run --accept-smaller REASON` (recorded in the publication), not by editing this.
    completeness_max_drop: float = Field(default=0.02, ge=0, le=1)

    @model_validator(mode="after")
    def _urls_are_https(self) -> SourceSpec:
        for url in self.urls:
            check_url(url, self.allow_insecure)
        return self

    def status_of(self, path: Path, sha256: str) -> DataStatus:
        """Whether a loaded file is a pinned real release, an embedded sample, or neither."""
        if sha256 in {f.sha256 for f in self.files}:
            return "real"
        if SAMPLE_DIR in Path(path).resolve().parents:
            return "synthetic"
        return "unverified"

    @property
    def urls(self) -> list[str]:
        return [f.url for f in self.files if f.url]

    @property
    def default_path(self) -> Path | None:
        return (REPO_ROOT / self.default) if self.default else None


class SourcesFileError(ValueError):
    pass


def load_status(statuses: list[DataStatus]) -> DataStatus:
    """One source's status over its files: real only when every file is a pinned release."""
    for status in ("synthetic", "unverified"):
        if status in statuses:
            return status
    return "real" if statuses else "not loaded"


def publication_status(statuses: dict[str, str]) -> str:
    """The status of a whole publication from its sources' statuses: `real` when every loaded
    source is a pinned real release, `synthetic` when every loaded one is a sample, `mixed`
    otherwise (the per-source table says which)."""
    loaded = {s for s in statuses.values() if s != "not loaded"}
    if loaded == {"real"}:
        return "real"
    if loaded == {"synthetic"}:
        return "synthetic"
    return "mixed" if loaded else "not loaded"


class Profile(BaseModel):
    """A named set of sources loaded together from their pinned public files (`scomm run
    --profile NAME`); every source not listed is not loaded in such a run."""

    name: str
    description: str
    sources: list[str]


def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    path = path or sources_file()
    document, root = _read_document(path)
    entries = _mapping(path, root, document, "profiles")
    profiles = {}
    for name, entry in entries.items():
        where = _child(root, "profiles", name)
        profiles[name] = _model(path, where, f"profile {name!r}", Profile, name, entry)
        unknown = sorted(set(profiles[name].sources) - set(SOURCE_NAMES))
        if unknown:
            raise SourcesFileError(
                f"{_at(path, where)}: profile {name!r}: unknown source(s) {unknown}"
            )
    return profiles


def check_url(url: str, allow_insecure: bool = False) -> None:
    parsed = urlparse(url)
    if parsed.scheme == "https" or (allow_insecure and parsed.scheme == "http"):
        if not parsed.netloc:
            raise SourcesFileError(f"{url!r} has no host")
        return
    raise SourcesFileError(
        f"{url!r}: only https URLs are accepted"
        + (
            ""
            if parsed.scheme != "http"
            else " (set allow_insecure: true for this source to accept plain http)"
        )
    )


def read_yaml(path: Path | None = None) -> dict:
    """The sources file as safe_load reads it (a mapping at its top), by libyaml's parser
    (≈10× faster than the pure Python one; it is read once per source during a run). Not YAML,
    not a mapping, missing or unreadable: SourcesFileError, one line naming the file and, where
    the parser knows them, the line and column."""
    return _read_document(path or sources_file())[0]


def _read_document(path: Path) -> tuple[dict, Any]:
    """The document and its YAML node tree (for the line and column of an entry): one parse."""
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open(encoding="utf-8") as f:
            loader = loader_class(f)
            try:
                root = loader.get_single_node()
                document = loader.construct_document(root) if root is not None else None
            finally:
                loader.dispose()
    except yaml.MarkedYAMLError as exc:
        what = " ".join(f"{exc.context or ''} {exc.problem or ''}".split())
        raise SourcesFileError(
            f"{_at(path, exc)}: not valid YAML: {what or ' '.join(str(exc).split())}"
        ) from None
    except yaml.YAMLError as exc:
        raise SourcesFileError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    except UnicodeDecodeError as exc:
        raise SourcesFileError(
            f"{path}: not UTF-8 text (byte {exc.start + 1} cannot be decoded)"
        ) from exc
    except OSError as exc:
        raise SourcesFileError(
            f"{path}: cannot read the sources file ({exc.strerror or exc})"
        ) from exc
    if document is None:
        return {}, root
    if not isinstance(document, dict):
        raise SourcesFileError(
            f"{_at(path, root)}: expected a mapping (version, profiles, sources), "
            f"got {_kind(document)}"
        )
    return document, root


def _kind(value: object) -> str:
    return {
        list: "a list",
        str: "text",
        int: "a number",
        float: "a number",
        bool: "true/false",
    }.get(type(value), type(value).__name__)


def _at(path: Path, node: Any) -> str:
    """`FILE, line L, column C` of a YAML node or parser error (1-based), or `FILE`."""
    mark = getattr(node, "problem_mark", None) or getattr(node, "start_mark", None)
    if mark is None:
        return str(path)
    return f"{path}, line {mark.line + 1}, column {mark.column + 1}"


def _child(node: Any, *keys: object) -> Any:
    """The value node under ``keys`` (mapping keys or list indexes) as deep as it exists:
    for a missing key, the node that should hold it."""
    for key in keys:
        value = None
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if getattr(k, "value", None) == str(key):
                    value = v
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
            if 0 <= key < len(node.value):
                value = node.value[key]
        if value is None:
            return node
        node = value
    return node


def _mapping(path: Path, root: Any, document: dict, key: str) -> dict:
    """``document[key]``, a mapping of entries by name (absent or empty: none)."""
    entries = document.get(key)
    if entries is None:
        return {}
    if not isinstance(entries, dict):
        raise SourcesFileError(
            f"{_at(path, _child(root, key))}: {key}: expected a mapping of entries by name, "
            f"got {_kind(entries)}"
        )
    for name in entries:
        if not isinstance(name, str):
            raise SourcesFileError(
                f"{_at(path, _child(root, key))}: {key}: entry name {name!r} is not text"
            )
    return entries


M = TypeVar("M", bound=BaseModel)


def _model(path: Path, where: Any, what: str, model: type[M], name: str, entry: object) -> M:
    """``model`` from one entry; a bad entry is one line: file, line, column, the entry and
    every field that is wrong (pydantic's errors, each with the line of its value)."""
    if entry is None:
        entry = {}
    if not isinstance(entry, dict):
        raise SourcesFileError(
            f"{_at(path, where)}: {what}: expected a mapping, got {_kind(entry)}"
        )
    for key in entry:
        if not isinstance(key, str):
            raise SourcesFileError(f"{_at(path, where)}: {what}: field name {key!r} is not text")
    try:
        return model(**{**entry, "name": name})
    except ValidationError as exc:
        first = exc.errors()[0]
        fields = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'entry'}: {error['msg']}"
            for error in exc.errors()
        )
        raise SourcesFileError(
            f"{_at(path, _child(where, *first['loc']))}: {what}: {fields}"
        ) from None
    except SourcesFileError as exc:
        raise SourcesFileError(f"{_at(path, where)}: {what}: {exc}") from None


def load_sources(path: Path | None = None) -> dict[str, SourceSpec]:
    path = path or sources_file()
    document, root = _read_document(path)
    entries = _mapping(path, root, document, "sources")
    specs: dict[str, SourceSpec] = {}
    for name, entry in entries.items():
        where = _child(root, "sources", name)
        specs[name] = _model(path, where, f"source {name!r}", SourceSpec, name, entry)
    unknown = sorted(set(specs) - set(SOURCE_NAMES))
    if unknown:
        raise SourcesFileError(f"{path}: unknown source(s) {unknown}; known: {SOURCE_NAMES}")
    return specs


def load_catalog(path: Path | None = None) -> dict[str, SourceSpec]:
    """What a run needs of the sources file, checked before anything runs: every source's
    entry and every profile, each valid (SourcesFileError, one line, otherwise)."""
    path = path or sources_file()
    specs = load_sources(path)
    load_profiles(path)
    missing = [name for name in SOURCE_NAMES if name not in specs]
    if missing:
        raise SourcesFileError(
            f"{path}: no entry for source(s) {', '.join(missing)} under `sources:` "
            f"(every source needs one: {', '.join(SOURCE_NAMES)})"
        )
    return specs


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def cache_file_for(cache_dir: Path, source: str, url: str) -> Path:
    """Where a download of ``url`` lands: cache_dir/source/<file name from the URL>, the name
    reduced to safe characters so no URL can write outside the cache folder."""
    if source not in SOURCE_NAMES:
        raise SourcesFileError(f"unknown source {source!r}")
    raw_name = unquote(Path(urlparse(url).path).name)
    name = _SAFE.sub("_", raw_name).lstrip("._") or "download"
    folder = (cache_dir / source).resolve()
    target = (folder / name).resolve()
    if target.parent != folder:
        raise SourcesFileError(f"refusing to write {target} outside {folder}")
    return target
