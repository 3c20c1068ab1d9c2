"""Each worker's heartbeat row, what state it puts a worker in, and the takeover of a worker
silent too long: a live worker declares it lost and hands its sagas on, exactly once however
many live workers notice it at the same moment.

A worker declares in its row how long it may be silent before it counts as lost (its
`--takeover-after`) and beats four times within it: only the silent one knows how often it
meant to beat, so the takers go by what it declared rather than by their own setting.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from actors.postgres.store import DBOS_SCHEMA
from actors.reading.workers import WorkerState, state_of

BEAT_S = 5.0  # how often a worker with the default timeout writes its heartbeat
LOST_AFTER_S = 30.0  # how long a worker may be silent before a live one takes its sagas over
_BEATS_PER_TIMEOUT = 4

# The sagas a worker runs, by its DBOS executor id (its --id): the workflows it claimed and
# has not ended. DBOS moves a workflow's executor id when another worker claims it.
_IN_FLIGHT = (f"SELECT count(*) FROM {DBOS_SCHEMA}.workflow_status s "
              "WHERE s.executor_id = w.id AND s.status = 'PENDING'")


def beat_every(lost_after_s: float) -> float:
    """Seconds between a worker's beats: often enough that a late beat or two is not a loss."""
    return min(BEAT_S, lost_after_s / _BEATS_PER_TIMEOUT)


@dataclass(frozen=True)
class Takeover:
    """A worker declared lost, who took its sagas over, and the orders they drive."""

    lost: str
    by: str
    silent_s: float
    handed: int
    orders: tuple[str, ...] = ()  # known to the taker


def first_beat(connection: sa.Connection, name: str, lost_after_s: float) -> None:
    """The worker's row as it starts: a new life, so no takeover of an earlier one stands."""
    with connection.begin():
        connection.execute(sa.text(
            "INSERT INTO ordersaga.workers (id, started, beat, pid, host, lost_after) "
            "VALUES (:id, now(), now(), :pid, :host, :after) ON CONFLICT (id) DO UPDATE SET started = now(), "
            "beat = now(), pid = :pid, host = :host, stopped = NULL, lost_after = :after, taken = NULL, "
            "taken_by = NULL, handed = 0"),
            {"id": name, "pid": os.getpid(), "host": socket.gethostname(), "after": lost_after_s})


def beat(connection: sa.Connection, name: str) -> Takeover | None:
    """Write a beat; if a live worker took this one's sagas over since its last beat (it was
    stalled, not dead), that takeover: its executions of them are fenced off by now."""
    with connection.begin():
        row = connection.execute(sa.text(
            "WITH before AS (SELECT taken_by, handed, extract(epoch FROM taken - beat) AS silent "
            "FROM ordersaga.workers WHERE id = :id FOR UPDATE) "
            "UPDATE ordersaga.workers w SET beat = now(), taken = NULL, taken_by = NULL, handed = 0 "
            "FROM before WHERE w.id = :id RETURNING before.taken_by, before.handed, before.silent"),
            {"id": name}).first()
    if row is None or row[0] is None:
        return None
    return Takeover(lost=name, by=row[0], silent_s=float(row[2]), handed=int(row[1]))


def take_over(connection: sa.Connection, me: str, hand_on: Callable[[str], Sequence[str]]) -> list[Takeover]:
    """Declare lost every other worker silent for longer than it declared, not stopped and not
    taken over since its last beat, and hand its sagas on (hand_on: its id to the orders
    handed). Each lost worker's row stays locked until its mark is written, and a worker
    already locked by another taker is skipped: one taker per lost worker. A stopped worker's
    handed-back sagas go the same way once its timeout has passed since it stopped, unless it
    is started again first and resumes them itself."""
    taken: list[Takeover] = []
    with connection.begin():
        lost = connection.execute(sa.text(
            "SELECT id, extract(epoch FROM now() - beat) FROM ordersaga.workers "
            "WHERE id <> :me AND taken IS NULL AND beat < now() - make_interval(secs => lost_after) "
            "ORDER BY id FOR UPDATE SKIP LOCKED"), {"me": me}).all()
        for name, silent_s in lost:
            orders = tuple(hand_on(name))
            connection.execute(sa.text("UPDATE ordersaga.workers SET taken = now(), taken_by = :me, "
                                       "handed = :n WHERE id = :id"), {"me": me, "n": len(orders), "id": name})
            if orders:
                taken.append(Takeover(lost=name, by=me, silent_s=float(silent_s), handed=len(orders), orders=orders))
    return taken


def read_workers(connection: sa.Connection, silent_after_s: float | None = None) -> list[WorkerState]:
    """Every worker that has run on the database, by id, read with the database's clock."""
    rows = connection.execute(sa.text(
        "SELECT w.id, w.beat, extract(epoch FROM now() - w.beat), w.stopped IS NOT NULL, w.pid, w.host, "
        f"w.started, ({_IN_FLIGHT}), w.lost_after, w.taken_by, w.handed "
        "FROM ordersaga.workers w ORDER BY w.id")).all()
    return [WorkerState(id=row[0], state=state_of(row[3], row[9] is not None, float(row[2]), float(row[8]),
                                                  silent_after_s),
                        last_beat=row[1].isoformat(), beat_age_s=float(row[2]), in_flight=int(row[7]),
                        pid=row[4], host=row[5], started=row[6].isoformat(), takeover_after_s=float(row[8]),
                        taken_by=row[9], handed=int(row[10])) for row in rows]
