"""Property-based tests (Hypothesis) of the CSV parser and of the cumulative-to-flow differencing.

The differencing properties run the real dbt SQL: the compiled int_interop_reports_differenced and
fct_referrals_by_severity models of the sample run, on generated report series in DuckDB."""

import csv
import datetime as dt
import io

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestration.ingest.errors import InputFileError
from orchestration.ingest.interop import INTEROP_COLUMNS, parse_interop_csv
from orchestration.paths import DBT_PROJECT_DIR

FIELD = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)
SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(st.lists(st.lists(FIELD, min_size=15, max_size=15), min_size=1, max_size=8))
def test_parser_round_trips_any_csv_text(tmp_path, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)  # RFC 4180: CRLF rows, fields with CR or LF quoted
    writer.writerow(INTEROP_COLUMNS)
    writer.writerows(rows)
    path = tmp_path / "generated.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    blank_rows = [r for r in rows if all(not v.strip() for v in r)]
    kept = [r for r in rows if r not in blank_rows]
    if not kept:
        with pytest.raises(InputFileError, match="no data rows"):
            parse_interop_csv(path)
        return
    parsed = parse_interop_csv(path).rows
    assert len(parsed) == len(kept)
    for (_, got), want in zip(parsed.iterrows(), kept, strict=True):
        assert [got[c] for c in INTEROP_COLUMNS] == [v.strip() or None for v in want]
    lines = list(parsed["_source_line"])
    assert lines[0] >= 2 and lines == sorted(set(lines))


@SETTINGS
@given(st.binary(max_size=400))
def test_parser_on_arbitrary_bytes_reads_or_refuses_never_crashes(tmp_path, data):
    path = tmp_path / "bytes.csv"
    path.write_bytes(",".join(INTEROP_COLUMNS).encode() + b"\n" + data)
    try:
        parsed = parse_interop_csv(path)
    except InputFileError as exc:
        assert str(path) in str(exc)
    else:
        assert len(parsed.rows) >= 1


LEVELS = ("l1", "l2", "l3", "nc")


@st.composite
def report_series(draw):
    """One jurisdiction's cumulative reports: dates in FY2009-FY2014, levels growing by random
    amounts, now and then a restatement (a drop) or a breakdown not reported (NULL)."""
    dates = sorted(
        draw(st.sets(st.dates(dt.date(2008, 11, 1), dt.date(2014, 9, 30)), min_size=1, max_size=7))
    )
    activation = dates[0] - dt.timedelta(days=draw(st.integers(0, 300)))
    cumulative = {f"{m}_{lv}": 0 for m in ("matches", "removals") for lv in LEVELS}
    submissions = 0
    reports = []
    for report_through in dates:
        for key in cumulative:
            step = draw(st.integers(-30, 400)) if draw(st.booleans()) else draw(st.integers(0, 50))
            cumulative[key] = max(0, cumulative[key] + step)
        submissions += draw(st.integers(0, 5000))
        row = {
            "report_through": report_through,
            "activation_date": activation,
            "submissions": submissions + sum(cumulative.values()),
        }
        for measure in ("matches", "removals"):
            levels = {lv: cumulative[f"{measure}_{lv}"] for lv in LEVELS}
            hidden = draw(st.booleans()) and draw(st.booleans()) and draw(st.booleans())
            for lv in LEVELS:
                row[f"{measure}_{lv}"] = None if hidden else levels[lv]
            row[f"{measure}_total"] = sum(levels.values())
        reports.append(row)
    return reports


@pytest.fixture(scope="module")
def compiled_models(sample_run):
    root = sample_run.warehouse / "dbt" / "target" / "compiled" / "scomm" / "models"

    def compiled(name: str) -> str:
        # models sit in subfolders by source/area (models/intermediate/interop/…)
        (path,) = root.rglob(name)
        return path.read_text()

    return compiled("int_interop_reports_differenced.sql"), compiled(
        "fct_referrals_by_severity.sql"
    )


def fiscal_year(d: dt.date) -> int:
    return d.year + (1 if d.month >= 10 else 0)


@SETTINGS
@given(st.lists(report_series(), min_size=1, max_size=3))
def test_flows_sum_back_and_no_share_leaves_zero_one(compiled_models, jurisdictions):
    differenced_sql, fact_sql = compiled_models
    con = duckdb.connect()
    con.execute("attach ':memory:' as build")
    for schema in ("intermediate", "reference", "marts"):
        con.execute(f"create schema build.{schema}")
    con.execute(
        "create table build.reference.offense_scales as select * from read_csv(?, "
        "all_varchar=true)",
        [str(DBT_PROJECT_DIR / "seeds" / "offense_scales.csv")],
    )
    con.execute("""create or replace table build.reference.offense_scales as
                   select scale, source_code, severity_level, cast(severity_rank as int)
                   severity_rank, label, cast(is_minor as boolean) is_minor,
                   cast(in_shares as boolean) in_shares from build.reference.offense_scales""")
    columns = (
        "jurisdiction_id varchar, fiscal_year int, report_through date, "
        "activation_date date, submissions bigint, "
        + ", ".join(
            f"{m}_{lv} bigint" for m in ("matches", "removals") for lv in (*LEVELS, "total")
        )
    )
    con.execute(f"create table build.intermediate.int_interop_reports_resolved ({columns})")
    names = ["report_through", "activation_date", "submissions"] + [
        f"{m}_{lv}" for m in ("matches", "removals") for lv in (*LEVELS, "total")
    ]
    for j, reports in enumerate(jurisdictions):
        for r in reports:
            con.execute(
                f"insert into build.intermediate.int_interop_reports_resolved "
                f"(jurisdiction_id, fiscal_year, {', '.join(names)}) "
                f"values (?, ?, {', '.join('?' for _ in names)})",
                [f"{j:05d}", fiscal_year(r["report_through"]), *(r[n] for n in names)],
            )
    # the fact also reads the case-record counts: none in these examples
    con.execute(
        "create table build.intermediate.int_case_removals_by_severity ("
        "jurisdiction_id varchar, fiscal_year integer, severity_level varchar, "
        "severity_scale varchar, quarantine_reason varchar, n bigint)"
    )
    con.execute(
        f"create view build.intermediate.int_interop_reports_differenced as {differenced_sql}"
    )
    con.execute(f"create view build.marts.fct_referrals_by_severity as {fact_sql}")
    # the differenced flows once, in a table, for the sums read per jurisdiction and level below
    # (the view worked out again for each of them made most of this test's time)
    con.execute(
        "create temp table differenced as "
        "select * from build.intermediate.int_interop_reports_differenced"
    )

    # no flow is ever negative
    assert con.execute(
        "select count(*) from build.intermediate.int_interop_reports_differenced where n < 0"
    ).fetchone() == (0,)
    # every share is NULL or in [0, 1]; complete measures' four shares sum to 1
    assert con.execute(
        "select count(*) from build.marts.fct_referrals_by_severity where share < 0 or share > 1"
    ).fetchone() == (0,)
    assert con.execute("""select count(*) from (
        select sum(share) s from build.marts.fct_referrals_by_severity
        where is_complete group by jurisdiction_id, fiscal_year, measure
        having count(share) = 4 and abs(sum(share) - 1) > 1e-9)""").fetchone() == (0,)
    # where no fiscal-year-end value decreased or went missing, flows sum back to the last one
    for j, reports in enumerate(jurisdictions):
        year_end = {}
        for r in reports:
            year_end[fiscal_year(r["report_through"])] = r  # the last report of each year
        ordered = [year_end[fy] for fy in sorted(year_end)]
        for measure, prefix in (("referrals", "matches"), ("removals", "removals")):
            for lv, level in zip(
                (*LEVELS, "total"), ("L1", "L2", "L3", "NC", "TOTAL"), strict=True
            ):
                values = [r[f"{prefix}_{lv}"] for r in ordered]
                if None in values or any(b < a for a, b in zip(values, values[1:], strict=False)):
                    continue
                total = con.execute(
                    "select sum(n), count(*) filter (where n is null) from differenced "
                    "where jurisdiction_id = ? and measure = ? and severity_level = ?",
                    [f"{j:05d}", measure, level],
                ).fetchone()
                restated_total = level == "TOTAL" and total[1] > 0
                if not restated_total:
                    assert total == (values[-1], 0), (measure, level, values)
    con.close()


@SETTINGS
@given(st.lists(st.sampled_from([b"a", b"\n", b"\xc3\xa9", b"\xe2\x82\xac", b"\xe9", b"\xc3"])))
def test_the_first_byte_that_is_not_utf8_is_found_across_block_and_piece_edges(
    tmp_path, monkeypatch, parts
):
    """The streaming check (blocks of 5 bytes, pieces of 3 here) names the same byte and line
    as decoding the whole file at once would, whether a character is split between blocks or
    pieces, and whether the file is gzip-compressed."""
    import gzip

    from orchestration.ingest.readers import locate, text

    monkeypatch.setattr(locate, "BLOCK", 5)
    monkeypatch.setattr(text, "BLOCK", 5)
    monkeypatch.setattr(locate.Utf8Check, "PIECE", 3)
    data = b"".join(parts)
    try:
        data.decode("utf-8")
        expected = None
    except UnicodeDecodeError as exc:
        expected = exc.start
    plain, packed = tmp_path / "t.csv", tmp_path / "t.csv.gz"
    plain.write_bytes(data)
    packed.write_bytes(gzip.compress(data))
    for path, compressed in ((plain, False), (packed, True)):
        found = locate.first_undecodable(path, "utf-8", compressed)
        assert (found[0] if found else None) == expected
        if expected is None:
            text.sha256_of_text(path, compressed, utf8=True)
            continue
        with pytest.raises(InputFileError) as refused:
            text.sha256_of_text(path, compressed, utf8=True)
        line = data[:expected].count(b"\n") + 1
        assert refused.value.line == line
        assert f"(byte 0x{data[expected]:02x} at byte {expected:,}" in str(refused.value)
