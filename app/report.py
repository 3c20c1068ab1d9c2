"""The run report: one plain-data view of every order and participant, and its
readable rendering. The JSON form is a stable interface for scripts."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from actors import (
    InventoryReport,
    LiveReports,
    OperatorAction,
    OrderRecord,
    OrderSummary,
    PaymentReport,
    SagaStatus,
    TimelineEvent,
    WorldSnapshot,
    WorldStream,
    format_cents,
    order_sort_key,
)

_NARROWEST = 10  # the id, customer and total columns of an order line
_STATUS_WIDTH = len("compensating")
_FAILURE_FIELDS = {"step", "reason", "recoverable"}  # as documented: a script reads these


def versions_report(record: OrderRecord) -> list[dict[str, Any]]:
    """Every version of the order, the first one first: what it asked, when an operator's edit
    made it and what the edit changed (none for version 1), and the attempts that ran on it."""
    edits = [event for event in record.timeline if event.action == OperatorAction.EDIT]
    made: list[tuple[str | None, str]] = [(None, "")]
    made += [(edit.at.isoformat(), edit.reason.partition(": ")[2]) for edit in edits]
    made += [(None, "")] * (record.version - len(made))  # a record whose edits went missing
    return [{"version": number, "at": made[number - 1][0], "changes": made[number - 1][1],
             "ship_to": order.ship_to, "total_cents": order.total_cents,
             "items": [item.model_dump(mode="json") for item in order.items],
             "attempts": [a.number for a in record.attempts if a.version == number]}
            for number, order in enumerate(record.versions, start=1)]


def timeline_entry(event: TimelineEvent) -> dict[str, Any]:
    """One event as plain data; an operator's says who did it ("by")."""
    entry = {"at": event.at.isoformat(), "attempt": event.attempt, "step": event.step,
             "action": event.action.value, "outcome": event.outcome.value, "reason": event.reason}
    if event.by is not None:
        entry["by"] = event.by
    return entry


def order_report(record: OrderRecord, worker: str | None = None) -> dict[str, Any]:
    """The order as plain data; with the worker that last moved it, where workers run it."""
    attempt = record.current_attempt
    failure = record.failure
    report = {
        "id": record.order.id,
        "customer": record.order.customer,
        "status": record.status.value,
        "current_step": record.current_step,
        "total_cents": record.order.total_cents,
        "attempts": len(record.attempts),
        "version": record.version,
        "versions": versions_report(record),
        "failure": failure.model_dump(mode="json", include=_FAILURE_FIELDS) if failure else None,
        "steps": [{"name": s.name, "status": s.status.value} for s in attempt.steps] if attempt else [],
        "timeline": [timeline_entry(e) for e in record.timeline],
        "notifications": [{"kind": n.kind.value, "attempt": n.attempt, "message": n.message}
                          for n in record.notifications],
    }
    if worker:
        report["worker"] = worker
    return report


class _Source(Protocol):
    """Where a report's parts come from: a snapshot held whole, or a stream read order by order."""

    scenario: str | None
    follow_ups: list[str]
    live: LiveReports

    def orders(self) -> Iterable[dict[str, Any]]: ...

    def rows(self, name: str) -> Iterable[dict[str, Any] | bytes]: ...


@dataclass(frozen=True)
class _Part:
    """One part of the report, top to bottom: its name, and how it is read from a source; a
    listed part is a list whose entries a streamed report writes one at a time."""

    name: str
    read: Callable[[_Source], Any]
    listed: bool = False

    @classmethod
    def rows(cls, name: str) -> _Part:
        """The participants' rows of one kind (reservations, charges, shipments)."""
        return cls(name, lambda source: source.rows(name), listed=True)


# The report's layout: what build_report returns and write_report_json writes, in this order.
_LAYOUT = (
    _Part("scenario", lambda source: source.scenario),
    _Part("follow_ups", lambda source: source.follow_ups),
    _Part("orders", lambda source: source.orders(), listed=True),
    _Part("stock", lambda source: _stock(source.live[0])),
    _Part("accounts", lambda source: _accounts(source.live[1])),
    *(_Part.rows(name) for name in ("reservations", "charges", "shipments")),
)


class _Snapshot:
    def __init__(self, snapshot: WorldSnapshot, follow_ups: list[str]) -> None:
        self.scenario = snapshot.scenario.name if snapshot.scenario else None
        self.follow_ups = follow_ups
        self.live: LiveReports = (snapshot.inventory, snapshot.payment, snapshot.shipping)
        self._snapshot = snapshot
        self._rows = _rows(self.live)

    def orders(self) -> Iterator[dict[str, Any]]:
        workers = self._snapshot.workers
        return (order_report(record, workers.get(record.order.id)) for record in self._snapshot.records)

    def rows(self, name: str) -> list[dict[str, Any]]:
        return self._rows[name]


class _Streamed:
    """A stream's orders, read once: an archived order's documents are let go once its entry is
    written, and only its rows, written already (a few lines of text), wait for their lists."""

    def __init__(self, stream: WorldStream, follow_ups: list[str]) -> None:
        self.scenario = stream.scenario.name if stream.scenario else None
        self.follow_ups = follow_ups
        self.live = stream.live
        self._stream = stream
        self._archived: list[tuple[str, dict[str, list[bytes]]]] = []

    def orders(self) -> Iterator[dict[str, Any]]:
        for parts in self._stream.orders():
            if parts.archived_rows is not None:
                self._archived.append((parts.order_id, {name: [_json(row, 2) for row in listed]
                                                        for name, listed in _rows(parts.archived_rows).items()}))
            if parts.record is not None:
                yield order_report(parts.record, self._stream.workers.get(parts.order_id))

    def rows(self, name: str) -> Iterator[dict[str, Any] | bytes]:
        """The live rows, then the archived ones by order id (as each participant reports its orders)."""
        self._archived.sort(key=lambda entry: entry[0])
        return itertools.chain(_rows(self.live)[name], (row for _, rows in self._archived for row in rows[name]))


def build_report(snapshot: WorldSnapshot, follow_ups: list[str] | None = None) -> dict[str, Any]:
    source = _Snapshot(snapshot, follow_ups or [])
    return {part.name: list(part.read(source)) if part.listed else part.read(source) for part in _LAYOUT}


def _stock(inventory: InventoryReport) -> dict[str, Any]:
    return {sku: {"available": level["available"], "reserved": level["reserved"],
                  "initial": level["initial"], "restocked": sum(level["restocks"].values())}
            for sku, level in inventory["stock"].items()}


def _accounts(payment: PaymentReport) -> dict[str, Any]:
    return {customer: {"balance_cents": account["balance_cents"], "initial_cents": account["initial_cents"],
                       "top_ups_cents": sum(account["top_ups"].values())}
            for customer, account in payment["accounts"].items()}


def _rows(reports: LiveReports) -> dict[str, list[dict[str, Any]]]:
    """The reservations, charges and shipments in the participants' reports, as the report lists them."""
    inventory, payment, shipping = reports
    return {"reservations": [{"order": r["order"], "items": r["items"], "status": r["status"]}
                             for r in inventory["reservations"]],
            "charges": [{"order": c["order"], "amount_cents": c["amount_cents"], "status": c["status"]}
                        for c in payment["charges"]],
            "shipments": [{"order": s["order"], "status": s["status"]} for s in shipping["shipments"]]}


def write_report_json(stream: WorldStream, follow_ups: list[str], write: Callable[[bytes], object]) -> None:
    """The report as `json.dumps(build_report(...), indent=2)` writes it (UTF-8), part by part as
    _LAYOUT has them, each order written as it is read."""
    source = _Streamed(stream, follow_ups)
    for number, part in enumerate(_LAYOUT):
        write((b'{\n  "' if number == 0 else b',\n  "') + part.name.encode() + b'": ')
        if part.listed:
            _write_list(write, (entry if isinstance(entry, bytes) else _json(entry, 2)
                                for entry in part.read(source)))
        else:
            write(_json(part.read(source), 1))
    write(b"\n}")


def _write_list(write: Callable[[bytes], object], entries: Iterable[bytes]) -> None:
    """A list one level into the report, its entries already written two levels in."""
    empty = True
    for entry in entries:
        write(b"[\n    " if empty else b",\n    ")
        write(entry)
        empty = False
    write(b"[]" if empty else b"\n  ]")


def _json(value: Any, depth: int) -> bytes:
    """json.dumps(value, indent=2) as it reads `depth` levels into the report: orjson writes the
    same text faster (see docs/performance.md); where it would differ (text beyond ASCII, which
    json escapes, or a value orjson refuses), json writes it."""
    try:
        encoded = orjson.dumps(value, option=orjson.OPT_INDENT_2)
        if not encoded.isascii():
            encoded = json.dumps(value, indent=2).encode()
    except TypeError:  # orjson.JSONEncodeError
        encoded = json.dumps(value, indent=2).encode()
    return encoded.replace(b"\n", b"\n" + b"  " * depth)


def _status_word(record: dict[str, Any]) -> str:
    status: str = record["status"]
    return status.replace("_", " ")


def _columns(widths: tuple[int, int, int], id_: str, customer: str, total: str, status: str,
             rest: str) -> str:
    id_width, customer_width, total_width = widths
    return (f"  {id_:<{id_width}} {customer:<{customer_width}} {total:>{total_width}}  "
            f"{status:<{_STATUS_WIDTH}} {rest}")


def order_line(order: dict[str, Any], widths: tuple[int, int, int], worker_width: int = 0) -> str:
    rest = f"{order.get('worker') or '-':<{worker_width}} " if worker_width else ""
    rest += f"attempts {order['attempts']}"
    if order["version"] > 1:
        rest += f", version {order['version']}"
    if order["current_step"]:
        rest += f"  at {order['current_step']}"
    failure = order["failure"]
    if failure and order["status"] != SagaStatus.RUNNING.value:
        kind = "recoverable" if failure["recoverable"] else "not recoverable"
        rest += f"  {failure['step']}: {failure['reason']} ({kind})"
    return _columns(widths, order["id"], order["customer"], format_cents(order["total_cents"]),
                    _status_word(order), rest)


def _widest(entries: Iterable[str]) -> int:
    return max([_NARROWEST, *map(len, entries)])


def order_lines(orders: list[dict[str, Any]]) -> list[str]:
    """A header naming the columns, then one line per order under it (none for no orders).

    A column is as wide as its widest entry, so one long id or name does not push
    the rest of its line out of line with the header.
    """
    if not orders:
        return []
    widths = (_widest(order["id"] for order in orders), _widest(order["customer"] for order in orders),
              _widest(format_cents(order["total_cents"]) for order in orders))
    workers = [order["worker"] for order in orders if order.get("worker")]
    worker_width = max(map(len, ["WORKER", *workers])) if workers else 0
    rest = f"{'WORKER':<{worker_width}} " if worker_width else ""
    header = _columns(widths, "ORDER", "CUSTOMER", "TOTAL", "STATUS", rest + "ATTEMPTS, STEP, FAILURE")
    return [header, *(order_line(order, widths, worker_width) for order in orders)]


def select_orders(orders: Iterable[OrderSummary], statuses: Collection[SagaStatus] | None,
                  customer: str | None) -> list[OrderSummary]:
    """The orders a listing's filters keep, in no particular order."""
    return [order for order in orders if (statuses is None or order.status in statuses)
            and (customer is None or order.customer == customer)]


def first_orders(orders: list[OrderSummary], oldest_first: bool, limit: int | None) -> list[OrderSummary]:
    """The first `limit` orders (all without one) as a listing shows them, newest change first
    (or oldest first).

    An order never started has no change yet, so it counts as the oldest; orders that tie are
    in id order either way. They are sorted by their change alone, then only the first `limit`
    (with those that tie with the last of them) by id as well: an id's sort key costs more than
    the whole sort by change, so 100,000 of them would be most of a listing's time.
    """
    direction = 1 if oldest_first else -1

    def at(order: OrderSummary) -> float:
        return direction * (order.updated_at.timestamp() if order.updated_at else float("-inf"))

    def when(order: OrderSummary) -> tuple[float, tuple[str, int, str]]:
        return at(order), order_sort_key(order.id)

    if limit is None or limit >= len(orders):
        return sorted(orders, key=when)
    by_change = sorted(orders, key=at)
    last = at(by_change[limit - 1])
    end = limit
    while end < len(by_change) and at(by_change[end]) == last:
        end += 1
    return sorted(by_change[:end], key=when)[:limit]


def summary_report(summary: OrderSummary) -> dict[str, Any]:
    """The fields of an order's report that its line in a listing shows, from its summary."""
    report = {"id": summary.id, "customer": summary.customer, "status": summary.status.value,
              "current_step": summary.current_step, "total_cents": summary.total_cents,
              "attempts": summary.attempts, "version": summary.version,
              "failure": summary.failure.model_dump(mode="json") if summary.failure else None}
    if summary.worker:
        report["worker"] = summary.worker
    return report


def render_summary(report: dict[str, Any]) -> str:
    lines = []
    if report["scenario"]:
        lines.append(f"Scenario: {report['scenario']}")
    lines += report["follow_ups"]
    orders = report["orders"]
    counts = Counter(order["status"] for order in orders)
    tally = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in sorted(counts.items()))
    lines.append(f"Orders: {len(orders)}" + (f" ({tally})" if tally else ""))
    lines += order_lines(orders)
    if report["stock"]:
        lines.append("Stock: " + "; ".join(f"{sku} {s['available']} available, {s['reserved']} reserved"
                                           for sku, s in report["stock"].items()))
    if report["accounts"]:
        lines.append("Accounts: " + "; ".join(f"{customer} {format_cents(a['balance_cents'])}"
                                              for customer, a in report["accounts"].items()))
    charges = Counter(c["status"] for c in report["charges"])
    shipments = Counter(s["status"] for s in report["shipments"])
    lines.append(f"Charges: {charges['captured']} captured, {charges['refunded']} refunded")
    lines.append(f"Shipments: {shipments['created']} created, {shipments['cancelled']} cancelled")
    return "\n".join(lines)


def render_status(record: OrderRecord) -> str:
    order = order_report(record)
    lines = [f"Order {order['id']} ({order['customer']}, {format_cents(order['total_cents'])}): "
             f"{_status_word(order)}, attempt {order['attempts']}"]
    for step in order["steps"]:
        marker = "  <- now" if step["name"] == order["current_step"] else ""
        lines.append(f"  {step['name']:<10} {step['status']}{marker}")
    failure = order["failure"]
    if failure:
        kind = "recoverable" if failure["recoverable"] else "not recoverable"
        lines.append(f"  failed at {failure['step']}: {failure['reason']} ({kind})")
    if order["version"] > 1:
        lines += [_version_line(version) for version in order["versions"]]
    return "\n".join(lines)


def _version_line(version: dict[str, Any]) -> str:
    """'  version 2: 1 KEYBOARD, $49.99, to "1 Main St" (attempt 2); KEYBOARD quantity 3 -> 1'."""
    items = ", ".join(f"{item['quantity']} {item['sku']}" for item in version["items"])
    ran = version["attempts"]
    attempts = f" (attempt{'s' if len(ran) > 1 else ''} {', '.join(map(str, ran))})" if ran else ""
    changes = f"; {version['changes']}" if version["changes"] else ""
    return (f"  version {version['version']}: {items}, {format_cents(version['total_cents'])}, "
            f'to "{version["ship_to"]}"{attempts}{changes}')


def render_history(record: OrderRecord) -> str:
    lines = [f"Order {record.order.id}: {len(record.timeline)} events"]
    for event in record.timeline:
        reason = f"  {event.reason}" if event.reason else ""
        reason += f"  (by {event.by})" if event.by is not None else ""
        stamp = f"{event.at:%Y-%m-%d %H:%M:%S.%f}"[:-3]
        lines.append(f"  {stamp}  #{event.attempt}  {event.step:<10} {event.action.value:<10} "
                     f"{event.outcome.value:<11}{reason}".rstrip())
    for note in record.notifications:
        lines.append(f"  notice #{note.attempt} {note.kind.value}: {note.message}")
    return "\n".join(lines)
