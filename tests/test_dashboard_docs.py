"""The dashboard's /docs (dbt's documentation site, as `scomm docs` wrote it) and its compressed
responses, over HTTP. tests/test_browser_docs.py loads /docs in Chromium."""

from __future__ import annotations

import gzip
import http.client
import re
from urllib.parse import urlsplit

import pytest
import requests

from orchestration.serve.docs import CSP
from tests.conftest import DashboardServer


@pytest.fixture(scope="module")
def docs_server(docs_warehouse):
    with DashboardServer(docs_warehouse.serving) as server:
        yield server


def raw_get(url: str, path: str, encoding: str | None) -> tuple[int, dict[str, str], bytes]:
    """GET ``path`` exactly as written (no client normalizes `..` or decodes anything), with
    the bytes as they came over the wire."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Accept-Encoding": encoding} if encoding else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def test_docs_serves_the_generated_site_with_a_policy_against_other_hosts(docs_server):
    status, headers, body = raw_get(docs_server.url, "/docs/", None)
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert headers["content-security-policy"] == CSP and "default-src 'none'" in CSP
    assert b'"send_anonymous_usage_stats": false' in body
    assert requests.get(docs_server.url + "/docs", timeout=60).url.endswith("/docs/")
    status, headers, body = raw_get(docs_server.url, "/docs/manifest.json", None)
    assert status == 200 and headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    "path",
    [
        "/docs/../marts.duckdb",
        "/docs/..%2fbuild.duckdb",
        "/docs/%2e%2e%2fmarts.duckdb",
        "/docs/..",
        "/docs/%2e%2e",
        "/docs/.index.html.tmp",
        "/docs/index.html%00.json",
        "/docs//etc/passwd",
        "/docs/docs/index.html",
    ],
)
def test_docs_refuses_every_path_but_its_own_files(docs_server, docs_warehouse, path):
    (docs_warehouse.docs / ".index.html.tmp").write_text("a leftover")
    status, _, body = raw_get(docs_server.url, path, None)
    assert status == 404, path
    assert b"SQLite" not in body and b"DUCK" not in body and b"a leftover" not in body


def test_docs_not_generated_says_how_to_generate_it(dashboard):
    status, _, body = raw_get(dashboard.url, "/docs/", None)
    assert status == 404 and b"scomm docs --warehouse WAREHOUSE" in body


def test_about_links_the_data_dictionary(docs_server, dashboard):
    about = requests.get(docs_server.url + "/about", timeout=60).text
    assert 'href="/docs/" id="docs-link"' in about and ", generated 20" in about
    assert "has not been generated" in requests.get(dashboard.url + "/about", timeout=60).text


@pytest.mark.parametrize("path", ["/", "/about", "/?q=25025", "/docs/"])
def test_a_compressed_page_is_smaller_and_identical_once_decompressed(docs_server, path):
    status, plain_headers, plain = raw_get(docs_server.url, path, None)
    assert status == 200 and "content-encoding" not in plain_headers
    status, headers, compressed = raw_get(docs_server.url, path, "gzip")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert "accept-encoding" in headers["vary"].lower()
    assert len(compressed) < len(plain) * 0.6, (len(compressed), len(plain))
    assert gzip.decompress(compressed) == plain


def test_the_status_stamp_survives_compression(docs_server):
    _, _, compressed = raw_get(docs_server.url, "/", "gzip")
    page = gzip.decompress(compressed).decode()
    # the data status drawn on every chart (and the map) of the synthetic sample
    stamps = re.findall(r'<text [^>]*class="data-status"[^>]*>([^<]*)</text>', page)
    assert stamps and all("SYNTHETIC" in s for s in stamps), stamps


@pytest.mark.parametrize(
    "path",
    [
        "/download.csv?q=25025",
        "/home.csv?view=national",
        "/home.csv?view=map&map=activation",
    ],
)
def test_csv_downloads_are_the_same_bytes_and_still_attachments(docs_server, path):
    _, plain_headers, plain = raw_get(docs_server.url, path, None)
    _, headers, compressed = raw_get(docs_server.url, path, "gzip")
    assert plain_headers["content-disposition"].startswith("attachment; filename=")
    assert headers["content-disposition"] == plain_headers["content-disposition"]
    assert headers["content-type"] == plain_headers["content-type"]
    body = gzip.decompress(compressed) if headers.get("content-encoding") == "gzip" else compressed
    assert body == plain and b"data_status" in plain.splitlines()[0]
    # what a browser saves: requests decodes as a browser does
    saved = requests.get(docs_server.url + path, timeout=60)
    assert saved.content == plain
