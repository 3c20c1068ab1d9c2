"""A command that runs longer than a second keeps one progress line on stderr, only when stderr
is a terminal: through a pseudo-terminal it is there, through a pipe it is not."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Three orders whose payments each take 1.5 s: a run of more than a second.
SLOW = """name = "slow payments"
latency_ms = { payment = 1500 }
[stock]
KB = 10
[accounts]
bob = 100000
""" + "".join(f"""
[[orders]]
id = "o-{n}"
customer = "bob"
ship_to = "1 Main St"
items = [{{ sku = "KB", quantity = 1, price_cents = 100 }}]
""" for n in range(1, 4))


def on_a_terminal(*args: str | Path) -> tuple[int, str, str]:
    """`ordersaga ARGS` with stderr on a pseudo-terminal: (status, stdout, what the terminal got)."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "app", *map(str, args)], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=terminal, text=True)
    os.close(terminal)
    seen = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the process closed the terminal: it has ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    out, _ = process.communicate(timeout=120)
    return process.returncode, out, seen.decode(errors="replace")


def test_a_long_run_says_how_far_it_got_on_a_terminal(tmp_path: Path) -> None:
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW)
    status, out, terminal = on_a_terminal("run", scenario, "--db", tmp_path / "slow.db")
    assert status == 0 and "3 completed" in out
    assert "\rsettling " in terminal.replace("\r\x1b[K", "\r") and "/3 orders" in terminal
    assert terminal.endswith("\r\x1b[K"), "the line is cleared before the report"


def test_no_progress_line_through_a_pipe(tmp_path: Path) -> None:
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW)
    done = subprocess.run([sys.executable, "-m", "app", "run", str(scenario), "--db", str(tmp_path / "slow.db")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "3 completed" in done.stdout
    assert done.stderr == ""


def test_a_long_bulk_retry_says_how_far_it_got_on_a_terminal(tmp_path: Path) -> None:
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW.replace("bob = 100000", "bob = 0"))  # every payment short: all three fail
    db = tmp_path / "slow.db"
    assert subprocess.run([sys.executable, "-m", "app", "run", str(scenario), "--db", str(db)], cwd=ROOT,
                          capture_output=True, timeout=120).returncode == 0
    assert subprocess.run([sys.executable, "-m", "app", "top-up", "bob", "10", "--db", str(db)], cwd=ROOT,
                          capture_output=True, timeout=120).returncode == 0
    status, out, terminal = on_a_terminal("retry", "--where", "status:failed", "--yes", "--db", db)
    assert status == 0 and "Retried 3 of 3 orders" in out, out
    assert "settling " in terminal
