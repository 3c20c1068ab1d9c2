"""How a command ends when something outside stops it: Ctrl-C, SIGTERM, a reader that left.

Each ends it with at most one line on stderr and the status a shell expects,
never a traceback. This module loads nothing slow, so the CLI installs it
before anything else.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable
from types import FrameType, TracebackType

# As a process killed by SIGPIPE reports it (`yes | head`): what pipefail scripts expect.
CLOSED_PIPE = 128 + signal.SIGPIPE
_WORDS = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: the command unwinds, closing the database (so its journal
    is flushed) on the way out, and exits with 128 + the signal's number."""

    def __init__(self, signum: int) -> None:
        super().__init__(_WORDS[signal.Signals(signum)])
        self.status = 128 + signum

    def line(self) -> str:
        return (f"ordersaga: {self.args[0]}; everything acknowledged is stored, "
                "and `ordersaga report` resumes the rest.")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def stop_on_signals() -> None:
    """From now on SIGINT and SIGTERM raise Interrupted in the main thread.

    One that arrives before main() can catch it (while modules load) still
    ends the process with its line and status, not a traceback.
    """
    for signum in _WORDS:
        signal.signal(signum, _interrupt)
    sys.excepthook = _quiet_when_interrupted(sys.excepthook)


def _quiet_when_interrupted(previous: Callable[..., None]) -> Callable[..., None]:
    def hook(kind: type[BaseException], error: BaseException, traceback: TracebackType | None) -> None:
        if not isinstance(error, Interrupted):
            previous(kind, error, traceback)
            return
        print(error.line(), file=sys.stderr, flush=True)
        os._exit(error.status)  # what was started is left to the journal's crash safety

    return hook


def leave_quietly_on_closed_pipe() -> int:
    """After a BrokenPipeError on stdout: write nothing more (the exit's flush would fail
    again, with a traceback) and return the status to exit with."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return CLOSED_PIPE

