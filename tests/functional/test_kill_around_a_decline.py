"""kill -9 around a declined payment: the decline stays a decline. The payment participant
records its answer before replying, so the command asked again after the restart is answered
from that record, not evaluated afresh with the scripted fault used up (which charged the card)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.invariants import assert_invariants

Cli = Callable[..., tuple[int, str, str]]
COMMAND = [sys.executable, "-m", "app"]
DECLINED = "Card declined by issuer"

SCENARIO = f"""
name = "A declined card"
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

# Each moment: what the line the run dies after holds (documents are written as compact JSON),
# and the command the resumed run asks again because its answer was not recorded.
MOMENTS = {
    # The coordinator has recorded the charge as started; it dies before sending it.
    "payment started": (b'"step":"payment","action":"execute","outcome":"started"',
                        ("payment", "execute")),
    # The participant's decline (the fault's firing) is durable; it dies before replying.
    "decline recorded, not answered": (b'"faults/payment"', ("payment", "execute")),
    # The coordinator has recorded the decline and the release of the reservation; it dies
    # before asking for the release.
    "decline answered": (b'"step":"payment","action":"execute","outcome":"failed"',
                         ("inventory", "compensate")),
}


# Runs `ordersaga run SCENARIO --db DB`, killing itself with SIGKILL as soon as a line holding
# MARKER is in its journal (written and synced), before anything acts on that line: the moment
# is the same on any machine, where a kill sent from outside must land before the next answer.
_KILLED_RUN = """
import os, signal, sys
from storage.journal import JournalStorage

marker, scenario, db = sys.argv[1].encode(), sys.argv[2], sys.argv[3]
append = JournalStorage._append

def append_then_die(self, line):
    append(self, line)
    if marker in line:
        os.kill(os.getpid(), signal.SIGKILL)

JournalStorage._append = append_then_die
from app.cli import main
sys.exit(main(["run", scenario, "--db", db]))
"""


@pytest.mark.parametrize("moment", MOMENTS)
def test_a_kill_around_a_declined_payment_keeps_the_order_declined(tmp_path: Path, cli: Cli,
                                                                   moment: str) -> None:
    scenario, db = tmp_path / "declined.toml", tmp_path / "declined.db"
    scenario.write_text(SCENARIO)
    marker, asked_again = MOMENTS[moment]
    killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, marker.decode(), str(scenario), str(db)],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, f"the run never had {marker!r} in its journal: {killed.stderr}"
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
