"""What a person sees of the dashboard: a key pressed in a real terminal until the screen shows it.

    .venv/bin/python -m bench.dashboard_tmux DB [SCENARIO] [--presses 20]
    .venv/bin/python -m bench.dashboard_tmux DB --mixed 1000      (orders in flight throughout)

Runs `ordersaga dashboard --db DB [SCENARIO]` in a detached tmux session of 120x35
and reads its screen with `tmux capture-pane`: from the launch until an order of
the database is on screen, then until the audit badge has its verdict (its first pass
reads every order), then, for each key, from `tmux send-keys` to the first
capture showing what the key does (Down: the next order selected; `/` then a
character: the list filtered, and Backspace: the filter gone; `o`: the list sorted
by the next column; `q`: anything, then the process's exit), and to the first
capture that differs at all. Each capture
itself costs a few ms: the floor printed first is a capture with nothing changing.

A SCENARIO is loaded and started at once, replacing what DB holds, as the dashboard
does; --mixed N writes one of N mixed orders whose services answer slowly, so they
stay in flight while the keys are pressed. The screen then also changes by itself,
so only the figures to the key's effect mean anything. A settled database of any
size: `python -m bench.history_scale --sizes N --keep DIR` builds one.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import USERS_ENVIRONMENT
from bench.history_builder import Unreadable, order_ids, scenario_order_ids
from bench.mixed_scenario import mixed_world, to_toml

ORDERSAGA = Path(sys.executable).with_name("ordersaga")
WIDTH, HEIGHT = 120, 35
SLOW_MS = {"inventory": 400, "payment": 600, "shipping": 800}
GAP_S = 0.2  # between presses, about a person's pace
TIMEOUT_S = 600.0
# What the dashboard draws, as these figures read it: update here if its wording changes.
SELECTED = re.compile(r"─Order (\S+) ·")  # the selected order's pane title
SORTED_BY = re.compile(r"· by (\w+) [↑↓]")  # the orders list's title
FILTER_OPEN = "Filter: id"  # the filter bar's placeholder
MATCHES = "match “"  # the list's title while a filter is on
EXITED = "[ordersaga exited with status"
AUDITING = "auditing…"  # the audit badge while its pass runs (a full pass reads every order)

Shows = Callable[[str], bool]


class Timeout(Exception):
    """The screen never showed what was waited for."""


class Terminal:
    """A dashboard in a tmux session on a tmux server of its own (nothing else's is touched)."""

    def __init__(self, command: list[str]) -> None:
        self.socket = f"ordersaga-bench-{os.getpid()}"
        self.command = command

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True,
                              check=False, env=USERS_ENVIRONMENT)

    def launch(self) -> None:
        # The pane stays after the dashboard exits, to read how it ended.
        shell = f"{shlex.join(self.command)}; status=$?; echo; echo '{EXITED}' $status']'; sleep 86400"
        started = self.tmux("new-session", "-d", "-s", "bench", "-x", str(WIDTH), "-y", str(HEIGHT), shell)
        if started.returncode != 0:
            sys.exit(f"dashboard_tmux: tmux could not start a session: {started.stderr.strip()}")

    def capture(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "bench").stdout

    def press(self, key: str) -> None:
        self.tmux("send-keys", "-t", "bench", key)

    def close(self) -> None:
        """Stop this tmux server and remove its socket file, which kill-server leaves behind."""
        socket = self.tmux("display-message", "-p", "#{socket_path}").stdout.strip()
        self.tmux("kill-server")
        if socket:
            Path(socket).unlink(missing_ok=True)

    def wait_until(self, shows: Shows, poll_s: float, what: str, timeout_s: float = TIMEOUT_S) -> str:
        deadline = time.perf_counter() + timeout_s
        while True:
            screen = self.capture()
            if shows(screen):
                return screen
            if EXITED in screen:
                sys.exit(f"dashboard_tmux: the dashboard exited while waiting for {what}:\n{screen.rstrip()}")
            if time.perf_counter() > deadline:
                raise Timeout(f"the screen never showed {what} within {timeout_s:.0f} s; last capture:\n"
                              f"{screen.rstrip()}")
            time.sleep(poll_s)

    def timed_press(self, key: str, shows: Callable[[str, str], bool], poll_s: float,
                    what: str) -> tuple[float, float]:
        """Seconds from send-keys to the first capture showing the key's effect, and to the
        first capture differing from the one before the press."""
        before = self.capture()
        started = time.perf_counter()
        self.press(key)
        changed: float | None = None

        def effect(screen: str) -> bool:
            nonlocal changed
            if changed is None and screen != before:
                changed = time.perf_counter() - started
            return shows(before, screen)

        self.wait_until(effect, poll_s, what)
        shown = time.perf_counter() - started
        return shown, changed if changed is not None else shown


def moved(pattern: re.Pattern[str]) -> Callable[[str, str], bool]:
    """The part of the screen pattern finds shows something else than before the press."""
    def shows(before: str, screen: str) -> bool:
        now = _found(pattern, screen)
        return now is not None and now != _found(pattern, before)
    return shows


def _found(pattern: re.Pattern[str], screen: str) -> str | None:
    match = pattern.search(screen)
    return match.group(1) if match else None


class Series:
    """The presses of one key: to the key's effect, to the first change, and the load at the start."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.load = os.getloadavg()[0]
        self.shown: list[float] = []
        self.changed: list[float] = []

    def add(self, timing: tuple[float, float]) -> None:
        self.shown.append(timing[0])
        self.changed.append(timing[1])
        time.sleep(GAP_S)

    def line(self) -> str:
        changed = f"; first change at all: median {statistics.median(self.changed) * 1000:.1f} ms"
        return milliseconds(self.name, self.shown, self.load) + changed


def milliseconds(name: str, seconds: list[float], load: float) -> str:
    ms = [s * 1000 for s in seconds]
    p95 = statistics.quantiles(ms, n=20, method="inclusive")[-1] if len(ms) > 1 else ms[0]
    return (f"  {name:<34} median {statistics.median(ms):6.1f} ms, p95 {p95:6.1f} ms, "
            f"max {max(ms):6.1f} ms (n={len(ms)}, load {load:.2f})")


def measure(terminal: Terminal, ids: set[str], presses: int, poll_s: float, character: str) -> None:
    floor = []
    for _ in range(30):
        started = time.perf_counter()
        terminal.capture()
        floor.append(time.perf_counter() - started)
    print(milliseconds("floor: capture-pane, no change", floor, os.getloadavg()[0]), flush=True)

    load = os.getloadavg()[0]
    started = time.perf_counter()
    terminal.launch()
    terminal.wait_until(lambda screen: not ids.isdisjoint(screen.split()), poll_s, "an order of the database")
    print(f"  {'launch until orders are on screen':<34} {time.perf_counter() - started:6.2f} s "
          f"(load {load:.2f})", flush=True)
    started = time.perf_counter()
    terminal.wait_until(lambda screen: AUDITING not in screen, poll_s, "the audit's verdict")
    print(f"  {'launch until the audit badge is in':<34} {time.perf_counter() - started:6.2f} s more "
          f"(load {os.getloadavg()[0]:.2f}); the keys are pressed after it", flush=True)
    print(f"  {_settle(terminal)}", flush=True)

    # Down all the way while the list is long enough; Down and Up in turn on a short one.
    long_enough = len(ids) > presses
    down = Series("Down: the next order selected" if long_enough else "Down, Up: another order selected")
    for press in range(presses):
        key = "Down" if long_enough or press % 2 == 0 else "Up"
        down.add(terminal.timed_press(key, moved(SELECTED), poll_s, "another order selected"))
    print(down.line(), flush=True)

    filtered = Series(f"/ then {character}: the list filtered")
    unfiltered = Series("Backspace: the filter gone")
    for _ in range(presses):
        terminal.press("/")
        terminal.wait_until(lambda screen: FILTER_OPEN in screen, poll_s, "the filter bar")
        filtered.add(terminal.timed_press(character, lambda _, screen: f"{MATCHES}{character}”" in screen,
                                          poll_s, "the list filtered"))
        unfiltered.add(terminal.timed_press("BSpace", lambda _, screen: MATCHES not in screen,
                                            poll_s, "the filter gone"))
        terminal.press("Enter")  # an empty filter: the bar closes and the list has the keys again
        terminal.wait_until(lambda screen: FILTER_OPEN not in screen, poll_s, "the filter bar closed")
    print(filtered.line(), flush=True)
    print(unfiltered.line(), flush=True)

    sort = Series("o: sorted by the next column")
    for _ in range(presses):
        sort.add(terminal.timed_press("o", moved(SORTED_BY), poll_s, "the list sorted"))
    print(sort.line(), flush=True)

    before = terminal.capture()
    print(f"  top line before quitting: {before.splitlines()[0].strip()}", flush=True)
    started = time.perf_counter()
    terminal.press("q")
    closing = terminal.wait_until(lambda screen: screen != before, poll_s, "the screen answering q")
    answered = time.perf_counter() - started
    ended = closing if EXITED in closing else terminal.wait_until(
        lambda screen: EXITED in screen, poll_s, "the dashboard's exit")
    status = ended[ended.index(EXITED) + len(EXITED):].split("]")[0].strip()
    print(f"  {'q until the screen changed':<34} {answered * 1000:6.1f} ms", flush=True)
    print(f"  {'q until the process exited':<34} {time.perf_counter() - started:6.2f} s "
          f"(exit status {status}, load {os.getloadavg()[0]:.2f})", flush=True)


def _settle(terminal: Terminal, quiet_s: float = 0.5, give_up_s: float = 5.0) -> str:
    """Wait for the screen to stay still (the audit badge arrives after the orders), then
    count how often it changes by itself in one second."""
    deadline = time.perf_counter() + give_up_s
    last, still_since = terminal.capture(), time.perf_counter()
    while time.perf_counter() - still_since < quiet_s and time.perf_counter() < deadline:
        time.sleep(0.02)
        screen = terminal.capture()
        if screen != last:
            last, still_since = screen, time.perf_counter()
    changes, until = 0, time.perf_counter() + 1.0
    while time.perf_counter() < until:
        time.sleep(0.02)
        screen = terminal.capture()
        changes += screen != last
        last = screen
    return f"the screen changed by itself {changes} times in 1 s before the presses"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboard_tmux",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("db", type=Path, metavar="DB", help="the database the dashboard opens")
    parser.add_argument("scenario", nargs="?", metavar="SCENARIO",
                        help="a scenario to load and start at once (replaces what DB holds)")
    parser.add_argument("--mixed", type=int, metavar="N",
                        help="load N mixed orders whose services answer slowly (replaces what DB holds)")
    parser.add_argument("--presses", type=int, default=20, help="presses of each key (default 20)")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="between captures (default 5)")
    parser.add_argument("--character", default="7", help="the filter keystroke (default 7)")
    args = parser.parse_args(argv)
    if args.scenario and args.mixed:
        parser.error("give a SCENARIO or --mixed N, not both")
    if args.presses < 2 or (args.mixed is not None and args.mixed < 1):
        parser.error("--presses must be at least 2 and --mixed at least 1")
    if len(args.character) != 1 or not args.character.isprintable() or args.character.isspace():
        parser.error(f"--character must be one printable character (got {args.character!r})")
    if not ORDERSAGA.exists():
        parser.error(f"run it with the project's virtualenv python: {ORDERSAGA} is missing")
    with tempfile.TemporaryDirectory(prefix="ordersaga-dashboard-") as folder:
        scenario = args.scenario
        if args.mixed:
            world = mixed_world(args.mixed, latency_ms=SLOW_MS)
            scenario = str(Path(folder) / f"mixed_{args.mixed}.toml")
            Path(scenario).write_text(to_toml(world))
        if not scenario and not args.db.exists():
            parser.error(f"{args.db}: no such database (give a SCENARIO or --mixed N to create it)")
        try:
            ids = set(scenario_order_ids(scenario) if scenario else order_ids(args.db))
        except Unreadable as error:
            parser.error(str(error))
        if len(ids) < 2:
            parser.error(f"{args.db}: it needs at least 2 orders to move between (it has {len(ids)})")
        what = f"{args.db}" + (f" loading {Path(scenario).name}" if scenario else "")
        print(f"Dashboard in tmux ({WIDTH}x{HEIGHT}) on {what}: {len(ids):,} orders; load average "
              + ", ".join(f"{value:.2f}" for value in os.getloadavg())
              + f"; a capture every {args.poll_ms:g} ms", flush=True)
        command = [str(ORDERSAGA), "dashboard", "--db", str(args.db.resolve())]
        if scenario:  # a path as an absolute one, a name in scenarios/ as it is
            command.append(str(Path(scenario).resolve()) if Path(scenario).exists() else scenario)
        terminal = Terminal(command)
        try:
            measure(terminal, ids, args.presses, args.poll_ms / 1000, args.character)
        except Timeout as timeout:
            sys.exit(f"dashboard_tmux: {timeout}")
        finally:
            terminal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
