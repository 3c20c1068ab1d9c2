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
RETRY_LINE = "then retry o-1: Order o-1: attempt 2 started at inventory."
# The journal line that makes the retry's new attempt durable (documents are compact JSON).
RETRY_DURABLE = b'"attempt":2,"step":"inventory","action":"execute","outcome":"started"'
FOLLOW_UPS_COUNTED = b'"then_applied":2'


def run_follow_ups_holding_after_the_retry(db: str) -> None:
    """In the process to be killed: apply the follow-ups as `ordersaga run` does, printing each
    line as it is reported; after the retry's, wait for stdin to close (it never does before
    the kill), so the process stops between the retry and the count of follow-ups applied."""

    def report(line: str) -> None:
        print(line, flush=True)
        if line.startswith("then retry"):
            sys.stdin.read()

    with Engine.open(db) as engine:
        engine.run_follow_ups(report, timeout_s=PATIENCE_S)


def _wait_until_journal_holds(db: Path, marker: bytes) -> None:
    deadline = time.monotonic() + PATIENCE_S
    while marker not in db.read_bytes():
        assert time.monotonic() < deadline, f"the journal never held {marker!r}"
        time.sleep(0.01)


def test_a_retry_done_just_before_a_kill_is_not_done_again(tmp_path: Path, cli: Cli) -> None:
    db = tmp_path / "s.db"
    create_database(db, parse_scenario(WORLD, "test"))
    code = ("import sys\nfrom tests.functional.test_follow_ups_after_a_crash import "
            "run_follow_ups_holding_after_the_retry as run\nrun(sys.argv[1])\n")
    run = subprocess.Popen([sys.executable, "-c", code, str(db)], cwd=ROOT, stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert run.stdout is not None
        lines = [run.stdout.readline().rstrip("\n") for _ in range(2)]
        assert lines[1] == RETRY_LINE, (lines, run.stderr.read() if run.poll() is not None else "")
        _wait_until_journal_holds(db, RETRY_DURABLE)
        run.send_signal(signal.SIGKILL)
        assert run.wait(timeout=PATIENCE_S) == -signal.SIGKILL
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        run.communicate()
    assert FOLLOW_UPS_COUNTED not in db.read_bytes(), "the kill came after the count was stored"

    status, out, err = cli("report", "--db", db, "--json")
    assert status == 0, err
    report = json.loads(out)
    assert report["follow_ups"] == ["then retry o-1: applied before the process stopped."]
    order = report["orders"][0]
    assert (order["status"], order["attempts"]) == ("failed", 2)
