"""An engine embedded in a host program leaves the host's process as the host set it up: the
garbage collector's tuning is the `ordersaga` command's own choice (app/collector.py), made
at its entry points, never by opening an engine or reading a database."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HOST = """
import gc, json, sys
from actors import Engine, create_database, open_reader
from app.scenario import load_scenario

gc.set_threshold(700, 10, 10)
before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
path = sys.argv[1]
create_database(path, load_scenario("demo"))
with Engine.open(path) as engine:
    engine.wait_until_settled(timeout_s=60)
    engine.summaries()
    settled = len(engine.snapshot().records)
reader = open_reader(path)
reader.snapshot()
reader.summaries()
after = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
print(json.dumps({"before": before, "after": after, "settled": settled}))
"""


def test_opening_an_engine_leaves_the_hosts_garbage_collector_alone(tmp_path: Path) -> None:
    shown = subprocess.run([sys.executable, "-c", HOST, str(tmp_path / "host.db")],
                           capture_output=True, text=True, timeout=120, check=True)
    seen = json.loads(shown.stdout)
    assert seen["settled"] > 0
    assert seen["after"] == seen["before"] == [True, [700, 10, 10], 0]


def test_a_command_runs_without_the_collector_and_a_worker_with_it_tuned() -> None:
    """A command keeps all it loads until it exits, so it runs without the collector; a process
    that keeps running collects, its youngest generation less often."""
    probe = ("import gc, runpy, sys; sys.argv = ['ordersaga', '--help']\n"
             "try:\n    runpy.run_module('app', run_name='__main__')\nexcept SystemExit:\n    pass\n"
             "print(gc.isenabled(), gc.get_freeze_count() > 0, file=sys.stderr)\n"
             "from app import collector\ncollector.keep_running()\n"
             "print(gc.isenabled(), gc.get_threshold()[0], file=sys.stderr)")
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert shown.stderr.split()[-4:] == ["False", "True", "True", "100000"]
