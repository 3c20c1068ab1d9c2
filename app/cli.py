"""The `ordersaga` command: the dashboard, and headless runs, reports and operations."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar


from actors import (
    CUSTOMER,
    ORDER_ID,
    QUANTITY,
    SHIP_TO,
    SKU,
    WORKER_ID,
    BadValue,
    CauseUnresolved,
    DatabaseError,
    DatabaseLocked,
    DatabaseReadOnly,
    leftover_threads_stopped,
    OrderRecord,
    OrderSummary,
    Refused,
    SagaEngine,
    SagaStatus,
    WorldReader,
    correction,
    create_database,
    database_location,
    is_database_url,
    open_engine,
    open_reader,
    open_resumed,
    order_sort_key,
    record_of,
    list_workers,
    recover,
    redacted,
    run_worker,
    salvage,
    shown,
)
from app import collector
from app.amounts import parse_dollars, parse_units
from app.bulk import CANCEL, RETRY, Verb, act_on_each, matching, orders, preview, summary_lines
from app.paths import DATABASE_VARIABLE, default_location
from app.query import Query, QueryError, parse_duration, parse_query
from app.report import (build_report, first_orders, order_lines, order_report, render_history,
                        render_status, render_summary, select_orders, summary_report,
                        write_report_json)
from app.signals import Interrupted, leave_quietly_on_closed_pipe
from app.trends import render_trends, trends_of
from app.scenario import ScenarioError, load_scenario

if TYPE_CHECKING:
    from app.audit import Finding  # imported by cmd_audit alone when it runs

T = TypeVar("T")
USAGE_ERROR = 2
AUDIT_FINDINGS = 1
_NAMED = 5  # orders in flight named in the notice of a read without resuming
_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
_STATUS_NAMES = ", ".join(status.value for status in SagaStatus)
# Options whose value is a value a person types: given as `--id -w1`, the value is handed to its
# rule (which says what is wrong with it) rather than read by argparse as an unknown option.
_VALUE_OPTIONS = ("--id", "--from", "--customer", "--ship-to", "--quantity", "--remove")


class BadArgument(Exception):
    """A command-line value found wrong after parsing; the message is one sentence."""


class Progress:
    """A one-line progress display on stderr, only where a person is watching."""

    def __init__(self) -> None:
        self._live = sys.stderr.isatty()

    def __call__(self, settled: int, total: int) -> None:
        if self._live:
            print(f"\r{settled}/{total} orders settled", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


class ProgressLine:
    """How far a bulk action got, on one line of stderr, only where a person is watching."""

    def __init__(self, doing: str) -> None:
        self._live = sys.stderr.isatty()
        self._doing = doing

    def __call__(self, done: int, total: int) -> None:
        if self._live:
            print(f"\r{self._doing} {done:,}/{total:,} orders", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self._live:
            print("\r\033[K", end="", file=sys.stderr, flush=True)


def _settle(engine: SagaEngine) -> None:
    progress = Progress()
    try:
        engine.wait_until_settled(progress=progress)
    finally:
        progress.done()


def _print_report(world: WorldReader, as_json: bool, follow_ups: list[str]) -> None:
    """The report; as JSON, written one order at a time (a database of any size)."""
    if as_json:
        sys.stdout.flush()
        out = getattr(sys.stdout, "buffer", None)  # bytes, as written; a text stream in tests
        write = out.write if out is not None else lambda text: sys.stdout.write(text.decode())
        write_report_json(world.stream(), follow_ups, write)
        write(b"\n")
        sys.stdout.flush()
    else:
        print(render_summary(build_report(world.snapshot(), follow_ups)))


def _open(db: Path | str) -> SagaEngine:
    """Open the database's engine, saying on stderr if an unfinished last line was cut off."""
    engine = open_engine(db)
    _tell_torn(db, engine.torn_bytes)
    return engine


def _tell_torn(db: Path | str, torn_bytes: int) -> None:
    if torn_bytes:
        print(f"ordersaga: {db}: cut off its unfinished last line ({torn_bytes} bytes), which "
              "is exactly what a crash in the middle of a write leaves; that write was never "
              "acknowledged, so nothing had acted on it.", file=sys.stderr)


def _run_to_end(engine: SagaEngine, args: argparse.Namespace) -> int:
    follow_ups: list[str] = []
    _settle(engine)
    engine.run_follow_ups(follow_ups.append)
    _print_report(engine, args.json, follow_ups)
    return 0


def _read(args: argparse.Namespace, look: Callable[[WorldReader, bool], T]) -> T:
    """What a reading command shows: look at the database, told whether it was resumed.

    Resumed and settled first, as every command does, when this process can open
    the database for writing (an engine starts only if an order needs one; on PostgreSQL
    the workers run the orders: it is read as it is). Otherwise (--no-resume, another
    process has it open, or it is read-only) it is read as last stored, without the lock
    and without writing a byte, and one line on stderr says which orders in flight were left.
    """
    if is_database_url(args.db):
        # The workers run the sagas: a reader shows the tables as they are, waiting for no one
        # (a lost worker's orders would keep it waiting until `ordersaga recover`).
        with open_reader(args.db) as world:
            return look(world, False)  # in flight: the audit checks those for saga order only
    why = "read with --no-resume"
    if not args.no_resume:
        try:
            with open_resumed(args.db, _settle) as world:
                _tell_torn(args.db, world.torn_bytes)
                return look(world, True)
        except DatabaseLocked:
            why = "another ordersaga process has the database open"
        except DatabaseReadOnly:
            why = "the database is read-only"
    with open_reader(args.db) as world:
        seen = look(world, False)
        in_flight = sorted((s.id for s in world.summaries() if not s.status.settled), key=order_sort_key)
    if in_flight:
        some = f"{len(in_flight)} orders in flight are" if len(in_flight) > 1 else "1 order in flight is"
        named = ", ".join(in_flight[:_NAMED]) + (f" and {len(in_flight) - _NAMED} more"
                                                 if len(in_flight) > _NAMED else "")
        print(f"ordersaga: {args.db}: {why}, so {some} shown as last stored, not resumed: "
              f"{named}.", file=sys.stderr)
    return seen


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    create_database(args.db, scenario, replace=args.replace)
    with _open(args.db) as engine:
        return _run_to_end(engine, args)


def cmd_report(args: argparse.Namespace) -> int:
    if args.no_resume:
        _read(args, lambda world, _: _print_report(world, args.json, []))
        return 0
    with _open(args.db) as engine:
        return _run_to_end(engine, args)


def _statuses(values: list[str] | None) -> set[SagaStatus] | None:
    """--status, repeated or comma-separated (`on hold`, `on-hold`: on_hold); None for every status."""
    if values is None:
        return None
    chosen = set()
    for value in (part.strip() for text in values for part in text.split(",")):
        try:
            chosen.add(SagaStatus(value.lower().replace("-", "_").replace(" ", "_")))
        except ValueError:
            raise BadArgument(f"--status {shown(value)} is not a status of an order; the statuses are "
                              f"{_STATUS_NAMES}.") from None
    return chosen


def _limit(text: str | None) -> int | None:
    """--limit as a count of orders; None for all of them."""
    if text is None:
        return None
    cleaned = text.strip()
    try:
        count = int(cleaned) if cleaned.isascii() and cleaned.isdigit() else 0
    except ValueError:  # more digits than int() converts: more orders than any database holds
        return None
    if count < 1:
        raise BadArgument(f"--limit must be a whole number of orders, at least 1 (got {shown(text)}).")
    return count


def _where(text: str | None) -> Query:
    """--where as a query (every order without one); a term it cannot read is one sentence."""
    try:
        return parse_query(text or "")
    except QueryError as error:
        raise BadArgument(f"--where: {error}") from None


def _since(text: str) -> timedelta:
    """--since: a span from a minute to a week, as 30m, 1h or 2d."""
    try:
        since = parse_duration(text)
    except ValueError as error:
        raise BadArgument(f"--since {error}") from None
    if not timedelta(minutes=1) <= since <= timedelta(days=7):
        raise BadArgument(f"--since must be from 1m to 7d (got {text.strip()}).")
    return since


def cmd_stats(args: argparse.Namespace) -> int:
    since = _since(args.since)  # checked before anything resumes
    summaries = _read(args, lambda world, _: world.summaries())
    trends = trends_of(summaries, datetime.now(timezone.utc), since)
    print(json.dumps(trends.as_json(), indent=2) if args.json else render_trends(trends))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    # Checked before anything resumes.
    statuses, limit, where = _statuses(args.status), _limit(args.limit), _where(args.where)

    def look(world: WorldReader, _: bool) -> tuple[int, int, list[OrderSummary], list[dict[str, Any]] | None]:
        """Every order's summary (an archived order's from the archive's index), and for --json
        the whole report of each order shown, read by id."""
        summaries = world.summaries()
        if args.customer is not None and not any(s.customer == args.customer for s in summaries):
            if args.customer not in world.snapshot().payment["accounts"]:  # the rare case: read it all
                raise Refused(f"There is no customer {args.customer!r} in this database.")
        matching = select_orders(summaries, statuses, args.customer)
        if where:
            now = datetime.now(timezone.utc)
            matching = [summary for summary in matching if where.matches(summary, now)]
        first = first_orders(matching, args.oldest_first, limit)
        shown = None
        if args.json:
            found = (world.find(summary.id) for summary in first)
            shown = [order_report(record, summary.worker) for record, summary
                     in zip(found, first) if record is not None]
        return len(summaries), len(matching), first, shown

    total, matching, first, reports = _read(args, look)
    if reports is not None:
        print(json.dumps(reports, indent=2))
    elif matching:
        shown = [summary_report(summary) for summary in first]
        filtered = statuses is not None or args.customer is not None or bool(where)
        print("\n".join(order_lines(shown)))
        if len(shown) < matching:
            print(f"showing {len(shown):,} of {matching:,} {'matching ' if filtered else ''}orders; "
                  "--limit to see more")
    elif total:
        print(f"No order matches these filters ({total:,} order{'s' if total != 1 else ''} in this "
              "database).")
    else:
        print("No orders in this database.")
    return 0


def _show_order(args: argparse.Namespace, render: Callable[[OrderRecord], str]) -> int:
    """One order, rendered for a person or, with --json, as its entry in `report --json`."""
    found = _read(args, lambda world, _: world.find(args.order))
    record = record_of([found] if found is not None else [], args.order)
    print(json.dumps(order_report(record), indent=2) if args.json else render(record))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    return _show_order(args, render_status)


def cmd_history(args: argparse.Namespace) -> int:
    return _show_order(args, render_history)


def _operate(args: argparse.Namespace, action: Callable[[SagaEngine], str]) -> int:
    with _open(args.db) as engine:
        _settle(engine)
        print(action(engine))
        _settle(engine)
        print(render_status(engine.record(args.order)))
    return 0


def _interactive() -> bool:
    """Whether a person can be asked: both ends of the conversation are a terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _bulk(args: argparse.Namespace, verb: Verb, act: Callable[[SagaEngine, str], str]) -> int:
    """retry/cancel --where: say how many orders and which, then (with --yes, or a yes typed on a
    terminal) act on each as the single command would, and sum up what became of them. Exit 1
    if any was refused or failed. --dry-run only reads, without the lock and without writing."""
    where = _where(args.where)
    if not where:
        raise BadArgument(f"--where needs a query of the orders to {verb.name}, like "
                          "--where 'status:failed reason:~carrier'.")
    if args.dry_run:
        with open_reader(args.db) as world:
            ids = matching(world.summaries(), where)
        print(preview(verb, ids, where.text))
        if ids:
            print(f"Dry run: no order was {verb.past}.")
        return 0
    with _open(args.db) as engine:
        _settle(engine)
        ids = matching(engine.summaries(), where)
        print(preview(verb, ids, where.text))
        if not ids:
            return 0
        if not args.yes:
            if not _interactive():
                raise BadArgument(f"Nothing was {verb.past}: pass --yes to {verb.name} these "
                                  f"{orders(len(ids))} without a question, or --dry-run to only list them.")
            sys.stdout.flush()
            answer = input(f"{verb.name.capitalize()} {'it' if len(ids) == 1 else f'these {len(ids):,}'}? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                print(f"Nothing was {verb.past}.")
                return 1
        line = ProgressLine(verb.doing)
        try:
            outcome = act_on_each(ids, lambda order_id: act(engine, order_id), line)
        finally:
            line.done()
        _settle(engine)
    print("\n".join(summary_lines(verb, outcome)))
    if outcome.unresolved:
        print(f"Resolve what {'it' if len(outcome.unresolved) == 1 else 'they'} lacked first (top-up, restock), "
              "or pass --force to retry anyway.")
    return 0 if outcome.clean else 1


def _one_or_where(args: argparse.Namespace) -> None:
    """An order, or --where: one of the two; --yes and --dry-run only with --where."""
    if args.order is not None and args.where is not None:
        raise BadArgument(f"Give an order or --where, not both (got {args.order!r} and --where {args.where!r}).")
    if args.order is None and args.where is None:
        raise BadArgument(f"Say which orders to {args.command}: an order id, or --where QUERY "
                          "(e.g. --where 'status:failed reason:~carrier').")
    if args.order is not None and (args.yes or args.dry_run):
        raise BadArgument(f"{'--yes' if args.yes else '--dry-run'} goes with --where QUERY, not with "
                          "a single order.")


def cmd_retry(args: argparse.Namespace) -> int:
    _one_or_where(args)
    if args.where is not None:
        def retry_one(engine: SagaEngine, order_id: str) -> str:
            return engine.retry(order_id, force=args.force)

        return _bulk(args, RETRY, retry_one)

    def retry(engine: SagaEngine) -> str:
        try:
            return engine.retry(args.order, force=args.force)
        except CauseUnresolved as unresolved:
            raise Refused(f"{unresolved}; {unresolved.check.fix} first, or pass --force to retry "
                          "anyway.") from None

    return _operate(args, retry)


def cmd_cancel(args: argparse.Namespace) -> int:
    _one_or_where(args)
    if args.where is not None:
        return _bulk(args, CANCEL, lambda engine, order_id: engine.cancel(order_id))
    return _operate(args, lambda engine: engine.cancel(args.order))


def _quantity(text: str) -> tuple[str, int]:
    """--quantity SKU=N as (sku, n); its bounds are the saga rules' to check (0: remove it)."""
    sku, equals, units = text.rpartition("=")
    if not equals or not sku:
        raise BadArgument(f"--quantity {shown(text)} is not a sku and a whole number of units; "
                          "give one like KEYBOARD=2.")
    try:
        return SKU.check(sku), QUANTITY.read(units)
    except BadValue as bad:
        raise BadArgument(str(bad)) from None


def cmd_edit(args: argparse.Namespace) -> int:
    quantity: dict[str, int] = {}
    for sku, units in args.quantity or []:
        if sku in quantity and quantity[sku] != units:
            raise BadArgument(f"--quantity gives {sku} two quantities ({quantity[sku]} and {units}).")
        quantity[sku] = units
    # Checked before the database is opened: a bad value writes nothing.
    change = correction(args.order, args.ship_to, quantity, dict.fromkeys(args.remove or []))
    return _operate(args, lambda engine: engine.edit(change))


def cmd_top_up(args: argparse.Namespace) -> int:
    with _open(args.db) as engine:
        _settle(engine)
        print(engine.top_up(args.customer, args.amount))
    return 0


def cmd_restock(args: argparse.Namespace) -> int:
    with _open(args.db) as engine:
        _settle(engine)
        print(engine.restock(args.sku, args.quantity))
    return 0


def _checked(rule: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse type applying the rule every door applies (actors/saga/values.py). Its refusal is a
    BadArgument, which argparse lets through (it turns only ValueError and TypeError into its
    usage message), so main says the rule's one sentence and nothing else."""
    def convert(text: str) -> T:
        try:
            return rule(text)
        except BadValue as bad:
            raise BadArgument(str(bad)) from None
    return convert


def cmd_audit(args: argparse.Namespace) -> int:
    from app.audit import AuditError, audit_stream, summary  # only here: other commands need none of it

    def look(world: WorldReader, resumed: bool) -> tuple[list[str], int, list[Finding]]:
        """Each order audited as it is read. Orders left in flight by a read without resuming
        are checked for saga order only: whatever they hold is still to be completed or
        compensated, not a violation. One still in flight once resumed and settled is one."""
        stream = world.stream()
        try:
            return ([] if resumed else stream.in_flight), *audit_stream(stream, allow_in_flight=not resumed)
        except AuditError as error:
            raise DatabaseError(f"{args.db}: {error}") from None

    in_flight, orders, findings = _read(args, look)
    if args.json:
        print(json.dumps({"orders_audited": orders, "in_flight": in_flight,
                          "findings": [finding.as_json() for finding in findings]}, indent=2))
    else:
        for finding in findings:
            print(finding.line())
        print(summary(orders, len(findings), len(in_flight)))
    return AUDIT_FINDINGS if findings else 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run sagas until stopped. The first SIGINT or SIGTERM drains it (no new saga; those in
    flight run on for up to --grace seconds) and it exits 0 with one line saying how many it
    handed back; a second stops it at once."""
    collector.keep_running()
    stop = threading.Event()
    restore = _drain_on_signals(stop, args.id)
    try:
        handed = run_worker(args.db, args.id,
                            lambda line: print(f"ordersaga: {line}", file=sys.stderr, flush=True),
                            stop, args.grace)
    finally:
        restore()
    some = f"{handed} saga{'s' if handed != 1 else ''}"
    print(f"ordersaga: worker {args.id} stopped and handed back {some} in flight: "
          + (f"they resume when a worker starts with --id {args.id}, or on the others after `ordersaga "
             f"recover --from {args.id}`." if handed else "nothing is left for it."),
          file=sys.stderr, flush=True)
    return 0


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
        print(f"ordersaga: worker {name} {Interrupted(signum).args[0]} at once; its sagas in flight resume "
              f"when a worker starts with --id {name}, or on the others after `ordersaga recover --from "
              f"{name}`.", file=sys.stderr, flush=True)
        os._exit(128 + signum)

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    for signum in previous:
        signal.signal(signum, on_signal)
    return restore


def _grace(text: str) -> float:
    """--grace as seconds, from 0 to an hour."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise BadArgument(f"--grace must be a number of seconds from 0 to 3600 (got {shown(text)}).")
    return seconds


def cmd_workers(args: argparse.Namespace) -> int:
    found = list_workers(args.db, args.silent_after)
    if args.json:
        print(json.dumps([vars(worker) for worker in found], indent=2))
    elif not found:
        print("No worker has run on this database.")
    for worker in [] if args.json else found:
        print(f"{worker.id}  {worker.state}  last beat {worker.beat_age_s:.0f} s ago ({worker.last_beat})  "
              f"{worker.in_flight} in flight  pid {worker.pid} on {worker.host}")
    return 0


def _silent_after(text: str) -> float:
    """--silent-after as seconds, from 0 to a day."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise BadArgument(f"--silent-after must be a number of seconds from 0 to 86400 (got {shown(text)}).")
    return seconds


def cmd_recover(args: argparse.Namespace) -> int:
    handed = recover(args.db, args.lost)
    if handed:
        print(f"Handed {len(handed)} order{'s' if len(handed) != 1 else ''} in flight on worker {args.lost} "
              f"to the live workers: {', '.join(handed)}.")
    else:
        print(f"Worker {args.lost} has no saga in flight: nothing to hand on.")
    return 0


def cmd_salvage(args: argparse.Namespace) -> int:
    from app.salvage import render_salvage  # only here, as the audit is

    print(render_salvage(args.db, args.to, salvage(args.db, args.to)))
    return 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from app.dashboard.launch import run_dashboard  # Textual loads only for the dashboard

    return run_dashboard(args.db, args.scenario)


def package_version() -> str:
    """The version installed; from a source tree never installed, the one its pyproject.toml declares."""
    import tomllib
    from importlib import metadata  # only here: importing it takes longer than most commands' own work

    try:
        return metadata.version("ordersaga")
    except metadata.PackageNotFoundError:
        pass
    try:
        with _PYPROJECT.open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, tomllib.TOMLDecodeError, KeyError):
        return "(version unknown: not installed, and no pyproject.toml beside the source)"


class _PrintVersion(argparse.Action):
    """--version, looked up only when asked: reading the package metadata takes a moment."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        print(f"ordersaga {package_version()}")
        parser.exit()


# One example per command, shown at the end of its --help.
EXAMPLES = {
    "dashboard": "ordersaga dashboard --db shop.db demo",
    "run": "ordersaga run scenarios/demo.toml --db shop.db --replace",
    "report": "ordersaga report --db shop.db --json > report.json",
    "list": "ordersaga list --db shop.db --where 'status:failed reason:~carrier updated:<1h' --limit 20",
    "status": "ordersaga status o-12 --db shop.db",
    "history": "ordersaga history o-12 --db shop.db",
    "retry": "ordersaga retry --where 'status:failed reason:~carrier' --dry-run --db shop.db",
    "cancel": "ordersaga cancel --where 'status:on_hold customer:c01' --yes --db shop.db",
    "edit": "ordersaga edit o-12 --ship-to '12 Lake Dr, North Haverbrook' --db shop.db",
    "top-up": "ordersaga top-up bob 25.00 --db shop.db",
    "restock": "ordersaga restock KEYBOARD 10 --db shop.db",
    "audit": "ordersaga audit --db shop.db --json",
    "stats": "ordersaga stats --db shop.db --since 1h",
    "worker": "ordersaga worker --id w1 --db postgresql://localhost/ordersaga",
    "recover": "ordersaga recover --from w1 --db postgresql://localhost/ordersaga",
    "workers": "ordersaga workers --db postgresql://localhost/ordersaga --silent-after 60",
    "salvage": "ordersaga salvage --db damaged.db --to rescued.db",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ordersaga",
        description="Run orders as sagas (reserve, charge, ship; compensate on failure) "
                    "and watch or operate them.")
    parser.add_argument("--version", action=_PrintVersion)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[[argparse.Namespace], int], help_text: str,
                order: bool = False, reads: bool = False, bulk: bool = False) -> argparse.ArgumentParser:
        example = EXAMPLES.get(name)
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  epilog=f"example:\n  {example}" if example else None,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        if order:
            sub.add_argument("order", metavar="ORDER", nargs="?" if bulk else None, type=_checked(ORDER_ID.check),
                             help="the order id, as in the scenario")
        if bulk:
            sub.add_argument("--where", metavar="QUERY",
                             help="instead of ORDER, every order the query means (see list --where): "
                                  "first how many and which, then each as the single command would")
            sub.add_argument("--dry-run", action="store_true",
                             help="with --where: only say how many orders and which; write nothing")
            sub.add_argument("--yes", action="store_true",
                             help="with --where: act without asking (otherwise a terminal asks y/n)")
        sub.add_argument("--db", type=database_location, default=default_location(), metavar="PATH",
                         help="the database file, or a postgresql:// URL to share it among workers "
                              f"(default: ${DATABASE_VARIABLE} if set, else %(default)s)")
        if reads:
            sub.add_argument("--no-resume", action="store_true",
                             help="read the database as last stored: resume nothing, take no lock, "
                                  "write nothing")
        sub.set_defaults(handler=handler)
        return sub

    dashboard = command("dashboard", cmd_dashboard, "open the terminal dashboard (the default)")
    dashboard.add_argument("scenario", nargs="?", metavar="SCENARIO",
                           help="a scenario to load and start at once (a path or a name in scenarios/)")
    run = command("run", cmd_run, "load a scenario into a new database, run it to the end, report")
    run.add_argument("scenario", metavar="SCENARIO", help="a scenario file, or a name in scenarios/")
    run.add_argument("--replace", action="store_true", help="overwrite an existing database")
    run.add_argument("--json", action="store_true", help="print the report as JSON")
    report = command("report", cmd_report, "resume anything in flight, wait until it settles, report",
                     reads=True)
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    listing = command("list", cmd_list, "list the orders with their status, the last changed first",
                      reads=True)
    listing.add_argument("--json", action="store_true", help="print the orders as JSON")
    listing.add_argument("--status", action="append", metavar="STATUS",
                         help="only orders in this status; repeat it or separate statuses with commas "
                              f"({_STATUS_NAMES})")
    listing.add_argument("--customer", metavar="NAME", type=_checked(CUSTOMER.check),
                         help="only this customer's orders")
    listing.add_argument("--where", metavar="QUERY",
                         help="only the orders the query means: terms ANDed, a bare word found anywhere, "
                              "e.g. 'status:failed reason:~carrier customer:c01 step:shipping attempt:>1 "
                              "total:>25 updated:<10m'")
    listing.add_argument("--limit", metavar="N", help="show at most N orders (default: all)")
    listing.add_argument("--oldest-first", action="store_true",
                         help="the order changed longest ago first (never-started orders count as oldest)")
    stats = command("stats", cmd_stats, "orders completed and failed per minute over a recent span, and "
                    "its failure reasons ranked", reads=True)
    stats.add_argument("--since", default="1h", metavar="SPAN",
                       help="how far back, from 1m to 7d, as 30m, 1h or 2d (default: %(default)s)")
    stats.add_argument("--json", action="store_true", help="print the figures as JSON")
    status = command("status", cmd_status, "show one order's status and steps", order=True, reads=True)
    status.add_argument("--json", action="store_true",
                        help="print the order as its entry in `report --json`")
    history = command("history", cmd_history, "show one order's timeline and notifications", order=True,
                      reads=True)
    history.add_argument("--json", action="store_true",
                         help="print the order as its entry in `report --json`")
    retry_ = command("retry", cmd_retry, "retry a failed order (recoverable) or resume a held one; "
                     "or every order --where QUERY means", order=True, bulk=True)
    retry_.add_argument("--force", action="store_true",
                       help="retry even though the stock or balance it failed for is still short")
    command("cancel", cmd_cancel, "cancel an order on hold: compensate its completed steps; or every "
            "order --where QUERY means", order=True, bulk=True)
    edit = command("edit", cmd_edit, "correct a failed or held order (its address, the quantity of an item, "
                   "an item to remove) and say what its retry will do; then retry it", order=True)
    edit.add_argument("--ship-to", metavar="TEXT", type=_checked(SHIP_TO.check),
                      help="the address to ship to instead")
    edit.add_argument("--quantity", action="append", metavar="SKU=N", type=_quantity,
                      help="the quantity of one of the order's items (repeatable)")
    edit.add_argument("--remove", action="append", metavar="SKU", type=_checked(SKU.check),
                      help="take an item off the order; at least one must remain (repeatable)")
    top_up = command("top-up", cmd_top_up, "add money to a customer's account (to resolve a failure)")
    top_up.add_argument("customer", metavar="CUSTOMER", type=_checked(CUSTOMER.check))
    top_up.add_argument("amount", metavar="AMOUNT", type=_checked(parse_dollars),
                        help="in dollars, e.g. 25 or 25.50")
    restock = command("restock", cmd_restock, "add units of a sku to the stock (to resolve a failure)")
    restock.add_argument("sku", metavar="SKU", type=_checked(SKU.check))
    restock.add_argument("quantity", metavar="QUANTITY", type=_checked(parse_units))
    audit_ = command("audit", cmd_audit, "check that no order left orphaned state: saga order, "
                     "holdings, conservation, notices (exit 1 on findings)", reads=True)
    audit_.add_argument("--json", action="store_true", help="print the findings as JSON")
    worker = command("worker", cmd_worker, "run sagas from a PostgreSQL database's queue until stopped "
                     "(any number, on any machines)")
    worker.add_argument("--grace", type=_grace, default=10.0, metavar="SECONDS",
                        help="on SIGTERM or Ctrl-C, how long its sagas in flight may run on before they are "
                             "handed back (default: %(default)s)")
    worker.add_argument("--id", required=True, metavar="NAME", type=_checked(WORKER_ID.check),
                        help="this worker's name, the same each time it starts: it resumes its own sagas")
    workers_ = command("workers", cmd_workers, "list a PostgreSQL database's workers: last heartbeat, sagas "
                       "in flight, and whether each is alive, silent or stopped")
    workers_.add_argument("--json", action="store_true", help="print the workers as JSON")
    workers_.add_argument("--silent-after", type=_silent_after, default=30.0, metavar="SECONDS",
                          help="a worker with no heartbeat for so long is silent (default: %(default)s)")
    recover_ = command("recover", cmd_recover, "hand the sagas in flight on a lost worker to the live ones")
    recover_.add_argument("--from", dest="lost", required=True, metavar="NAME", type=_checked(WORKER_ID.check),
                          help="the lost worker's --id")
    salvage_ = command("salvage", cmd_salvage, "copy a damaged database's records from before the "
                       "damage into a new database, and say what was dropped (the damaged one is "
                       "only read)")
    salvage_.add_argument("--to", type=Path, required=True, metavar="PATH",
                          help="the new database to write (refused if a file is there)")
    parser.set_defaults(command_names=tuple(commands.choices))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    known = (*parser.get_default("command_names"), "-h", "--help", "--version")
    if not argv or argv[0] not in known:
        argv.insert(0, "dashboard")  # `ordersaga [--db PATH] [SCENARIO]` is the dashboard
    try:
        args = parser.parse_args(_values_attached(argv))  # each value checked as it is read
    except (BadArgument, DatabaseError) as error:
        print(f"ordersaga: {error}", file=sys.stderr)
        return USAGE_ERROR
    with leftover_threads_stopped():
        try:
            status = int(args.handler(args))
            sys.stdout.flush()  # now, not at exit, so that a reader gone away is handled below
            return status
        except ScenarioError as error:
            for problem in error.problems:
                print(f"ordersaga: {problem}", file=sys.stderr)
        except (DatabaseError, Refused, BadArgument) as error:
            print(f"ordersaga: {redacted(str(error), args.db)}", file=sys.stderr)
        except Interrupted as interrupted:  # SIGINT or SIGTERM
            print(interrupted.line(), file=sys.stderr)
            return interrupted.status
        except BrokenPipeError:  # `ordersaga list | head -1`: stop quietly, as other tools do
            return leave_quietly_on_closed_pipe()
    return USAGE_ERROR


def _values_attached(argv: list[str]) -> list[str]:
    """argv with `--id -w1` given as `--id=-w1`, for each option of _VALUE_OPTIONS whose value
    starts with '-': argparse would take it for an option and answer with its usage."""
    attached: list[str] = []
    rest = iter(argv)
    for word in rest:
        if word == "--":
            attached += [word, *rest]
            break
        following = next(rest, None) if word in _VALUE_OPTIONS else None
        if following is not None and following.startswith("-"):
            attached.append(f"{word}={following}")
        else:
            attached += [word] if following is None else [word, following]
    return attached
