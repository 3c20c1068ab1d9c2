"""Commands carried out by the process that holds an embedded database (see app/beside.py):
the client side, which hands a changing command to the holder, and the holder's side, which
runs it on the engine it already has open."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import cast

from actors import SagaEngine, is_database_url
from app.beside import Answer, Listener, ask, listen

# The commands that change a database: the only ones a holder carries out for another process.
CHANGING = frozenset({"retry", "cancel", "edit", "top-up", "restock"})

# The engine this thread serves a command on, if it does (a context variable: each thread has its own).
_held: ContextVar[SagaEngine | None] = ContextVar("held", default=None)


@contextmanager
def serving(engine: SagaEngine) -> Iterator[None]:
    """Commands run in this block use engine, which stays open after them."""
    token = _held.set(engine)
    try:
        yield
    finally:
        _held.reset(token)


def held() -> SagaEngine | None:
    return _held.get()


class _Borrowed:
    """An engine a command uses and leaves open: its holder closes it."""

    def __init__(self, engine: SagaEngine) -> None:
        self._engine = engine

    def __enter__(self) -> SagaEngine:
        return self._engine

    def __exit__(self, *exc: object) -> None:
        pass


def borrowed(engine: SagaEngine) -> SagaEngine:
    """The engine for a `with`, which does not close it (only `with` uses the result)."""
    return cast(SagaEngine, _Borrowed(engine))


class _Listening:
    """An engine this process opened, listening beside its database while it is open."""

    def __init__(self, engine: SagaEngine, listener: Listener) -> None:
        self._engine, self._listener = engine, listener

    def __enter__(self) -> SagaEngine:
        return self._engine

    def __exit__(self, *exc: object) -> None:
        self._listener.close()  # first: no command is taken for an engine closing
        self._engine.close()


def listening(db: Path | str, engine: SagaEngine, serve: Callable[[list[str], SagaEngine], Answer]) -> SagaEngine:
    """The engine, serving other processes' changing commands until it is closed (only `with`
    uses the result); a PostgreSQL database needs none of it: every process opens it."""
    listener = listen(db, lambda argv: serve(argv, engine))
    return engine if listener is None else cast(SagaEngine, _Listening(engine, listener))


def forwarded(args: argparse.Namespace, argv: list[str]) -> int | None:
    """Hand a changing command to the process holding its embedded database, and write its
    answer as this command's own; None when nobody holds it (the command runs here)."""
    if (held() is not None or args.command not in CHANGING or getattr(args, "dry_run", False)
            or is_database_url(args.db)):
        return None  # served here already, reads only, or every process opens the database
    # Who acts is decided here, where the operator typed the command.
    answer = ask(Path(args.db), [*argv, f"--operator={args.operator}"])
    if answer is None:
        return None
    sys.stdout.write(answer.stdout)
    sys.stderr.write(answer.stderr)
    return answer.status


def interactive() -> bool:
    """Whether a person can be asked: both ends are a terminal, and the command is not one a
    holder runs for another process (its terminal is not the asker's)."""
    return held() is None and sys.stdin.isatty() and sys.stdout.isatty()

