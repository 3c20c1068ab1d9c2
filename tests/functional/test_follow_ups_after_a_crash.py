"""A scenario's `then` retry or cancel, cut short by a crash, is applied exactly once.

The crash is a real one: the follow-ups run in a process of their own, which is killed
with SIGKILL once the retry's new attempt is durable and before the count of follow-ups
applied is stored. `ordersaga report` on the database afterwards must tell that the
retry took effect, not start a third attempt.

That moment lasts one fsync in `ordersaga run` (the retry's transition and the count are
written one after the other, or together in one journal line), too short to be hit from
outside with any reliability. So the process here runs the follow-ups as the CLI does,
but its report of each applied follow-up, which comes between the two writes, holds the
process after the retry's line until it is killed.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from actors import Engine, create_database
from app.scenario import parse_scenario

Cli = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[2]
PATIENCE_S = 60.0  # turns a hang into a failure; nothing here is timed

# Bob cannot pay, and the top-up is too small: the retry fails again, recoverably,
# so a retry applied twice would show as a third attempt.
WORLD = {
    "name": "retry once",
    # The retry's reservation takes a while: the retry is then mostly still in flight when
    # the process is killed (the outcome must be the same if it has already failed again).
    "latency_ms": {"inventory": 100},
    "stock": {"KEYBOARD": 5},
    "accounts": {"bob": 1000},
    "orders": [{"id": "o-1", "customer": "bob", "ship_to": "1 Main St",
                "items": [{"sku": "KEYBOARD", "quantity": 1, "price_cents": 4999}]}],
    "then": [{"top_up": {"customer": "bob", "amount_cents": 100}}, {"retry": "o-1"}],
}
# The journal line that makes each follow-up durable (documents are compact JSON), and the count.
RETRY_DURABLE = b'"attempt":2,"step":"inventory","action":"execute","outcome":"started"'
EDIT_DURABLE = b'"action":"edit"'


def run_follow_ups_holding_after(db: str, held: str) -> None:
    """In the process to be killed: apply the follow-ups as `ordersaga run` does, printing each
    line as it is reported; after the one starting with `held`, wait for stdin to close (it
    never does before the kill), so the process stops between it and the count applied."""

    def report(line: str) -> None:
        print(line, flush=True)
        if line.startswith(held):
            sys.stdin.read()

    with Engine.open(db) as engine:
        engine.run_follow_ups(report, timeout_s=PATIENCE_S)


def _wait_until_journal_holds(db: Path, marker: bytes) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while marker not in db.read_bytes():
        assert time.monotonic() < deadline, f"the journal never held {marker!r}"
        time.sleep(0.01)


def _kill_after(db: Path, held: str, durable: bytes, counted: bytes) -> None:
    """Run the follow-ups in a process of their own and SIGKILL it once the one starting with
    `held` is durable (`durable` is in the journal) and before the count applied is stored."""
    code = ("import sys\nfrom tests.functional.test_follow_ups_after_a_crash import "
            "run_follow_ups_holding_after as run\nrun(sys.argv[1], sys.argv[2])\n")
    run = subprocess.Popen([sys.executable, "-c", code, str(db), held], cwd=ROOT,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        while not (line := run.stdout.readline()).startswith(held):
            assert line, run.stderr.read() if run.poll() is not None else "the output ended"
        _wait_until_journal_holds(db, durable)
        run.send_signal(signal.SIGKILL)
        assert run.wait(timeout=PATIENCE_S) == -signal.SIGKILL
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        run.communicate()
    assert counted not in db.read_bytes(), "the kill came after the count was stored"


def test_a_retry_done_just_before_a_kill_is_not_done_again(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "s.db"
    create_database(db, parse_scenario(WORLD, "test"))
    _kill_after(db, "then retry o-1: Order o-1: attempt 2 started at inventory.", RETRY_DURABLE,
                b'"then_applied":2')

    status, out, err = cli("report", "--db", db, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["follow_ups"] == ["then retry o-1: applied before the process stopped."]
    order = report["orders"][0]
    assert (order["status"], order["attempts"]) == ("failed", 2)


def test_an_edit_done_just_before_a_kill_is_not_done_again(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "e.db"
    world = {**WORLD, "then": [{"edit": {"order": "o-1", "ship_to": "2 Oak Ave"}}]}
    create_database(db, parse_scenario(world, "test"))
    _kill_after(db, "then edit o-1", EDIT_DURABLE, b'"then_applied":1')

    status, out, err = cli("report", "--db", db, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["follow_ups"] == ['then edit o-1 (ship to "2 Oak Ave"): applied before the process stopped.']
    assert report["orders"][0]["version"] == 2
