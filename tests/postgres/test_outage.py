"""A worker rides out its PostgreSQL restarting, stalling and staying away: every order settles
once the database is back, none is applied twice, the audit finds nothing, and the worker says
once that it lost the database and once that it regained it, with no traceback.

These tests stop and freeze a PostgreSQL of their own (the session's serves the other tests),
started from the same pgserver binaries in a temporary folder."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actors import create_database, read_snapshot
from app.scenario import parse_scenario
from bench.mixed_scenario import mixed_world, to_toml
from storage.errors import DatabaseError
from tests.invariants import assert_invariants
from tests.postgres_server import ROOT, Worker, database, start_server

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
_WAIT_S = 180  # only to fail rather than hang
LOST, REGAINED = "lost PostgreSQL", "regained PostgreSQL"
_LATENCY = {"inventory": 20, "payment": 20, "shipping": 20}


class OwnServer:
    """A PostgreSQL these tests may restart, stop and freeze."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.databases = 0

    def new_database(self) -> str:
        self.databases += 1
        return database(self.server, f"outage{self.databases}")

    def pg_ctl(self, *args: str) -> None:
        from pgserver._commands import pg_ctl

        pg_ctl(["-w", "-l", str(self.server.log), *args], pgdata=self.server.pgdata,
               user=self.server.system_user, timeout=120)

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "stop")

    def start(self) -> None:
        """Started again as pgserver starts it: on its Unix socket only."""
        socket_dir = self.server.get_postmaster_info().socket_dir
        self.pg_ctl("-o", '-h ""', "-o", f"-k {socket_dir}", "start")

    def processes(self) -> list[int]:
        """The postmaster and every process it started (its backends among them)."""
        postmaster = int((Path(self.server.pgdata) / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]


@pytest.fixture(scope="module")
def own_server() -> Iterator[OwnServer]:
    # Not under pytest's temporary folder: pgserver runs PostgreSQL as another user, which must reach it.
    server = start_server(tempfile.mkdtemp(prefix="ordersaga-outage-pg-"))
    own = OwnServer(server)
    yield own
    if (Path(server.pgdata) / "postmaster.pid").exists():
        own.stop()  # by its folder: pgserver would stop the pid it started, gone since the first restart
    server.cleanup()  # deletes the folder


@pytest.fixture
def shop(own_server: OwnServer, tmp_path: Path) -> Iterator[tuple[str, Worker]]:
    """A database of its own and one worker on it."""
    url = own_server.new_database()
    worker = Worker(url, "w1", tmp_path).start().wait_ready()
    yield url, worker
    worker.stop()


def _load(url: str, orders: int = 60) -> None:
    create_database(url, parse_scenario(mixed_world(orders, seed=5, latency_ms=_LATENCY), "outage"),
                    replace=True)


def _wait_for(condition: Callable[[], object], what: str) -> object:
    deadline = time.monotonic() + _WAIT_S
    while (found := condition()) in (None, False, []):
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not come about")
        time.sleep(0.05)
    return found


def _some_settled(url: str, loaded: bool = True) -> bool:
    """Once the run is under way: a few orders settled, most not yet (loaded: the scenario is
    already in the database; else it may not be yet)."""
    try:
        records = read_snapshot(url).records
    except DatabaseError:
        if loaded:
            raise
        return False
    if not records:
        return False
    settled = sum(record.status.settled for record in records)
    assert settled < len(records), "the run ended before the database went away: slow it down"
    return settled >= 3


def _all_settled(url: str) -> bool:
    try:
        return all(record.status.settled for record in read_snapshot(url).records)
    except Exception:  # noqa: BLE001 - still coming back
        return False


def _settled_and_clean(cli: Cli, url: str, worker: Worker) -> str:
    """Every order settled, applied once, the audit clean, the worker's stderr free of
    tracebacks; that stderr, once it has said it regained PostgreSQL as often as it lost it
    (it says so at a commit a second after the last failure: with every order settled, that
    may be its next beat)."""
    _wait_for(lambda: _all_settled(url), "every order settled")
    status, out, err = cli("report", "--db", url, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert_invariants(report)  # conserved stock and money, no order charged twice
    status, out, err = cli("audit", "--db", url)
    assert status == 0 and out.endswith(", 0 findings\n"), out + err
    _wait_for(lambda: (said := worker.log.read_text(errors="replace")).count(LOST) <= said.count(REGAINED),
              "the worker saying it regained PostgreSQL")
    log = worker.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    return log


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_worker_and_a_waiting_run_ride_out_a_restart(cli: Cli, own_server: OwnServer, shop: tuple[str, Worker],
                                                       tmp_path: Path, mode: str) -> None:
    """`ordersaga run` waits for the orders as the worker moves them: through the restart it
    says once that PostgreSQL is unreachable, and ends as it would have, with the report."""
    url, worker = shop
    scenario = tmp_path / "outage.toml"
    scenario.write_text(to_toml(mixed_world(60, seed=5, latency_ms=_LATENCY)))
    run = subprocess.Popen([sys.executable, "-m", "app", "run", str(scenario), "--db", url, "--replace", "--json"],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _some_settled(url, loaded=False), "the run under way")
        own_server.pg_ctl("-m", mode, "restart")
        out, err = run.communicate(timeout=_WAIT_S)
    finally:
        run.kill()
    assert run.returncode == 0, err.decode()
    assert_invariants(json.loads(out))
    assert err.decode().count("PostgreSQL unreachable, retrying") == 1 and "Traceback" not in err.decode(), err
    log = _settled_and_clean(cli, url, worker)
    assert log.count(LOST) == 1 and log.count(REGAINED) == 1, log


def test_a_command_opening_as_postgresql_goes_away_waits_for_it(own_server: OwnServer, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """PostgreSQL gone between a command's first contact and the set-up of its queue is waited
    for and said once, as at any later moment (a loaded machine makes that window wide)."""
    from actors.postgres import engine as postgres_engine

    url = own_server.new_database()
    _load(url)
    real, back = postgres_engine.client_for, threading.Timer(1.0, own_server.start)

    def going_away(url: str) -> Any:
        if back.ident is None:  # the first time only: stopped now, started again in a second
            own_server.stop()
            back.start()
        return real(url)

    monkeypatch.setattr(postgres_engine, "client_for", going_away)
    try:
        with postgres_engine.PostgresEngine(url) as engine:
            assert len(engine.records()) == 60
    finally:
        if back.ident is not None:
            back.join()
    assert capsys.readouterr().err.count("PostgreSQL unreachable, retrying") == 1


@pytest.mark.waits
def test_a_worker_rides_out_a_10_second_stall(cli: Cli, own_server: OwnServer, shop: tuple[str, Worker]) -> None:
    """SIGSTOP of the postmaster and its backends: statements hang, then carry on."""
    url, worker = shop
    _load(url)
    _wait_for(lambda: _some_settled(url), "the run under way")
    frozen = own_server.processes()
    for pid in frozen:
        with contextlib.suppress(ProcessLookupError):  # a backend that ended since it was listed
            os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(10)  # the stall itself
    finally:
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
    log = _settled_and_clean(cli, url, worker)
    assert log.count(LOST) <= 1 and log.count(LOST) == log.count(REGAINED), log


@pytest.mark.waits
def test_a_worker_rides_out_a_40_second_outage(cli: Cli, own_server: OwnServer, shop: tuple[str, Worker]) -> None:
    url, worker = shop
    _load(url)
    _wait_for(lambda: _some_settled(url), "the run under way")
    own_server.stop()
    try:
        _wait_for(lambda: LOST in worker.log.read_text(errors="replace"), "the worker saying it lost PostgreSQL")
        time.sleep(40)  # the outage itself
    finally:
        own_server.start()
    log = _settled_and_clean(cli, url, worker)
    assert log.count(LOST) == 1 and log.count(REGAINED) == 1, log


@pytest.mark.waits
def test_sagas_an_outage_outlasted_are_picked_up_again_once(cli: Cli, own_server: OwnServer,
                                                             tmp_path: Path) -> None:
    """Two workers whose sagas wait only 2 s for the database: a longer outage fails those in
    flight (DBOS marks them ERROR), and once it is back each is carried on on a new leg,
    exactly once, though both workers look for them."""
    from dbos import DBOSClient

    url = own_server.new_database()
    workers = [Worker(url, name, tmp_path, "--outage-limit", "2").start() for name in ("w1", "w2")]
    try:
        for worker in workers:
            worker.wait_ready()
        _load(url)
        _wait_for(lambda: _some_settled(url), "the run under way")
        own_server.stop()
        try:
            _wait_for(lambda: all(LOST in w.log.read_text(errors="replace") for w in workers), "both losing it")
            time.sleep(6)  # the outage, well past the limit and the backoff's last try
        finally:
            own_server.start()
        logs = [_settled_and_clean(cli, url, worker) for worker in workers]
    finally:
        for worker in workers:
            worker.stop()
    client = DBOSClient(system_database_url=url)
    try:
        legs: dict[str, list[tuple[int, str]]] = {}
        for status in client.list_workflows(load_input=False, load_output=False):
            _, order_id, leg = status.workflow_id.rsplit("/", 2)
            legs.setdefault(order_id, []).append((int(leg), status.status))
    finally:
        client.destroy()
    failed = {order_id for order_id, runs in legs.items() if any(state == "ERROR" for _, state in runs)}
    assert failed, "no saga outlasted the limit: the outage was too short to test anything"
    for order_id in failed:  # every leg but the last failed; the last, a new one, succeeded
        runs = sorted(legs[order_id])
        assert [leg for leg, _ in runs] == list(range(len(runs))), (order_id, runs)
        assert [state for _, state in runs] == ["ERROR"] * (len(runs) - 1) + ["SUCCESS"], (order_id, runs)
    assert all("for up to 2 s" in log for log in logs), logs


async def test_the_dashboard_waits_for_postgresql_and_says_so(dashboard: Any, own_server: OwnServer,
                                                              shop: tuple[str, Worker]) -> None:
    """Stopped under an open dashboard, PostgreSQL is said unreachable on the event line, the
    dashboard stays up, and once it is back it says so and follows the orders to their end."""
    from tests.dashboard_pilot import event_line, listed_ids, row, until

    url, _ = shop
    app = dashboard(parse_scenario(mixed_world(30, seed=5, latency_ms=_LATENCY), "outage"), db=url)
    async with app.run_test(size=(120, 30)) as pilot:
        await until(pilot, lambda: len(listed_ids(app)) == 30, "the orders listed")
        await asyncio.to_thread(own_server.stop)
        try:
            await until(pilot, lambda: "PostgreSQL unreachable, retrying" in event_line(app), "the outage said")
        finally:
            await asyncio.to_thread(own_server.start)
        await until(pilot, lambda: "PostgreSQL is back" in event_line(app), "its return said")
        await asyncio.to_thread(_wait_for, lambda: _all_settled(url), "every order settled")
        await until(pilot, lambda: all(row(app, order)["status"] == shown for order, shown in _statuses(url).items()),
                    "every order's end on screen")
        assert app.is_running


def _statuses(url: str) -> dict[str, str]:
    """Each order's settled status as the list shows it."""
    from app.dashboard.display import SAGA_LOOKS

    return {record.order.id: f"{SAGA_LOOKS[record.status][0]} {record.status.value.replace('_', ' ')}"
            for record in read_snapshot(url).records}


@pytest.mark.waits
def test_a_worker_stopped_while_postgresql_is_away_exits_after_its_grace(cli: Cli, own_server: OwnServer,
                                                                       tmp_path: Path) -> None:
    """Its sagas waiting for the database give up at once (DBOS's included), and it exits 0
    saying it cannot count what it handed back. Their orders, left in flight, are no finding of
    the audit until nothing has moved them for --stuck-after seconds; started again once
    PostgreSQL is back, it resumes them."""
    url = own_server.new_database()
    worker = Worker(url, "w1", tmp_path, "--grace", "1").start().wait_ready()
    try:
        _load(url)
        _wait_for(lambda: _some_settled(url), "the run under way")
        own_server.stop()
        try:
            _wait_for(lambda: LOST in worker.log.read_text(errors="replace"), "the worker saying it lost PostgreSQL")
            assert worker.process is not None
            worker.process.send_signal(signal.SIGTERM)
            assert worker.process.wait(timeout=60) == 0
        finally:
            own_server.start()
        said = worker.log.read_text(errors="replace")
        assert "stopped while PostgreSQL is unreachable, so how many sagas it handed back is not known" in said
        assert "Traceback" not in said, said[-3000:]
        # Those it had begun (one not begun yet has not moved since no known time).
        in_flight = {record.order.id for record in read_snapshot(url).records
                     if not record.status.settled and record.updated_at is not None}
        assert in_flight
        status, out, err = cli("audit", "--db", url)
        assert status == 0 and out.endswith(", 0 findings\n"), out + err
        status, out, err = cli("audit", "--db", url, "--stuck-after", "0", "--json")
        stuck = [finding["subject"] for finding in json.loads(out)["findings"] if finding["kind"] == "stuck"]
        assert status == 1 and set(stuck) == in_flight, out + err
        worker.start().wait_ready()
        _settled_and_clean(cli, url, worker)
    finally:
        worker.stop()
