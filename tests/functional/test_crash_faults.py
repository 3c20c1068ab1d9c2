"""The scenario's `crash` fault at every step and every compensation: the process dies as
the participant receives the command, and the next command finishes the saga right."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.invariants import assert_invariants

COMMAND = [sys.executable, "-m", "app"]

WORLD = """
name = "crash at {service} {action}"
[stock]
DESK = 3
[accounts]
ivan = 100000
[[orders]]
id = "o-1"
customer = "ivan"
ship_to = "4 Elm St"
items = [{{ sku = "DESK", quantity = 2, price_cents = 20000 }}]
[[faults]]
service = "{service}"
action = "{action}"
kind = "crash"
"""
# What makes each compensation happen: a later step that fails.
CAUSE = {
    "inventory": '[[faults]]\nservice = "payment"\nkind = "error"\nreason = "Card declined"\nrecoverable = false\n',
    "payment": '[[faults]]\nservice = "shipping"\nkind = "error"\nreason = "No carrier"\nrecoverable = false\n',
    # Shipping is the last step: it is compensated only when its outcome is unknown.
    "shipping": '[[faults]]\nservice = "shipping"\nkind = "timeout"\ntimes = 4\n',
}
CASES = [(service, action) for service in ("inventory", "payment", "shipping")
         for action in ("execute", "compensate")]


def _scenario(tmp_path: Path, service: str, action: str) -> Path:
    text = WORLD.format(service=service, action=action)
    if action == "compensate":
        text += CAUSE[service]
    path = tmp_path / "crash.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("service", "action"), CASES)
def test_a_crash_at_each_step_and_compensation_is_recovered(tmp_path: Path, service: str,
                                                            action: str) -> None:
    db = tmp_path / "crash.db"
    run = subprocess.run([*COMMAND, "run", str(_scenario(tmp_path, service, action)), "--db", str(db)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == -9, run.stderr
    assert f"injected crash at {service} {action} of o-1" in run.stderr
    resumed = subprocess.run([*COMMAND, "report", "--db", str(db), "--json"],
                             capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stderr
    report: dict[str, Any] = json.loads(resumed.stdout)
    assert_invariants(report)

    order = report["orders"][0]
    asked_again = [(e["step"], e["action"]) for e in order["timeline"]
                   if e["reason"] == "asked again after a restart"]
    assert asked_again == [(service, action)]
    live = {kind: [entry["status"] for entry in report[kind]]
            for kind in ("reservations", "charges", "shipments")}
    if action == "execute":
        assert order["status"] == "completed"
        assert live == {"reservations": ["held"], "charges": ["captured"], "shipments": ["created"]}
        assert report["stock"]["DESK"]["available"] == 1
        assert report["accounts"]["ivan"]["balance_cents"] == 60000
    else:
        assert order["status"] == "failed"
        assert [s["status"] for s in order["steps"] if s["name"] == service] == ["compensated"]
        assert "held" not in live["reservations"] and "captured" not in live["charges"]
        assert "created" not in live["shipments"]
        assert report["stock"]["DESK"]["available"] == 3
        assert report["accounts"]["ivan"]["balance_cents"] == 100000
