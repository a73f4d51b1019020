"""The GX suites: bad values fail with file/line/column; an expectation that raises is an error
of the validation, never mistaken for a verdict on the data."""

import duckdb
import pandas as pd
import pytest

from orchestration.defs.checks.common import to_check_result
from orchestration.defs.checks.raw import RAW_FRAME_SQL
from orchestration.fiscal import current_fiscal_year
from orchestration.ingest.interop import INTEROP_COLUMNS, load_raw_interop
from orchestration.validation.worker import run_suite

pytestmark = pytest.mark.fast  # make test-fast

HEADER = ",".join(INTEROP_COLUMNS)
LEVELS = ("l1", "l2", "l3", "nc")
GOOD = [
    "MA,Suffolk County,2008-11-05,2009-09-30,14042,128,121,267,382,898,52,19,68,41,180",
    "MA,Suffolk County,2008-11-05,2010-09-30,32186,319,300,635,835,2089,108,53,145,84,390",
]


def raw_frame(tmp_path, rows: list[str]) -> pd.DataFrame:
    path = tmp_path / "reports.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with duckdb.connect(str(tmp_path / "b.duckdb")) as con:
        load_raw_interop(con, path, "test")
        return con.execute(RAW_FRAME_SQL).df()


def failures(outcome):
    return {
        (o.expectation, o.column.split(" (derived: ")[-1].rstrip(")")) for o in outcome.failures
    }


def test_clean_rows_meet_every_expectation(tmp_path):
    outcome = run_suite(raw_frame(tmp_path, GOOD), "interop_raw", "raw.interop_reports")
    assert outcome.success, outcome.message()
    assert len(outcome.outcomes) > 30


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            GOOD[1].replace(",108,53,", ",-108,53,"),
            ("expect_column_values_to_be_between", "removals_l1__int"),
        ),
        (
            GOOD[1].replace(",32186,", ",n/a,"),
            ("expect_column_values_to_match_regex", "submissions"),
        ),
        (
            GOOD[1].replace(",32186,", ",12.0,"),
            ("expect_column_values_to_match_regex", "submissions"),
        ),
        (
            GOOD[1].replace(",2089,", ",2090,"),
            ("expect_column_values_to_be_between", "matches_total__minus_levels"),
        ),
        (
            GOOD[1].replace(",32186,", ",2000,"),
            ("expect_column_pair_values_a_to_be_greater_than_b", "submissions__int"),
        ),
        (
            GOOD[1].replace("2010-09-30", "2011-02-30"),
            ("expect_column_values_to_not_be_null", "report_through__parsed"),
        ),
        (
            GOOD[1].replace("2010-09-30", "09/30/2010"),
            ("expect_column_values_to_match_regex", "report_through"),
        ),
        (
            GOOD[1].replace("2010-09-30", "2008-01-31"),
            ("expect_column_values_to_be_between", "days_since_activation"),
        ),
        (GOOD[1].replace("MA,", "ZZ,", 1), ("expect_column_values_to_be_in_set", "state")),
        (GOOD[0], ("expect_compound_columns_to_be_unique", "state,jurisdiction,report_through")),
    ],
)
def test_each_kind_of_bad_value_fails_its_expectation(tmp_path, row, expected):
    outcome = run_suite(raw_frame(tmp_path, [GOOD[0], row]), "interop_raw", "raw.interop_reports")
    assert expected in failures(outcome), outcome.message()


def test_failure_message_names_expectation_table_column_file_and_line(tmp_path):
    frame = raw_frame(tmp_path, [GOOD[0], GOOD[1].replace(",108,53,", ",-108,53,")])
    message = run_suite(frame, "interop_raw", "raw.interop_reports").message()
    assert (
        "expect_column_values_to_be_between on raw.interop_reports.removals_l1 "
        "(derived: removals_l1__int)"
    ) in message
    assert f"{tmp_path / 'reports.csv'}:3" in message
    assert "removals_l1='-108'" in message


def test_an_expectation_that_raises_is_an_error_not_bad_data(tmp_path):
    frame = raw_frame(tmp_path, GOOD).drop(columns=["days_since_activation"])
    outcome = run_suite(frame, "interop_raw", "raw.interop_reports")
    [broken] = outcome.errors
    assert broken.column == "days_since_activation"  # not derived: no "__" in the name
    assert "could not be evaluated" in broken.describe("raw.interop_reports")
    assert not outcome.success  # the run must not publish on a validation it could not do


def test_a_metric_that_raises_inside_a_suite_is_an_error_and_the_rest_still_judged(monkeypatch):
    """The suite is validated in one GX validation: an expectation whose metric raised comes
    back as an error (GX reports it under the metric's id), and every other expectation of the
    suite keeps its own verdict, in the suite's order."""
    from orchestration.validation import validate

    spec = {
        "meta": {"blocking": True},
        "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}},
            # mixed types: GX's between metric raises a TypeError on them
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "b", "min_value": 0, "max_value": 10},
            },
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "a", "min_value": 0, "max_value": 1},
            },
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "a", "value_set": [1, 2]},
            },
        ],
    }
    monkeypatch.setattr(validate, "load_suite_spec", lambda name: spec)
    frame = pd.DataFrame({"a": [1, 2, None], "b": ["x", 3, {"k": 1}]})
    outcome = validate.validate_here(frame, "made_up", "t")
    not_null, between_b, between_a, in_set = outcome.outcomes
    assert not not_null.success and not not_null.raised and not_null.unexpected_count == 1
    assert between_b.raised and "same type" in between_b.raised
    assert "could not be evaluated" in between_b.describe("t")
    assert not between_a.success and not between_a.raised and between_a.unexpected_count == 1
    assert in_set.success
    assert outcome.errors == [between_b] and not outcome.success


def test_mart_suite_catches_a_share_out_of_range_and_a_future_year():
    frame = pd.DataFrame(
        {
            "fiscal_year": [2012, current_fiscal_year() + 1],
            **{f"{m}_{lv}": [1, 1] for m in ("referrals", "removals") for lv in LEVELS},
            "referrals_total": [4, 4],
            "removals_total": [4, 4],
            **{f"{s}_share_{lv}": [0.25, 0.25] for s in ("referral", "removal") for lv in LEVELS},
            "minor_share_referrals": [0.5, 1.5],
            "minor_share_removals": [0.5, 0.5],
            "referral_shares__sum_minus_one": [0.0, 0.0],
            "removal_shares__sum_minus_one": [0.0, 0.0],
            "minor_share_referrals__minus_parts": [0.0, 1.0],
            "minor_share_removals__minus_parts": [0.0, 0.0],
        }
    )
    outcome = run_suite(
        frame,
        "marts",
        "marts.mart_national_year",
        parameters={"max_fiscal_year": current_fiscal_year()},
    )
    got = failures(outcome)
    assert ("expect_column_values_to_be_between", "minor_share_referrals") in got
    assert ("expect_column_values_to_be_between", "minor_share_referrals__minus_parts") in got
    assert ("expect_column_values_to_be_between", "fiscal_year") in got
    result = to_check_result(outcome)
    assert result.passed is False and result.severity.value == "ERROR"


def test_fiscal_year_starts_in_october():
    import datetime as dt

    assert current_fiscal_year(dt.date(2010, 9, 30)) == 2010
    assert current_fiscal_year(dt.date(2010, 10, 1)) == 2011
