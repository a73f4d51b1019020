"""Name + state -> FIPS: spellings resolve, ambiguity and unknowns are quarantined, not guessed."""

import pytest

from orchestration.ingest.jurisdictions import fold, load_overrides, resolve

pytestmark = pytest.mark.fast  # make test-fast


@pytest.fixture(scope="module")
def overrides():
    return load_overrides()


@pytest.mark.parametrize(
    ("state", "name", "expected_id", "expected_name", "kind"),
    [
        ("MA", "Suffolk County", "25025", "Suffolk County", "county"),
        ("MA", "Suffolk Co.", "25025", "Suffolk County", "county"),
        ("MA", "SUFFOLK", "25025", "Suffolk County", "county"),
        ("NY", "Suffolk County", "36103", "Suffolk County", "county"),
        ("NM", "Doña Ana County", "35013", "Doña Ana County", "county"),
        ("NM", "Dona Ana County", "35013", "Doña Ana County", "county"),
        ("VA", "Richmond city", "51760", "Richmond city", "independent city"),
        ("VA", "Richmond County", "51159", "Richmond County", "county"),
        ("LA", "Orleans Parish", "22071", "Orleans Parish", "parish"),
        ("AK", "Matanuska-Susitna Borough", "02170", "Matanuska-Susitna Borough", "borough"),
        ("AK", "Bethel Census Area", "02050", "Bethel census area", "census area"),
        ("NY", "Kings County", "36047", "Kings County", "county"),
    ],
)
def test_published_spellings_resolve_to_the_county_equivalent(
    overrides, state, name, expected_id, expected_name, kind
):
    r = resolve(state, name, overrides)
    assert (r.jurisdiction_id, r.name, r.kind, r.quarantine_reason) == (
        expected_id,
        expected_name,
        kind,
        None,
    )


def test_state_wide_agency_gets_a_state_level_id_from_the_overrides_seed(overrides):
    r = resolve("MA", "Massachusetts State Police", overrides)
    assert (r.jurisdiction_id, r.kind, r.method) == ("25000", "state-level", "override")


def test_overrides_seed_resolves_a_spelling_addfips_does_not_know(overrides):
    assert resolve("LA", "E. Baton Rouge Parish", {}).jurisdiction_id is None
    r = resolve("LA", "E. Baton Rouge Parish", overrides)
    assert (r.jurisdiction_id, r.name, r.kind) == ("22033", "East Baton Rouge Parish", "parish")


def test_bare_name_shared_by_a_county_and_an_independent_city_is_not_guessed(overrides):
    r = resolve("VA", "Richmond", overrides)
    assert r.jurisdiction_id is None
    assert "ambiguous" in r.quarantine_reason
    assert "51159" in r.quarantine_reason and "51760" in r.quarantine_reason


@pytest.mark.parametrize(
    ("state", "name", "reason"),
    [
        ("TX", "Nowhere County", "no county or county equivalent named 'Nowhere County' in TX"),
        ("XX", "Suffolk County", "unknown state 'XX'"),
        (None, "Suffolk County", "unknown state"),
        ("MA", "  ", "jurisdiction name is blank"),
        ("MA", "Harris County", "no county or county equivalent"),
    ],
)
def test_unresolvable_names_are_quarantined_with_a_reason(overrides, state, name, reason):
    r = resolve(state, name, overrides)
    assert r.jurisdiction_id is None
    assert reason in r.quarantine_reason


def test_fold_removes_accents_case_and_extra_spaces():
    assert fold("  Doña   ANA County ") == "dona ana county"


def test_overrides_seed_rejects_a_malformed_id(tmp_path):
    seed = tmp_path / "overrides.csv"
    seed.write_text(
        "state,published_name,jurisdiction_id,kind,name,note\nMA,Boston PD,2525,,,\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"line 2, column 'jurisdiction_id': '2525'"):
        load_overrides(seed)
