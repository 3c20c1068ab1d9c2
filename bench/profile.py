"""Where ordersaga's throughput run spends its time: a py-spy profile and its top functions.

    make profile
    python -m bench.profile [--orders N] [--idle] [--rate HZ]

Records the run of `python -m bench.throughput --child-paused N` (from the database
opening to the last order settled, not the building of its input) under py-spy into
bench/out/throughput.speedscope.json (open it at https://www.speedscope.app),
then prints the functions with the most own time (samples in which they were
the innermost frame), summed over every thread. py-spy needs ptrace: root, or
a kernel that lets a process trace its own children.

By default only threads that hold the GIL are sampled: the engine's actors
share one interpreter, so that is where its CPU goes. --idle samples every
thread, waiting ones too (fsync, queue waits), to see what they wait on.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import IO

from bench.common import ROOT

OUT = ROOT / "bench" / "out"
TOP = 15
# How long py-spy may take to attach to the paused run (it says when it has).
ATTACH_TIMEOUT_S = 30.0


def sampling_started(spy: subprocess.Popen[str], spy_says: IO[str]) -> bool:
    """Wait until py-spy says it samples the process (it has attached), or has ended."""
    deadline = time.monotonic() + ATTACH_TIMEOUT_S
    while spy.poll() is None and time.monotonic() < deadline:
        spy_says.seek(0)
        if "Sampling process" in spy_says.read():
            return True
        time.sleep(0.05)
    return False


def record(orders: int, rate: int, idle: bool) -> Path:
    """Profile the run of `python -m bench.throughput --child-paused N`: py-spy attaches once the
    database is built and stops once the last order settled, so the profile is the engine's run."""
    py_spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if py_spy is None:
        sys.exit("py-spy is not installed: pip install -e '.[bench]' (or make profile) installs it.")
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "throughput.speedscope.json"
    path.unlink(missing_ok=True)
    child = subprocess.Popen([sys.executable, "-m", "bench.throughput", "--child-paused", str(orders)],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    if child.stdout.readline().strip() != "ready":
        sys.exit(f"the throughput run stopped before its database was built (exit status {child.wait()}).")
    mode = ["--idle"] if idle else ["--gil"]
    with tempfile.TemporaryFile("w+") as spy_says:  # a file, not a pipe: nothing blocks py-spy
        spy = subprocess.Popen([py_spy, "record", "--format", "speedscope", "--output", str(path),
                                "--rate", str(rate), *mode, "--pid", str(child.pid)],
                               stdout=spy_says, stderr=subprocess.STDOUT, text=True)
        sampling = sampling_started(spy, spy_says)
        if sampling:
            child.stdin.write("go\n")
            child.stdin.flush()
        settled = sampling and child.stdout.readline().strip() == "settled"
        spy.send_signal(signal.SIGINT)  # py-spy writes what it sampled and ends
        spy.wait(timeout=60)
        child.stdin.close()  # the run goes on past any pause, to its end
        output = child.stdout.read()
        status = child.wait()
        spy_says.seek(0)
        last = (spy_says.read().strip().splitlines() or ["no message"])[-1]
    if status != 0 or not settled or not path.exists():
        sys.exit(f"py-spy could not profile the run (exit statuses {status} and {spy.returncode}): {last}")
    figures = json.loads(next(line for line in reversed(output.splitlines()) if line.startswith("{")))
    print(f"{orders:,} orders at {figures['orders_per_s']:,.0f} orders/s while sampled "
          f"(load {figures['load']:.2f}; sampling slows the run)")
    return path


def own_time(path: Path) -> tuple[Counter[tuple[str, str]], float, float]:
    """Seconds per function (name, file) as the innermost frame, the seconds sampled in all,
    and the seconds spent importing modules (start-up, left out of the functions' times)."""
    profile = json.loads(path.read_text())
    frames = profile["shared"]["frames"]
    importing = {index for index, frame in enumerate(frames) if frame["name"] == "_find_and_load"}
    seconds: Counter[tuple[str, str]] = Counter()
    total = start_up = 0.0
    for thread in profile["profiles"]:
        for stack, weight in zip(thread["samples"], thread["weights"], strict=True):
            total += weight
            if importing.intersection(stack):
                start_up += weight
            elif stack:  # the innermost frame is the last
                frame = frames[stack[-1]]
                seconds[(frame["name"], frame.get("file") or "?")] += weight
    return seconds, total, start_up


def short(file: str) -> str:
    """A file path without the prefix every line would share."""
    paths = sysconfig.get_paths()
    for prefix in (f"{paths['purelib']}/", f"{paths['stdlib']}/", f"{ROOT}/"):
        if file.startswith(prefix):
            return file.removeprefix(prefix)
    return file


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders in the run (default 5000)")
    parser.add_argument("--rate", type=int, default=100, help="samples per second (default 100)")
    parser.add_argument("--idle", action="store_true",
                        help="sample waiting threads too, not only the one holding the GIL")
    arguments = parser.parse_args()
    if arguments.orders < 1 or arguments.rate < 1:
        parser.error("--orders and --rate must be at least 1")
    path = record(arguments.orders, arguments.rate, arguments.idle)
    seconds, total, start_up = own_time(path)
    print(f"Profile: {path} ({'every thread, waiting too' if arguments.idle else 'the GIL holder'}; "
          f"{total:.1f} s sampled, {start_up:.1f} s of it importing modules, left out below)")
    print(f"Top {TOP} functions by own time (share of the samples after start-up):")
    for (name, file), spent in seconds.most_common(TOP):
        print(f"  {spent:6.2f} s {spent / (total - start_up):6.1%}  {name}  ({short(file)})")


if __name__ == "__main__":
    main()
