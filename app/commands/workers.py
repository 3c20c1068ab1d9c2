"""The commands of a PostgreSQL database's workers: run one, list them, recover a lost one's sagas."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable

from actors import OUTAGE_LIMIT, BadValue, list_workers, recover, recover_failed, run_worker
from app import collector
from app.commands.options import BadArgument
from app.signals import Interrupted

OUTAGE_LIMIT_VARIABLE = "ORDERSAGA_OUTAGE_LIMIT"  # --outage-limit's default, when set


def cmd_worker(args: argparse.Namespace) -> int:
    """Run sagas until stopped. The first SIGINT or SIGTERM drains it (no new saga; those in
    flight run on for up to --grace seconds) and it exits 0 with one line saying how many it
    handed back; a second stops it at once."""
    collector.keep_running()
    limit = args.outage_limit if args.outage_limit is not None else _outage_limit_from_environment()
    stop = threading.Event()
    restore = _drain_on_signals(stop, args.id)
    try:
        handed = run_worker(args.db, args.id,
                            lambda line: print(f"ordersaga: {line}", file=sys.stderr, flush=True),
                            stop, args.grace, args.takeover_after, limit)
    finally:
        restore()
    resume = (f"they resume when a worker starts with --id {args.id}, or on the others after `ordersaga "
              f"recover --from {args.id}`.")
    if handed is None:
        print(f"ordersaga: worker {args.id} stopped while PostgreSQL is unreachable, so how many sagas it "
              f"handed back is not known: {resume}", file=sys.stderr, flush=True)
        return 0
    some = f"{handed} saga{'s' if handed != 1 else ''}"
    print(f"ordersaga: worker {args.id} stopped and handed back {some} in flight: "
          + (f"a live worker takes them over after {args.takeover_after:g} s, unless one starts with --id "
             f"{args.id} first (`ordersaga recover --from {args.id}` hands them on now)." if handed
             else "nothing is left for it."),
          file=sys.stderr, flush=True)
    return 0


def _outage_limit_from_environment() -> float | None:
    """$ORDERSAGA_OUTAGE_LIMIT, held to --outage-limit's rule; None when unset."""
    typed = os.environ.get(OUTAGE_LIMIT_VARIABLE)
    if typed is None:
        return None
    try:
        return OUTAGE_LIMIT.check(typed)
    except BadValue as bad:
        raise BadArgument(f"${OUTAGE_LIMIT_VARIABLE}: {bad}") from None


def _drain_on_signals(stop: threading.Event, name: str) -> Callable[[], None]:
    """SIGINT and SIGTERM set stop; a second ends the process at once (its sagas in flight stay
    PENDING under its id, as for kill -9). What puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    def on_signal(signum: int, frame: object) -> None:
        if not stop.is_set():
            stop.set()
            return
        print(f"ordersaga: worker {name} {Interrupted(signum).args[0]} at once; a live worker takes its "
              f"sagas in flight over once it has been silent for its --takeover-after, unless one starts "
              f"with --id {name} first (`ordersaga recover --from {name}` hands them on now).",
              file=sys.stderr, flush=True)
        os._exit(128 + signum)

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    for signum in previous:
        signal.signal(signum, on_signal)
    return restore


def cmd_workers(args: argparse.Namespace) -> int:
    found = list_workers(args.db, args.silent_after)
    if args.json:
        print(json.dumps([vars(worker) for worker in found], indent=2))
    elif not found:
        print("No worker has run on this database.")
    for worker in [] if args.json else found:
        taken = (f"  {worker.handed} saga{'s' if worker.handed != 1 else ''} taken over by {worker.taken_by}"
                 if worker.taken_by is not None and (worker.handed or worker.state == "lost") else "")
        print(f"{worker.id}  {worker.state}  last beat {worker.beat_age_s:.0f} s ago ({worker.last_beat})  "
              f"{worker.in_flight} in flight  pid {worker.pid} on {worker.host}{taken}")
    return 0


def cmd_recover(args: argparse.Namespace) -> int:
    handed = recover(args.db, args.lost)
    if handed:
        print(f"Handed {len(handed)} order{'s' if len(handed) != 1 else ''} in flight on worker {args.lost} "
              f"to the live workers: {', '.join(handed)}.")
    else:
        print(f"Worker {args.lost} has no saga in flight: nothing to hand on.")
    failed = recover_failed(args.db)  # whichever worker they were on
    if failed:
        print(f"Put {len(failed)} order{'s' if len(failed) != 1 else ''} whose saga had failed back on the "
              f"queue: {', '.join(failed)}.")
    return 0


