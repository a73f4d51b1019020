"""Every ```sql block of the README answers on the published sample: the README stays true."""

import re
from pathlib import Path

import pytest

from orchestration.serve.published import published

pytestmark = pytest.mark.fast  # make test-fast

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_ten_questions():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("query", BLOCKS, ids=[f"sql{i + 1}" for i in range(len(BLOCKS))])
def test_readme_sql_runs_read_only_on_the_published_sample(sample_run, query):
    with published(sample_run.serving) as con:
        rows = con.execute(query).fetchall()
    assert rows, "each example answers something on the sample"


def readme_published_tables() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Published tables", 1)[1].split("\n#", 1)[0]
    return re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.M)


def test_published_tables_are_declared_once_in_dbt_and_the_readme_lists_them(
    dbt_manifest, sample_run
):
    # dbt's tag `published` is the one declaration: the publisher publishes exactly those
    # models, and the README's table lists exactly those (plus the publication records)
    from orchestration.defs.dbt import published_models

    declared = published_models(dbt_manifest)
    assert len(declared) >= 10
    listed = readme_published_tables()
    assert sorted(t for t in listed if not t.startswith("_")) == sorted(declared)
    with published(sample_run.serving) as con:
        in_file = [r[0] for r in con.execute("show tables").fetchall()]
    assert sorted(t for t in in_file if not t.startswith("_")) == sorted(declared)
