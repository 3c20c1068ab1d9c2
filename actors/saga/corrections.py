"""Corrections: a new version of a failed or held order's input, which its next retry runs on.

Nothing is sent when an order is corrected: the participants hold what earlier versions
applied until the retry undoes what no longer fits (actors/saga/retrying.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from pydantic import ValidationError

from actors.saga import values
from actors.saga.domain import (
    QUANTITY,
    STORED,
    Correction,
    Item,
    NotificationKind,
    OperatorAction,
    Order,
    OrderRecord,
    format_cents,
    now,
)
from actors.saga.errors import Refused
from actors.saga.limits import MAX_UNITS
from actors.saga.retrying import must_be_retryable, plan_retry
from actors.saga.transitions import Transition, changed, operator_event, with_notification


def correction(order_id: str, ship_to: str | None = None, quantity: Mapping[str, int] | None = None,
               remove: Iterable[str] = ()) -> Correction:
    """A correction from the values an operator typed; Refused names the first that cannot be,
    by the rules every door applies (actors/saga/values.py)."""
    quantity, remove = dict(quantity or {}), tuple(remove)
    try:
        values.ORDER_ID.check(order_id)
        if ship_to is None and not quantity and not remove:
            raise Refused(f"Say what to correct in order {order_id}: its address, the quantity of an "
                          "item, or an item to remove.")
        if ship_to is not None:
            values.SHIP_TO.check(ship_to)
        for sku, units in quantity.items():
            values.SKU.check(sku)
            if units == 0:
                raise Refused(f"The quantity of {sku} must be from 1 to {MAX_UNITS:,} (got 0); "
                              "to take an item off the order, remove it.")
            QUANTITY.check(units)
        for sku in remove:
            values.SKU.check(sku)
    except values.BadValue as bad:
        raise Refused(str(bad)) from None
    return Correction(order=order_id, ship_to=ship_to, quantity=quantity, remove=remove)


def _corrected(order: Order, change: Correction) -> tuple[Order, list[str]]:
    """The order as the correction makes it, and each change in words; Refused says why not."""
    skus = [item.sku for item in order.items]
    for sku in (*change.quantity, *change.remove):
        if sku not in skus:
            raise Refused(f"Order {order.id} has no item {sku}; a correction can change the "
                          "quantity of an item or remove one, not add one.")
    for sku in change.quantity:
        if sku in change.remove:
            raise Refused(f"{sku} cannot both get a new quantity and be removed.")
        if skus.count(sku) > 1:
            raise Refused(f"Order {order.id} has {sku} on {skus.count(sku)} lines, so a quantity "
                          "cannot say which one to change.")
    items: list[Item] = []
    changes: list[str] = []
    if change.ship_to is not None and change.ship_to != order.ship_to:
        changes.append(f'ship_to changed from "{order.ship_to}" to "{change.ship_to}"')
    for item in order.items:
        units = change.quantity.get(item.sku, item.quantity)
        if item.sku in change.remove:
            changes.append(f"{item.sku} removed (quantity {item.quantity})")
            continue
        if units != item.quantity:
            changes.append(f"{item.sku} quantity {item.quantity} -> {units}")
        items.append(changed(item, quantity=units))  # units: checked in the correction
    if not items:
        raise Refused(f"Order {order.id} must keep at least one item; this correction removes them all.")
    try:
        # The names as stored (an older ordersaga may have written longer ones), the change as typed.
        corrected = Order.model_validate({"id": order.id, "customer": order.customer, "ship_to": change.ship_to
                                          or order.ship_to, "items": tuple(items)}, context=STORED)
    except ValidationError as error:  # over a cap of one top-up or one restock
        problem = str(error.errors()[0]["msg"]).removeprefix("Value error, ")
        raise Refused(f"Order {order.id} cannot be corrected so: {problem}.") from None
    if not changes:
        raise Refused(f"Order {order.id} already is as this correction asks; it changes nothing.")
    return corrected, changes


def must_be_correctable(record: OrderRecord) -> None:
    """Refused unless the order may be corrected: exactly when it may be retried."""
    must_be_retryable(record, "corrected")


def edit(record: OrderRecord, change: Correction, at: datetime, by: str) -> Transition:
    """Make a new version of a failed or held order's input; the next retry runs on it.

    Nothing is sent: the participants hold what earlier versions applied until the retry
    (plan_retry) undoes what no longer fits. The edit is an operator event in the timeline,
    under the attempt it follows, and the customer is told.
    """
    must_be_correctable(record)
    attempt = record.current_attempt
    assert attempt is not None
    corrected, changes = _corrected(record.order, change)
    version = record.version + 1
    event = operator_event(record, at, OperatorAction.EDIT, by, f"version {version}: {'; '.join(changes)}")
    message = (f"Order {record.order.id} was corrected: {'; '.join(changes)}. It now comes to "
               f"{format_cents(corrected.total_cents)}, shipping to {corrected.ship_to}.")
    return Transition(changed(
        record, order=corrected, earlier_versions=record.earlier_versions + (record.order,),
        timeline=record.timeline + (event,), updated_at=at,
        notifications=with_notification(record, at, attempt.number, NotificationKind.CORRECTION, message)))


def preview_edit(record: OrderRecord, change: Correction) -> str:
    """What the correction would change and what the retry would then do, on two lines;
    Refused says why it cannot be made."""
    corrected = edit(record, change, now(), by="").record
    return f"Saving makes {corrected.timeline[-1].reason}.\nRetrying it {plan_retry(corrected).describe()}."
