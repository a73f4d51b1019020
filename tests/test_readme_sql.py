"""Every ```sql block of the README answers on the published sample: the README stays true."""

import re
from pathlib import Path

import pytest

from orchestration.serve.published import published

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_ten_questions():
    assert len(BLOCKS) >= 10


@pytest.mark.parametrize("query", BLOCKS, ids=[f"sql{i + 1}" for i in range(len(BLOCKS))])
def test_readme_sql_runs_read_only_on_the_published_sample(sample_run, query):
    with published(sample_run.serving) as con:
        rows = con.execute(query).fetchall()
    assert rows, "each example answers something on the sample"
