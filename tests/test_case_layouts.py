"""Case layouts: recognised from the header, several layouts in one load, refusals naming the
file, the closest layout and its missing columns; places and the severity seed (no pipeline
run: small files in tmp_path)."""

import csv

import duckdb
import pytest

from orchestration.ingest.cases.layouts import LAYOUTS_BY_NAME, recognise
from orchestration.ingest.cases.scan import load_raw_cases
from orchestration.ingest.errors import InputFileError
from orchestration.ingest.jurisdictions import load_overrides, resolve_place
from orchestration.paths import CASE_PLACE_OVERRIDES, CONVICTION_SEVERITY, JURISDICTION_OVERRIDES

ARRESTS = [
    "arrest_date", "date_of_birth", "gender", "country_of_citizenship", "event_number",
    "apprehension_landmark", "arrest_method", "most_serious_conviction", "year", "month", "day",
    "state",
]  # fmt: skip
BOOKINS = [
    "book_in_date", "date_of_birth", "gender", "country_of_citizenship", "detention_facility",
    "apprehension_method", "most_serious_conviction", "year", "month", "day", "state",
]  # fmt: skip


def write(path, header, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def arrest(date, landmark, method, conviction, state):
    return [date, "(b)(6)", "Male", "MEXICO", "(b)(7)e)", landmark, method, conviction, "", "", "",
            state]  # fmt: skip


def test_each_layout_is_recognised_from_its_header(tmp_path):
    assert recognise(tmp_path / "a.csv", ARRESTS).name == "uwchr_ero_arrests"
    assert recognise(tmp_path / "b.csv", BOOKINS).name == "uwchr_ero_bookins"
    removals = ["Departed Date", "Apprehension State", "Apprehension County",
                "Case Threat Level", "Case Criminality"]  # fmt: skip
    assert recognise(tmp_path / "r.csv", removals).event_kind == "removal"
    # optional columns may be absent
    assert recognise(tmp_path / "a.csv", [c for c in ARRESTS if c != "event_number"]).name == (
        "uwchr_ero_arrests"
    )


def test_a_header_of_no_layout_is_refused_with_the_closest_layout_and_missing_columns(tmp_path):
    bad = write(tmp_path / "arrests_old.csv", [c for c in ARRESTS if c != "arrest_method"], [])
    with pytest.raises(InputFileError) as err:
        load_raw_cases(duckdb.connect(), [bad], "t")
    text = str(err.value)
    assert "arrests_old.csv, line 1, column 'arrest_method'" in text
    assert "['arrest_method']" in text and "'uwchr_ero_arrests'" in text
    nothing = write(tmp_path / "other.csv", ["a", "b"], [["1", "2"]])
    with pytest.raises(InputFileError, match=r"other.csv, line 1.*closest case layout"):
        load_raw_cases(duckdb.connect(), [nothing], "t")


def test_arrests_and_bookins_load_in_one_pass_with_their_fields(tmp_path):
    arrests = write(
        tmp_path / "arrests.csv",
        ARRESTS,
        [
            arrest(
                "2015-10-01", "FRANKLIN COUNTY JAIL", "CAP Local Incarceration", "Assault", "WA"
            ),
            arrest("2015-09-30", "SEA CAP", "Located", "NA", "WA"),
            arrest("2016-01-05", "NA", "Located", "NA", "NA"),
        ],
    )
    bookins = write(
        tmp_path / "bookins.csv",
        BOOKINS,
        [
            [
                "2016-02-01",
                "x",
                "Male",
                "MEXICO",
                "NORCOR",
                "Located",
                "Traffic Offense",
                "",
                "",
                "",
                "OR",
            ]
        ],  # fmt: skip
    )
    con = duckdb.connect()
    assert load_raw_cases(con, [arrests, bookins], "t") == 4
    rows = con.execute("""
        select event_kind, fiscal_year, apprehension_state, place, method,
               most_serious_conviction, n
        from raw.cases_load order by event_kind, fiscal_year, place""").fetchall()
    assert rows == [
        ("arrest", 2015, "WA", "SEA CAP", "Located", "NA", 1),
        ("arrest", 2016, "WA", "FRANKLIN COUNTY JAIL", "CAP Local Incarceration", "Assault", 1),
        ("arrest", 2016, "NA", "NA", "Located", "NA", 1),
        ("book-in", 2016, "OR", "NORCOR", "Located", "Traffic Offense", 1),
    ]
    layouts = dict(
        con.execute("select layout, count(*) from raw.cases_load_files group by 1").fetchall()
    )
    assert layouts == {"uwchr_ero_arrests": 1, "uwchr_ero_bookins": 1}


def test_jails_resolve_to_their_county_and_other_places_stay_at_state_level():
    overrides = load_overrides(JURISDICTION_OVERRIDES) | load_overrides(CASE_PLACE_OVERRIDES)
    county = {
        ("WA", "FRANKLIN COUNTY JAIL"): "53021",
        ("WA", "GRANT CO. JAIL, WA"): "53025",
        ("OR", "MULTNOMAH COUNTY JAILS (INVERNESS & MCDC)"): "41051",
        ("WA", "KING CO.JAIL"): "53033",
        ("WA", "SUNNYSIDE CITY JAIL"): "53077",  # city jail -> county containing the city
        ("OR", "NORCOR"): "41065",
    }
    for (state, place), fips in county.items():
        got = resolve_place(state, place, overrides)
        assert (got.jurisdiction_id, got.method) in ((fips, "county jail"), (fips, "override"))
    state_level = {
        ("WA", "SEA CAP"): "office or operation",
        ("OR", "POO CAP NON-CUSTODIAL ARREST"): "office or operation",
        ("WA", "WASHINGTON COUNTY JAIL"): "jail not resolved",  # no such county in WA
        ("AMBIGUOUS", "JEFFERSON COUNTY JAIL"): "jail not resolved",  # state kept, not guessed
        ("NA", "NA"): "place not recorded",
    }
    for (state, place), kind in state_level.items():
        got = resolve_place(state, place, overrides)
        assert got.jurisdiction_id is None and got.method == kind, (place, got)
        assert got.quarantine_reason.endswith("counted at state level")


def test_severity_seed_classes_every_category_once_in_three_classes():
    with CONVICTION_SEVERITY.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    names = [r["most_serious_conviction"] for r in rows]
    assert len(names) == len(set(names)) and "NA" not in names
    assert {r["severity_class"] for r in rows} == {"serious", "other", "minor"}
    by = {r["most_serious_conviction"]: r["severity_class"] for r in rows}
    assert by["Traffic Offense"] == "minor" and by["Driving Under Influence Liquor"] == "other"
    assert by["Homicide"] == "serious" and by["Larceny"] == "other"
    assert by["Illegal Re-Entry (INA SEC.101(a)(43)(O), 8USC1326 only)"] == "minor"
    assert LAYOUTS_BY_NAME["uwchr_ero_arrests"].conviction == "most_serious_conviction"


def test_unknown_conviction_category_fails_the_run_naming_file_and_row(tmp_path, dbt_manifest):
    from click.testing import CliRunner

    from orchestration.cli import main

    bad = write(
        tmp_path / "arrests.csv",
        ARRESTS,
        [
            arrest("2016-01-05", "SEA CAP", "Located", "Assault", "WA"),
            arrest("2016-01-06", "SEA CAP", "Located", "Jaywalking On Mars", "WA"),
        ],
    )
    result = CliRunner().invoke(
        main,
        ["run", "--source", f"cases={bad}", "--warehouse", str(tmp_path / "wh")],
        catch_exceptions=False,
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 1
    assert "FAILED cases_convictions_known" in output
    assert f"{bad}: row 2 (1 rows): most_serious_conviction='Jaywalking On Mars'" in output
