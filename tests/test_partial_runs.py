"""Runs that redo only what changed (sources/fingerprint.py, ingest/build_state.py).

For every source: change only that source's file in a copy of the sample warehouse; `scomm run`
rebuilds that source and what is downstream of it, reuses the rest as published, and publishes
exactly — table by table, by the content checksums in `_publication_tables` — what a full run
(`--full`) on the same inputs publishes. A second run on the same inputs is "up to date" and
publishes nothing; a run that failed leaves its source to be rebuilt by the next one."""

import csv
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from orchestration.cli import main
from orchestration.paths import PLACE_FIGURES, REPO_ROOT
from orchestration.sources.catalog import SOURCE_NAMES
from tests.conftest import REFERENCE_DIR, write_variant

# one xdist worker for the module: the tests copy the one sample warehouse and run in turn
pytestmark = pytest.mark.xdist_group("partial_runs")

SAMPLE = REPO_ROOT / "data" / "sample"


def scomm_run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args], catch_exceptions=False)
    return result.exit_code, " ".join(result.output.split())


def publication(warehouse: Path) -> tuple[str, dict[str, str], Path]:
    """(run id, {table: content md5}, version file) of the current publication."""
    serving = (warehouse / "marts.duckdb").resolve()
    with duckdb.connect(str(serving), read_only=True) as con:
        run_id = con.execute("select run_id from _publication").fetchone()[0]
        tables = dict(
            con.execute("select table_name, content_md5 from _publication_tables").fetchall()
        )
    return run_id, tables, serving


def edit_csv(source: Path, out: Path, edit) -> Path:
    """A copy of ``source`` with ``edit(rows)`` applied to its rows (header first)."""
    with source.open(encoding="latin-1", newline="") as f:
        rows = list(csv.reader(f))
    with out.open("w", encoding="latin-1", newline="") as f:
        csv.writer(f, lineterminator="\n").writerows(edit(rows))
    return out


def _add(column: str, amount: int, where=lambda row: True, every: bool = False):
    """Add ``amount`` to ``column`` of the first row ``where`` holds (of every such row)."""

    def edit(rows: list[list[str]]) -> list[list[str]]:
        header = rows[0]
        at = header.index(column)
        for row in rows[1:]:
            if row[at] and where(dict(zip(header, row, strict=True))):
                row[at] = str(int(row[at]) + amount)
                if not every:
                    break
        return rows

    return edit


def variant(source: str, folder: Path) -> Path:
    """A changed input for ``source`` that still passes every blocking check."""
    if source == "interop":  # the last report row is gone
        return write_variant(folder, "interop.csv", lambda lines: lines[:-1])
    if source == "population":
        return edit_csv(
            SAMPLE / "population.csv",
            folder / "population.csv",
            _add("POPESTIMATE2012", 1000, lambda r: r["SUMLEV"] == "050"),
        )
    if source == "noncitizen":
        return edit_csv(
            SAMPLE / "noncitizen.csv", folder / "noncitizen.csv", _add("noncit_pop", 10, every=True)
        )
    if source == "g287":
        return edit_csv(SAMPLE / "g287.csv", folder / "g287.csv", _add("removed", 3))
    if source == "cases":  # 20 of 20,000 records fewer (under the 2 % completeness gate)
        lines = (SAMPLE / "cases.csv").read_text(encoding="utf-8").splitlines(keepends=True)
        out = folder / "cases.csv"
        out.write_text("".join(lines[:-20]), encoding="utf-8")
        return out
    if source == "place_figures":  # not loaded in the sample run: the compiled file
        return PLACE_FIGURES
    # no synthetic variant of these two: the real public files (not loaded / synthetic in the
    # sample run)
    name = {"activations": "securecommunities.dta", "figures": "published_figures.csv"}[source]
    return REFERENCE_DIR / name


@pytest.mark.parametrize("source", SOURCE_NAMES)
def test_a_changed_source_is_rebuilt_alone_and_publishes_what_a_full_run_does(
    source, sample_run, tmp_path
):
    warehouse = tmp_path / "warehouse"
    shutil.copytree(sample_run.warehouse, warehouse, symlinks=True)
    before_run, before, _ = publication(warehouse)
    args = ("--source", f"{source}={variant(source, tmp_path)}", "--warehouse", str(warehouse))

    code, out = scomm_run(*args)
    assert code == 0, out
    assert f"changed: {source} (input changed" in out, out
    assert "reused as published: " + ", ".join(s for s in SOURCE_NAMES if s != source) in out
    partial_run, partial, _ = publication(warehouse)
    assert partial_run != before_run and partial != before  # the change reached the marts

    code, out = scomm_run(*args)  # the same inputs again: nothing to do
    assert code == 0 and "Up to date" in out, out
    assert publication(warehouse)[0] == partial_run

    code, out = scomm_run(*args, "--full")  # every source rebuilt from its file
    assert code == 0, out
    full_run, full, _ = publication(warehouse)
    assert full_run != partial_run
    assert {t: md5 for t, md5 in partial.items() if full.get(t) != md5} == {}
    assert set(partial) == set(full)


def test_nothing_changed_is_up_to_date_and_publishes_nothing(sample_copy):
    run_id, tables, version = publication(sample_copy.warehouse)
    code, out = scomm_run("--warehouse", str(sample_copy.warehouse))
    assert code == 0 and "Up to date" in out and "Nothing was run or published" in out, out
    assert publication(sample_copy.warehouse) == (run_id, tables, version)


def test_a_failed_run_leaves_its_source_to_the_next_run(sample_copy, tmp_path):
    warehouse = sample_copy.warehouse
    run_id, tables, _ = publication(warehouse)
    bad = write_variant(
        tmp_path,
        "bad.csv",
        lambda lines: [line.replace(",219,118,", ",-219,118,") for line in lines],
    )
    code, out = scomm_run("--source", f"interop={bad}", "--warehouse", str(warehouse))
    assert code == 1 and "nothing was published" in out, out
    # back to the published inputs: the build database still holds the refused file, so the
    # run is not "up to date" but rebuilds interop, and publishes what was published before
    code, out = scomm_run("--warehouse", str(warehouse))
    assert code == 0, out
    assert "changed: interop (build database not as published" in out, out
    new_run, new_tables, _ = publication(warehouse)
    assert new_run != run_id and new_tables == tables
