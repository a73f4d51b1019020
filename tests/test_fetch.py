"""Downloads against a real HTTP server on 127.0.0.1 (never the internet): ok, 500 then ok, a
hung response, a wrong checksum, a connection cut mid-file and resumed; plus the sources file."""

import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from orchestration.sources.catalog import (
    SOURCE_NAMES,
    SourcesFileError,
    cache_file_for,
    load_sources,
)
from orchestration.sources.fetch import FetchError, fetch

pytestmark = pytest.mark.fast  # make test-fast

PAYLOAD = b"SUMLEV,STATE,COUNTY\n" + b"050,25,025\n" * 20000  # ~220 kB


class Handler(BaseHTTPRequestHandler):
    hits: dict[str, int] = {}

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        kind = self.path.split("/")[1]
        Handler.hits[kind] = Handler.hits.get(kind, 0) + 1
        hit = Handler.hits[kind]
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].split("-")[0])
        if kind == "flaky" and hit == 1:
            self.send_error(500)
            return
        if kind == "missing":
            self.send_error(404)
            return
        if kind == "hang":
            self.send_response(200)
            self.send_header("Content-Length", str(len(PAYLOAD)))
            self.end_headers()
            time.sleep(3)
            return
        body = PAYLOAD[start:]
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if kind == "early":  # the connection drops before the first byte of the body
            self.connection.shutdown(2)
            return
        if kind == "cut" and hit == 1 or kind == "cutalways":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)  # the connection drops mid-file
            return
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(autouse=True)
def _reset_hits():
    Handler.hits.clear()


def get(server, kind, cache, **kw):
    kw.setdefault("timeout", (2.0, 0.5))
    kw.setdefault("backoff_s", 0.01)
    return fetch(
        f"{server}/{kind}/co-est2019-alldata.csv",
        "population",
        cache,
        allow_insecure=True,
        progress=False,
        **kw,
    )


def test_ok_download_lands_in_the_cache_with_provenance(server, tmp_path):
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    record = get(server, "ok", tmp_path, expected_sha256=sha)
    target = tmp_path / "population" / "co-est2019-alldata.csv"
    assert target.read_bytes() == PAYLOAD
    provenance = json.loads(target.with_name(target.name + ".provenance.json").read_text())
    assert provenance["sha256"] == sha == record.sha256
    assert provenance["size"] == len(PAYLOAD)
    assert provenance["url"].endswith("/ok/co-est2019-alldata.csv")
    assert provenance["fetched_at"] and provenance["attempts"] == 1
    assert not list((tmp_path / "population").glob("*.part"))


def test_server_error_is_retried_then_succeeds(server, tmp_path):
    record = get(server, "flaky", tmp_path)
    assert record.attempts == 2 and Handler.hits["flaky"] == 2


def test_hung_response_hits_the_timeout_and_fails_clearly(server, tmp_path):
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"gave up after 2 attempt\(s\)"):
        get(server, "hang", tmp_path, attempts=2)
    assert time.monotonic() - started < 10
    assert not (tmp_path / "population" / "co-est2019-alldata.csv").exists()


def test_wrong_checksum_rejects_the_file_and_keeps_the_cache(server, tmp_path):
    target = tmp_path / "population" / "co-est2019-alldata.csv"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"the earlier, verified download")
    with pytest.raises(FetchError, match="does not match the expected"):
        get(server, "ok", tmp_path, expected_sha256="0" * 64)
    assert target.read_bytes() == b"the earlier, verified download"
    assert list(target.parent.iterdir()) == [target]


def test_connection_cut_mid_file_is_resumed_with_a_range_request(server, tmp_path):
    record = get(server, "cut", tmp_path, expected_sha256=hashlib.sha256(PAYLOAD).hexdigest())
    assert record.resumed and record.attempts == 2
    assert (tmp_path / "population" / "co-est2019-alldata.csv").read_bytes() == PAYLOAD


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then closed)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_network_is_one_line_naming_the_host_and_keeps_no_partial(tmp_path):
    from click.testing import CliRunner

    from orchestration.cli import main

    port = closed_port()
    url = f"http://127.0.0.1:{port}/co-est2019-alldata.csv"
    result = CliRunner().invoke(
        main,
        ["run", "--source", f"population={url}", "--allow-http", "--cache", str(tmp_path)],
    )
    assert result.exit_code == 1
    assert result.output == (
        f"Error: population: no network: could not reach 127.0.0.1:{port} (connection refused) "
        "after 5 attempt(s); nothing was downloaded\n"
    )
    assert not list(tmp_path.rglob("*.part"))


def test_connection_dropping_mid_file_every_time_keeps_the_partial_it_says(server, tmp_path):
    with pytest.raises(FetchError) as failed:
        get(server, "cutalways", tmp_path, attempts=2)
    part = tmp_path / "population" / "co-est2019-alldata.csv.part"
    kept = part.read_bytes()
    assert 0 < len(kept) < len(PAYLOAD) and PAYLOAD.startswith(kept)
    message = str(failed.value)
    assert "\n" not in message and "urllib3" not in message and "Connection broken" not in message
    assert f"{part} ({len(kept):,} bytes) is kept and the next fetch resumes it" in message
    assert "the connection dropped after" in message


def test_connection_dropping_before_any_byte_says_nothing_was_downloaded(server, tmp_path):
    with pytest.raises(FetchError, match="gave up after 2 attempt.*; nothing was downloaded$"):
        get(server, "early", tmp_path, attempts=2)
    assert not list(tmp_path.rglob("*.part"))


def test_client_error_is_not_retried(server, tmp_path):
    with pytest.raises(FetchError, match="HTTP 404"):
        get(server, "missing", tmp_path)
    assert Handler.hits["missing"] == 1


def test_plain_http_is_refused_unless_allowed(tmp_path):
    with pytest.raises(SourcesFileError, match="only https"):
        fetch("http://127.0.0.1:9/x.csv", "population", tmp_path, progress=False)


def test_file_names_from_urls_cannot_escape_the_cache(tmp_path):
    for url in ("https://h/a/..%2F..%2Fetc%2Fpasswd", "https://h/..", "https://h/%2e%2e/x/.."):
        path = cache_file_for(tmp_path, "population", url)
        assert path.parent == (tmp_path / "population").resolve()


def test_sources_file_lists_every_source_with_an_existing_default():
    specs = load_sources()
    assert set(specs) == set(SOURCE_NAMES)
    assert set(SOURCE_NAMES) == {
        "interop",
        "population",
        "noncitizen",
        "activations",
        "cases",
        "figures",
        "g287",
        "place_figures",
    }
    for spec in specs.values():
        # every source has an embedded sample, except the compiled figures (no synthetic
        # version: a sample run leaves them "not loaded")
        if spec.name in ("figures", "place_figures"):
            assert spec.default_path is None
        else:
            assert spec.default_path and spec.default_path.is_file(), spec.name
        assert all(u.startswith("https://") for u in spec.urls)


def test_sources_file_rejects_http_and_unknown_sources(tmp_path):
    bad = tmp_path / "sources.yml"
    bad.write_text(
        "sources:\n  population:\n    description: d\n    layout: census_co_est2019\n"
        "    publisher: p\n    license: l\n    files:\n      - name: x.csv\n"
        f"        sha256: '{'0' * 64}'\n        url: http://example.org/x.csv\n"
    )
    with pytest.raises(SourcesFileError, match="(?s)population.*only https"):
        load_sources(bad)
    bad.write_text(
        "sources:\n  weather:\n    description: d\n    layout: census_co_est2019\n"
        "    publisher: p\n    license: l\n"
    )
    with pytest.raises(SourcesFileError, match="unknown source"):
        load_sources(bad)
    bad.write_text("sources:\n  population: [\n")  # not YAML: where, not a parser traceback
    with pytest.raises(SourcesFileError, match=r"line 3, column 1: not valid YAML"):
        load_sources(bad)


def test_run_source_given_as_url_is_downloaded_into_the_cache(server, tmp_path):
    from orchestration.cli.run import parse_sources

    sources = parse_sources(
        (f"population={server}/ok/co-est2019-alldata.csv",), tmp_path, allow_http=True
    )
    assert sources["population"] == (tmp_path / "population" / "co-est2019-alldata.csv").resolve()
    assert sources["population"].read_bytes() == PAYLOAD


def test_run_source_url_over_plain_http_needs_the_flag(server, tmp_path):
    import click

    from orchestration.cli.run import parse_sources

    with pytest.raises(click.ClickException, match="only https"):
        parse_sources((f"population={server}/ok/co-est2019-alldata.csv",), tmp_path)


# --- profiles: the pinned public files, from a mirror, the cache or a download -------------


def write_profile_sources(tmp_path, server, sha):
    """A sources.yml with a `public` profile of one source (population) whose one pinned file
    is served by the local server; the other sources exist but are not in the profile."""
    path = tmp_path / "sources.yml"
    path.write_text(
        "profiles:\n  public:\n    description: d\n    sources: [population]\n"
        "sources:\n"
        "  population:\n    description: d\n    layout: census_co_est2019\n"
        "    publisher: p\n    license: l\n    allow_insecure: true\n    files:\n"
        "      - name: co-est2019-alldata.csv\n"
        f"        sha256: {sha}\n"
        f"        url: {server}/ok/co-est2019-alldata.csv\n"
        "  interop:\n    description: d\n    layout: interop_canonical\n"
        "    publisher: p\n    license: l\n    default: data/sample/interop_reports.csv\n"
    )
    return path


def test_profile_downloads_pinned_files_and_leaves_other_sources_out(server, tmp_path):
    from orchestration.sources.profiles import profile_files

    sha = hashlib.sha256(PAYLOAD).hexdigest()
    sources_file = write_profile_sources(tmp_path, server, sha)
    files = profile_files("public", tmp_path / "cache", sources_file=sources_file)
    assert files.sources["population"] == [
        (tmp_path / "cache" / "population" / "co-est2019-alldata.csv").resolve()
    ]
    # a source outside the profile is not loaded: an empty list, never its synthetic sample
    assert files.sources["interop"] == [] and files.sources["cases"] == []
    assert "interop: not loaded (not in the public profile)" in files.notes
    # a second call finds the download in the cache (no new request)
    Handler.hits.clear()
    profile_files("public", tmp_path / "cache", sources_file=sources_file)
    assert Handler.hits == {}


def test_profile_mirror_stands_in_for_downloads_and_is_checked(server, tmp_path):
    from orchestration.sources.profiles import ProfileError, profile_files

    sha = hashlib.sha256(PAYLOAD).hexdigest()
    sources_file = write_profile_sources(tmp_path, server, sha)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "co-est2019-alldata.csv").write_bytes(PAYLOAD)
    files = profile_files("public", tmp_path / "cache", mirror, sources_file=sources_file)
    assert files.sources["population"] == [(mirror / "co-est2019-alldata.csv").resolve()]
    assert Handler.hits == {}  # nothing downloaded
    # a mirror file that is not the pinned release is refused, naming the file and both hashes
    (mirror / "co-est2019-alldata.csv").write_bytes(PAYLOAD + b"050,25,999\n")
    with pytest.raises(ProfileError, match="co-est2019-alldata.csv .mirror.*not the published"):
        profile_files("public", tmp_path / "cache", mirror, sources_file=sources_file)
    # no mirror file, no cache, downloads off: says what to do
    (mirror / "co-est2019-alldata.csv").unlink()
    with pytest.raises(ProfileError, match="scomm fetch population"):
        profile_files(
            "public", tmp_path / "cache2", mirror, download=False, sources_file=sources_file
        )
    with pytest.raises(ProfileError, match="unknown profile 'nope'"):
        profile_files("nope", tmp_path / "cache", sources_file=sources_file)


def test_data_status_of_a_file_is_real_synthetic_or_unverified(tmp_path):
    from orchestration.sources.catalog import SAMPLE_DIR, load_status, publication_status

    population = load_sources()["population"]
    pinned = population.files[0].sha256
    assert population.status_of(tmp_path / "any.csv", pinned) == "real"
    assert population.status_of(SAMPLE_DIR / "population.csv", "0" * 64) == "synthetic"
    assert population.status_of(tmp_path / "mine.csv", "0" * 64) == "unverified"
    assert load_status(["real", "real"]) == "real"
    assert load_status(["real", "synthetic"]) == "synthetic"
    assert load_status([]) == "not loaded"
    assert publication_status({"a": "real", "b": "not loaded"}) == "real"
    assert publication_status({"a": "real", "b": "synthetic"}) == "mixed"
    assert publication_status({"a": "synthetic", "b": "not loaded"}) == "synthetic"
