"""An engine's life and death: the crash fault's kill, an actor gone told as the engine
restarting, and what an interrupted engine left running stopped so the process can exit."""

from __future__ import annotations

import functools
import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import pykka

from actors.saga.errors import EngineRestarting

P = ParamSpec("P")
R = TypeVar("R")


def kill_process(where: str) -> None:
    """The headless `crash` fault: die at once, as kill -9 would."""
    print(f"ordersaga: injected crash at {where}; the process is killed. "
          "Any command on this database resumes the run.", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def restarting_is_said(method: Callable[P, R]) -> Callable[P, R]:
    """A front end hears EngineRestarting, one of the engine's errors, where an actor it asks
    is gone: the coordinator restarting after a crash fault, or the engine closing."""
    @functools.wraps(method)
    def said(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except pykka.ActorDeadError:
            raise EngineRestarting() from None
    return said


@contextmanager
def leftover_threads_stopped() -> Iterator[None]:
    """Stop, on the way out, the actors started inside the block, newest first (the storage
    actor last, so it flushes). An engine interrupted while it opened or closed leaves some,
    whose threads would keep the process from exiting."""
    running = set(pykka.ActorRegistry.get_all())
    try:
        yield
    finally:
        for ref in reversed(pykka.ActorRegistry.get_all()):
            if ref not in running:
                ref.stop()
