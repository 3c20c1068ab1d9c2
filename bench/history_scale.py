"""What a person with a long history sees: every command's cost against the orders stored.

    .venv/bin/python -m bench.history_scale [--sizes 1000,10000,100000] [--keep DIR]

For each size it builds (or reuses, with --keep) a database of settled orders
(bench/history_builder.py writes them directly), then measures, each in a fresh
process: opening the engine until it is ready and that process's peak RSS, and
the wall time of each command a person types, from its start to its exit. A
figure under 10 s is the median of 3 runs, a longer one a single run; beside
each is the 1-minute load average when it started (the machine may be shared).
The goals are for 100,000 stored orders.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.__main__ import machine
from bench.common import USERS_ENVIRONMENT
from bench.history_builder import cached, database_files, middle_order

ROOT = Path(__file__).resolve().parent.parent
ORDERSAGA = Path(sys.executable).with_name("ordersaga")
REPEAT_UNDER_S = 10.0
GOAL_SIZE = 100_000
MB = 1024  # ru_maxrss is in KiB on Linux
# Opens the engine in a fresh process tuned as a command's own is (app/collector.py);
# imports are done before the clock starts.
OPEN_PROBE = ("import sys; from pathlib import Path; from app import collector\n"
              "with collector.importing():\n    from bench.history_builder import open_until_ready\n"
              "print(open_until_ready(Path(sys.argv[1])))")


@dataclass(frozen=True)
class Run:
    """One process: its wall time from start to exit, its peak RSS, exit status and output."""

    wall_s: float
    peak_rss_mb: float
    status: int
    load: float
    output: str
    errors: str = ""


@dataclass(frozen=True)
class Figure:
    name: str
    runs: list[Run]
    note: str = ""

    @property
    def median(self) -> Run:
        return sorted(self.runs, key=lambda run: run.wall_s)[len(self.runs) // 2]

    def line(self) -> str:
        run = self.median
        how = f"median of {len(self.runs)}" if len(self.runs) > 1 else "1 run"
        spread = ", ".join(f"{r.wall_s:.2f}" for r in self.runs)
        loads = ", ".join(f"{r.load:.2f}" for r in self.runs)
        return (f"  {self.name:<26} {run.wall_s:8.2f} s  peak RSS {run.peak_rss_mb:7.0f} MB  "
                f"({how}: {spread} s; load {loads}){self.note}")


def run_process(argv: Sequence[str], capture: bool = False) -> Run:
    """Run argv to its exit; stdout to /dev/null unless captured. Its own rusage, by wait4."""
    with tempfile.TemporaryFile() as out:
        load = os.getloadavg()[0]
        started = time.perf_counter()
        process = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, env=USERS_ENVIRONMENT,
                                   stdout=out if capture else subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert process.stderr is not None
        errors = process.stderr.read()  # small; read so the child never blocks on a full pipe
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        process.stderr.close()
        out.seek(0)
        output = out.read().decode() if capture else ""
    return Run(wall, usage.ru_maxrss / MB, process.returncode, load, output, errors.decode())


def measure(name: str, argv: Sequence[str], capture: bool = False, note: str = "") -> Figure:
    """Median of 3 runs when one takes under REPEAT_UNDER_S, else the one run."""
    runs = [run_process(argv, capture)]
    if runs[0].wall_s < REPEAT_UNDER_S:
        runs += [run_process(argv, capture) for _ in range(2)]
    return Figure(name, runs, note)


def has_list_limit() -> bool:
    shown = subprocess.run([str(ORDERSAGA), "list", "--help"], capture_output=True, text=True, check=False)
    return "--limit" in shown.stdout


def measure_size(folder: Path, orders: int) -> dict[str, Figure]:
    started = time.perf_counter()
    path, built = cached(folder, orders)
    took = f"built in {time.perf_counter() - started:.1f} s" if built else "reused"
    built_as = _files(path)
    order = middle_order(orders)
    print(f"\n{orders:,} settled orders: {path} ({took})", flush=True)
    total = sum(size for size, _, _ in built_as.values())
    print(f"  on disk {total / 1e6:,.1f} MB, {total / orders:,.0f} bytes per order: "
          + "; ".join(f"{name} {size / 1e6:,.1f} MB in {lines:,} lines"
                      for name, (size, lines, _) in built_as.items()), flush=True)
    db = ["--db", str(path)]
    cli = [str(ORDERSAGA)]
    limit = has_list_limit()
    listing = ["list", "--limit", "50"] if limit else ["list"]
    figures: dict[str, Figure] = {}
    for key, name, argv, capture, note in (
        ("open", "open (Engine.open to ready)", [sys.executable, "-c", OPEN_PROBE, str(path)], True, ""),
        ("status", f"status {order}", cli + ["status", order] + db, False, ""),
        ("history", f"history {order}", cli + ["history", order] + db, False, ""),
        ("list", " ".join(listing), cli + listing + db, False,
         "" if limit else "  [no --limit yet: the whole list]"),
        ("report", "report --json", cli + ["report", "--json"] + db, False, ""),
        ("audit", "audit", cli + ["audit"] + db, True, ""),
    ):
        figure = measure(name, argv, capture, note)
        failed = [run for run in figure.runs if run.status != 0]
        if failed:
            sys.exit(f"history_scale: `{' '.join(argv)}` exited {failed[0].status}: "
                     f"{failed[0].errors.strip()[-500:]}")
        if key == "open":  # the probe prints the open's own time; the process also started Python
            process_s = figure.median.wall_s
            figure = Figure(figure.name, [Run(float(run.output.split()[0]), run.peak_rss_mb, 0, run.load, "")
                                          for run in figure.runs],
                            f"  [the whole process, with imports and close: {process_s:.2f} s]")
        figures[key] = figure
        print(figure.line(), flush=True)
    verdict = figures["audit"].median.output.strip().splitlines()[-1]
    print(f"  audit says: {verdict}", flush=True)
    if not verdict.endswith("audited, 0 findings"):
        sys.exit("history_scale: the built database is not clean; the builder is wrong, not the commands.")
    if _files(path) != built_as:
        print("  note: the commands wrote to the database (a settled one was expected to stay as built)")
    return figures


def _files(path: Path) -> dict[str, tuple[int, int, int]]:
    """Each file of the database by its kind (journal, archive, index): bytes, lines, mtime."""
    found = {}
    for part in database_files(path):
        kind = part.name[len(path.name):].lstrip(".") or "journal"
        with open(part, "rb") as handle:
            lines = sum(1 for _ in handle)
        found[kind] = (part.stat().st_size, lines, part.stat().st_mtime_ns)
    return found


GOALS: tuple[tuple[str, str, float, str], ...] = (
    ("open", "open", 1.0, "s"),
    ("open", "peak RSS of the open", 300.0, "MB"),
    ("status", "status", 0.5, "s"),
    ("history", "history", 0.5, "s"),
    ("list", "list --limit 50", 1.0, "s"),
    ("audit", "audit", 15.0, "s"),
    ("report", "report --json", 20.0, "s"),
)


def goals_table(orders: int, figures: dict[str, Figure]) -> str:
    lines = [f"\nGoals at {GOAL_SIZE:,} stored orders"
             + ("" if orders == GOAL_SIZE else f" (measured at {orders:,}, the largest size run)")]
    lines.append(f"  {'measure':<22} {'goal':>10} {'figure':>11}  verdict")
    for key, name, goal, unit in GOALS:
        run = figures[key].median
        value = run.peak_rss_mb if unit == "MB" else run.wall_s
        note = figures[key].note.strip() if key == "list" else ""
        verdict = "met" if value < goal else "MISSED"
        shown = f"{value:.0f}" if unit == "MB" else f"{value:.2f}"
        lines.append(f"  {name:<22} {'< ' + f'{goal:g} {unit}':>10} {shown:>8} {unit:<2}  "
                     f"{verdict:<6} (load {run.load:.2f}) {note}")
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    try:
        sizes = [int(part.replace("_", "")) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--sizes takes whole numbers separated by commas, e.g. 1000,10000 (got {text!r})") from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"--sizes must each be at least 1 (got {text!r})")
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.history_scale", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=parse_sizes, default=[1000, 10_000, 100_000],
                        help="stored orders per database, e.g. 1000,10000 (default 1000,10000,100000)")
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="build the databases in DIR and reuse those already there (default: a "
                             "temporary folder, removed afterwards)")
    args = parser.parse_args(argv)
    if not ORDERSAGA.exists():
        parser.error(f"run it with the project's virtualenv python: {ORDERSAGA} is missing")
    print(machine(), flush=True)
    print("Every figure is one process from start to exit (open: from Engine.open to ready, in its own "
          "process); databases of settled orders written directly by bench/history_builder.py", flush=True)
    results: dict[int, dict[str, Figure]] = {}
    with tempfile.TemporaryDirectory(prefix="ordersaga-history-", dir=os.environ.get("BENCH_DIR")) as temp:
        folder = args.keep or Path(temp)
        for orders in args.sizes:
            results[orders] = measure_size(folder, orders)
    largest = max(results)
    print(goals_table(largest, results[largest]))
    print("\nAs JSON (median seconds; the open's peak RSS in MB):")
    print(json.dumps({str(n): {**{key: round(f.median.wall_s, 3) for key, f in figures.items()},
                               "open_peak_rss_mb": round(figures["open"].median.peak_rss_mb)}
                      for n, figures in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
