"""Databases holding a long history of settled orders, built quickly, to measure against.

It writes settled orders directly: running 100,000 sagas through the engine takes
far too long for a benchmark, so this writes what such a run leaves behind instead.
The world is created as `ordersaga run` creates it (every order pending), then each
order is taken through its three-step saga by the saga rules themselves
(`actors.saga.rules`) and the participants' own `apply` and `undo`, and every
transition's documents are written through the project's DocumentStore: the order
record, the participant's record of the order (its idempotency ledger and effect),
the stock level or account it moved. As many orders move at once as the engine runs,
each round of their transitions is flushed as one journal line, as group commit does,
and an order that settles for good then leaves the live journal for the archive, as
the engine moves it (an order on hold stays live).

The mix: about 80% completed, 15% failed and compensated (a declined card at
payment, or an address the carrier rejects at shipping) and 5% on hold (the carrier
unavailable, a recoverable failure under the `hold` policy). The scenario names these
failures as faults, all used up, so opening the database fires none of them again.
`ordersaga audit` on a built database reports 0 findings.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from actors.embedded.database import create_database
from actors.embedded.engine import Engine
from actors.embedded.participants import PARTICIPANTS
from actors.embedded.participants.base import Participant
from actors.mapper import ARCHIVED_STATUSES, ORDER_PREFIX, order_document, order_group, order_summary, read_records
from actors.reading.snapshot import owned_documents
from actors.saga.domain import (
    Action,
    IdempotencyKey,
    OrderRecord,
    ParticipantReply,
    RecoverablePolicy,
    SagaStatus,
    Service,
)
from actors.saga.faults import FaultBook, fault_document
from actors.saga.plan import SAGA_PLAN, definition
from actors.saga.rules import apply_reply, begin_attempt, outstanding_command
from actors.saga.scenario import Fault, FaultKind, Scenario

# Every import of the project's own modules is here, so a module that moves is a one-line fix.
from actors.saga.settings import EngineSettings
from app.scenario import ScenarioError, load_scenario
from bench.common import saga_world
from storage.archive import database_files
from storage.codec import copy_document
from storage.errors import DatabaseError
from storage.store import DocumentStore

# Bump when what a build writes changes, so a kept database of the old shape is not reused.
BUILD_VERSION = 2
SEED = 11
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
ROUND = timedelta(milliseconds=25)  # one round of transitions: about one group commit


@dataclass(frozen=True)
class Fate:
    """How an order's saga ends: completed, or failed at a step with the participant's answer."""

    status: SagaStatus
    step: str = ""
    reason: str = ""
    recoverable: bool = True


COMPLETED = Fate(SagaStatus.COMPLETED)
# (share of orders, fate); the shares of the failures, the rest completes.
FAILURES: tuple[tuple[float, Fate], ...] = (
    (0.075, Fate(SagaStatus.FAILED, "payment", "Card declined by issuer", False)),
    (0.075, Fate(SagaStatus.FAILED, "shipping", "Address rejected by carrier", False)),
    (0.05, Fate(SagaStatus.ON_HOLD, "shipping", "Carrier unavailable", True)),
)


def database_name(orders: int) -> str:
    return f"settled-{orders}-v{BUILD_VERSION}.db"


def cached(folder: Path, orders: int) -> tuple[Path, bool]:
    """The database of `orders` settled orders in folder, built unless it is there; and
    whether it was built now. A build is written under another name and renamed into
    place once whole (its archive first), so an interrupted build is never taken for one."""
    path = folder / database_name(orders)
    if path.exists():
        return path, False
    folder.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    for leftover in folder.glob(building.name + "*"):
        leftover.unlink()
    # In a process of its own: a build of 100,000 orders grows to nearly a gigabyte, and Linux
    # carries a parent's peak RSS into every child it starts (across fork and exec), which
    # would then be what each measured command's peak seemed to be.
    subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                    "from bench.history_builder import build; build(Path(sys.argv[1]), int(sys.argv[2]))",
                    str(building), str(orders)], cwd=Path(__file__).resolve().parent.parent, check=True)
    building.with_name(building.name + ".lock").unlink(missing_ok=True)
    for part in reversed(database_files(building)):  # the journal, which names its archive, last
        os.replace(part, path.with_name(path.name + part.name[len(building.name):]))
    return path, True


def fates(orders: int) -> list[Fate]:
    """Each order's fate, spread over the ids at random (the same on every build)."""
    rng = random.Random(SEED)
    chosen = []
    for _ in range(orders):
        draw, fate = rng.random(), COMPLETED
        for share, failure in FAILURES:
            if draw < share:
                fate = failure
                break
            draw -= share
        chosen.append(fate)
    return chosen


def world(orders: int, chosen: list[Fate]) -> Scenario:
    """orders three-step orders with stock and money to spare; the failures as used-up faults."""
    counts = Counter(chosen)
    faults = tuple(Fault(service=definition(fate.step).service, kind=FaultKind.ERROR, reason=fate.reason,
                         recoverable=fate.recoverable, times=counts[fate])
                   for _, fate in FAILURES if counts[fate])
    return saga_world(orders).model_copy(update={
        "name": f"History of {orders:,} settled orders",
        "description": "Written directly by bench/history_builder.py, as a long run would leave it.",
        "recoverable_failures": RecoverablePolicy.HOLD,
        "faults": faults,
    })


def build(path: Path, orders: int) -> None:
    """Write a new database at path holding `orders` settled orders and their whole history."""
    chosen = fates(orders)
    scenario = world(orders, chosen)
    create_database(path, scenario)
    store = DocumentStore(path, create=False)
    try:
        _History(store, scenario).write(dict(zip((o.id for o in scenario.orders), chosen, strict=True)))
    finally:
        store.close()


class _History:
    """Takes the stored pending orders through their sagas, as many at once as the engine runs."""

    def __init__(self, store: DocumentStore, scenario: Scenario) -> None:
        self.store = store
        owned = owned_documents(store)
        # Used as plain objects, never started: their apply and undo change the documents
        # exactly as they do in a run (the rest of their constructor is for running).
        self.participants: dict[Service, Participant] = {
            step.service: PARTICIPANTS[step.service](None, None, None, owned[step.service], 0.0, None)
            for step in SAGA_PLAN}
        # Each participant's record of each order it was asked about, by document name.
        self.order_docs: dict[str, dict[str, Any]] = {}
        # Each fault's firings left, as FaultBook counts them: in scenario order, per service.
        self.remaining = {service: [fault.times for fault in scenario.faults if fault.service == service]
                          for service in Service}
        self.faults = {service: [fault.reason for fault in scenario.faults if fault.service == service]
                       for service in Service}

    def write(self, fate_of: dict[str, Fate]) -> None:
        waiting = iter(read_records(self.store))
        moving = list(islice(waiting, EngineSettings().max_in_flight))
        settled: list[OrderRecord] = []
        at = START
        while moving or settled:
            for record in settled:  # as the engine does once the settling transition is durable
                self._archive(record)
            writes: dict[str, dict[str, Any]] = {}
            for index, record in enumerate(moving):
                moving[index] = self._next(record, fate_of[record.order.id], at, writes)
            for name, doc in writes.items():
                self.store.put(name, doc)
            self.store.flush()
            settled = [record for record in moving if record.status.settled]
            for record in settled:
                assert record.status == fate_of[record.order.id].status, record.order.id
            moving = [record for record in moving if not record.status.settled]
            moving += islice(waiting, EngineSettings().max_in_flight - len(moving))
            at += ROUND

    def _next(self, record: OrderRecord, fate: Fate, at: datetime,
              writes: dict[str, dict[str, Any]]) -> OrderRecord:
        """One transition: the participant answers the command outstanding, the saga moves on."""
        if record.status == SagaStatus.PENDING:
            record = begin_attempt(record, at).record
        else:
            command = outstanding_command(record)
            assert command is not None, f"{record.order.id} waits on nothing"
            reply = self._handle(command.service, command.key, record, fate, writes)
            transition = apply_reply(record, reply, at)
            assert transition is not None, f"{record.order.id}: the reply answers nothing outstanding"
            record = transition.record
        name, doc = order_document(record)
        writes[name] = doc
        return record

    def _handle(self, service: Service, key: IdempotencyKey, record: OrderRecord, fate: Fate,
                writes: dict[str, dict[str, Any]]) -> ParticipantReply:
        """What Participant.execute_or_compensate does with a command it has not seen before."""
        participant, order = self.participants[service], record.order
        name = participant.order_prefix() + order.id
        order_doc = self.order_docs.get(name)
        if order_doc is None:  # the participant's record of the order: the one apply and undo change
            order_doc = self.order_docs[name] = {"ledger": {}}
            participant.adopt({name: order_doc}, order.id)
        fails = key.step == fate.step and key.action == Action.EXECUTE
        aimed = (Fault(service=service, order=order.id, reason=fate.reason, recoverable=fate.recoverable),)
        decision, fault, changed = participant.receive(key, order, FaultBook(service, aimed if fails else (), None))
        if fault is not None:
            self._fire(service, fate.reason, writes)
        assert decision.reply is not None and (decision.reply.ok or fails), \
            f"{order.id}: {decision.reply} (the world has stock and money to spare)"
        for name_changed, doc in changed:
            writes[name_changed] = copy_document(doc)
        return decision.reply

    def _fire(self, service: Service, reason: str, writes: dict[str, dict[str, Any]]) -> None:
        """Count one firing of the service's fault with this reason, and store the count."""
        remaining = self.remaining[service]
        index = next(i for i, given in enumerate(self.faults[service])
                     if given == reason and remaining[i] > 0)
        remaining[index] -= 1
        writes[fault_document(service)] = {"remaining": list(remaining)}

    def _archive(self, record: OrderRecord) -> None:
        """Move an order settled for good to the archive (at the next flush), as the storage
        actor does; an order on hold stays live. Either way its documents leave this memory."""
        order_id = record.order.id
        if record.status in ARCHIVED_STATUSES:
            self.store.archive(order_id, order_group(order_id), order_summary(record))
            for participant in self.participants.values():
                participant.forget(order_id)
        for participant in self.participants.values():
            self.order_docs.pop(participant.order_prefix() + order_id, None)


def middle_order(orders: int) -> str:
    """The id of the order in the middle of a built database (saga_world numbers them o-1 on)."""
    return f"o-{orders // 2 + 1}"


class Unreadable(Exception):
    """A database or scenario that cannot be read; the message says why, in one sentence."""


def order_ids(path: Path) -> list[str]:
    """The ids of the orders stored at path, live or archived, read without the lock and
    without writing."""
    try:
        store = DocumentStore(path, read_only=True)
    except DatabaseError as error:
        raise Unreadable(str(error)) from None
    try:
        live = [name[len(ORDER_PREFIX):] for name in store.names(ORDER_PREFIX)]
        return live + [found.group for found in store.archived_groups()]
    finally:
        store.close()


def scenario_order_ids(scenario: str) -> list[str]:
    """The ids of the orders of a scenario (a name in scenarios/ or a path)."""
    try:
        return [order.id for order in load_scenario(scenario).orders]
    except ScenarioError as error:
        raise Unreadable("; ".join(error.problems)) from None


def open_until_ready(path: Path) -> float:
    """Seconds from Engine.open until the coordinator has taken every order in (in this process)."""
    started = time.perf_counter()
    with Engine.open(path) as engine:
        engine.wait_until_settled()
        return time.perf_counter() - started
