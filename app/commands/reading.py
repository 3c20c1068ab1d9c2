"""The commands that run a scenario or read a database: run, report, list, stats, status,
history, audit, and the dashboard."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from actors import DatabaseError, OrderRecord, OrderSummary, Refused, WorldReader, create_database, record_of
from app.commands import options
from app.commands.common import open_told, print_report, read_world, run_to_end
from app.progress import counting
from app.report import (
    first_orders,
    order_lines,
    order_report,
    render_history,
    render_status,
    select_orders,
    summary_report,
)
from app.scenario import load_scenario
from app.trends import render_trends, trends_of

if TYPE_CHECKING:
    from app.audit import Finding  # imported by cmd_audit alone when it runs

AUDIT_FINDINGS = 1


def cmd_run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    create_database(args.db, scenario, replace=args.replace)
    with open_told(args.db) as engine:
        return run_to_end(engine, args.json)


def cmd_report(args: argparse.Namespace) -> int:
    if args.no_resume:
        read_world(args.db, args.no_resume, lambda world, _: print_report(world, args.json, []))
        return 0
    with open_told(args.db) as engine:
        return run_to_end(engine, args.json)


def cmd_stats(args: argparse.Namespace) -> int:
    since = options.since(args.since)  # checked before anything resumes
    summaries = read_world(args.db, args.no_resume, lambda world, _: world.summaries())
    trends = trends_of(summaries, datetime.now(UTC), since)
    print(json.dumps(trends.as_json(), indent=2) if args.json else render_trends(trends))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    # Checked before anything resumes.
    statuses, limit, where = options.statuses(args.status), options.limit(args.limit), options.where(args.where)

    def look(world: WorldReader, _: bool) -> tuple[int, int, list[OrderSummary], list[dict[str, Any]] | None]:
        """Every order's summary (an archived order's from the archive's index), and for --json
        the whole report of each order shown, read by id."""
        summaries = world.summaries()
        if (args.customer is not None and not any(s.customer == args.customer for s in summaries)
                and args.customer not in world.snapshot().payment["accounts"]):  # the rare case: read it all
            raise Refused(f"There is no customer {args.customer!r} in this database.")
        matching = select_orders(summaries, statuses, args.customer)
        if where:
            now = datetime.now(UTC)
            matching = [summary for summary in matching if where.matches(summary, now)]
        first = first_orders(matching, args.oldest_first, limit)
        shown = None
        if args.json:
            found = (world.find(summary.id) for summary in first)
            shown = [order_report(record, summary.worker) for record, summary
                     in zip(found, first, strict=True) if record is not None]
        return len(summaries), len(matching), first, shown

    total, matching, first, reports = read_world(args.db, args.no_resume, look)
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
    found = read_world(args.db, args.no_resume, lambda world, _: world.find(args.order))
    record = record_of([found] if found is not None else [], args.order)
    print(json.dumps(order_report(record), indent=2) if args.json else render(record))
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    return _show_order(args, render_status)


def cmd_history(args: argparse.Namespace) -> int:
    return _show_order(args, render_history)


def cmd_audit(args: argparse.Namespace) -> int:
    from app.audit import AuditError, audit_stream, summary  # only here: other commands need none of it

    def look(world: WorldReader, resumed: bool) -> tuple[list[str], int, list[Finding]]:
        """Each order audited as it is read. Orders left in flight by a read without resuming
        are checked for saga order only: whatever they hold is still to be completed or
        compensated, not a violation. One still in flight once resumed and settled is one."""
        stream = world.stream()
        # Read as it is, an order in flight may be moving still; not if nothing moved it for so long.
        stuck_before = None if resumed else datetime.now(UTC) - timedelta(seconds=args.stuck_after)
        try:
            with counting("auditing") as line:
                audited = audit_stream(stream, allow_in_flight=not resumed, progress=line, stuck_before=stuck_before)
            return ([] if resumed else stream.in_flight), *audited
        except AuditError as error:
            raise DatabaseError(f"{args.db}: {error}") from None

    in_flight, orders, findings = read_world(args.db, args.no_resume, look)
    if args.json:
        print(json.dumps({"orders_audited": orders, "in_flight": in_flight,
                          "findings": [finding.as_json() for finding in findings]}, indent=2))
    else:
        for finding in findings:
            print(finding.line())
        print(summary(orders, len(findings), len(in_flight)))
    return AUDIT_FINDINGS if findings else 0


def cmd_dashboard(args: argparse.Namespace) -> int:
    from app.cli import serve  # the parser and its commands, which import this module
    from app.dashboard.launch import run_dashboard  # Textual loads only for the dashboard

    return run_dashboard(args.db, args.scenario, args.operator, serve)


