"""kill -9 at any moment loses nothing: the run is killed over and over, each time resumed
by the next command, and the final report still balances to the cent and the unit."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from bench.mixed_scenario import mixed_world, to_toml
from tests.invariants import assert_invariants

Cli = Callable[..., tuple[int, str, str]]

ORDERS = 500
KILLS = 22
SEED = 20261126
COMMAND = [sys.executable, "-m", "app"]


def _kill_when(process: subprocess.Popen[bytes], db: Path, rng: random.Random) -> bool:
    """SIGKILL the process at a seeded random moment: after a random time (often while it starts
    or replays the journal), or once the journal has grown by a random number of bytes (while
    sagas are in flight). False when it finished first.

    The growth is counted from the smallest the journal was seen during this run: opening it
    may compact it (archiving settled orders drops their lines), and growth counted from its
    size before would wait for bytes the run never writes, so a fast run would finish first."""
    by_time = rng.random() < 0.25
    deadline = time.monotonic() + rng.uniform(0.02, 0.3)
    grown_by = rng.randint(1_000, 20_000)
    smallest = db.stat().st_size if db.exists() else 0
    while process.poll() is None:
        size = db.stat().st_size if db.exists() else 0
        smallest = min(smallest, size)
        if (time.monotonic() >= deadline) if by_time else (size - smallest >= grown_by):
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.003)
    return process.returncode == -signal.SIGKILL  # an injected crash would count too


def _spawn(args: list[str], stderr: IO[bytes] | int) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*COMMAND, *args], stdout=subprocess.DEVNULL, stderr=stderr)


def test_kill_9_at_random_moments_loses_and_doubles_nothing(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "killed.db"
    scenario = tmp_path / "mixed.toml"  # 2-4 ms participants, declined cards, lost replies, failing refunds
    scenario.write_text(to_toml(mixed_world(ORDERS, seed=SEED)))
    rng = random.Random(SEED)
    kills = cycles = 0
    with open(tmp_path / "stderr.log", "wb") as errors:
        while kills < KILLS:
            cycles += 1
            assert cycles < 3 * KILLS, f"only {kills} kills landed in {cycles} runs"
            # Until the database exists (the first run may die before creating it), run again.
            args = ["report", "--db", str(db)] if db.exists() else ["run", str(scenario), "--db", str(db)]
            kills += _kill_when(_spawn(args, errors), db, rng)
    final = subprocess.run([*COMMAND, "report", "--db", str(db), "--json"], capture_output=True,
                           text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    report: dict[str, Any] = json.loads(final.stdout)

    assert len(report["orders"]) == ORDERS
    assert_invariants(report)  # all settled; stock and money conserved; nothing orphaned; one confirmation
    captured = Counter(c["order"] for c in report["charges"] if c["status"] == "captured")
    assert max(captured.values()) == 1  # no customer charged twice for one order
    statuses = Counter(order["status"] for order in report["orders"])
    assert statuses["completed"] > ORDERS / 4 and statuses["failed"] > ORDERS / 10, statuses
    resumed = [order["id"] for order in report["orders"]
               if any(e["reason"] == "asked again after a restart" for e in order["timeline"])]
    assert len(resumed) >= 20, "the kills should land while sagas are in flight"
    status, out, err = cli("audit", "--db", db)  # the effects match each participant's ledger
    assert status == 0, out + err
