"""Temporary folders a `scomm` process owns in the system's temporary folder ($TMPDIR): named
`scomm-KIND-PID-START-XXXXXXXX` (the owner's process id and its start time, from /proc), so a
later process can tell the folders of a process that is gone (SIGKILL: no exit handler ran) and
remove them, and never touches a live process's (a pid reused by another process has another
start time; a pid alive whose start time cannot be read is taken as the owner, and kept).

Kinds: `query-spill` (a reader's DuckDB spill, serve/published/connection.py) and `run` (a run's
Dagster artifact folder, run/execute.py)."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from pathlib import Path

_NAME = re.compile(r"^scomm-(?P<kind>[a-z-]+?)-(?P<pid>\d+)-(?P<start>\d+)-[A-Za-z0-9_]+$")


def _start_time(pid: int) -> int | None:
    """The start time of process ``pid`` in clock ticks since boot (/proc/PID/stat field 22);
    None where there is no /proc or no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may hold spaces or parentheses itself
    fields = stat[stat.rindex(")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _alive(pid: int, start: int) -> bool:
    """Whether the process that created a folder named with ``pid`` and ``start`` still runs."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, another user's
    now = _start_time(pid)
    return now is None or start == 0 or now == start


def owned_tempdir(kind: str) -> Path:
    """A new folder in $TMPDIR named after ``kind`` and this process (see the module)."""
    pid = os.getpid()
    start = _start_time(pid) or 0
    return Path(tempfile.mkdtemp(prefix=f"scomm-{kind}-{pid}-{start}-"))


def sweep_dead(kind: str, folder: Path | None = None) -> list[Path]:
    """Remove the ``kind`` folders in $TMPDIR (or ``folder``) whose owner process is gone;
    return them. Never this process's, never a live one's; a folder that cannot be removed
    (another user's) is left."""
    root = Path(folder or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(root.iterdir())
    except OSError:
        return removed
    for entry in entries:
        found = _NAME.match(entry.name)
        if not found or found["kind"] != kind:
            continue
        pid, start = int(found["pid"]), int(found["start"])
        if pid == os.getpid() or _alive(pid, start):
            continue
        try:
            if entry.is_symlink() or not entry.is_dir():
                continue
            shutil.rmtree(entry)
        except OSError:
            continue
        removed.append(entry)
    return removed
