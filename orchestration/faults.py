"""What a run does about being killed or interrupted: its helper processes die with it
(helper_started), and crash-test hooks. `SCOMM_KILL_AT=<checkpoint>` makes the process SIGKILL
itself when it reaches that checkpoint, so tests can prove that a run killed at any phase leaves
the published file intact and the next run working (docs/RELIABILITY.md).
`SCOMM_INTERRUPT_AT=<checkpoint>` sends SIGINT instead, as Ctrl-C in a terminal does: to the
process group when the run leads one (its helpers too), else to the process. Unset, a checkpoint
does nothing. Besides CHECKPOINTS (the run's own process), `dbt-worker` kills dbt's worker
process mid-build (tests/test_run_workers.py)."""

from __future__ import annotations

import os
import signal

CHECKPOINTS = ("ingest", "validation", "dbt", "publish-before-swap", "publish-after-swap")
# `scomm sql`: as the command starts (before anything is imported) and once its connection is open
SQL_CHECKPOINTS = ("sql-start", "sql-connected")


def checkpoint(name: str) -> None:
    if os.environ.get("SCOMM_KILL_AT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get("SCOMM_INTERRUPT_AT") == name:
        if os.getpgrp() == os.getpid():
            os.killpg(os.getpgrp(), signal.SIGINT)
        else:
            os.kill(os.getpid(), signal.SIGINT)


def helper_started() -> None:
    """Call first in a run's helper process (the validation process, dbt's worker): it dies
    with the run (PR_SET_PDEATHSIG, Linux: a run killed with SIGKILL leaves no helper behind,
    holding the build database or not) and ignores Ctrl-C, which the run handles."""
    import ctypes

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (AttributeError, OSError):
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
