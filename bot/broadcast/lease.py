"""One broadcast worker (and one reminder scheduler) per database: an exclusive lock on a
file beside it."""

from __future__ import annotations

import os
import threading
from typing import IO

from bot.db import Db

__all__ = ["Lease", "try_lease"]


class Lease:
    """An exclusive lock on the worker's lock file, released by the kernel when the process
    dies (SIGKILL included), so a restarted worker never waits for a dead one."""

    def __init__(self, handle: IO[bytes] | None, lock: threading.Lock | None) -> None:
        self._handle = handle
        self._lock = lock

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file drops the flock
            self._handle = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None


def try_lease(db: Db, name: str = "broadcast-worker") -> Lease | None:
    """Become the one `name` (the broadcast worker, the reminder scheduler) of this database,
    or None while another process (or task) is. The lock file is ``<database>.<name>.lock``;
    an in-memory database has one in-process lock per name."""
    if db.in_memory:
        lock = db.memory_lease if name == "broadcast-worker" else db.memory_lock(name)
        return Lease(None, lock) if lock.acquire(blocking=False) else None
    import fcntl

    handle = open(f"{db.path}.{name}.lock", "ab")  # noqa: SIM115 -- held while leased
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n".encode())
    handle.flush()
    return Lease(handle, None)
