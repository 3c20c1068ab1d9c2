"""Database round trips counted in a process: each statement psycopg's cursors execute
(through SQLAlchemy or not), and each BEGIN, COMMIT and ROLLBACK of SQLAlchemy's
transactions on every engine in it (the application's and DBOS's system database's), is
one trip to PostgreSQL and back.

A worker runs under the counter as

    python -m bench.round_trips COUNTS_FILE worker --db URL --id NAME

and writes its counts to COUNTS_FILE, as JSON, on each SIGUSR1.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event

_lock = threading.Lock()
_counts = {"statements": 0, "begins": 0, "commits": 0, "rollbacks": 0}
_installed = False


def _count(kind: str) -> Any:
    def counted(*_: Any) -> None:
        with _lock:
            _counts[kind] += 1
    return counted


def install() -> None:
    """Count from now on, in this process (once)."""
    global _installed
    if _installed:
        return
    _installed = True
    statement = _count("statements")
    for method in ("execute", "executemany"):
        _counted(psycopg.Cursor, method, statement)
    event.listen(sa.engine.Engine, "begin", _count("begins"))
    event.listen(sa.engine.Engine, "commit", _count("commits"))
    event.listen(sa.engine.Engine, "rollback", _count("rollbacks"))


def _counted(cls: type, name: str, count: Any) -> None:
    original = getattr(cls, name)

    def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        count()
        return original(self, *args, **kwargs)

    setattr(cls, name, counted)


def counts() -> dict[str, int]:
    """The counts so far, round_trips their sum."""
    with _lock:
        now = dict(_counts)
    return {**now, "round_trips": sum(now.values())}


def difference(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {kind: after[kind] - before.get(kind, 0) for kind in after}


def ask(pid: int, path: Path, timeout_s: float = 10) -> dict[str, int]:
    """The counts of the process counting under `python -m bench.round_trips` (pid), now."""
    seen = path.stat().st_mtime_ns if path.exists() else None
    before = json.loads(path.read_text())["asked"] if seen is not None else 0
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            answer = json.loads(path.read_text())
        except (OSError, ValueError):  # not there yet, or written half
            answer = {"asked": before}
        if answer["asked"] > before:
            return {kind: int(value) for kind, value in answer.items() if kind != "asked"}
        time.sleep(0.01)
    raise RuntimeError(f"process {pid} did not write its round trips to {path}")


def _serve(path: Path) -> None:
    asked = 0

    def write(_signum: int, _frame: FrameType | None) -> None:
        nonlocal asked
        asked += 1
        part = path.with_suffix(".part")
        part.write_text(json.dumps({**counts(), "asked": asked}))
        part.replace(path)  # whole, or not at all

    signal.signal(signal.SIGUSR1, write)


if __name__ == "__main__":
    install()
    _serve(Path(sys.argv[1]))
    sys.argv = ["ordersaga", *sys.argv[2:]]
    from app.__main__ import run
    run()
