"""The versioned sources file (sources.yml): every source's publisher, layout, terms, URLs and
optional sha256, validated on load so a bad entry fails with its name rather than mid-run."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from orchestration.paths import REPO_ROOT, SOURCES_FILE

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


def load_profiles(path: Path = SOURCES_FILE) -> dict[str, Profile]:
    document = read_yaml(path)
    profiles = {}
    for name, entry in (document.get("profiles") or {}).items():
        try:
            profiles[name] = Profile(name=name, **(entry or {}))
        except ValidationError as exc:
            raise SourcesFileError(f"{path}: profile {name!r}: {exc}") from exc
        unknown = sorted(set(profiles[name].sources) - set(SOURCE_NAMES))
        if unknown:
            raise SourcesFileError(f"{path}: profile {name!r}: unknown source(s) {unknown}")
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


def read_yaml(path: Path) -> dict:
    """The sources file as safe_load reads it, by libyaml's parser (≈10× faster than the pure
    Python one; it is read once per source during a run). Not YAML: SourcesFileError naming
    the line and column."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        with path.open(encoding="utf-8") as f:
            return yaml.load(f, Loader=loader) or {}  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise SourcesFileError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc


def load_sources(path: Path = SOURCES_FILE) -> dict[str, SourceSpec]:
    document = read_yaml(path)
    entries = document.get("sources") or {}
    specs: dict[str, SourceSpec] = {}
    for name, entry in entries.items():
        try:
            specs[name] = SourceSpec(name=name, **(entry or {}))
        except ValidationError as exc:
            raise SourcesFileError(f"{path}: source {name!r}: {exc}") from exc
        except SourcesFileError as exc:
            raise SourcesFileError(f"{path}: source {name!r}: {exc}") from exc
    unknown = sorted(set(specs) - set(SOURCE_NAMES))
    if unknown:
        raise SourcesFileError(f"{path}: unknown source(s) {unknown}; known: {SOURCE_NAMES}")
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
