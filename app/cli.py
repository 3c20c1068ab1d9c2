"""The `ordersaga` command line: the argument table, an example per command, and main.

The commands themselves are in app/commands/, grouped by what they do."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from actors import (
    CUSTOMER,
    GRACE,
    ORDER_ID,
    OUTAGE_LIMIT,
    SHIP_TO,
    SILENT_AFTER,
    SKU,
    STUCK_AFTER,
    TAKEOVER_AFTER,
    WORKER_ID,
    DatabaseError,
    Refused,
    SagaEngine,
    database_location,
    leftover_threads_stopped,
    operator,
    redacted,
)
from app.amounts import parse_dollars, parse_units
from app.beside import Answer, captured
from app.commands.operating import cmd_cancel, cmd_edit, cmd_restock, cmd_retry, cmd_salvage, cmd_top_up
from app.commands.options import (
    OPERATOR_VARIABLE,
    STATUS_NAMES,
    BadArgument,
    checked,
    default_operator,
    quantity,
)
from app.commands.reading import (
    cmd_audit,
    cmd_dashboard,
    cmd_history,
    cmd_list,
    cmd_report,
    cmd_run,
    cmd_stats,
    cmd_status,
)
from app.commands.served import CHANGING, forwarded, serving
from app.commands.workers import cmd_recover, cmd_worker, cmd_workers
from app.paths import DATABASE_VARIABLE, default_location
from app.scenario import ScenarioError
from app.signals import Interrupted, leave_quietly_on_closed_pipe

USAGE_ERROR = 2
_PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
# Options whose value is a value a person types: given as `--id -w1`, the value is handed to its
# rule (which says what is wrong with it) rather than read by argparse as an unknown option.
_VALUE_OPTIONS = ("--id", "--from", "--customer", "--ship-to", "--quantity", "--remove", "--operator")


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
    "run": "ordersaga run demo --db shop.db --replace",
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
                order: bool = False, reads: bool = False, bulk: bool = False,
                acts: bool = False) -> argparse.ArgumentParser:
        example = EXAMPLES.get(name)
        sub = commands.add_parser(name, help=help_text, description=help_text,
                                  epilog=f"example:\n  {example}" if example else None,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        if order:
            sub.add_argument("order", metavar="ORDER", nargs="?" if bulk else None, type=checked(ORDER_ID.check),
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
        if acts:
            sub.add_argument("--operator", metavar="NAME", type=checked(operator), default=default_operator(),
                             help="who the timeline records as having done it "
                                  f"(default: ${OPERATOR_VARIABLE} if set, else the login name)")
        if reads:
            sub.add_argument("--no-resume", action="store_true",
                             help="read the database as last stored: resume nothing, take no lock, "
                                  "write nothing")
        sub.set_defaults(handler=handler)
        return sub

    dashboard = command("dashboard", cmd_dashboard, "open the terminal dashboard (the default)", acts=True)
    dashboard.add_argument("scenario", nargs="?", metavar="SCENARIO",
                           help="a scenario to load and start at once (a path, or the name of one that "
                                "ships with ordersaga, e.g. demo)")
    run = command("run", cmd_run, "load a scenario into a new database, run it to the end, report")
    run.add_argument("scenario", metavar="SCENARIO",
                     help="a scenario file, or the name of one that ships with ordersaga (e.g. demo)")
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
                              f"({STATUS_NAMES})")
    listing.add_argument("--customer", metavar="NAME", type=checked(CUSTOMER.check),
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
                     "or every order --where QUERY means", order=True, bulk=True, acts=True)
    retry_.add_argument("--force", action="store_true",
                       help="retry even though the stock or balance it failed for is still short")
    command("cancel", cmd_cancel, "cancel an order on hold: compensate its completed steps; or every "
            "order --where QUERY means", order=True, bulk=True, acts=True)
    edit = command("edit", cmd_edit, "correct a failed or held order (its address, the quantity of an item, "
                   "an item to remove) and say what its retry will do; then retry it", order=True, acts=True)
    edit.add_argument("--ship-to", metavar="TEXT", type=checked(SHIP_TO.check),
                      help="the address to ship to instead")
    edit.add_argument("--quantity", action="append", metavar="SKU=N", type=quantity,
                      help="the quantity of one of the order's items (repeatable)")
    edit.add_argument("--remove", action="append", metavar="SKU", type=checked(SKU.check),
                      help="take an item off the order; at least one must remain (repeatable)")
    top_up = command("top-up", cmd_top_up, "add money to a customer's account (to resolve a failure)",
                     acts=True)
    top_up.add_argument("customer", metavar="CUSTOMER", type=checked(CUSTOMER.check))
    top_up.add_argument("amount", metavar="AMOUNT", type=checked(parse_dollars),
                        help="in dollars, e.g. 25 or 25.50")
    restock = command("restock", cmd_restock, "add units of a sku to the stock (to resolve a failure)",
                      acts=True)
    restock.add_argument("sku", metavar="SKU", type=checked(SKU.check))
    restock.add_argument("quantity", metavar="QUANTITY", type=checked(parse_units))
    audit_ = command("audit", cmd_audit, "check that no order left orphaned state: saga order, "
                     "holdings, conservation, notices (exit 1 on findings)", reads=True)
    audit_.add_argument("--json", action="store_true", help="print the findings as JSON")
    audit_.add_argument("--stuck-after", type=checked(STUCK_AFTER.check), default=300.0, metavar="SECONDS",
                        help="an order in flight that nothing has moved for so long is a finding, when the "
                             "database is read as it is (PostgreSQL, --no-resume) (default: %(default)s)")
    worker = command("worker", cmd_worker, "run sagas from a PostgreSQL database's queue until stopped "
                     "(any number, on any machines)")
    worker.add_argument("--grace", type=checked(GRACE.check), default=10.0, metavar="SECONDS",
                        help="on SIGTERM or Ctrl-C, how long its sagas in flight may run on before they are "
                             "handed back (default: %(default)s)")
    worker.add_argument("--takeover-after", type=checked(TAKEOVER_AFTER.check), default=30.0, metavar="SECONDS",
                        help="how long this worker may be silent (no heartbeat: dead, stalled, cut off) before a "
                             "live worker takes its sagas over; it beats four times within it (default: "
                             "%(default)s)")
    worker.add_argument("--id", required=True, metavar="NAME", type=checked(WORKER_ID.check),
                        help="this worker's name, the same each time it starts: it resumes its own sagas")
    worker.add_argument("--outage-limit", type=checked(OUTAGE_LIMIT.check), metavar="SECONDS",
                        help="how long its sagas wait for a PostgreSQL that went away before they are failed, "
                             "to be picked up again once it is back (default: $ORDERSAGA_OUTAGE_LIMIT, else 300)")
    workers_ = command("workers", cmd_workers, "list a PostgreSQL database's workers: last heartbeat, sagas "
                       "in flight, and whether each is alive, silent, lost (its sagas taken over) or stopped")
    workers_.add_argument("--json", action="store_true", help="print the workers as JSON")
    workers_.add_argument("--silent-after", type=checked(SILENT_AFTER.check), default=None, metavar="SECONDS",
                          help="a worker with no heartbeat for so long is silent (default: half of each "
                               "one's --takeover-after)")
    recover_ = command("recover", cmd_recover, "hand the sagas in flight on a lost worker to the live ones")
    recover_.add_argument("--from", dest="lost", required=True, metavar="NAME", type=checked(WORKER_ID.check),
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
        return _carried_out(args, argv)


def _carried_out(args: argparse.Namespace, argv: list[str]) -> int:
    """The command's exit status, having run it here or by the process holding its database;
    each error a user can cause is one line on stderr."""
    try:
        status = forwarded(args, argv)
        if status is None:
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


def serve(argv: list[str], engine: SagaEngine) -> Answer:
    """Carry out another process's changing command on engine, which this process holds
    (app/beside.py): what it would have written, and its exit status."""
    with captured() as (out, err), serving(engine):
        try:
            args = build_parser().parse_args(_values_attached(argv))
            if args.command not in CHANGING:
                raise BadArgument(f"Only a command that changes the database is carried out for another "
                                  f"process, not {args.command!r}.")
            status = _carried_out(args, argv)
        except (BadArgument, DatabaseError) as error:
            print(f"ordersaga: {error}", file=sys.stderr)
            status = USAGE_ERROR
        except SystemExit as exit_:  # argparse's own usage errors
            status = exit_.code if isinstance(exit_.code, int) else USAGE_ERROR
    return Answer(status, out.getvalue(), err.getvalue())


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
