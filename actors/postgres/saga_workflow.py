"""Each order's saga as a DBOS workflow, run by the worker processes.

The workflow only sequences steps; the rules are the saga core's (actors/saga). A command's
effect (effects.py) and the transition its answer makes are one transaction, and so are
the commands that follow it while none needs a wait, since ordersaga's own record is
already the saga's journal: every transition is stored with the effect it answers, and a
step DBOS runs again finds the record no longer awaiting a command it answered, so
nothing applies twice.

The workflow has no DBOS step: the record is the checkpoint. Registered under an explicit
name: a workflow DBOS cannot find by name is claimed from the queue and left PENDING.
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
from dbos._context import current_owner_xid

from actors.postgres import effects
from actors.postgres.outage import ridden_out
from actors.postgres.store import Fence, Fenced, Stored, load_record, read_meta, save_record, workflow_id
from actors.saga import rules as saga_logic
from actors.saga.domain import Action, IdempotencyKey, OrderRecord, SagaStatus, now
from actors.saga.plan import definition
from actors.saga.scenario import Scenario
from actors.saga.settings import EngineSettings

WORKFLOW = "ordersaga.saga"
# The longest a script's competing order waits for its turn (see _wait_for_turn).
TURN_WAIT_S = 5.0
# How often a leg is driven again after a database error, and the first pause (doubled each time).
DRIVE_ATTEMPTS = 5
DRIVE_RETRY_S = 0.1


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


def _turn_due(turns: dict[str, dict[str, tuple[str, ...]]], order_id: str, key: IdempotencyKey) -> bool:
    """Whether the command waits first for the script's competing orders listed before it."""
    return bool(turns.get(order_id, {}).get(key.step)) and key.attempt == 1 and key.action == Action.EXECUTE


@ridden_out  # run again whole while PostgreSQL is away: each of its transactions is safe to repeat
def exchange(order_id: str, leg: str, awaited: dict[str, Any] | None, sent: int) -> State:
    """The order's commands, sent and answered, for as long as none needs a wait first: each
    effect and the transition its answer makes, stored in one transaction (the participants'
    tables are in the same database), so a step DBOS runs again finds either all or none.
    awaited is the command whose wait was due when the last exchange ended (None to begin the
    attempt, or to pick up where the record stands); it is waited for here, in no transaction.

    A wait (a service's latency, a backoff before a command is sent again, a competing order's
    turn) ends the transaction, so every transition before one is stored, and seen, before it;
    so does a second command that locks rows other orders share (effects.locks_shared_rows).
    An answer that does not come (a lost reply, a timeout) is waited for as the embedded
    coordinator waits, and folded in as no answer."""
    worker = _worker()
    run = leg.split("/", 1)[0]
    scenario = worker.scenario(run)
    fence = _fence(leg)
    turns = worker.competitors.get(run, {})
    ready = None if awaited is None else IdempotencyKey.model_validate(awaited)  # its wait is over
    if ready is not None:
        time.sleep(worker.settings.delay_before_send(sent + 1) + worker.latency_s(scenario, ready.step))
        if _turn_due(turns, order_id, ready):
            _wait_for_turn(worker, order_id, ready.step, turns)
    unanswered: tuple[IdempotencyKey, int, bool] | None = None
    with worker.db.begin() as connection:
        stored = load_record(connection, order_id, lock=True)  # one command of an order at a time
        if _stale(run, leg, stored):
            return _DONE
        assert stored is not None
        record, transitions, state = stored.record, 0, _DONE
        if record.status == SagaStatus.PENDING:
            record = saga_logic.begin_attempt(record, now()).record
            transitions += 1
        last = None if ready is None else (ready, sent)  # the command sent last, and how often
        shared = False  # whether a command of this transaction locked rows other orders share
        while (command := saga_logic.outstanding_command(record)) is not None:
            key = command.key
            tries = last[1] + 1 if last is not None and saga_logic.same_key(key, last[0]) else 1
            locks = effects.locks_shared_rows(command.service, scenario.faults)
            if (ready is None or not saga_logic.same_key(key, ready)) and (
                    shared and locks or _wait_due(worker, scenario, connection, turns, key, tries)):
                state = {"command": key.model_dump(mode="json"), "sent": tries - 1}
                break
            ready, shared = None, shared or locks
            done = effects.carry_out(connection, key, record.order, scenario.faults)
            if done.reply is None:
                unanswered = (key, tries, done.crash)
                break
            transition = saga_logic.apply_reply(record, done.reply, now())
            assert transition is not None  # the record awaits this key
            record, transitions, last = transition.record, transitions + 1, (key, tries)
        if transitions:
            save_record(connection, record, worker.name, transitions, fence=fence)
    if unanswered is None:
        return state
    key, tries, crash = unanswered
    if crash:
        _crash(f"{key.step} {key.action.value} of {order_id}")
    answer_timeout_s = worker.settings.answer_timeout(worker.latency_s(scenario, key.step))
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
        save_record(connection, transition.record, worker.name, fence=fence)
        return _next(transition.record, key, tries)


def _wait_due(worker: WorkerContext, scenario: Scenario, connection: sa.Connection,
              turns: dict[str, dict[str, tuple[str, ...]]], key: IdempotencyKey, tries: int) -> bool:
    """Whether the command must wait before it is sent, so the transaction ends first: the
    service takes time, it is sent again (after a backoff), or a competing order goes first."""
    if tries > 1 or worker.latency_s(scenario, key.step) > 0:
        return True
    return _turn_due(turns, key.order, key) and not effects.passed(connection, key.order, key.step, turns)


def _fence(leg: str) -> Fence | None:
    """This execution's claim on the leg's workflow, checked as each transition is stored: a
    worker declared lost that comes back finds its sagas handed on (None outside DBOS)."""
    token = current_owner_xid(leg)
    return None if token is None else Fence(leg, token)


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


def drive(order_id: str, leg: str) -> None:
    """Every command of the leg, in exchanges (one transaction each, split where a wait is
    due), until the record awaits nothing."""
    try:
        state = exchange(order_id, leg, None, 0)
        while state["command"] is not None:
            state = exchange(order_id, leg, state["command"], state["sent"])
    except Fenced:
        return  # taken over: DBOS's own fence then parks this execution until the new owner ends it


# The legs this process's threads drive now: a saga DBOS counts as running here that is not
# among them was lost in an outage (see worker.py's Orphans).
DRIVING: set[str] = set()


@DBOS.workflow(name=WORKFLOW)
def saga(order_id: str, leg: str) -> str:
    """Drive one leg of an order (an attempt, a retry, a cancellation) to its end.

    No DBOS step: ordersaga's record is the saga's journal, so a workflow DBOS runs again
    after a crash picks up where the record stands, and checkpointing in DBOS as well would
    cost two more transactions per order (half the worker's time). A PostgreSQL that went
    away is waited for inside each exchange (outage.py's policy, up to its limit); any other
    database error drives the leg again from its record, as DBOS retries a step, a few times
    before it fails."""
    DRIVING.add(leg)
    try:
        attempt = 1
        while True:
            try:
                drive(order_id, leg)
                return "settled"
            except sa.exc.DBAPIError:
                if attempt == DRIVE_ATTEMPTS:
                    raise
            time.sleep(DRIVE_RETRY_S * 2 ** (attempt - 1))
            attempt += 1
    finally:
        DRIVING.discard(leg)
