"""Several workers share one queue, and losing one loses nothing: its sagas resume when it
starts again under its name, or on the others after `ordersaga recover`; in every case the
report keeps every invariant (no double charge) and the audit finds nothing."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from actors import create_database, read_snapshot
from app.scenario import parse_scenario
from bench.mixed_scenario import mixed_world
from tests.invariants import assert_invariants
from tests.postgres_server import Worker

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
_WAIT_S = 120  # only to fail rather than hang


def _settled_report(cli: Cli, url: str) -> dict:
    status, out, err = cli("report", "--db", url, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert_invariants(report)
    status, out, err = cli("audit", "--db", url)
    assert status == 0 and out.endswith(", 0 findings\n"), out + err
    return report


def _add_worker(workers: dict[str, Worker], name: str) -> Worker:
    first = next(iter(workers.values()))
    workers[name] = Worker(first.url, name, first.log.parent).start().wait_ready()
    return workers[name]


@pytest.mark.waits
def test_two_workers_share_the_queue(cli: Cli, postgres_url: str, workers: dict[str, Worker]) -> None:
    workers["w1"].wait_ready()
    if "w2" not in workers:
        _add_worker(workers, "w2")
    status, out, err = cli("run", "mixed_200", "--db", postgres_url, "--replace", "--json")
    assert status == 0, err
    report = json.loads(out)
    assert_invariants(report)
    assert {order["worker"] for order in report["orders"]} == {"w1", "w2"}
    status, out, err = cli("audit", "--db", postgres_url)
    assert out.splitlines()[-1] == "200 orders audited, 0 findings"


def test_a_worker_that_crashes_resumes_its_saga_when_it_starts_again(
        cli: Cli, postgres_url: str, workers: dict[str, Worker]) -> None:
    """The scenario's crash fault kills whichever worker meets it; restarted under its name (by
    the suite's supervisor, as a service manager would), that worker picks the saga up where it
    was (DBOS's recovery of its own workflows)."""
    before = {name: len(worker.crashes) for name, worker in workers.items()}
    create_database(postgres_url, parse_scenario(_crash_world(), "crash"), replace=True)
    crashed = _wait_for(lambda: next((w for name, w in workers.items()
                                      if len(w.crashes) > before.get(name, 0)), None))
    assert "injected crash at payment execute of o-1" in crashed.crashes[-1]
    report = _settled_report(cli, postgres_url)
    assert report["orders"][0]["status"] == "completed"
    assert report["orders"][0]["worker"] in workers


def test_a_killed_workers_sagas_finish_on_the_others_after_recover(
        cli: Cli, postgres_url: str, workers: dict[str, Worker]) -> None:
    doomed = _add_worker(workers, "doomed")
    world = mixed_world(60, seed=11, latency_ms={"inventory": 20, "payment": 20, "shipping": 20})
    create_database(postgres_url, parse_scenario(world, "kill"), replace=True)
    held = _wait_for(lambda: _in_flight_on(postgres_url, "doomed", at_least=3))
    doomed.kill()
    del workers["doomed"]
    status, out, err = cli("recover", "--from", "doomed", "--db", postgres_url)
    assert status == 0, err
    said = re.fullmatch(r"Handed (\d+) orders? in flight on worker doomed to the live workers: (.*)\.\n", out)
    assert said is not None, out
    handed = said[2].split(", ")
    assert int(said[1]) == len(handed)
    assert set(held) & set(handed)  # at least those it held when killed (it may have taken more since)
    # Killed between storing an order's end and DBOS marking its workflow done, it finished
    # that one itself: the workflow handed on finds nothing left to do.
    snapshot = read_snapshot(postgres_url)
    ended_by_doomed = {record.order.id for record in snapshot.records
                       if record.status.settled and snapshot.workers.get(record.order.id) == "doomed"}
    report = _settled_report(cli, postgres_url)
    assert all(order["status"] in ("completed", "failed", "on_hold") for order in report["orders"])
    finished_by = {order["worker"] for order in report["orders"]
                   if order["id"] in handed and order["id"] not in ended_by_doomed}
    assert finished_by and finished_by <= {"w1", "w2"}
    captured = [charge["order"] for charge in report["charges"] if charge["status"] == "captured"]
    assert len(captured) == len(set(captured))  # no double charge


def _crash_world() -> dict:
    return {"name": "crash", "stock": {"PRINTER": 2}, "accounts": {"judy": 100000},
            "orders": [{"id": "o-1", "customer": "judy", "ship_to": "8 Spruce Way",
                        "items": [{"sku": "PRINTER", "quantity": 1, "price_cents": 15900}]}],
            "faults": [{"service": "payment", "action": "execute", "order": "o-1", "kind": "crash"}]}


def _in_flight_on(url: str, worker: str, at_least: int) -> list[str]:
    """The orders in flight that the worker last moved, once there are at least so many."""
    snapshot = read_snapshot(url)
    held = [record.order.id for record in snapshot.records
            if not record.status.settled and snapshot.workers.get(record.order.id) == worker]
    return held if len(held) >= at_least else []


def _wait_for(condition: Callable[[], object]) -> object:
    """Poll a condition (on the database or a process) until it holds; fail after a long while."""
    deadline = time.monotonic() + _WAIT_S
    while (found := condition()) in (None, False, []):
        if time.monotonic() > deadline:
            pytest.fail("the condition did not come about")
        time.sleep(0.02)
    return found


@pytest.mark.parametrize("name, sentence", [
    (" w1", "The worker id must not start or end with spaces (got ' w1')."),
    ("w1\x1b[2J", "The worker id must not contain control or invisible characters (got 'w1\\x1b[2J')."),
    ("\u200bw1", "The worker id must not contain control or invisible characters (got '\\u200bw1')."),
    ("-w1", "The worker id must not start with '-', which a command line reads as an option (got '-w1')."),
])
def test_the_postgres_runtime_holds_worker_ids_to_the_rule_every_door_applies(postgres_url: str, name: str,
                                                                               sentence: str) -> None:
    """Called directly, not through the CLI: refused before DBOS launches under the id (the stop is
    set, so a worker let through would launch and stop at once)."""
    from actors.postgres.worker import recover, run_worker
    from storage.errors import DatabaseError

    stop = threading.Event()
    stop.set()
    with pytest.raises(DatabaseError) as refused:
        run_worker(postgres_url, name, lambda line: None, stop)
    assert str(refused.value) == sentence
    with pytest.raises(DatabaseError) as refused:
        recover(postgres_url, name)
    assert str(refused.value) == sentence


def test_a_second_worker_under_a_live_workers_id_is_refused(postgres_url: str, workers: dict[str, Worker],
                                                             tmp_path: Path) -> None:
    """Recovery keys on the id: a second w1 would resume the first one's sagas as its own."""
    workers["w1"].wait_ready()
    second = Worker(postgres_url, "w1", tmp_path).start()
    assert second.process is not None
    assert second.process.wait(timeout=_WAIT_S) == 2
    second.stop()
    said = second.log.read_text()
    assert said == ("ordersaga: Worker w1 is already running on " + postgres_url
                    + ": stop it first, or start this one with another --id.\n")
    assert workers["w1"].process is not None and workers["w1"].process.poll() is None


@pytest.mark.waits
def test_a_worker_stopped_by_sigterm_drains_and_exits_quietly(cli: Cli, postgres_server: object,
                                                               tmp_path: Path) -> None:
    """SIGTERM mid-run: no new saga, those in flight run on within the grace period (10 s), exit 0
    with one line and no traceback; started again under its id, it settles every order."""
    import signal

    from tests.postgres_server import database

    url = database(postgres_server, "drain")
    drainer = Worker(url, "drainer", tmp_path).start().wait_ready()
    world = mixed_world(60, seed=5, latency_ms={"inventory": 200, "payment": 200, "shipping": 200})
    create_database(url, parse_scenario(world, "drain"), replace=True)
    _wait_for(lambda: _in_flight_on(url, "drainer", at_least=3))
    assert drainer.process is not None
    stopped_at = time.monotonic()
    drainer.process.send_signal(signal.SIGTERM)
    assert drainer.process.wait(timeout=10 + 20) == 0
    assert time.monotonic() - stopped_at < 10 + 20
    drainer.stop()
    said = drainer.log.read_text()
    assert "Traceback" not in said
    last = said.splitlines()[1:]
    assert len(last) == 1 and re.fullmatch(r"ordersaga: worker drainer stopped and handed back \d+ sagas? "
                                           r"in flight: .*", last[0]), said
    drainer.start().wait_ready()
    try:
        report = _settled_report(cli, url)
    finally:
        drainer.stop()
    assert all(order["status"] in ("completed", "failed", "on_hold") for order in report["orders"])


def test_workers_lists_each_worker_alive_silent_or_stopped(cli: Cli, postgres_url: str,
                                                           workers: dict[str, Worker], tmp_path: Path) -> None:
    """Each worker's heartbeat row: alive while it beats, silent once killed (no beat within
    --silent-after), stopped after a clean exit; with its sagas in flight."""
    workers["w1"].wait_ready()
    ghost = Worker(postgres_url, "ghost", tmp_path).start().wait_ready()
    quitter = Worker(postgres_url, "quitter", tmp_path).start().wait_ready()
    ghost.kill()
    quitter.stop()
    status, out, err = cli("workers", "--db", postgres_url, "--json")
    assert status == 0, err
    listed = {worker["id"]: worker for worker in json.loads(out)}
    assert listed["w1"]["state"] == "alive"
    assert workers["w1"].process is not None and listed["w1"]["pid"] == workers["w1"].process.pid
    assert listed["quitter"]["state"] == "stopped"
    assert listed["ghost"]["state"] == "alive"  # its last beat is recent: killed a moment ago
    assert all(isinstance(worker["in_flight"], int) for worker in listed.values())
    status, out, err = cli("workers", "--db", postgres_url, "--silent-after", "0")
    assert status == 0, err
    lines = {line.split()[0]: line.split()[1] for line in out.splitlines()}
    assert lines["ghost"] == "silent" and lines["quitter"] == "stopped"
    status, out, err = cli("workers", "--db", postgres_url, "--silent-after", "soon")
    assert status == 2
    assert err == "ordersaga: --silent-after must be a number of seconds from 0 to 86400 (got 'soon').\n"
