"""Every asset key the Python code names, in one place (the dbt models' keys come from the dbt
translator: <layer>/<model>)."""

import dagster as dg

RAW_INTEROP = dg.AssetKey(["raw", "interop_reports"])
RAW_MATCHES = dg.AssetKey(["raw", "jurisdiction_matches"])
RAW_POPULATION = dg.AssetKey(["raw", "census_population"])
RAW_NONCITIZEN = dg.AssetKey(["raw", "acs_noncitizen"])
RAW_ACTIVATIONS = dg.AssetKey(["raw", "sc_activation_panel"])
RAW_CASES = dg.AssetKey(["raw", "cases"])
RAW_CASES_GROUPED = dg.AssetKey(["raw", "cases_grouped"])
RAW_CASE_MATCHES = dg.AssetKey(["raw", "cases_jurisdiction_matches"])
RAW_CASE_PLACES = dg.AssetKey(["raw", "cases_place_matches"])
RAW_FIGURES = dg.AssetKey(["raw", "published_figures"])
RAW_G287 = dg.AssetKey(["raw", "g287_agency_years"])
RAW_PLACE_FIGURES = dg.AssetKey(["raw", "place_figures"])
RAW_PLACE_FIGURE_MATCHES = dg.AssetKey(["raw", "place_figure_matches"])
RAW_G287_MATCHES = dg.AssetKey(["raw", "g287_agency_matches"])

CHANGES = dg.AssetKey(["intermediate", "int_interop_cumulative_changes"])
CASE_AGGREGATES = dg.AssetKey(["intermediate", "int_case_removals_by_severity"])
DIM_JURISDICTION = dg.AssetKey(["marts", "dim_jurisdiction"])

SERVING = dg.AssetKey(["serving", "marts"])


def mart_key(model: str) -> dg.AssetKey:
    """The key of a dbt model of the marts layer."""
    return dg.AssetKey(["marts", model])
