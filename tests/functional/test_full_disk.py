"""A disk that fills up or fails mid-run: every command stops at once with one line naming
the file and the cause (exit 2), and once the disk works again `report` finishes the run
with nothing lost and nothing applied twice."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actors import Engine, create_database
from app.scenario import load_scenario
from storage.errors import StorageFailed
from tests.conftest import FAST
from tests.failing_disk import SmallDisk, failing
from tests.invariants import assert_invariants

# Generous: a bound that turns a hang into a failure, not a timing requirement.
PATIENCE_S = 60
ORDERSAGA = [sys.executable, "-m", "app"]
ON_A_FAILING_DISK = [sys.executable, "-m", "tests.failing_disk"]
NO_SPACE = ("ordersaga: no space left on the device holding {db}; nothing acknowledged was lost; "
            "free space and run `ordersaga report`.\n")


def _run(command: list[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                          timeout=PATIENCE_S)


def _report_after_recovery(db: Path) -> dict[str, Any]:
    """`report` on the database once the disk works again: it finishes, and everything balances."""
    reported = _run(ORDERSAGA, "report", "--db", db, "--json")
    assert reported.returncode == 0, reported.stderr
    report: dict[str, Any] = json.loads(reported.stdout)
    assert_invariants(report)
    audited = _run(ORDERSAGA, "audit", "--db", db)
    assert audited.returncode == 0, audited.stdout + audited.stderr
    return report


def test_a_run_that_fills_a_small_disk_stops_with_one_line_and_report_finishes_it(
        small_disk: SmallDisk) -> None:
    db = small_disk.path / "mixed.db"
    run = _run(ORDERSAGA, "run", "mixed_200", "--db", db)
    assert run.returncode == 2
    assert run.stderr == NO_SPACE.format(db=db)  # one line: no traceback, no log
    small_disk.resize("20m")
    assert len(_report_after_recovery(db)["orders"]) == 200


@pytest.mark.parametrize(("call", "code", "line"), [
    ("write", "ENOSPC", NO_SPACE),
    ("fsync", "EIO", "ordersaga: the device holding {db} reported an I/O error; nothing acknowledged "
                     "was lost; check the device and run `ordersaga report`.\n"),
], ids=["ENOSPC-at-write", "EIO-at-fsync"])
def test_a_run_whose_disk_fails_mid_way_stops_with_one_line_and_report_finishes_it(
        tmp_path: Path, call: str, code: str, line: str) -> None:
    db = tmp_path / "mixed.db"
    run = _run(ON_A_FAILING_DISK, call, code, 10, "run", "mixed_200", "--db", db)
    assert run.returncode == 2
    assert run.stderr == line.format(db=db)
    report = _report_after_recovery(db)
    assert len(report["orders"]) == 200


def test_a_top_up_whose_write_fails_stops_with_one_line_instead_of_waiting(tmp_path: Path) -> None:
    db = tmp_path / "funds.db"
    assert _run(ORDERSAGA, "run", "insufficient_funds", "--db", db).returncode == 0
    top_up = _run(ON_A_FAILING_DISK, "write", "ENOSPC", 0, "top-up", "bob", "25", "--db", db)
    assert (top_up.returncode, top_up.stdout) == (2, "")
    assert top_up.stderr == NO_SPACE.format(db=db)
    report = _report_after_recovery(db)
    assert report["accounts"]["bob"]["top_ups_cents"] == 10_000  # the scenario's; not the failed one


def _within_patience(call: Callable[[], object]) -> BaseException | None:
    """What call raised (None if it returned), or a failure if it is still waiting after PATIENCE_S."""
    raised: list[BaseException | None] = []

    def run() -> None:
        try:
            call()
            raised.append(None)
        except BaseException as error:  # noqa: BLE001  (handed to the test)
            raised.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(PATIENCE_S)
    assert raised, f"still waiting after {PATIENCE_S} s"
    return raised[0]


def test_every_engine_call_waiting_on_storage_hears_of_its_failure(tmp_path: Path) -> None:
    db = tmp_path / "funds.db"
    create_database(db, load_scenario("insufficient_funds"))  # its follow-ups are left undone
    engine = Engine.open(db, settings=FAST)
    try:
        engine.wait_until_settled(timeout_s=PATIENCE_S)  # o-1 failed: bob cannot pay
        with failing(db, "fsync", errno.ENOSPC):
            # The top-up fails while it waits for its write; every later call as it begins.
            waits: dict[str, Callable[[], object]] = {
                "top_up": lambda: engine.top_up("bob", 10_000),
                "restock": lambda: engine.restock("KEYBOARD", 1),
                "retry": lambda: engine.retry("o-1"),
                "wait_until_settled": lambda: engine.wait_until_settled(timeout_s=PATIENCE_S),
                "run_follow_ups": lambda: engine.run_follow_ups(print, timeout_s=PATIENCE_S),
                "snapshot": engine.snapshot,
            }
            outcomes = {name: _within_patience(wait) for name, wait in waits.items()}
        for name, outcome in outcomes.items():
            assert isinstance(outcome, StorageFailed), (name, outcome)
            assert str(outcome).startswith(f"no space left on the device holding {db};"), name
    finally:
        engine.close()
    engine = Engine.open(db, settings=FAST)  # what was acknowledged is all there is
    try:
        engine.wait_until_settled(timeout_s=PATIENCE_S)
        account = engine.snapshot().payment["accounts"]["bob"]
        assert (account["balance_cents"], account["top_ups"]) == (1000, {})
        [record] = engine.records()
        assert (record.status.value, len(record.attempts)) == ("failed", 1)
    finally:
        engine.close()
