"""Where things live in the repository. Run-time locations come from `WarehouseResource`."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"
SAMPLE_INTEROP = REPO_ROOT / "data" / "sample" / "interop_reports.csv"
SAMPLE_CASES = REPO_ROOT / "data" / "sample" / "cases.csv"
DEFAULT_WAREHOUSE = REPO_ROOT / "data" / "warehouse"
DEFAULT_INBOX = REPO_ROOT / "data" / "inbox"
RUN_LOG = Path("logs") / "last_run.log"  # in a warehouse: the last run's steps and dbt log
DBT_TARGET = Path("dbt") / "target"  # in a warehouse: dbt's target folder (artifacts, dbt.log)
JURISDICTION_OVERRIDES = DBT_PROJECT_DIR / "seeds" / "jurisdiction_overrides.csv"
CASE_PLACE_OVERRIDES = DBT_PROJECT_DIR / "seeds" / "case_place_overrides.csv"
CONVICTION_SEVERITY = DBT_PROJECT_DIR / "seeds" / "case_conviction_severity.csv"
CITY_COUNTIES = DBT_PROJECT_DIR / "seeds" / "city_counties.csv"
PLACE_FIGURES = REPO_ROOT / "data" / "published" / "place_figures.csv"
SOURCES_FILE = REPO_ROOT / "sources.yml"  # SCOMM_SOURCES_FILE names another (sources_file())
DEFAULT_CACHE = REPO_ROOT / "data" / "raw"


def sources_file() -> Path:
    """The sources file this process reads: $SCOMM_SOURCES_FILE when set (a test, or a site's
    own copy), else the repository's sources.yml."""
    import os

    override = os.environ.get("SCOMM_SOURCES_FILE")
    return Path(override) if override else SOURCES_FILE
