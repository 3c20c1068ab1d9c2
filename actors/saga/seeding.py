"""A scenario's world as it starts, the same on both runtimes: stock, balances, every
order pending under its own policy for recoverable failures (or else the scenario's),
every scripted fault with all its firings left; and which orders compete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from actors.saga.domain import Order, OrderRecord, SagaStatus, Service, StepStatus
from actors.saga.plan import SAGA_PLAN
from actors.saga.scenario import Scenario


def initial_record(order: Order, scenario: Scenario) -> OrderRecord:
    return OrderRecord(order=order, policy=order.recoverable_failures or scenario.recoverable_failures)


def fault_counts(scenario: Scenario) -> dict[Service, list[int]]:
    """How many times each service's scripted faults may fire, in the scenario's order."""
    counts: dict[Service, list[int]] = {}
    for fault in scenario.faults:
        counts.setdefault(fault.service, []).append(fault.times)
    return counts


@dataclass(frozen=True)
class World:
    stock: Mapping[str, int]
    balances: Mapping[str, int]
    records: tuple[OrderRecord, ...]
    faults: Mapping[Service, list[int]]


def world_of(scenario: Scenario) -> World:
    return World(stock=dict(scenario.stock), balances=dict(scenario.accounts),
                 records=tuple(initial_record(order, scenario) for order in scenario.orders),
                 faults=fault_counts(scenario))


def competitors_before(scenario: Scenario) -> dict[str, dict[str, tuple[str, ...]]]:
    """For each order, by step, the orders listed just before it that draw on something it
    draws on (a sku, a customer's money) where the scenario's orders together want more of it
    than there is: only there does which comes first decide who gets it.

    A script's competing orders take their turn in the order it lists them. Where the runtime
    itself does not keep that order (the PostgreSQL workers run sagas side by side), an order's
    first attempt carries out such a step only once these have (or never will: then it looks
    past them, to theirs).
    """
    before: dict[str, dict[str, tuple[str, ...]]] = {}
    for step in SAGA_PLAN:
        supply = step.rules.supply(scenario)
        wanted: dict[str, int] = {}
        for order in scenario.orders:
            for resource, amount in step.rules.draws(order).items():
                wanted[resource] = wanted.get(resource, 0) + amount
        scarce = {resource for resource, amount in wanted.items() if amount > supply.get(resource, 0)}
        last: dict[str, str] = {}
        for order in scenario.orders:
            drawn = sorted(resource for resource in step.rules.draws(order) if resource in scarce)
            earlier = tuple(dict.fromkeys(last[resource] for resource in drawn if resource in last))
            if earlier:
                before.setdefault(order.id, {})[step.name] = earlier
            for resource in drawn:
                last[resource] = order.id
    return before


def may_yet_draw(record: OrderRecord, step: str) -> bool:
    """Whether the order's first attempt may still carry out `step` (it has not yet, and has
    neither failed before it nor settled): a later competitor waits for it."""
    if record.status not in (SagaStatus.PENDING, SagaStatus.RUNNING) or len(record.attempts) > 1:
        return False
    attempt = record.current_attempt
    return attempt is None or attempt.step(step).status in (StepStatus.PENDING, StepStatus.RUNNING)
