"""A worker rides out its PostgreSQL restarting, stalling and staying away: every order settles
once the database is back, none is applied twice, the audit finds nothing, and the worker says
once that it lost the database and once that it regained it, with no traceback.

These tests stop and freeze a PostgreSQL of their own (the session's serves the other tests),
started from the same pgserver binaries in a temporary folder."""

from __future__ import annotations

import json
import os
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actors import create_database, read_snapshot
from app.scenario import parse_scenario
from bench.mixed_scenario import mixed_world
from tests.invariants import assert_invariants
from tests.postgres_server import Worker, database, start_server

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
    if not (Path(server.pgdata) / "postmaster.pid").exists():
        own.start()  # a test that failed with it stopped: started, for pgserver to delete
    server.cleanup()


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


def _some_settled(url: str) -> bool:
    """Once the run is under way: a few orders settled, most not yet."""
    records = read_snapshot(url).records
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
    tracebacks; that stderr."""
    _wait_for(lambda: _all_settled(url), "every order settled")
    status, out, err = cli("report", "--db", url, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert_invariants(report)  # conserved stock and money, no order charged twice
    status, out, err = cli("audit", "--db", url)
    assert status == 0 and out.endswith(", 0 findings\n"), out + err
    log = worker.log.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    return log


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_a_worker_rides_out_a_restart_mid_run(cli: Cli, own_server: OwnServer, shop: tuple[str, Worker],
                                             mode: str) -> None:
    url, worker = shop
    _load(url)
    _wait_for(lambda: _some_settled(url), "the run under way")
    own_server.pg_ctl("-m", mode, "restart")
    log = _settled_and_clean(cli, url, worker)
    assert log.count(LOST) == 1 and log.count(REGAINED) == 1, log


def test_a_worker_rides_out_a_10_second_stall(cli: Cli, own_server: OwnServer, shop: tuple[str, Worker]) -> None:
    """SIGSTOP of the postmaster and its backends: statements hang, then carry on."""
    url, worker = shop
    _load(url)
    _wait_for(lambda: _some_settled(url), "the run under way")
    frozen = own_server.processes()
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        time.sleep(10)  # the stall itself
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    log = _settled_and_clean(cli, url, worker)
    assert log.count(LOST) <= 1 and log.count(LOST) == log.count(REGAINED), log


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
