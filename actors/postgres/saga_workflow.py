"""Each order's saga as a DBOS workflow, run by the worker processes.

The workflow only sequences steps; the rules are the saga core's (actors/saga). Each
step is one command: its effect (effects.py) and the transition its answer makes are one
transaction, since ordersaga's own record is already the saga's journal: every
transition is stored before the next command goes out, and a step DBOS runs again
finds the record no longer awaiting the command it answered, so nothing applies twice.

Registered under explicit names: a workflow DBOS cannot find by name is claimed from
the queue and left PENDING.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from dbos import DBOS

from actors.saga import rules as saga_logic
from actors.saga.settings import EngineSettings
from actors.saga.domain import Action, IdempotencyKey, OrderRecord, SagaStatus, Scenario, now
from actors.saga.plan import definition
from actors.postgres import effects
from actors.postgres.outage import ridden_out, worth_another_try
from actors.postgres.store import Stored, load_record, read_meta, save_record, workflow_id

WORKFLOW = "ordersaga.saga"
# The longest a script's competing order waits for its turn (see _wait_for_turn).
TURN_WAIT_S = 5.0


@dataclass
class WorkerContext:
    """What the steps of this process need: set once, before DBOS launches."""

    db: sa.Engine
    name: str
    where: str
    settings: EngineSettings = EngineSettings()
    scenarios: dict[str, Scenario] = field(default_factory=dict)  # by run id
    competitors: dict[str, dict[str, dict[str, tuple[str, ...]]]] = field(default_factory=dict)  # by run id

    def scenario(self, run: str) -> Scenario:
        """The scenario of a run (the first part of a workflow's leg), read once per run; a run
        replaced since is no longer in the database, and its workflows stop (see _stale)."""
        if run not in self.scenarios:
            with self.db.connect() as connection:
                meta = read_meta(connection, self.where)
            self.scenarios[meta.run] = meta.scenario or Scenario(name="empty")
            self.competitors[meta.run] = meta.turns
        return self.scenarios.get(run, Scenario(name="replaced"))

    def latency_s(self, scenario: Scenario, step: str) -> float:
        return scenario.latency_ms.get(definition(step).service, 0) / 1000


_context: WorkerContext | None = None


def install(context: WorkerContext) -> None:
    global _context
    _context = context


def _worker() -> WorkerContext:
    assert _context is not None, "install() a WorkerContext before DBOS launches"
    return _context


# What a step tells the workflow: the command the record awaits next (None once it awaits
# nothing: settled, or moved on to a leg another workflow drives), and how many times that
# command was sent already (a failed compensation is sent again under the same key).
State = dict[str, Any]
_DONE: State = {"command": None, "sent": 0}


def _next(record: OrderRecord, key: IdempotencyKey | None, tries: int) -> State:
    command = saga_logic.outstanding_command(record)
    if command is None:
        return _DONE
    again = key is not None and saga_logic.same_key(command.key, key)
    return {"command": command.key.model_dump(mode="json"), "sent": tries if again else 0}


def _stale(run: str, leg: str, stored: Stored | None) -> bool:
    """Whether this workflow no longer drives the order: the world was replaced, or an
    operator started another leg."""
    return stored is None or workflow_id(run, stored) != leg


@ridden_out  # run again whole while PostgreSQL is away: each of its transactions is safe to repeat
def exchange(order_id: str, leg: str, awaited: dict[str, Any] | None, sent: int) -> State:
    """One command of the order, sent and answered: its effect and the transition its answer
    makes, stored in one transaction (the participants' tables are in the same database), so a
    step DBOS runs again finds either both or neither. awaited is the command the record asked
    for last (None to begin the attempt, or to pick up where the record stands).

    An answer that does not come (a lost reply, a timeout) is waited for as the embedded
    coordinator waits, and folded in as no answer."""
    worker = _worker()
    run = leg.split("/", 1)[0]
    scenario = worker.scenario(run)
    if awaited is None:
        with worker.db.begin() as connection:
            stored = load_record(connection, order_id, lock=True)
            if _stale(run, leg, stored):
                return _DONE
            assert stored is not None
            record = stored.record
            if record.status == SagaStatus.PENDING:
                record = saga_logic.begin_attempt(record, now()).record
                save_record(connection, record, worker.name)
            state = _next(record, None, 0)
        if state["command"] is None:
            return state
        awaited, sent = state["command"], 0
    key = IdempotencyKey.model_validate(awaited)
    tries = sent + 1
    latency_s = worker.latency_s(scenario, key.step)
    time.sleep(worker.settings.delay_before_send(tries) + latency_s)  # in no transaction
    turns = worker.competitors.get(run, {})
    if order_id in turns and key.attempt == 1 and key.action == Action.EXECUTE:
        _wait_for_turn(worker, order_id, key.step, turns)
    with worker.db.begin() as connection:
        stored = load_record(connection, order_id, lock=True)  # one command of an order at a time
        if _stale(run, leg, stored):
            return _DONE
        assert stored is not None
        if not saga_logic.awaits(stored.record, key):
            return _next(stored.record, None, 0)  # answered before DBOS ran this step again
        done = effects.carry_out(connection, key, stored.record.order, scenario.faults)
        if done.reply is not None:
            transition = saga_logic.apply_reply(stored.record, done.reply, now())
            assert transition is not None  # the record awaits this key
            save_record(connection, transition.record, worker.name)
            return _next(transition.record, key, tries)
    if done.crash:
        _crash(f"{key.step} {key.action.value} of {order_id}")
    answer_timeout_s = worker.settings.answer_timeout(latency_s)
    time.sleep(answer_timeout_s)  # waited for an answer that did not come
    with worker.db.begin() as connection:
        stored = load_record(connection, order_id, lock=True)
        if _stale(run, leg, stored):
            return _DONE
        assert stored is not None
        transition = saga_logic.no_answer(stored.record, key, tries, worker.settings.max_execute_tries,
                                          round(answer_timeout_s * 1000), now())
        if transition is None:
            return _next(stored.record, None, 0)
        save_record(connection, transition.record, worker.name)
        return _next(transition.record, key, tries)


def _wait_for_turn(worker: WorkerContext, order_id: str, step: str,
                   turns: dict[str, dict[str, tuple[str, ...]]]) -> None:
    """Hold a script's competing order until the orders listed before it carried out `step`
    (the embedded runtime keeps that order by its mailboxes), for at most TURN_WAIT_S: a
    queue that started the later order first must not hold its slot for ever."""
    deadline = time.monotonic() + TURN_WAIT_S
    while time.monotonic() < deadline:
        with worker.db.connect() as connection:
            if effects.passed(connection, order_id, step, turns):
                return
        time.sleep(0.01)


def _crash(where: str) -> None:
    """The scripted `crash` fault: this worker dies at once, as kill -9 would."""
    print(f"ordersaga: injected crash at {where}; the worker is killed. Start it again with the same "
          "--id, or hand its orders on with `ordersaga recover`.", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


@DBOS.step(name="ordersaga.drive", retries_allowed=True, interval_seconds=0.1, max_attempts=5,
           should_retry=worth_another_try)
def drive(order_id: str, leg: str) -> None:
    """Every command of the leg, one exchange (one transaction) each, until the record awaits
    nothing. One DBOS step for them all: ordersaga's record is the saga's journal, so a step
    DBOS runs again after a crash picks up where the record stands, and checkpointing each
    command in DBOS as well would only double the writes."""
    state = exchange(order_id, leg, None, 0)
    while state["command"] is not None:
        state = exchange(order_id, leg, state["command"], state["sent"])


# The legs this process's threads drive now: a saga DBOS counts as running here that is not
# among them was lost in an outage (see worker.py's Orphans).
DRIVING: set[str] = set()


@DBOS.workflow(name=WORKFLOW)
def saga(order_id: str, leg: str) -> str:
    """Drive one leg of an order (an attempt, a retry, a cancellation) to its end."""
    DRIVING.add(leg)
    try:
        drive(order_id, leg)
    finally:
        DRIVING.discard(leg)
    return "settled"
