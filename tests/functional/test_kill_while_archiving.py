"""kill -9 at the moments the history is moved: after the archive is synced but before the
journal drops what it now holds, and around the rename that swaps in a compacted journal.

Each run is a real process killed by SIGKILL at that exact moment (a patched call sends it),
then the next command resumes the database: every order is there once, settled, and the
stock and money balance to the cent and the unit.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bench.mixed_scenario import mixed_world, to_toml
from tests.invariants import assert_invariants

Cli = Callable[..., tuple[int, str, str]]
ORDERS = 400  # enough to archive in batches while others still run

# Runs `ordersaga run SCENARIO --db DB`, killing itself with SIGKILL at the moment named.
_KILLED_RUN = """
import os, signal, sys
import storage.journal
from storage.journal import JournalStorage
from storage.store import DocumentStore

moment, scenario, db = sys.argv[1:4]

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if moment == "archive synced, journal not yet":
    sync = DocumentStore._sync_archive
    def sync_then_die(self):
        archiving = self._archive is not None and bool(self._archive.pending)
        sync(self)
        if archiving:
            die()
    DocumentStore._sync_archive = sync_then_die
else:  # the rename of a compaction, not that of the database's creation
    storage.journal.COMPACT_MIN_BYTES = 64 * 1024  # compacted within this short run
    compact, replace = JournalStorage.compact, os.replace
    compacting = []
    def compact_and_die(self):
        compacting.append(True)
        compact(self)
    def replace_around_death(source, target):
        if not compacting:
            return replace(source, target)
        if moment == "compacted, not yet renamed":
            die()
        replace(source, target)
        die()
    JournalStorage.compact = compact_and_die
    os.replace = replace_around_death

from app.cli import main
sys.exit(main(["run", scenario, "--db", db]))
"""


@pytest.mark.parametrize("moment", ["archive synced, journal not yet", "compacted, not yet renamed",
                                    "compacted and renamed"])
def test_a_kill_while_the_history_moves_loses_and_doubles_nothing(tmp_path: Path, cli: Cli,
                                                                  moment: str) -> None:
    db = tmp_path / "moved.db"
    scenario = tmp_path / "mixed.toml"
    scenario.write_text(to_toml(mixed_world(ORDERS, seed=5, latency_ms={"inventory": 0, "payment": 0,
                                                                         "shipping": 0})))
    killed = subprocess.run([sys.executable, "-c", _KILLED_RUN, moment, str(scenario), str(db)],
                            capture_output=True, text=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, f"the run was never at {moment!r}: {killed.stderr}"

    status, out, err = cli("report", "--db", db, "--json")
    assert status == 0, err
    report: dict[str, Any] = json.loads(out)
    assert sorted(order["id"] for order in report["orders"]) == sorted(f"o-{n}" for n in range(1, ORDERS + 1))
    assert_invariants(report)  # all settled; stock and money conserved; nothing orphaned; one confirmation
    captured = Counter(c["order"] for c in report["charges"] if c["status"] == "captured")
    assert max(captured.values()) == 1  # no customer charged twice for one order
    status, out, err = cli("audit", "--db", db)  # the effects match each participant's ledger
    assert status == 0, out + err
