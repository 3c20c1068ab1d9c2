"""An embedded PostgreSQL server (the pgserver wheel) for DBOS's system database.

The server runs detached from our process group, so neither Ctrl-C nor our
exit stops it by itself: the block that starts it stops it, however it ends
(SIGTERM included; only SIGKILL leaves it running).
As root, pgserver runs it as a user of its own (`pgserver`, created on first use).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import Any

STOP_WAIT_S = 30


class PostgresUnavailable(Exception):
    """The server could not be started; the message says why, in one line."""


@contextmanager
def embedded_postgres(pgdata: Path) -> Iterator[Any]:
    """A running server on a new data folder (pgserver.PostgresServer: get_uri(database) names a database)."""
    try:
        with warnings.catch_warnings():  # pgserver's fallback when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        raise PostgresUnavailable("pgserver is not installed (pip install -e '.[bench]')") from None
    logging.getLogger("pgserver").disabled = True  # it logs the server's whole log on failure
    previous = signal.signal(signal.SIGTERM, _exit_on_terminate)
    server = None
    try:
        try:
            with _signals_deferred():  # a Ctrl-C in mid-start would leave a server that is not ours yet
                server = pgserver.get_server(pgdata, cleanup_mode="stop")
        except (OSError, subprocess.SubprocessError, AssertionError, RuntimeError) as error:
            raise PostgresUnavailable(_why(error, pgdata / "log")) from None
        yield server
    finally:
        with _signals_deferred():  # nor may a second Ctrl-C cut the stop short
            try:
                if server is not None:
                    server.cleanup()
            finally:
                _stop_leftover(pgdata)
                signal.signal(signal.SIGTERM, previous)


@contextmanager
def _signals_deferred() -> Iterator[None]:
    """Ctrl-C and SIGTERM arrive when the block is done, not inside it."""
    deferred = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, deferred)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, deferred)


def _exit_on_terminate(signum: int, _frame: FrameType | None) -> None:
    """SIGTERM unwinds like Ctrl-C, through the block that stops the server."""
    raise SystemExit(128 + signum)


def _why(error: Exception, log: Path) -> str:
    last = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
    return f"{type(error).__name__}: {error}" + (f" (server log: {last[0]})" if last else "")


def _stop_leftover(pgdata: Path) -> None:
    """Stop a server that is still running: one whose start failed half-way, or whose stop failed."""
    pid_file = pgdata / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown
    except (OSError, ValueError, IndexError):
        return
    deadline = time.monotonic() + STOP_WAIT_S
    while pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_file.exists():
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGQUIT)  # immediate shutdown
