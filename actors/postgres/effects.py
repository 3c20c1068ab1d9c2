"""The participants' effects on PostgreSQL: each command is one transaction that asks the
saga core's ledger (actors/saga/ledger.py) what to do, applies the service's effect (its
rules in actors/saga) to rows where the ledger allows it, and records the outcome under
the command's idempotency key. A command that DBOS runs again after a crash therefore
applies nothing twice and is answered what it was answered the first time.

Scripted faults fire as they do in the embedded runtime: the counts are rows made when
the world is seeded, locked while one fires, and stored in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from actors.postgres.store import entry_of_rows, run
from actors.saga import inventory, ledger, payment, shipping
from actors.saga.domain import Action, IdempotencyKey, Order, OrderRecord, ParticipantReply, Service
from actors.saga.effects import DONE, Effect, effect_name
from actors.saga.faults import FaultBook
from actors.saga.plan import definition
from actors.saga.scenario import Fault
from actors.saga.seeding import may_yet_draw


@dataclass(frozen=True)
class Done:
    """What a command came to: the reply it gives (None when none comes back), the fault
    that fired on it, and whether it is the scripted crash (carried out once this commits)."""

    reply: ParticipantReply | None
    fault: Fault | None = None
    crash: bool = False


def _take_fault(connection: sa.Connection, service: Service, faults: tuple[Fault, ...],
                key: IdempotencyKey, repeated: bool) -> Fault | None:
    """The scripted fault firing on this command, its firing stored with the command."""
    if not any(f.service == service for f in faults):
        return None
    remaining = run(connection, "SELECT remaining FROM $S.faults WHERE service = :s FOR UPDATE",
                    {"s": service.value}).scalar()
    book = FaultBook(service, faults, remaining)
    fault = book.take(key, transport_only=repeated)
    if fault is not None:
        run(connection, "UPDATE $S.faults SET remaining = :r WHERE service = :s",
            {"s": service.value, "r": json.dumps(book.doc()["remaining"])})
    return fault


def carry_out(connection: sa.Connection, key: IdempotencyKey, order: Order,
              faults: tuple[Fault, ...]) -> Done:
    """Apply or undo the effect key names, at most once, in the caller's transaction.

    The caller holds the order's row lock, so one command of an order runs at a time.
    """
    service = definition(key.step).service
    entry = read_entry(connection, key)
    fault = _take_fault(connection, service, faults, key, ledger.is_repeat(key, entry))

    def apply_or_undo(action: Action) -> Effect:
        return (_APPLY if action == Action.EXECUTE else _UNDO)[service](connection, order, key)

    decision = ledger.decide(key, entry, fault, apply_or_undo)
    if decision.entry is not None:
        _record(connection, key, decision.entry)
    return Done(decision.reply, fault, decision.crash)


# -- the ledger: a row per action of an effect ----------------------------------------
def read_entry(connection: sa.Connection, key: IdempotencyKey) -> ledger.LedgerEntry | None:
    rows = run(connection, "SELECT action, ok, undid, reason, recoverable, shortfall FROM $S.ledger "
                           "WHERE order_id = :o AND step = :s AND attempt = :a",
               {"o": key.order, "s": key.step, "a": key.attempt}).all()
    return entry_of_rows({row[0]: tuple(row[1:]) for row in rows})


def _record(connection: sa.Connection, key: IdempotencyKey, entry: ledger.LedgerEntry) -> None:
    # The primary key is the idempotency key: a second writer of it fails, never applies twice.
    executed = entry.state in (ledger.APPLIED, ledger.FAILED)
    run(connection,
        "INSERT INTO $S.ledger (order_id, step, attempt, action, ok, undid, reason, recoverable, shortfall) "
        "VALUES (:o, :s, :a, :action, :ok, :undid, :reason, :rec, :short)",
        {"o": key.order, "s": key.step, "a": key.attempt,
         "action": (Action.EXECUTE if executed else Action.COMPENSATE).value,
         "ok": entry.state != ledger.FAILED, "undid": entry.state == ledger.COMPENSATED,
         "reason": entry.reason, "rec": entry.recoverable, "short": entry.shortfall})


# -- inventory: stock per sku, reservations --------------------------------------------
def _reserve(connection: sa.Connection, order: Order, key: IdempotencyKey) -> Effect:
    skus = sorted(order.units_by_sku())
    available: dict[str, int] = dict(run(  # locked in one order: no deadlock
        connection, "SELECT sku, available FROM $S.stock WHERE sku = ANY(:skus) ORDER BY sku FOR UPDATE",
        {"skus": skus}).all())
    wanted = inventory.reserve(order, available)
    if isinstance(wanted, Effect):
        return wanted
    for sku, quantity in sorted(wanted.items()):
        run(connection, "UPDATE $S.stock SET available = available - :n, reserved = reserved + :n "
                        "WHERE sku = :sku", {"n": quantity, "sku": sku})
    run(connection, "INSERT INTO $S.reservations VALUES (:e, :o, :items, :status)",
        {"e": effect_name(key), "o": order.id, "items": json.dumps(wanted), "status": inventory.WORDS.live})
    return DONE


def _release(connection: sa.Connection, order: Order, key: IdempotencyKey) -> Effect:
    items = run(connection, "UPDATE $S.reservations SET status = :status WHERE effect = :e RETURNING items",
                {"e": effect_name(key), "status": inventory.WORDS.undone}).scalar_one()
    for sku, quantity in sorted(items.items()):
        run(connection, "UPDATE $S.stock SET available = available + :n, reserved = reserved - :n "
                        "WHERE sku = :sku", {"n": quantity, "sku": sku})
    return DONE


# -- payment: balances, charges ----------------------------------------------------------
def _charge(connection: sa.Connection, order: Order, key: IdempotencyKey) -> Effect:
    balance = run(connection, "SELECT balance_cents FROM $S.accounts WHERE customer = :c FOR UPDATE",
                  {"c": order.customer}).scalar() or 0
    amount = payment.charge(order, balance)
    if isinstance(amount, Effect):
        return amount
    run(connection, "UPDATE $S.accounts SET balance_cents = balance_cents - :t WHERE customer = :c",
        {"t": amount, "c": order.customer})
    run(connection, "INSERT INTO $S.charges VALUES (:e, :o, :t, :status)",
        {"e": effect_name(key), "o": order.id, "t": amount, "status": payment.WORDS.live})
    return DONE


def _refund(connection: sa.Connection, order: Order, key: IdempotencyKey) -> Effect:
    amount = run(connection, "UPDATE $S.charges SET status = :status WHERE effect = :e RETURNING amount_cents",
                 {"e": effect_name(key), "status": payment.WORDS.undone}).scalar_one()
    run(connection, "UPDATE $S.accounts SET balance_cents = balance_cents + :t WHERE customer = :c",
        {"t": amount, "c": order.customer})
    return DONE


# -- shipping: shipments -------------------------------------------------------------------
def _ship(connection: sa.Connection, order: Order, key: IdempotencyKey) -> Effect:
    run(connection, "INSERT INTO $S.shipments VALUES (:e, :o, :address, :status)",
        {"e": effect_name(key), "o": order.id, "address": shipping.ship(order), "status": shipping.WORDS.live})
    return DONE


def _cancel_shipment(connection: sa.Connection, order: Order, key: IdempotencyKey) -> Effect:
    run(connection, "UPDATE $S.shipments SET status = :status WHERE effect = :e",
        {"e": effect_name(key), "status": shipping.WORDS.undone})
    return DONE


_APPLY = {Service.INVENTORY: _reserve, Service.PAYMENT: _charge, Service.SHIPPING: _ship}
_UNDO = {Service.INVENTORY: _release, Service.PAYMENT: _refund, Service.SHIPPING: _cancel_shipment}
# The services whose effects lock rows that other orders' commands lock too (stock, balances).
_SHARED = frozenset({Service.INVENTORY, Service.PAYMENT})


def locks_shared_rows(service: Service, faults: tuple[Fault, ...]) -> bool:
    """Whether a command to the service locks rows other orders wait on: its table's, or its
    scripted faults' counts. A transaction takes such locks for one command at most, so it
    holds them only as long as that command, and two never wait on each other's (a reserve
    then a charge in one, a refund then a release in another)."""
    return service in _SHARED or any(f.service == service for f in faults)


# -- a script's competing orders, in its order ------------------------------------------
def passed(connection: sa.Connection, order_id: str, step: str,
           turns: Mapping[str, Mapping[str, tuple[str, ...]]]) -> bool:
    """Whether the orders the order takes its turn after (seeding.competitors_before) have
    carried out their first attempt's `step`; past one that never will, its own are asked."""
    asked: set[str] = set()
    pending = list(turns.get(order_id, {}).get(step, ()))
    while pending:
        batch = [other for other in dict.fromkeys(pending) if other not in asked]
        asked.update(batch)
        decided = {row[0] for row in run(
            connection, "SELECT order_id FROM $S.ledger WHERE order_id = ANY(:ids) AND step = :s AND attempt = 1 "
                        "AND action = 'execute'", {"ids": batch, "s": step})}
        pending = []
        for row in run(connection, "SELECT record FROM $S.orders WHERE id = ANY(:ids)",
                       {"ids": [other for other in batch if other not in decided]}):
            record = OrderRecord.model_validate(row[0])
            if may_yet_draw(record, step):
                return False
            pending += turns.get(record.order.id, {}).get(step, ())
    return True
