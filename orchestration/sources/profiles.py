"""A profile's files: for every source of a profile (sources.yml `profiles:`), the pinned public
files found in a mirror folder, in the download cache, or downloaded now, each checked against
its sha256. Sources the profile does not list are not loaded (an empty list), so a `public` run
holds no synthetic row."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestration.ingest.readers.text import sha256_of
from orchestration.sources.catalog import (
    SOURCE_NAMES,
    PublicFile,
    SourcesFileError,
    SourceSpec,
    cache_file_for,
    load_profiles,
    load_sources,
)


class ProfileError(SourcesFileError):
    """A profile file is missing or is not the pinned release."""


@dataclass
class ProfileFiles:
    profile: str
    sources: dict[str, list[Path]] = field(default_factory=dict)  # [] = not loaded
    notes: list[str] = field(default_factory=list)


def cached_path(cache: Path, source: str, public: PublicFile) -> Path:
    """Where `scomm fetch` puts (or would put) this file."""
    return cache_file_for(cache, source, public.url or public.name)


def _checked(path: Path, public: PublicFile, where: str) -> Path:
    digest = sha256_of(path)
    if digest != public.sha256:
        raise ProfileError(
            f"{path} ({where}) has sha256 {digest}, but the pinned release of {public.name} has "
            f"{public.sha256}: it is not the published file; replace it or remove it"
        )
    return path.resolve()


def locate(
    spec: SourceSpec,
    public: PublicFile,
    cache: Path,
    mirror: Path | None,
    download: bool,
) -> Path:
    """The pinned file, from the repository (a file compiled by this project), the mirror, the
    cache, or a download, checked against its sha256."""
    if public.repo_path is not None:
        if not public.repo_path.is_file():
            raise ProfileError(f"{spec.name}: {public.repo_path} is missing from the repository")
        return _checked(public.repo_path, public, "in the repository")
    if mirror is not None:
        candidate = mirror / public.name
        if candidate.is_file():
            return _checked(candidate, public, f"mirror {mirror}")
    cached = cached_path(cache, spec.name, public)
    if cached.is_file():
        return _checked(cached, public, "download cache")
    if public.url and download:
        from orchestration.sources.fetch import FetchError, fetch

        try:
            record = fetch(
                public.url,
                spec.name,
                cache,
                expected_sha256=public.sha256,
                allow_insecure=spec.allow_insecure,
            )
        except FetchError as exc:
            raise ProfileError(f"{spec.name}: {exc}") from exc
        return Path(record.path).resolve()
    where = f"{mirror / public.name} or " if mirror is not None else ""
    how = (
        f"run `scomm fetch {spec.name}` or pass --mirror DIR"
        if public.url
        else f"it has no download URL ({spec.publisher}): get {public.name} and pass --mirror DIR"
    )
    raise ProfileError(f"{spec.name}: {public.name} is not in {where}{cached}; {how}")


def profile_files(
    name: str,
    cache: Path,
    mirror: Path | None = None,
    download: bool = True,
    sources_file: Path | None = None,
) -> ProfileFiles:
    """Every source of profile ``name`` with its located files; every other source empty."""
    kwargs = {"path": sources_file} if sources_file else {}
    profiles = load_profiles(**kwargs)
    if name not in profiles:
        import difflib

        close = difflib.get_close_matches(name.lower(), list(profiles), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ProfileError(
            f"unknown profile {name!r}{hint}; known: {', '.join(profiles) or 'none'}"
        )
    specs = load_sources(**kwargs)
    result = ProfileFiles(profile=name)
    for source in SOURCE_NAMES:
        spec = specs.get(source)
        if spec is None or source not in profiles[name].sources:
            result.sources[source] = []
            result.notes.append(f"{source}: not loaded (not in the {name} profile)")
            continue
        if not spec.files:
            raise ProfileError(f"{source}: the {name} profile lists it but it pins no file")
        result.sources[source] = [locate(spec, f, cache, mirror, download) for f in spec.files]
    return result
