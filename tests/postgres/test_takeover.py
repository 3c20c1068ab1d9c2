"""A worker that falls silent loses nothing and needs no one: a live worker declares it lost
once it has been silent for its --takeover-after and hands its sagas on, once however many
live workers notice; a lost worker that comes back finds those sagas taken and stops them.
Each case ends with every order settled, every invariant kept and the audit clean."""

from __future__ import annotations

import json
import re
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from actors import create_database, read_snapshot
from actors.postgres.effects import carry_out
from actors.postgres.store import Fence, Fenced, engine_for, load_record, read_meta, save_record, workflow_id
from actors.postgres.worker import list_workers
from actors.saga.domain import Action, IdempotencyKey, Item, Order
from actors.saga.scenario import Scenario
from app.scenario import parse_scenario
from bench.mixed_scenario import mixed_world
from tests.invariants import assert_invariants
from tests.postgres.test_workers import _in_flight_on, _wait_for
from tests.postgres_server import Worker, database

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
SHORT = ("--takeover-after", "2")  # a lost worker is found in seconds, not the default 30
_LATENCY = {"inventory": 60, "payment": 60, "shipping": 60}  # sagas stay in flight long enough to lose some


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[Worker]]:
    """The test's workers, each stopped at its end (a paused one is woken first)."""
    workers: list[Worker] = []
    yield workers
    for worker in workers:
        if worker.process is not None and worker.process.poll() is None:
            worker.process.send_signal(signal.SIGCONT)
        worker.stop()


def _start(started: list[Worker], url: str, name: str, log_dir: Path, *options: str) -> Worker:
    worker = Worker(url, name, log_dir, *SHORT, *options).start()
    started.append(worker)
    return worker


def _state(url: str, name: str) -> str:
    return next((worker.state for worker in list_workers(url) if worker.id == name), "")


def _took_over(worker: Worker, lost: str) -> list[str]:
    return re.findall(rf"ordersaga: worker {worker.name} took over the \d+ sagas? in flight on worker {lost}, "
                      r"silent for \d+ s: .*\.", worker.log.read_text())


def _settled_and_clean(cli: Cli, url: str) -> dict:
    _wait_for(lambda: all(record.status.settled for record in read_snapshot(url).records))
    status, out, err = cli("report", "--db", url, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert_invariants(report)
    status, out, err = cli("audit", "--db", url)
    assert status == 0 and out.endswith(", 0 findings\n"), out + err
    return report


@pytest.mark.waits
def test_a_killed_worker_is_taken_over_without_any_command(cli: Cli, postgres_server: object,
                                                           tmp_path: Path, started: list[Worker]) -> None:
    url = database(postgres_server, "takeover_kill")
    live = _start(started, url, "live", tmp_path).wait_ready()
    doomed = _start(started, url, "doomed", tmp_path).wait_ready()
    create_database(url, parse_scenario(mixed_world(60, seed=21, latency_ms=_LATENCY), "kill"), replace=True)
    _wait_for(lambda: _in_flight_on(url, "doomed", at_least=3))
    doomed.kill()
    held = _in_flight_on(url, "doomed", at_least=1)  # read once it is dead: it may settle some up to then
    assert held
    _wait_for(lambda: _state(url, "doomed") == "lost")
    report = _settled_and_clean(cli, url)
    said = _took_over(live, "doomed")
    assert len(said) == 1, live.log.read_text()
    handed = said[0].rsplit(": ", 1)[1].removesuffix(".").split(", ")
    assert set(held) <= set(handed)  # what it held when killed, and any it took since
    finished = {order["id"]: order for order in report["orders"]}
    assert all(finished[order_id]["worker"] == "live" for order_id in held)
    status, out, err = cli("workers", "--db", url, "--json")
    listed = {worker["id"]: worker for worker in json.loads(out)}
    assert listed["doomed"]["state"] == "lost" and listed["doomed"]["taken_by"] == "live"
    assert listed["doomed"]["in_flight"] == 0 and listed["live"]["state"] == "alive"


@pytest.mark.waits
def test_a_lost_worker_that_comes_back_stops_the_sagas_taken_from_it(cli: Cli, postgres_server: object,
                                                                      tmp_path: Path,
                                                                      started: list[Worker]) -> None:
    """Paused (SIGSTOP) long enough to be declared lost, then woken: it says once that its sagas
    were taken, drives none of them further, and goes on taking new ones."""
    url = database(postgres_server, "takeover_back")
    live = _start(started, url, "live", tmp_path).wait_ready()
    stalled = _start(started, url, "stalled", tmp_path).wait_ready()
    create_database(url, parse_scenario(mixed_world(60, seed=22, latency_ms=_LATENCY), "back"), replace=True)
    _wait_for(lambda: _in_flight_on(url, "stalled", at_least=3))
    assert stalled.process is not None
    stalled.process.send_signal(signal.SIGSTOP)
    _wait_for(lambda: _state(url, "stalled") == "lost")
    _wait_for(lambda: _took_over(live, "stalled"))
    stalled.process.send_signal(signal.SIGCONT)
    _wait_for(lambda: "was silent for" in stalled.log.read_text())
    report = _settled_and_clean(cli, url)
    handed = _took_over(live, "stalled")[0].rsplit(": ", 1)[1].removesuffix(".").split(", ")
    back = re.findall(r"ordersaga: worker stalled was silent for \d+ s and live took over its (\d+) sagas? in "
                      r"flight: this worker stops those and takes new ones\.", stalled.log.read_text())
    assert back == [str(len(handed))]
    assert stalled.process.poll() is None
    _wait_for(lambda: _state(url, "stalled") == "alive")  # it beats again, and may take new sagas
    captured = [charge["order"] for charge in report["charges"] if charge["status"] == "captured"]
    assert len(captured) == len(set(captured))


@pytest.mark.waits
def test_two_live_workers_that_notice_at_once_take_over_once(cli: Cli, postgres_server: object,
                                                             tmp_path: Path, started: list[Worker]) -> None:
    url = database(postgres_server, "takeover_race")
    first = _start(started, url, "first", tmp_path).wait_ready()
    second = _start(started, url, "second", tmp_path).wait_ready()
    doomed = _start(started, url, "doomed", tmp_path).wait_ready()
    create_database(url, parse_scenario(mixed_world(60, seed=23, latency_ms=_LATENCY), "race"), replace=True)
    _wait_for(lambda: _in_flight_on(url, "doomed", at_least=3))
    doomed.kill()
    _wait_for(lambda: _state(url, "doomed") == "lost")
    _settled_and_clean(cli, url)
    said = _took_over(first, "doomed") + _took_over(second, "doomed")
    assert len(said) == 1, first.log.read_text() + second.log.read_text()


def test_a_transition_is_stored_only_while_its_execution_owns_the_workflow(postgres_server: object) -> None:
    """The fence on ordersaga's own transaction: once the workflow was handed on (its claim's
    token replaced), the old execution's transition is refused and its effect undone with it."""
    url = database(postgres_server, "fence")
    order = Order(id="o-1", customer="bob", ship_to="1 Main St", items=(Item(sku="KB", quantity=1, price_cents=900),))
    create_database(url, Scenario(name="fence", stock={"KB": 3}, accounts={"bob": 5_000}, orders=(order,)))
    db = engine_for(url)
    try:
        with db.begin() as connection:
            stored = load_record(connection, "o-1")
            assert stored is not None
            leg = workflow_id(read_meta(connection, url).run, stored)
            connection.execute(sa.text("UPDATE dbos.workflow_status SET owner_xid = 'old claim' "
                                       "WHERE workflow_uuid = :leg"), {"leg": leg})
        with db.begin() as connection:  # the owner stores a transition
            stored = load_record(connection, "o-1", lock=True)
            assert stored is not None
            save_record(connection, stored.record, "w1", fence=Fence(leg, "old claim"))
        with db.begin() as connection:  # handed on: another claim's token
            connection.execute(sa.text("UPDATE dbos.workflow_status SET owner_xid = 'new claim' "
                                       "WHERE workflow_uuid = :leg"), {"leg": leg})
        key = IdempotencyKey(order="o-1", step="inventory", attempt=1, action=Action.EXECUTE)
        with pytest.raises(Fenced), db.begin() as connection:
            stored = load_record(connection, "o-1", lock=True)
            assert stored is not None
            carry_out(connection, key, order, ())
            save_record(connection, stored.record, "w1", fence=Fence(leg, "old claim"))
    finally:
        db.dispose()
    snapshot = read_snapshot(url)
    assert snapshot.inventory["stock"]["KB"]["available"] == 3 and snapshot.inventory["reservations"] == []
    assert snapshot.workers == {"o-1": "w1"}



@pytest.mark.waits
def test_a_drained_workers_handed_back_sagas_are_taken_over_by_a_live_one(cli: Cli, postgres_server: object,
                                                                          tmp_path: Path,
                                                                          started: list[Worker]) -> None:
    """SIGTERM: the worker drains and exits 0 saying what it handed back; a live worker takes
    those over once the stopped one's timeout has passed, and it stays shown as stopped."""
    url = database(postgres_server, "takeover_drain")
    live = _start(started, url, "live", tmp_path).wait_ready()
    drained = _start(started, url, "drained", tmp_path, "--grace", "0").wait_ready()
    slow = {"inventory": 400, "payment": 400, "shipping": 400}
    create_database(url, parse_scenario(mixed_world(60, seed=24, latency_ms=slow), "drain"), replace=True)
    _wait_for(lambda: _in_flight_on(url, "drained", at_least=3))
    assert drained.process is not None
    drained.process.send_signal(signal.SIGTERM)
    assert drained.process.wait(timeout=60) == 0
    said = re.search(r"handed back (\d+) sagas? in flight", drained.log.read_text())
    assert said is not None, drained.log.read_text()
    assert int(said[1]) > 0  # no grace: those in flight are handed back
    _settled_and_clean(cli, url)
    assert len(_took_over(live, "drained")) == 1, live.log.read_text()
    assert _state(url, "drained") == "stopped"
