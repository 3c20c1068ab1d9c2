"""Each order's saga as a DBOS workflow, run by the worker processes.

The workflow only sequences steps; the rules are `actors.saga.rules`'s. Its steps:
`begin` (start the attempt, or pick up where the record stands), `carry_out` (one
command's effect, see effects.py) and `fold` (the command's answer, or its absence,
folded into the record by apply_reply or no_answer). `begin` and `fold` store the
transition before they return the command it names, so nothing is carried out that
the record does not ask for. Each takes the record's version: run again by DBOS after
a crash, it finds its transition already stored and returns what the record asks now.

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
from actors.saga.domain import Action, IdempotencyKey, OrderRecord, ParticipantReply, SagaStatus, Scenario, now
from actors.saga.plan import definition
from actors.postgres import effects
from actors.postgres.store import load_record, read_meta, read_run, save_record, workflow_id

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

    def scenario(self, connection: sa.Connection) -> tuple[str, Scenario]:
        """The run now in the database and its scenario, read (and checked) once per run."""
        run = read_run(connection)
        if run not in self.scenarios:
            meta = read_meta(connection, self.where)
            self.scenarios[meta.run] = meta.scenario or Scenario(name="empty")
            self.competitors[meta.run] = meta.turns
            run = meta.run
        return run, self.scenarios[run]

    def latency_s(self, scenario: Scenario, step: str) -> float:
        return scenario.latency_ms.get(definition(step).service, 0) / 1000


_context: WorkerContext | None = None


def install(context: WorkerContext) -> None:
    global _context
    _context = context


def _worker() -> WorkerContext:
    assert _context is not None, "install() a WorkerContext before DBOS launches"
    return _context


# A step's state as the workflow sees it: the command to carry out next (or None) and
# the version of the record that asks for it.
State = dict[str, Any]


def _state(record: OrderRecord, version: int) -> State:
    command = saga_logic.outstanding_command(record)
    return {"command": None if command is None else command.key.model_dump(mode="json"), "version": version}


@DBOS.step(name="ordersaga.begin", retries_allowed=True, interval_seconds=0.1, max_attempts=5)
def begin(order_id: str, leg: str) -> State:
    """Start the record's attempt if it is pending; otherwise what it waits on now. Nothing
    when the record has moved on to another attempt (another workflow drives that)."""
    worker = _worker()
    with worker.db.begin() as connection:
        run, _ = worker.scenario(connection)
        stored = load_record(connection, order_id, lock=True)
        if stored is None or workflow_id(run, stored) != leg:
            return {"command": None, "version": -1}
        if stored.record.status != SagaStatus.PENDING:
            return _state(stored.record, stored.version)
        transition = saga_logic.begin_attempt(stored.record, now())
        return _state(transition.record, save_record(connection, transition.record, worker.name).version)


@DBOS.step(name="ordersaga.carry_out", retries_allowed=True, interval_seconds=0.1, max_attempts=5)
def carry_out(order_id: str, key: dict[str, Any]) -> dict[str, Any]:
    """One command's effect and ledger entry in one transaction: its reply (None for none),
    and how long the coordinator waits for an answer that does not come."""
    worker = _worker()
    command_key = IdempotencyKey.model_validate(key)
    with worker.db.connect() as connection:
        run, scenario = worker.scenario(connection)
    latency_s = worker.latency_s(scenario, command_key.step)
    if latency_s:
        time.sleep(latency_s)  # the service's own time to answer, in no transaction
    turns = worker.competitors[run]
    if order_id in turns and command_key.attempt == 1 and command_key.action == Action.EXECUTE:
        _wait_for_turn(worker, order_id, command_key.step, turns)
    with worker.db.begin() as connection:
        stored = load_record(connection, order_id, lock=True)  # one command of an order at a time
        done = (None if stored is None
                else effects.carry_out(connection, command_key, stored.record.order, scenario.faults))
    if done is not None and done.crash:
        _crash(f"{command_key.step} {command_key.action.value} of {order_id}")
    reply = None if done is None or done.reply is None else done.reply.model_dump(mode="json")
    return {"reply": reply, "wait_s": worker.settings.answer_timeout(latency_s)}


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


@DBOS.step(name="ordersaga.fold", retries_allowed=True, interval_seconds=0.1, max_attempts=5)
def fold(order_id: str, version: int, key: dict[str, Any], reply: dict[str, Any] | None,
         sent: int) -> State:
    """Fold a command's reply (or that none came after `sent` sends) into the record."""
    worker = _worker()
    command_key = IdempotencyKey.model_validate(key)
    with worker.db.begin() as connection:
        stored = load_record(connection, order_id, lock=True)
        if stored is None:
            return {"command": None, "version": -1}
        if stored.version != version:
            return _state(stored.record, stored.version)  # folded before DBOS ran this again
        at = now()
        if reply is not None:
            transition = saga_logic.apply_reply(stored.record, ParticipantReply.model_validate(reply), at)
        else:
            _, scenario = worker.scenario(connection)
            waited_ms = round(worker.settings.answer_timeout(worker.latency_s(scenario, command_key.step)) * 1000)
            transition = saga_logic.no_answer(stored.record, command_key, sent,
                                              worker.settings.max_execute_tries, waited_ms, at)
        if transition is None:
            return _state(stored.record, stored.version)
        return _state(transition.record, save_record(connection, transition.record, worker.name).version)


@DBOS.workflow(name=WORKFLOW)
def saga(order_id: str, leg: str) -> str:
    """Drive one attempt of an order (or its cancellation) until the record waits on nothing."""
    settings = _worker().settings
    state = begin(order_id, leg)
    previous: dict[str, Any] | None = None
    sent = 0
    while state["command"] is not None:
        key = state["command"]
        sent = sent + 1 if key == previous else 1
        if sent > 1:
            DBOS.sleep(settings.delay_before_send(sent))
        previous = key
        answer = carry_out(order_id, key)
        if answer["reply"] is None:
            DBOS.sleep(answer["wait_s"])  # waited for an answer that did not come
        state = fold(order_id, state["version"], key, answer["reply"], sent)
    return "settled" if state["version"] >= 0 else "superseded"
