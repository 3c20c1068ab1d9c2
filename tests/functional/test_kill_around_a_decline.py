"""kill -9 around a declined payment: the decline stays a decline. The payment participant
records its answer before replying, so the command asked again after the restart is answered
from that record, not evaluated afresh with the scripted fault used up (which charged the card)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.invariants import assert_invariants

Cli = Callable[..., tuple[int, str, str]]
COMMAND = [sys.executable, "-m", "app"]
DECLINED = "Card declined by issuer"

# Slow replies: each answer is on its way for hundreds of milliseconds after it is recorded.
SCENARIO = f"""
name = "A declined card, slowly"
[latency_ms]
inventory = 200
payment = 400
[stock]
DESK = 3
[accounts]
dave = 100000
[[orders]]
id = "o-1"
customer = "dave"
ship_to = "9 Oak Ave, Capital City"
items = [{{ sku = "DESK", quantity = 2, price_cents = 4999 }}]
[[faults]]
service = "payment"
order = "o-1"
kind = "error"
reason = "{DECLINED}"
recoverable = false
"""

# Each moment: what the journal holds by then (documents are written as compact JSON), and
# the command the resumed run asks again because its answer was not recorded.
MOMENTS = {
    # The coordinator sent the charge; the participant may or may not have declined it yet.
    "payment started": (b'"step":"payment","action":"execute","outcome":"started"',
                        ("payment", "execute")),
    # The participant's decline (the fault's firing) is durable; its reply is still on its way.
    "decline recorded, not answered": (b'"faults/payment"', ("payment", "execute")),
    # The coordinator has the decline; the release of the reservation is under way.
    "decline answered": (b'"step":"payment","action":"execute","outcome":"failed"',
                         ("inventory", "compensate")),
}


def _kill_once_journal_holds(process: subprocess.Popen[bytes], db: Path, marker: bytes) -> None:
    """SIGKILL the process as soon as its journal holds marker."""
    while marker not in (db.read_bytes() if db.exists() else b""):
        assert process.poll() is None, f"the run ended before its journal held {marker!r}"
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the run finished before it was killed"


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_kill_around_a_declined_payment_keeps_the_order_declined(tmp_path: Path, cli: Cli,
                                                                   moment: str) -> None:
    scenario, db = tmp_path / "declined.toml", tmp_path / "declined.db"
    scenario.write_text(SCENARIO)
    run = subprocess.Popen([*COMMAND, "run", str(scenario), "--db", str(db)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    marker, asked_again = MOMENTS[moment]
    try:
        _kill_once_journal_holds(run, db, marker)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    resumed = subprocess.run([*COMMAND, "report", "--db", str(db), "--json"],
                             capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    report: dict[str, Any] = json.loads(resumed.stdout)

    order = report["orders"][0]
    assert (order["status"], order["failure"]) == (
        "failed", {"step": "payment", "reason": DECLINED, "recoverable": False})
    assert [(e["step"], e["action"]) for e in order["timeline"]
            if e["reason"] == "asked again after a restart"] == [asked_again]
    assert report["charges"] == []
    assert report["accounts"]["dave"]["balance_cents"] == 100000
    assert_invariants(report)
    status, out, err = cli("audit", "--db", db)
    assert status == 0, out + err
