"""The operator's commands: retry and cancel (one order, or every order a query means), edit,
top-up, restock, and salvage of a damaged database."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from actors import CauseUnresolved, Refused, SagaEngine, correction, open_reader, salvage
from app.bulk import CANCEL, RETRY, Verb, act_on_each, matching, orders, preview, summary_lines
from app.commands import options
from app.commands.common import ProgressLine, open_told, settle
from app.commands.options import BadArgument
from app.report import render_status


def _operate(args: argparse.Namespace, action: Callable[[SagaEngine], str]) -> int:
    with open_told(args.db) as engine:
        settle(engine)
        print(action(engine))
        settle(engine)
        print(render_status(engine.record(args.order)))
    return 0


def _interactive() -> bool:
    """Whether a person can be asked: both ends of the conversation are a terminal."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _bulk(args: argparse.Namespace, verb: Verb, act: Callable[[SagaEngine, str], str]) -> int:
    """retry/cancel --where: say how many orders and which, then (with --yes, or a yes typed on a
    terminal) act on each as the single command would, and sum up what became of them. Exit 1
    if any was refused or failed. --dry-run only reads, without the lock and without writing."""
    where = options.where(args.where)
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
    with open_told(args.db) as engine:
        settle(engine)
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
        settle(engine)
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
    with open_told(args.db) as engine:
        settle(engine)
        print(engine.top_up(args.customer, args.amount))
    return 0


def cmd_restock(args: argparse.Namespace) -> int:
    with open_told(args.db) as engine:
        settle(engine)
        print(engine.restock(args.sku, args.quantity))
    return 0


def cmd_salvage(args: argparse.Namespace) -> int:
    from app.salvage import render_salvage  # only here, as the audit is

    print(render_salvage(args.db, args.to, salvage(args.db, args.to)))
    return 0


