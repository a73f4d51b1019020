"""`scomm fetch`: download the pinned public files of sources into the cache."""

from __future__ import annotations

from pathlib import Path

import click

from orchestration.cli.printing import unknown
from orchestration.paths import DEFAULT_CACHE


def fetch_one(
    name: str, url: str, cache: Path, expected_sha256: str | None, allow_insecure: bool = False
) -> Path:
    """Download ``url`` for source ``name`` into the cache (checked against ``expected_sha256``
    when given) and say where it landed; a failure is a one-line error."""
    from orchestration.sources.catalog import SourcesFileError
    from orchestration.sources.fetch import FetchError
    from orchestration.sources.fetch import fetch as download

    try:
        record = download(
            url, name, cache, expected_sha256=expected_sha256, allow_insecure=allow_insecure
        )
    except (FetchError, SourcesFileError) as exc:
        raise click.ClickException(f"{name}: {exc}") from exc
    click.echo(
        f"{name}: {record.path} ({record.size:,} bytes, sha256 {record.sha256}"
        f"{', verified' if expected_sha256 else ''})"
    )
    return Path(record.path)


@click.command()
@click.argument("names", nargs=-1)
@click.option(
    "--cache",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_CACHE,
    show_default=True,
    help="Where downloads land: CACHE/NAME/<file> plus a .provenance.json record.",
)
@click.option(
    "--profile",
    default=None,
    help="Download every pinned file of this profile's sources (sources.yml `profiles`).",
)
def fetch(names: tuple[str, ...], cache: Path, profile: str | None) -> None:
    """Download the pinned public files of the named sources (default: every source with a
    download URL in sources.yml) into the cache, each checked against its sha256."""
    from orchestration.sources.catalog import SourcesFileError, load_profiles, load_sources

    try:
        specs = load_sources()
        profiles = load_profiles()
    except SourcesFileError as exc:
        raise click.ClickException(str(exc)) from exc
    if profile is not None:
        if profile not in profiles:
            raise click.BadParameter(unknown("profile", profile, list(profiles)))
        names = (*names, *profiles[profile].sources)
    for name in names:
        if name not in specs:
            raise click.BadParameter(unknown("source", name, list(specs)))
    chosen = (
        [specs[n] for n in dict.fromkeys(names)] if names else [s for s in specs.values() if s.urls]
    )
    for spec in chosen:
        for public in spec.files:
            if public.url is None:
                click.echo(
                    f"{spec.name}: {public.name} has no download URL ({spec.publisher}); "
                    f"get it yourself and pass --mirror DIR (or --source {spec.name}=PATH)"
                )
                continue
            fetch_one(
                spec.name, public.url, cache, public.sha256, allow_insecure=spec.allow_insecure
            )
        if not spec.files:
            click.echo(f"{spec.name}: no public file pinned in sources.yml ({spec.publisher})")
