"""What every command shares: opening a database, settling it, reading its world, the report."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from actors import SagaEngine, StoredBecause, WorldReader, open_engine, world_of
from app.report import build_report, render_summary, write_report_json

T = TypeVar("T")
_NAMED = 5  # orders in flight named in the notice of a read without resuming
_WHY = {
    StoredBecause.ASKED: "read with --no-resume",
    StoredBecause.LOCKED: "another ordersaga process has the database open",
    StoredBecause.READ_ONLY: "the database is read-only",
}


class Progress:
    """A one-line progress display on stderr, only where a person is watching."""

    def __init__(self) -> None:
        self._live = sys.stderr.isatty()

    def __call__(self, settled: int, total: int) -> None:
        if self._live:
            print(f"\r{settled}/{total} orders settled", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


class ProgressLine:
    """How far a bulk action got, on one line of stderr, only where a person is watching."""

    def __init__(self, doing: str) -> None:
        self._live = sys.stderr.isatty()
        self._doing = doing

    def __call__(self, done: int, total: int) -> None:
        if self._live:
            print(f"\r{self._doing} {done:,}/{total:,} orders", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def settle(engine: SagaEngine) -> None:
    progress = Progress()
    try:
        engine.wait_until_settled(progress=progress)
    finally:
        progress.done()


def print_report(world: WorldReader, as_json: bool, follow_ups: list[str]) -> None:
    """The report; as JSON, written one order at a time (a database of any size)."""
    if as_json:
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)  # bytes, as written; a text stream in tests
        write = out.write if out is not None else lambda text: sys.stdout.write(text.decode())
        write_report_json(world.stream(), follow_ups, write)
        write(b"\n")
        sys.stdout.flush()
    else:
        print(render_summary(build_report(world.snapshot(), follow_ups)))


def open_told(db: Path | str) -> SagaEngine:
    """Open the database's engine, saying on stderr if an unfinished last line was cut off."""
    engine = open_engine(db)
    tell_torn(db, engine.torn_bytes)
    return engine


def tell_torn(db: Path | str, torn_bytes: int) -> None:
    if torn_bytes:
        print(f"ordersaga: {db}: cut off its unfinished last line ({torn_bytes} bytes), which "
              "is exactly what a crash in the middle of a write leaves; that write was never "
              "acknowledged, so nothing had acted on it.", file=sys.stderr)


def run_to_end(engine: SagaEngine, as_json: bool) -> int:
    follow_ups: list[str] = []
    settle(engine)
    engine.run_follow_ups(follow_ups.append)
    print_report(engine, as_json, follow_ups)
    return 0


def read_world(db: Path | str, no_resume: bool, look: Callable[[WorldReader, bool], T]) -> T:
    """What a reading command shows: look at the world of the database (see actors' world_of),
    told whether it was resumed; one line on stderr names the orders in flight left as stored."""
    with world_of(db, settle, resume=not no_resume) as seen:
        if seen.resumed:
            tell_torn(db, seen.reader.torn_bytes)
        result = look(seen.reader, seen.resumed)
        in_flight = seen.left_in_flight()
    if in_flight and seen.stored_because is not None:
        some = f"{len(in_flight)} orders in flight are" if len(in_flight) > 1 else "1 order in flight is"
        named = ", ".join(in_flight[:_NAMED]) + (f" and {len(in_flight) - _NAMED} more"
                                                 if len(in_flight) > _NAMED else "")
        print(f"ordersaga: {db}: {_WHY[seen.stored_because]}, so {some} shown as last stored, not resumed: "
              f"{named}.", file=sys.stderr)
    return result
