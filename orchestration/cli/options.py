"""Options that several commands share."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from orchestration.paths import DEFAULT_WAREHOUSE

warehouse_option = click.option(
    "--warehouse",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_WAREHOUSE,
    show_default=True,
    help="The warehouse folder: build.duckdb, the published marts.duckdb, dbt/ and logs/.",
)


F = TypeVar("F", bound=Callable[..., Any])


def with_options(options: Sequence[Callable[[Any], Any]]) -> Callable[[F], F]:
    """Apply click options (and arguments) listed in the order --help shows them, as if
    stacked as decorators: a command with many options keeps them apart from its code."""

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate
