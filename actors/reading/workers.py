"""The workers of a database run by several (the PostgreSQL runtime), as front ends show them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerState:
    """A worker as `ordersaga workers` and the dashboard show it."""

    id: str
    state: str  # alive, silent, lost (its sagas taken over) or stopped
    last_beat: str  # ISO 8601, UTC
    beat_age_s: float
    in_flight: int  # the sagas it runs now
    pid: int
    host: str
    started: str
    takeover_after_s: float  # how long it may be silent before a live worker takes its sagas over
    taken_by: str | None  # the worker that took its sagas over since its last beat
    handed: int  # how many it took


def state_of(stopped: bool, taken: bool, beat_age_s: float, takeover_after_s: float,
             silent_after_s: float | None = None) -> str:
    """Stopped (a clean exit), lost (taken over, and no beat since), alive, or silent: no beat
    for silent_after_s, by default half its takeover timeout (two beats missed)."""
    if stopped:
        return "stopped"
    if taken:
        return "lost"
    return "alive" if beat_age_s <= (takeover_after_s / 2 if silent_after_s is None else silent_after_s) \
        else "silent"


def at_risk(workers: Sequence[WorkerState]) -> set[str]:
    """The workers an order in flight may be waiting on: silent ones, and lost ones whose
    orders no other worker has moved yet (they are on their way to one)."""
    return {worker.id for worker in workers if worker.state in ("silent", "lost")}
