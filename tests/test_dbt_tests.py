"""dbt's own tests outside the run: the rules of each model (per column, and its unique keys)
are one dbt test (tests/generic/column_rules.sql) and every rule it is given still catches its
kind of bad value, the failing rows saying which column, which rule and the value (the clean sample
passing them all is test_pipeline_e2e's); the dbt unit tests, which `scomm run` leaves out
(they test the SQL, not the data), pass here."""

import json
import subprocess

import duckdb

from orchestration.defs.dbt import dbt_executable
from orchestration.defs.dbt_runner import common_args
from orchestration.paths import DBT_PROJECT_DIR


def dbt_test(build_db, target, *select: str, store_failures: bool = True):
    """`dbt test` of the selected tests on ``build_db``, failing rows stored (as a dbt user
    would look at them)."""
    return subprocess.run(
        [
            dbt_executable(),
            "test",
            *(["--store-failures"] if store_failures else []),
            "--select",
            *select,
            "--vars",
            json.dumps({"build_db": str(build_db)}),
            *common_args(target),  # the project, profile and target as a run gives them
        ],
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def stored_failures(build_db) -> dict[str, set[str]]:
    """The failing rows dbt stored, by test (table) name."""
    with duckdb.connect(str(build_db), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_name like 'column_rules_%'"
        ).fetchall()
        return {
            name: {
                row[0]
                for row in con.execute(f'select broken_rule from "{schema}"."{name}"').fetchall()
            }
            for schema, name in tables
        }


def test_each_rule_catches_its_bad_value_and_names_column_rule_and_value(sample_copy, tmp_path):
    build = sample_copy.build
    with duckdb.connect(str(build)) as con:
        first = "(select min(jurisdiction_id) from marts.mart_jurisdiction_year)"
        con.execute(
            f"""update marts.mart_jurisdiction_year
                set fiscal_year = 2099, minor_share_removals = 1.5, jurisdiction_name = null,
                    months_active = -1
                where jurisdiction_id = {first} and fiscal_year = (
                    select min(fiscal_year) from marts.mart_jurisdiction_year
                    where jurisdiction_id = {first})"""
        )
        con.execute(
            "update marts.mart_jurisdiction_year set jurisdiction_id = '2502' "
            "where jurisdiction_id = '25025'"
        )
        con.execute(
            "update marts.fct_referrals_by_severity set measure = 'arrests' "
            "where rowid = (select min(rowid) from marts.fct_referrals_by_severity)"
        )
        # a key twice: one jurisdiction-year's row copied
        twice = con.execute(
            "select jurisdiction_id, fiscal_year from marts.mart_jurisdiction_year "
            "where fiscal_year between 2009 and 2014 order by all desc limit 1"
        ).fetchone()
        con.execute(
            "insert into marts.mart_jurisdiction_year select * from marts.mart_jurisdiction_year "
            "where jurisdiction_id = ? and fiscal_year = ?",
            list(twice),
        )
        # a key with a `where`: counted among the rows it selects only (resolved
        # jurisdictions); two unresolved copies of one report row are not a broken key
        con.execute(
            "create table intermediate.resolved_rows as "
            "select * from intermediate.int_interop_reports_resolved"
        )
        con.execute("drop view intermediate.int_interop_reports_resolved")
        con.execute(
            """create table intermediate.int_interop_reports_resolved as
               select * from intermediate.resolved_rows
               union all (select * from intermediate.resolved_rows
                          where jurisdiction_id = '25025' order by report_through limit 1)
               union all (select * replace (null as jurisdiction_id)
                          from intermediate.resolved_rows order by all limit 1)
               union all (select * replace (null as jurisdiction_id)
                          from intermediate.resolved_rows order by all limit 1)"""
        )
        first_report = con.execute(
            "select min(report_through) from intermediate.resolved_rows "
            "where jurisdiction_id = '25025'"
        ).fetchone()[0]
    done = dbt_test(
        build,
        tmp_path / "target",
        "test_name:column_rules,mart_jurisdiction_year",
        "test_name:column_rules,fct_referrals_by_severity",
        "test_name:column_rules,int_interop_reports_resolved",
    )
    assert done.returncode == 1, done.stdout
    # the tests ran and failed (dbt counts a failed test under ERROR in its summary)
    assert done.stdout.count(" FAIL ") == 3 and "TOTAL=3" in done.stdout, done.stdout
    failures = stored_failures(build)
    assert set(failures) == {
        "column_rules_mart_jurisdiction_year",
        "column_rules_fct_referrals_by_severity",
        "column_rules_int_interop_reports_resolved",
    }
    assert failures["column_rules_int_interop_reports_resolved"] == {
        f"(jurisdiction_id, report_through) = (25025, {first_report}) occurs 2 times"
    }
    jurisdiction_year = failures["column_rules_mart_jurisdiction_year"]
    assert {
        f"(jurisdiction_id, fiscal_year) = ({twice[0]}, {twice[1]}) occurs 2 times",
        "fiscal_year = 2099 is outside [2003, 2035]",
        "minor_share_removals = 1.5 is outside [0, 1]",
        "months_active = -1 is outside [0, 12]",
        "jurisdiction_name is NULL",
        "jurisdiction_id = '2502' is not five digits",
    } <= jurisdiction_year, jurisdiction_year
    assert failures["column_rules_fct_referrals_by_severity"] == {
        "measure = 'arrests' is not one of the accepted values"
    }


def test_the_dbt_unit_tests_pass_here_since_runs_leave_them_out(sample_copy, tmp_path):
    done = dbt_test(sample_copy.build, tmp_path / "target", "test_type:unit", store_failures=False)
    assert done.returncode == 0, done.stdout
    # the project's unit tests all ran (dbt prints one PASS line per test)
    assert done.stdout.count(" PASS ") >= 2 and "ERROR=0" in done.stdout, done.stdout
