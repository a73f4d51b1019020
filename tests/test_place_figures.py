"""The compiled place figures (data/published/place_figures.csv): each place placed by the
pipeline's normalizer, every bad row quarantined or refused naming its file, line and column,
and the committed file itself checked against counts computed here from the CSV."""

from __future__ import annotations

import csv
import hashlib
import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.ingest.jurisdictions import load_overrides
from orchestration.ingest.place_figures import PLACE_FIGURE_COLUMNS, resolve_figure_place
from orchestration.paths import JURISDICTION_OVERRIDES, PLACE_FIGURES
from orchestration.sources.catalog import load_sources

OVERRIDES = load_overrides(JURISDICTION_OVERRIDES)


@pytest.mark.parametrize(
    ("state", "key", "expected"),
    [
        ("MA", "city|Boston", "25025"),
        ("MA", "county|Suffolk County", "25025"),
        ("MA", "state|Massachusetts", "25000"),
        ("DC", "city|Washington, D.C.", "11001"),
        ("VA", "county|Prince William County", "51153"),
        ("NM", "county|Doña Ana County", "35013"),
    ],
)
def test_a_place_is_placed_by_the_pipelines_normalizer(state, key, expected):
    assert resolve_figure_place(state, key, OVERRIDES).jurisdiction_id == expected


@pytest.mark.parametrize(
    ("state", "key", "reason"),
    [
        ("NY", "city|New York City", "spans 5 counties"),
        ("MA", "field_office|Boston field office", "field office"),
        ("TX", "city|Exampleville", "not in seeds/city_counties.csv"),
        ("MA", "state|Texas", "the state is MA"),
        ("ZZ", "county|Suffolk County", "unknown state"),
        ("MA", "region|Suffolk", "unknown place_kind"),
    ],
)
def test_a_place_that_cannot_be_placed_says_why_and_is_never_guessed(state, key, reason):
    found = resolve_figure_place(state, key, OVERRIDES)
    assert found.jurisdiction_id is None and reason in (found.quarantine_reason or "")


def _rows(path: Path = PLACE_FIGURES) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_the_committed_file_is_pinned_and_every_row_cites_its_value_in_its_quote():
    spec = load_sources()["place_figures"]
    digest = hashlib.sha256(PLACE_FIGURES.read_bytes()).hexdigest()
    assert [f.sha256 for f in spec.files] == [digest], "update sources.yml after editing the file"
    rows = _rows()
    assert list(rows[0]) == list(PLACE_FIGURE_COLUMNS)
    for line, row in enumerate(rows, start=2):
        assert row["value"] and row["value"] in row["quote"], f"line {line}: value not in quote"
        assert len(row["quote"].split()) <= 25, f"line {line}: quote over 25 words"
        assert re.match(r"^https?://", row["source_url"]), f"line {line}: {row['source_url']}"


def test_the_record_covers_at_least_40_places_and_15_with_a_severity_breakdown():
    # counted from the CSV alone (rows with a numeric value and a written as-of date), so the
    # public-run test below can check the marts against an independent count
    usable = [r for r in _rows() if re.search(r"\d", r["value"]) and r["period_end"]]
    places = {(r["state"], r["place"]) for r in usable}
    broken_down = {(r["state"], r["place"]) for r in usable if not r["metric"].endswith("_total")}
    assert len(places) >= 40, len(places)
    assert len(broken_down) >= 15, len(broken_down)
    boston = [r for r in usable if r["place"] == "Boston" and r["state"] == "MA"]
    assert {"removals_total", "removals_nc"} <= {r["metric"] for r in boston}


BAD_ROWS = """place,state,place_kind,period_start,period_end,period_text,as_of_basis,metric,value,qualifier,quote,source_url,source_kind,source_name,published,note
Boston,MA,city,2008,2011-07-31,since 2008,stated,removals_total,369,exact,"369 removed through July 31",https://example.org/a,secondary,Example,2011-09,
Boston,MA,city,2008,2011-07-31,since 2008,stated,removals_nc,48 percent,exact,"48 percent had no conviction",https://example.org/a,secondary,Example,2011-09,
Boston,MA,city,2008,2011-07-31,since 2008,stated,removals_nc,148 percent,exact,"148 percent had no conviction",https://example.org/b,secondary,Example,2011-09,
Boston,MA,city,2008,2011-07-31,since 2008,stated,removals_total,Seventeen,exact,"Seventeen were removed",https://example.org/c,secondary,Example,2011-09,
Boston,MA,city,,2007-06,before,stated,removals_total,12,exact,"12 were removed",https://example.org/d,secondary,Example,2007,
Boston,MA,city,,2099-01-01,future,stated,removals_total,13,exact,"13 were removed",https://example.org/e,secondary,Example,2099,
Atlantis,MA,county,,2011-07-31,since activation,stated,removals_total,14,exact,"14 were removed",https://example.org/f,secondary,Example,2011,
Boston,MA,city,2008,2011-07-31,since 2008,stated,removals_total,369,exact,"369 removed through July 31",https://example.org/a,secondary,Example,2011-09,
Boston,MA,city,2008,July 2011,since 2008,stated,removals_total,15,exact,"15 were removed",https://example.org/g,secondary,Example,2011,
"""  # noqa: E501


@pytest.fixture(scope="module")
def bad_rows_run(dbt_manifest, tmp_path_factory):
    folder = tmp_path_factory.mktemp("place_figures_bad")
    path = folder / "place_figures.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    warehouse = folder / "warehouse"
    result = CliRunner().invoke(
        main, ["run", "--source", f"place_figures={path}", "--warehouse", str(warehouse)]
    )
    assert result.exit_code == 0, result.output[-3000:]
    con = duckdb.connect(str(warehouse / "marts.duckdb"), read_only=True)
    yield result.output, con, path
    con.close()


def test_bad_rows_are_quarantined_naming_line_and_column_and_the_rest_published(bad_rows_run):
    output, con, path = bad_rows_run
    reasons = dict(
        con.execute(
            "select source_line, quarantine_reason from qa_place_figures_quarantined"
        ).fetchall()
    )
    assert reasons[4].startswith("value: 148 percent is a percentage over 100")
    assert reasons[5].startswith("value: 'Seventeen' is not a number as written")
    assert reasons[6].startswith("period_end: 2007-06 is before Secure Communities began")
    assert reasons[7].startswith("period_end: 2099-01-01 is in the future")
    assert reasons[8].startswith("place: no county or county equivalent named 'Atlantis'")
    assert reasons[9] == "duplicate: the same figure as line 2"
    assert reasons[10].startswith("period_end: 'July 2011' is not YYYY, YYYY-MM or YYYY-MM-DD")
    published = con.execute(
        "select source_line, jurisdiction_id, unit, value_count, value_percent, time_basis "
        "from mart_place_figures order by source_line"
    ).fetchall()
    assert [r[:5] for r in published] == [
        (2, "25025", "count", 369, None),
        (3, "25025", "percent", None, 48.0),
    ]
    assert "not a fiscal-year flow" in published[0][5]
    # nothing accepted is lost: every line is published or quarantined
    assert len(published) + len(reasons) == len(BAD_ROWS.strip().splitlines()) - 1
    assert "1 place(s) quarantined" in " ".join(output.split())
    assert (
        str(path.resolve())
        in con.execute(
            "select any_value(source_file) from qa_place_figures_quarantined"
        ).fetchone()[0]
    )


def test_a_published_percentage_gets_an_interval_only_from_a_total_of_the_same_page(bad_rows_run):
    _, con, _ = bad_rows_run
    share = con.execute(
        "select share, share_low, share_high, denominator, basis from mart_place_figure_shares"
    ).fetchall()
    assert len(share) == 1
    value, low, high, denominator, basis = share[0]
    assert (value, denominator, basis) == (0.48, 369, "published percentage")
    # Wilson 95% for p = 0.48, n = 369, computed by hand
    z = 1.959963984540054
    n, p = 369, 0.48
    center = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    assert low == pytest.approx(center - half) and high == pytest.approx(center + half)


BROKEN = [
    ({"source_url": "ftp://example.org/a"}, "source_url"),
    ({"quote": "369 " + "word " * 30}, "quote__words"),
    ({"quote": "no number here at all"}, "quote__has_value"),
    ({"quote": "removed 13690 people"}, "quote__has_value"),
    ({"metric": "removals_fugitives"}, "metric__known"),
    ({"value": "48", "quote": "48 percent had no conviction"}, "quote__value_unit_agrees"),
]


def test_rows_the_suite_refuses_stop_the_run_naming_file_line_and_column(dbt_manifest, tmp_path):
    template = next(csv.DictReader(BAD_ROWS.splitlines()))
    rows = [template | change for change, _ in BROKEN]
    path = tmp_path / "place_figures.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=PLACE_FIGURE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    warehouse = tmp_path / "warehouse"
    result = CliRunner().invoke(
        main, ["run", "--source", f"place_figures={path}", "--warehouse", str(warehouse)]
    )
    assert result.exit_code == 1, result.output[-2000:]
    assert "place_figures_raw_suite" in result.output
    for line, (_, message) in enumerate(BROKEN, start=2):
        assert message in result.output
        assert f"{path.name}:{line}" in result.output, (line, result.output[-3000:])
    assert "Traceback" not in result.output
    assert not (warehouse / "marts.duckdb").exists()
