"""`make run` keeps the operator's work: it loads the demo only into a database
that does not exist yet; `make demo` starts the demo afresh."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_loads_the_demo_only_into_a_new_database_and_make_demo_always(tmp_path: Path) -> None:
    def dry_run(target: str) -> str:
        """The command make would run last for target, with the venv in tmp_path."""
        done = subprocess.run(["make", "-n", "--no-print-directory", "-C", str(ROOT), target,
                               f"VENV={tmp_path}"],
                              capture_output=True, text=True, check=True)
        return done.stdout.strip().splitlines()[-1].strip()

    dashboard_command = f"{tmp_path}/bin/ordersaga dashboard --db {tmp_path}/demo.db"
    assert dry_run("run") == f"{dashboard_command} demo"
    (tmp_path / "demo.db").write_text("")
    assert dry_run("run") == dashboard_command
    assert dry_run("demo") == f"{dashboard_command} demo"
