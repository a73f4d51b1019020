"""The build database within a run: the steps share one open database (a cursor each), which is
closed whenever another process or database instance must open the file (dbt's worker, the
publish) and at the end of the run (defs/resources.py)."""

import subprocess
import sys

import duckdb
import pytest

from orchestration.defs import resources
from orchestration.defs.resources import (
    WarehouseResource,
    release_connections,
    shared_connections,
)

pytestmark = pytest.mark.fast  # make test-fast


def test_a_run_opens_the_build_database_once_and_lets_it_go_for_another_process(tmp_path):
    warehouse = WarehouseResource(warehouse_dir=str(tmp_path))
    other_process = [
        sys.executable,
        "-c",
        f"import duckdb; duckdb.connect({str(warehouse.build_db)!r}).execute('select 1')",
    ]
    with shared_connections():
        with warehouse.connect() as con:
            con.execute("create table t as select 1 as x")
        with warehouse.connect(read_only=True) as con:
            assert con.execute("select x from t").fetchone() == (1,)
        assert list(resources._shared) == [warehouse.build_db]  # one database, kept open
        # while it is open, another process cannot open the file (DuckDB's one writer) …
        assert subprocess.run(other_process, capture_output=True).returncode != 0
        release_connections()  # … as dbt's worker must: the dbt step lets it go first
        subprocess.run(other_process, check=True)
        with warehouse.connect() as con:  # the next step opens it again
            assert con.execute("select count(*) from t").fetchone() == (1,)
    assert resources._shared == {}  # closed at the end of the run
    subprocess.run(other_process, check=True)


def test_each_step_has_its_own_transaction_on_the_shared_database(tmp_path):
    warehouse = WarehouseResource(warehouse_dir=str(tmp_path))
    with shared_connections():
        with warehouse.connect() as con:
            con.execute("create table t (x integer)")
        with pytest.raises(RuntimeError), warehouse.connect() as con:
            con.execute("begin transaction")
            con.execute("insert into t values (1)")
            raise RuntimeError("the step failed midway")
        with warehouse.connect() as con:  # the failed step's insert was not committed
            assert con.execute("select count(*) from t").fetchone() == (0,)
    with duckdb.connect(str(warehouse.build_db), read_only=True) as con:
        assert con.execute("select count(*) from t").fetchone() == (0,)


def test_outside_a_run_each_connection_is_its_own(tmp_path):
    warehouse = WarehouseResource(warehouse_dir=str(tmp_path))
    with warehouse.connect() as con:
        con.execute("create table t as select 1 as x")
    assert resources._shared == {}
    with duckdb.connect(str(warehouse.build_db)) as con:  # closed: another instance opens it
        assert con.execute("select x from t").fetchone() == (1,)
