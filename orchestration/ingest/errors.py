"""The error every reader raises for a source file it cannot read as its layout, naming file,
line (or data row) and column, so the message alone tells the operator where to look."""

from __future__ import annotations

from pathlib import Path


class InputFileError(ValueError):
    """A source file that cannot be read as its layout. The message names file, line and column."""

    def __init__(
        self,
        path: Path | str,
        message: str,
        line: int | None = None,
        column: str | None = None,
        row: int | None = None,  # the data row of a file without lines (Parquet, a workbook)
    ) -> None:
        where = str(path)
        if line is not None:
            where += f", line {line}"
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.column, self.row = str(path), line, column, row
