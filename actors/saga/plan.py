"""The saga's plan: its steps in order, each with its service, its rules and its words.

Everything that differs from one step to the next is here, so a new step is one more
entry (with its `Service` member and its service's rules module): the saga rules, both
runtimes, the dashboard and the audit all read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from actors.saga import inventory, payment, shipping
from actors.saga.domain import Service
from actors.saga.effects import EffectWords, ServiceRules


class Remedy(str, Enum):
    """What an operator does to resolve a recoverable failure of a step."""

    RESTOCK = "restock"
    TOP_UP = "top_up"


@dataclass(frozen=True)
class StepDefinition:
    """One step: which service does it, its rules, and the words shown for it."""

    name: str
    rules: ServiceRules
    execute_label: str
    compensate_label: str
    # How a recoverable failure of this step is resolved, if an operator action can.
    remedy: Remedy | None = None

    @property
    def service(self) -> Service:
        return self.rules.service

    @property
    def effect(self) -> EffectWords[str]:
        return self.rules.words


SAGA_PLAN: tuple[StepDefinition, ...] = (
    StepDefinition(name="inventory", rules=inventory.RULES,
                   execute_label="reserve items", compensate_label="release items",
                   remedy=Remedy.RESTOCK),
    StepDefinition(name="payment", rules=payment.RULES,
                   execute_label="charge total", compensate_label="refund",
                   remedy=Remedy.TOP_UP),
    StepDefinition(name="shipping", rules=shipping.RULES,
                   execute_label="create shipment", compensate_label="cancel shipment"),
)
STEP_NAMES: tuple[str, ...] = tuple(step.name for step in SAGA_PLAN)
_BY_NAME = {step.name: step for step in SAGA_PLAN}


def definition(step: str) -> StepDefinition:
    """The plan's entry for a step name."""
    return _BY_NAME[step]
