"""One run per warehouse at a time: an OS file lock on the warehouse folder."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class WarehouseBusy(RuntimeError):
    """Another run holds this warehouse."""


@contextlib.contextmanager
def warehouse_lock(warehouse: Path) -> Iterator[None]:
    """One run per warehouse at a time: a second one refuses instead of fighting over DuckDB's
    single-writer lock. The OS releases the lock if the process dies, so no manual cleanup."""
    warehouse.mkdir(parents=True, exist_ok=True)
    handle = (warehouse / ".run.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise WarehouseBusy(
            f"another scomm run is using {warehouse}; wait for it to finish"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        yield
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
