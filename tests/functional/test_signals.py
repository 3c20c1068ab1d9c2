"""Stopped from outside: SIGTERM or Ctrl-C at any point, or a reader that goes away,
ends a command with at most one line and the status a shell expects, never a traceback,
and the database resumes later with nothing lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.mixed_scenario import mixed_world, to_toml
from tests.invariants import assert_invariants

ORDERSAGA = [sys.executable, "-m", "app"]
# Generous: a bound that turns a hang into a failure, not a timing requirement.
PATIENCE_S = 60
TERMINATED = ("ordersaga: terminated; everything acknowledged is stored, "
              "and `ordersaga report` resumes the rest.\n")
INTERRUPTED = TERMINATED.replace("terminated", "interrupted")
# Services slow enough that a run of 500 orders, 48 at a time, takes over a second however
# fast the machine: the signals sent once it is under way land while sagas are in flight.
PACED = {"inventory": 20, "payment": 40, "shipping": 30}


def _spawn(*args: str | Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*ORDERSAGA, *map(str, args)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _wait_for(condition: object, what: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while not condition():  # type: ignore[operator]
        assert process.poll() is None, f"the command ended before {what}"
        assert time.monotonic() < deadline, f"never saw {what}"
        time.sleep(0.002)


def _has_open(pid: int, path: Path) -> bool:
    """Whether the process holds path open (it is opening or using the database)."""
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
        except OSError:
            pass
    return False


def test_sigterm_mid_run_and_ctrl_c_while_opening_each_end_with_one_line_and_lose_nothing(
        tmp_path: Path) -> None:
    db = tmp_path / "mixed.db"
    scenario = tmp_path / "mixed.toml"  # paced by its services, not the CPU: see PACED
    scenario.write_text(to_toml(mixed_world(500, seed=7, latency_ms=PACED)))
    run = _spawn("run", scenario, "--db", db)
    _wait_for(db.exists, "the database created", run)
    created = db.stat().st_size
    _wait_for(lambda: db.stat().st_size > created + 20_000, "the journal grow", run)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=PATIENCE_S)
    assert (run.returncode, err) == (143, TERMINATED)

    report = _spawn("report", "--db", db)  # replays the journal, then resumes the sagas
    _wait_for(lambda: _has_open(report.pid, db), "the database opened", report)
    report.send_signal(signal.SIGINT)
    _, err = report.communicate(timeout=PATIENCE_S)
    assert (report.returncode, err) == (130, INTERRUPTED)

    final = subprocess.run([*ORDERSAGA, "report", "--db", str(db), "--json"], capture_output=True,
                           text=True, timeout=PATIENCE_S)
    assert final.returncode == 0, final.stderr
    result = json.loads(final.stdout)
    assert len(result["orders"]) == 500
    assert_invariants(result)


def test_ctrl_c_while_the_program_loads_prints_one_line_not_a_traceback() -> None:
    """The interrupt is delivered exactly while the command imports the engine, the slow part."""
    code = ("import builtins, os, signal\n"
            "load = builtins.__import__\n"
            "def importing(name, *args, **kwargs):\n"
            "    if name == 'actors.embedded.engine':\n"
            "        os.kill(os.getpid(), signal.SIGINT)\n"
            "    return load(name, *args, **kwargs)\n"
            "builtins.__import__ = importing\n"
            "from app.__main__ import run\n"
            "run()\n")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=PATIENCE_S)
    assert (loaded.returncode, loaded.stdout, loaded.stderr) == (130, "", INTERRUPTED)


def test_a_reader_that_went_away_ends_the_command_quietly(tmp_path: Path) -> None:
    db = tmp_path / "happy.db"
    for args in (["run", "happy_path", "--db", db], ["status", "o-1", "--db", db]):
        read_end, write_end = os.pipe()
        os.close(read_end)  # as `| head -1` does once it has its line
        try:
            ended = subprocess.run([*ORDERSAGA, *map(str, args)], stdout=write_end,
                                   stderr=subprocess.PIPE, text=True, timeout=PATIENCE_S)
        finally:
            os.close(write_end)
        assert (ended.returncode, ended.stderr) == (141, ""), args
    status = subprocess.run([*ORDERSAGA, "status", "o-1", "--db", str(db)], capture_output=True,
                            text=True, timeout=PATIENCE_S)
    assert status.stdout.startswith("Order o-1 (") and "completed" in status.stdout
