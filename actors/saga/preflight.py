"""Before a retry: does the recorded cause of an order's failure look resolved now?

A pure function of the order's record and what the participants hold, so the CLI
refuses and the dashboard asks on the same grounds, and the order pane says the
same. Only a shortfall the engine can see is judged (the stock or the money a step
lacked, which its remedy in the plan adds); an injected error, a carrier outage or
a step that never answered is not, and never stands in a retry's way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from actors.saga.domain import Order, OrderRecord, SagaStatus, format_cents
from actors.saga.errors import Refused
from actors.saga.plan import Remedy, definition


@dataclass(frozen=True)
class Supplies:
    """What the participants could give an order now: units available per sku, balance per customer."""

    stock: Mapping[str, int]
    balances: Mapping[str, int]

    def __post_init__(self) -> None:  # read on other threads than the one that built it
        object.__setattr__(self, "stock", MappingProxyType(dict(self.stock)))
        object.__setattr__(self, "balances", MappingProxyType(dict(self.balances)))


@dataclass(frozen=True)
class CauseCheck:
    """Whether a failed step's shortfall is made up now, with the figures that say so."""

    step: str
    resolved: bool
    facts: str  # "balance $110.00 covers $49.99", or "balance $10.00, order $49.99"
    fix: str  # what would resolve it, for a sentence: "top up bob by at least $39.99"; "" once resolved

    def __str__(self) -> str:
        return f"cause resolved: {self.facts}" if self.resolved else f"not resolved yet: {self.facts}"


class CauseUnresolved(Refused):
    """A retry not started because its failure's cause is not resolved yet."""

    def __init__(self, order_id: str, check: CauseCheck) -> None:
        super().__init__(f"Order {order_id} was not retried: its {check.step} failure is "
                         f"not resolved yet ({check.facts})")
        self.order_id = order_id
        self.check = check


def _funds(order: Order, supplies: Supplies, step: str) -> CauseCheck:
    balance, total = supplies.balances.get(order.customer, 0), order.total_cents
    if balance >= total:
        return CauseCheck(step, True, f"balance {format_cents(balance)} covers {format_cents(total)}", "")
    return CauseCheck(step, False, f"balance {format_cents(balance)}, order {format_cents(total)}",
                      f"top up {order.customer} by at least {format_cents(total - balance)}")


def _stock(order: Order, supplies: Supplies, step: str) -> CauseCheck:
    wanted = order.units_by_sku()
    levels = {sku: supplies.stock.get(sku, 0) for sku in wanted}
    short = [sku for sku in wanted if levels[sku] < wanted[sku]]
    if not short:
        covered = ", ".join(f"{levels[sku]} {sku} covers {units}" for sku, units in wanted.items())
        return CauseCheck(step, True, f"stock {covered}", "")
    lacking = "; ".join(f"{levels[sku]} {sku}, order {wanted[sku]}" for sku in short)
    more = " and ".join(f"{sku} by at least {wanted[sku] - levels[sku]}" for sku in short)
    return CauseCheck(step, False, f"stock {lacking}", f"restock {more}")


# How each remedy in the plan is judged: does what it adds now cover the order?
_COVERS: dict[Remedy, Callable[[Order, Supplies, str], CauseCheck]] = {
    Remedy.TOP_UP: _funds,
    Remedy.RESTOCK: _stock,
}


def shortfall_remedy(record: OrderRecord) -> Remedy | None:
    """The remedy of the shortfall a failed or held order waits on; None when the engine
    cannot see its cause (no shortfall, or no remedy for the step), or it waits on nothing."""
    failure = record.failure
    if (record.status not in (SagaStatus.FAILED, SagaStatus.ON_HOLD) or record.cancelled
            or failure is None or not failure.recoverable or not failure.shortfall):
        return None
    return definition(failure.step).remedy


def cause_check(record: OrderRecord, supplies: Supplies) -> CauseCheck | None:
    """Whether the shortfall the order failed for is made up in supplies (None: see shortfall_remedy)."""
    remedy = shortfall_remedy(record)
    failure = record.failure
    if remedy is None or failure is None:
        return None
    return _COVERS[remedy](record.order, supplies, failure.step)
