"""Downloading sources into the cache: timeouts, retries with backoff (tenacity), resume of a
partial download (HTTP Range), checksum verification and a provenance record per file.

A file only enters the cache once it is complete and (when a sha256 is configured) verified; until
then it is `<name>.part`, which the next attempt resumes. A checksum mismatch deletes the partial
file and leaves whatever was cached before exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from orchestration.ingest.readers.text import sha256_of
from orchestration.sources.catalog import cache_file_for, check_url

CHUNK = 1 << 16


class FetchError(RuntimeError):
    """A download that failed for good (after retries, or on a checksum mismatch)."""


class TransientFetchError(RuntimeError):
    """Worth retrying: 5xx/429, a timeout, a connection cut mid-file."""


class Unreachable(TransientFetchError):
    """No connection to the host at all (no network, name not resolved, connection refused)."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(f"could not reach {host} ({reason})")
        self.host, self.reason = host, reason


def _unreachable(url: str, exc: requests.RequestException) -> Unreachable:
    """The one-line reason behind requests'/urllib3's nested connection error."""
    text = str(exc)
    if isinstance(exc, requests.ConnectTimeout):
        reason = "timed out connecting"
    elif "NameResolution" in text or "resolve" in text or "not known" in text:
        reason = "host name not found"
    elif "refused" in text:
        reason = "connection refused"
    elif "unreachable" in text:
        reason = "network unreachable"
    else:
        reason = "connection failed"
    return Unreachable(urlsplit(url).netloc, reason)


@dataclass(frozen=True)
class Provenance:
    source: str
    url: str
    path: str
    fetched_at: str
    size: int
    sha256: str
    expected_sha256: str | None
    attempts: int
    resumed: bool


def _progress(total: int | None, start: int, label: str, enabled: bool):
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn("{task.description}", markup=False),  # a file name is text
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        disable=not enabled,
        transient=True,
    )
    task = progress.add_task(label, total=total, completed=start)
    return progress, task


def _download_once(
    session: requests.Session,
    url: str,
    part: Path,
    timeout: tuple[float, float],
    progress_enabled: bool,
) -> bool:
    """One attempt; appends to ``part`` from where it stopped. Returns True if it resumed."""
    have = part.stat().st_size if part.exists() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = session.get(url, stream=True, timeout=timeout, headers=headers)
    except (requests.ConnectTimeout, requests.ConnectionError) as exc:
        raise _unreachable(url, exc) from exc
    except requests.Timeout as exc:
        raise TransientFetchError(f"{url}: timed out waiting for a response") from exc
    with response:
        if response.status_code == 416 and have:  # we already have every byte
            return True
        if response.status_code in (429, 500, 502, 503, 504):
            raise TransientFetchError(f"{url}: HTTP {response.status_code}")
        if response.status_code >= 400:
            raise FetchError(f"{url}: HTTP {response.status_code} {response.reason}")
        resumed = response.status_code == 206
        mode = "ab" if resumed else "wb"  # 200 to a Range request: the server starts over
        start = have if resumed else 0
        length = response.headers.get("Content-Length")
        total = start + int(length) if length and length.isdigit() else None
        received = 0
        progress, task = _progress(total, start, part.name.removesuffix(".part"), progress_enabled)
        try:
            with progress, part.open(mode) as out:
                for chunk in response.iter_content(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    progress.update(task, advance=len(chunk))
        except (
            requests.ConnectionError,
            requests.Timeout,
            requests.exceptions.ChunkedEncodingError,
        ) as exc:
            what = "timed out" if "timed out" in str(exc) else "dropped"
            raise TransientFetchError(
                f"{url}: the connection {what} after {start + received:,} bytes"
            ) from exc
        if total is not None and start + received < total:
            raise TransientFetchError(
                f"{url}: connection closed at {start + received} of {total} bytes"
            )
        return resumed


def fetch(
    url: str,
    source: str,
    cache_dir: Path,
    *,
    expected_sha256: str | None = None,
    allow_insecure: bool = False,
    timeout: tuple[float, float] = (10.0, 60.0),
    attempts: int = 5,
    backoff_s: float = 0.5,
    progress: bool = True,
) -> Provenance:
    """Download ``url`` for ``source`` into ``cache_dir/source/``; returns its provenance."""
    check_url(url, allow_insecure)
    target = cache_file_for(cache_dir, source, url)
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    session = requests.Session()
    session.headers["User-Agent"] = "scomm-fetch (+https://github.com/) python-requests"
    tries = 0
    resumed_any = False
    try:
        for attempt in Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=backoff_s, max=30),
            retry=retry_if_exception_type(TransientFetchError),
            reraise=False,
        ):
            with attempt:
                tries += 1
                resumed_any |= _download_once(session, url, part, timeout, progress)
    except RetryError as exc:
        cause = exc.last_attempt.exception()
        kept = part.stat().st_size if part.exists() else 0
        if not kept:
            part.unlink(missing_ok=True)  # an empty .part holds nothing to resume
        partial = (
            f"the partial download {part} ({kept:,} bytes) is kept and the next fetch resumes it"
            if kept
            else "nothing was downloaded"
        )
        if isinstance(cause, Unreachable):
            raise FetchError(f"no network: {cause} after {tries} attempt(s); {partial}") from cause
        raise FetchError(f"gave up after {tries} attempt(s): {cause}; {partial}") from cause
    finally:
        session.close()
    digest = sha256_of(part)
    if expected_sha256 and digest != expected_sha256:
        part.unlink(missing_ok=True)
        raise FetchError(
            f"{url}: sha256 {digest} does not match the expected {expected_sha256}; "
            f"the download was rejected and the cache left as it was"
        )
    os.replace(part, target)
    record = Provenance(
        source=source,
        url=url,
        path=str(target),
        fetched_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        size=target.stat().st_size,
        sha256=digest,
        expected_sha256=expected_sha256,
        attempts=tries,
        resumed=resumed_any,
    )
    provenance_path = target.with_name(target.name + ".provenance.json")
    tmp = provenance_path.with_name(provenance_path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, provenance_path)
    return record
