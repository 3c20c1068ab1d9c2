"""`ordersaga dashboard` as a person starts it: its own process on a terminal, on a database
file and on a PostgreSQL URL. It shows the orders, opens a dialog, quits with `q` and exit
status 0, and no password of the URL reaches the screen."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from actors import create_database
from app.scenario import load_scenario
from tests.postgres_server import database

ROOT = Path(__file__).resolve().parents[2]
_WAIT_S = 60  # only to fail rather than hang
# Escape sequences: CSI, OSC, the string kinds, and the two-character ones.
_ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|[@-Z\\-_])")


class Terminal:
    """A process on a pseudo-terminal of 100x30: what it has shown so far (escapes dropped),
    and keys typed to it."""

    def __init__(self, *args: str) -> None:
        self._controller, terminal = pty.openpty()
        fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        self.process = subprocess.Popen([sys.executable, "-m", "app", *args], cwd=ROOT, stdin=terminal,
                                        stdout=terminal, stderr=terminal, start_new_session=True,
                                        env=dict(os.environ, TERM="xterm-256color"))
        os.close(terminal)
        self._shown = b""

    @property
    def shown(self) -> str:
        return _ESCAPES.sub(b"", self._shown).decode(errors="replace")

    def _read(self, seconds: float) -> bool:
        """Take what it wrote within seconds; False once it has closed the terminal."""
        ready, _, _ = select.select([self._controller], [], [], seconds)
        if ready:
            try:
                self._shown += os.read(self._controller, 65536)
            except OSError:  # every copy of the terminal closed: the process has ended
                return False
        return True

    def wait_for(self, text: str, since: int = 0) -> None:
        """Until it shows text (after the first `since` characters it showed)."""
        deadline = time.monotonic() + _WAIT_S
        while text not in self.shown[since:]:
            if not self._read(0.1) or time.monotonic() > deadline:
                pytest.fail(f"the screen never showed {text!r}; it showed:\n{self.shown[-3000:]}")

    def type(self, keys: str) -> None:
        os.write(self._controller, keys.encode())

    def exit_status(self) -> int:
        """Its exit status, reading its screen meanwhile (a full terminal would hold it up)."""
        deadline = time.monotonic() + _WAIT_S
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read(0.1)
        while self._read(0.1) and time.monotonic() < deadline:
            pass
        return self.process.wait(timeout=1)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self._controller)


def _open_load_and_quit(db: str) -> Terminal:
    """The dashboard on db: its orders shown, the load dialog (which names the database)
    opened and closed, then q."""
    terminal = Terminal("dashboard", "--db", db)
    try:
        terminal.wait_for("q Quit")
        terminal.type("l")
        terminal.wait_for("Loading replaces everything in")
        closing = len(terminal.shown)
        terminal.type("\x1b")
        # The list drawn again where the dialog was: Escape was read alone, not as Alt with a q.
        terminal.wait_for("alice", since=closing)
        terminal.type("q")
        assert terminal.exit_status() == 0, terminal.shown[-3000:]
    finally:
        terminal.close()
    assert "Traceback" not in terminal.shown, terminal.shown[-3000:]
    return terminal


def test_the_dashboard_on_a_database_file_opens_and_quits(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    create_database(db, load_scenario("demo"))
    shown = _open_load_and_quit(str(db)).shown
    assert "shop.db" in shown


@pytest.mark.postgres
def test_the_dashboard_on_postgresql_opens_and_quits_and_never_shows_the_password(postgres_server: object) -> None:
    url = database(postgres_server, "dashboard_process")
    create_database(url, load_scenario("demo"))  # no worker: the orders wait, the dashboard shows them
    with_password = f"{url}&password=hunter2"  # the suite's server trusts local connections: it is not checked
    shown = _open_load_and_quit(with_password).shown
    assert "hunter2" not in shown and "password=***" in shown
