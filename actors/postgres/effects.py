"""The participants' effects on PostgreSQL: each command is one transaction that applies
or undoes its effect and records the outcome in the ledger under the command's
idempotency key, so a command that DBOS runs again after a crash applies nothing twice
and is answered what it was answered the first time (a failure included).

The ledger keeps the embedded participants' rules (actors/participants/base.py): an
execution records whether it applied or failed; a compensation undoes an applied
effect, answers "nothing to undo" for a failed one, and fences a key that never
arrived, so a late delivery is refused. Scripted faults fire as they do there, and
their firings are stored in the same transaction.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from actors.saga.domain import (Action, Fault, FaultKind, IdempotencyKey, Order, ParticipantReply, Service,
                           format_cents)
from actors.saga.faults import FaultBook
from actors.saga.plan import SAGA_PLAN, definition
from actors.postgres.store import _q


@dataclass(frozen=True)
class Done:
    """What a command came to: the reply it gives (None when none comes back) and the
    fault that fired on it, if any (a crash fault is carried out once this commits)."""

    reply: ParticipantReply | None
    fault: Fault | None = None


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    reason: str = ""
    recoverable: bool = True
    shortfall: bool = False  # failed for want of stock or money, which a restock or top-up adds


def _reply(key: IdempotencyKey, ok: bool, reason: str = "", recoverable: bool = True,
           shortfall: bool = False) -> ParticipantReply:
    return ParticipantReply(key=key, ok=ok, reason="" if ok else reason, recoverable=recoverable,
                            shortfall=shortfall)


def _take_fault(connection: sa.Connection, service: Service, faults: tuple[Fault, ...],
                key: IdempotencyKey, repeated: bool) -> Fault | None:
    """The scripted fault firing on this command, its firing stored with the command."""
    if not any(f.service == service for f in faults):
        return None
    remaining = connection.execute(_q("SELECT remaining FROM $S.faults WHERE service = :s FOR UPDATE"),
                                   {"s": service.value}).scalar()
    book = FaultBook(service, faults, remaining)
    fault = book.take(key, transport_only=repeated)
    if fault is not None:
        connection.execute(_q("INSERT INTO $S.faults VALUES (:s, :r) ON CONFLICT (service) "
                              "DO UPDATE SET remaining = excluded.remaining"),
                           {"s": service.value, "r": json.dumps(book.doc()["remaining"])})
    return fault


def carry_out(connection: sa.Connection, key: IdempotencyKey, order: Order,
              faults: tuple[Fault, ...]) -> Done:
    """Apply or undo the effect key names, at most once, in the caller's transaction.

    The caller holds the order's row lock, so one command of an order runs at a time.
    """
    step = definition(key.step)
    rows = {row[0]: row[1:] for row in connection.execute(
        _q("SELECT action, ok, undid, reason, recoverable FROM $S.ledger "
           "WHERE order_id = :o AND step = :s AND attempt = :a"),
        {"o": key.order, "s": key.step, "a": key.attempt})}
    executed = rows.get(Action.EXECUTE.value)
    compensated = rows.get(Action.COMPENSATE.value)
    if key.action == Action.EXECUTE:
        repeated = executed is not None or compensated is not None
    else:
        repeated = compensated is not None or (executed is not None and not executed[0])
    fault = _take_fault(connection, step.service, faults, key, repeated)
    if fault is not None and fault.kind in (FaultKind.CRASH, FaultKind.TIMEOUT):
        return Done(None, fault)  # lost before it takes effect
    lost = fault is not None and fault.kind == FaultKind.LOST_REPLY
    if repeated:
        reply = _recorded(key, executed)
    elif key.action == Action.EXECUTE:
        outcome = (_Outcome(False, fault.reason, fault.recoverable)
                   if fault is not None and fault.kind == FaultKind.ERROR
                   else _APPLY[step.service](connection, order, key))
        _record(connection, key, outcome.ok, reason=outcome.reason, recoverable=outcome.recoverable)
        reply = _reply(key, outcome.ok, outcome.reason, outcome.recoverable, outcome.shortfall)
    elif fault is not None and fault.kind == FaultKind.ERROR:
        # A failed compensation leaves the effect applied; it is asked again until it succeeds.
        return Done(_reply(key, False, fault.reason, fault.recoverable), fault)
    else:
        undid = executed is not None  # applied: undo it; never arrived: fence the key
        if undid:
            _UNDO[step.service](connection, order, key)
        _record(connection, key, True, undid=undid)
        reply = _reply(key, True)
    return Done(None if lost else reply, fault)


def _recorded(key: IdempotencyKey, executed: tuple[bool, bool, str, bool] | None) -> ParticipantReply:
    """What a repeated command is answered: what it was answered the first time."""
    if key.action == Action.COMPENSATE or (executed is not None and executed[0]):
        return _reply(key, True)
    if executed is not None:
        return _reply(key, False, executed[2], executed[3])
    return _reply(key, False, "it was cancelled before it arrived")


def _record(connection: sa.Connection, key: IdempotencyKey, ok: bool, undid: bool = False,
            reason: str = "", recoverable: bool = True) -> None:
    # The primary key is the idempotency key: a second writer of it fails, never applies twice.
    connection.execute(_q("INSERT INTO $S.ledger VALUES (:o, :s, :a, :action, :ok, :undid, :reason, :rec)"),
                       {"o": key.order, "s": key.step, "a": key.attempt, "action": key.action.value,
                        "ok": ok, "undid": undid, "reason": reason, "rec": recoverable})


def _effect(key: IdempotencyKey) -> str:
    return f"{key.order}/{key.step}/{key.attempt}"


def _words(service: Service) -> tuple[str, str]:
    """The participant's words for its effect while it holds and once undone (the audit's too)."""
    words = next(step.effect for step in SAGA_PLAN if step.service == service)
    return words.live, words.undone


# -- inventory: stock per sku, reservations ------------------------------------------
def _reserve(connection: sa.Connection, order: Order, key: IdempotencyKey) -> _Outcome:
    """Reserve every item of the order, or none of them."""
    wanted = Counter[str]()
    for item in order.items:
        wanted[item.sku] += item.quantity
    available: dict[str, int] = dict(connection.execute(
        _q("SELECT sku, available FROM $S.stock WHERE sku = ANY(:skus) ORDER BY sku FOR UPDATE"),
        {"skus": sorted(wanted)}).all())
    for sku, quantity in wanted.items():
        if available.get(sku, 0) < quantity:
            return _Outcome(False, f"Not enough stock of {sku}: wanted {quantity}, "
                                   f"available {available.get(sku, 0)}", shortfall=True)
    for sku, quantity in sorted(wanted.items()):
        connection.execute(_q("UPDATE $S.stock SET available = available - :n, reserved = reserved + :n "
                              "WHERE sku = :sku"), {"n": quantity, "sku": sku})
    connection.execute(_q("INSERT INTO $S.reservations VALUES (:e, :o, :items, :status)"),
                       {"e": _effect(key), "o": order.id, "items": json.dumps(dict(wanted)),
                        "status": _words(Service.INVENTORY)[0]})
    return _Outcome(True)


def _release(connection: sa.Connection, order: Order, key: IdempotencyKey) -> None:
    items = connection.execute(_q("UPDATE $S.reservations SET status = :status WHERE effect = :e "
                                  "RETURNING items"),
                               {"e": _effect(key), "status": _words(Service.INVENTORY)[1]}).scalar_one()
    for sku, quantity in sorted(items.items()):
        connection.execute(_q("UPDATE $S.stock SET available = available + :n, reserved = reserved - :n "
                              "WHERE sku = :sku"), {"n": quantity, "sku": sku})


# -- payment: balances, charges ----------------------------------------------------------
def _charge(connection: sa.Connection, order: Order, key: IdempotencyKey) -> _Outcome:
    """Charge the order's total, if the balance covers it."""
    balance = connection.execute(_q("SELECT balance_cents FROM $S.accounts WHERE customer = :c FOR UPDATE"),
                                 {"c": order.customer}).scalar() or 0
    total = order.total_cents
    if balance < total:
        return _Outcome(False, f"Insufficient funds: balance {format_cents(balance)}, "
                               f"order total {format_cents(total)}", shortfall=True)
    connection.execute(_q("UPDATE $S.accounts SET balance_cents = balance_cents - :t WHERE customer = :c"),
                       {"t": total, "c": order.customer})
    connection.execute(_q("INSERT INTO $S.charges VALUES (:e, :o, :t, :status)"),
                       {"e": _effect(key), "o": order.id, "t": total, "status": _words(Service.PAYMENT)[0]})
    return _Outcome(True)


def _refund(connection: sa.Connection, order: Order, key: IdempotencyKey) -> None:
    amount = connection.execute(_q("UPDATE $S.charges SET status = :status WHERE effect = :e "
                                   "RETURNING amount_cents"),
                                {"e": _effect(key), "status": _words(Service.PAYMENT)[1]}).scalar_one()
    connection.execute(_q("UPDATE $S.accounts SET balance_cents = balance_cents + :t WHERE customer = :c"),
                       {"t": amount, "c": order.customer})


# -- shipping: shipments -------------------------------------------------------------------
def _ship(connection: sa.Connection, order: Order, key: IdempotencyKey) -> _Outcome:
    connection.execute(_q("INSERT INTO $S.shipments VALUES (:e, :o, :address, :status)"),
                       {"e": _effect(key), "o": order.id, "address": order.ship_to,
                        "status": _words(Service.SHIPPING)[0]})
    return _Outcome(True)


def _cancel_shipment(connection: sa.Connection, order: Order, key: IdempotencyKey) -> None:
    connection.execute(_q("UPDATE $S.shipments SET status = :status WHERE effect = :e"),
                       {"e": _effect(key), "status": _words(Service.SHIPPING)[1]})


_APPLY = {Service.INVENTORY: _reserve, Service.PAYMENT: _charge, Service.SHIPPING: _ship}
_UNDO = {Service.INVENTORY: _release, Service.PAYMENT: _refund, Service.SHIPPING: _cancel_shipment}
