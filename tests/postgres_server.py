"""A real PostgreSQL for the PostgreSQL runtime's tests, started by the suite itself from
the pgserver wheel (PostgreSQL 16, no root set-up), and worker processes on it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

ROOT = Path(__file__).resolve().parents[1]  # the repository
READY = "takes orders from"  # the worker's line once it dequeues
CRASHED = "injected crash"  # the worker's last line when a scripted crash kills it
_CONNECTIONS = 400  # pgserver's default of 100 is too few for three workers and the tests
_STARTUP_S = 120  # only to fail rather than hang: a loaded machine can take long to start one


def _unavailable(reason: str) -> None:
    """Skip the PostgreSQL tests where PostgreSQL cannot start, but fail under CI: a run that
    tested nothing of the PostgreSQL runtime must not pass for one that did."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"CI: the PostgreSQL tests cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """One PostgreSQL server for the session, in a temporary folder deleted afterwards.

    Started twice: the second time with room for the connections of several workers (each
    keeps DBOS's pool and its own) and of the commands the tests run beside them."""
    server = start_server(tempfile.mkdtemp(prefix="ordersaga-pg-"))
    yield server
    server.cleanup()


def start_server(pgdata: str) -> Any:
    """A PostgreSQL server in the folder (deleted when it is cleaned up), or the test skipped."""
    with warnings.catch_warnings():  # pgserver's runtime folder falls back to /tmp without XDG_RUNTIME_DIR
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError as error:
            _unavailable(f"PostgreSQL tests need the test extra's pgserver wheel ({error})")
        try:
            first = pgserver.get_server(pgdata, cleanup_mode="stop")
            first.psql(f"ALTER SYSTEM SET max_connections = {_CONNECTIONS};")
            first.cleanup()
            return pgserver.get_server(pgdata, cleanup_mode="delete")
        except Exception as error:  # whatever keeps it from starting here: one reason
            _unavailable(f"PostgreSQL could not start from the pgserver wheel: {error}")


def database(server: object, name: str) -> str:
    """A new empty database on the server, with the runtime's tables; its URL."""
    from actors.postgres.queue import prepare

    server.psql(f"CREATE DATABASE {name};")  # type: ignore[attr-defined]
    url = str(server.get_uri(name))  # type: ignore[attr-defined]
    prepare(url).dispose()
    return url


@pytest.fixture(scope="session")
def postgres_url(postgres_server: object) -> str:
    """The database the session's workers serve; each test loads its scenario with --replace."""
    return database(postgres_server, "shop")


class Worker:
    """An `ordersaga worker` process; its stderr is kept in a file to wait on and to show."""

    def __init__(self, url: str, name: str, log_dir: Path, *options: str) -> None:
        self.url, self.name, self._log_dir, self.options = url, name, log_dir, options
        self.starts = 0
        self.crashes: list[str] = []  # the last lines of each life a scripted crash ended
        self.log = log_dir / f"worker-{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log_file: IO[bytes] | None = None

    def start(self) -> Worker:
        """Start it (again: under the same name, with a log of its own)."""
        self.starts += 1
        self.log = self._log_dir / f"worker-{self.name}-{self.starts}.log"
        self._log_file = self.log.open("wb")
        self.process = subprocess.Popen([sys.executable, "-m", "app", "worker", "--db", self.url,
                                         "--id", self.name, *self.options], cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=self._log_file)
        return self

    def wait_ready(self) -> Worker:
        """Until it says it takes orders (it may be recovering its own sagas by then)."""
        deadline = time.monotonic() + _STARTUP_S
        while READY not in self.log.read_text():
            assert self.process is not None
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"worker {self.name} did not start:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.05)
        return self

    def kill(self) -> None:
        """kill -9: its sagas in flight stay PENDING under its name."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._close_log()


    def crashed(self) -> bool:
        """Whether it died of a scripted crash fault (it says so on stderr as it goes)."""
        return (self.process is not None and self.process.poll() is not None
                and CRASHED in self.log.read_text(errors="replace"))


def _supervise(started: dict[str, Worker], stop: threading.Event) -> None:
    """Start again, under its id, a worker a scripted crash killed, as a service manager
    (systemd's Restart=) would: DBOS then resumes the sagas it left in flight."""
    while not stop.wait(0.05):
        for worker in list(started.values()):
            if worker.crashed():
                worker._close_log()
                worker.crashes.append(worker.log.read_text(errors="replace")[-500:])
                worker.start()


@pytest.fixture(scope="session")
def workers(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Worker]]:
    """The session's workers by name; w1 runs from the start, tests add and kill others."""
    log_dir = tmp_path_factory.mktemp("workers")
    started = {"w1": Worker(postgres_url, "w1", log_dir).start()}
    stop = threading.Event()
    supervisor = threading.Thread(target=_supervise, args=(started, stop), daemon=True)
    supervisor.start()
    yield started
    stop.set()
    supervisor.join()
    for worker in started.values():
        worker.stop()
