"""What every service's rules share: the outcome of applying or undoing an effect, the
words a service names its effect with, and the rules a step of the plan carries."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from actors.saga.domain import Action, IdempotencyKey, Order, Service
from actors.saga.scenario import Scenario

Status = TypeVar("Status", bound=str, covariant=True)


@dataclass(frozen=True)
class Effect:
    """What applying or undoing an effect came to, before its changes are stored."""

    ok: bool
    reason: str = ""
    recoverable: bool = True
    shortfall: bool = False  # failed for want of what the step's remedy adds (see Failure.shortfall)


DONE = Effect(ok=True)


@dataclass(frozen=True)
class EffectWords(Generic[Status]):
    """How a service names its effect, while it holds and once undone (the audit's words too)."""

    noun: str
    live: Status
    undone: Status


@dataclass(frozen=True)
class ServiceRules:
    """A service as the saga rules, the dashboard and the audit know it."""

    service: Service
    words: EffectWords[str]
    # What of the order the effect is made of (what the service's record of it holds): a
    # correction that changes it invalidates an effect kept from before.
    terms: Callable[[Order], object]
    # What executing (or compensating) the effect for an order does, for an operator:
    # "reserves 1 KEYBOARD", "refunds $149.97".
    describe: Callable[[Order, Action], str]
    # How much the order draws of what other orders share (units of each sku, a customer's
    # money), and how much of it a scenario starts with: where orders together want more than
    # there is, which comes first decides who gets it.
    draws: Callable[[Order], Mapping[str, int]] = lambda order: {}
    supply: Callable[[Scenario], Mapping[str, int]] = lambda scenario: {}


def effect_name(key: IdempotencyKey) -> str:
    """The effect a key names, `<order>/<step>/<attempt>`: an execution and its compensation share it."""
    return f"{key.order}/{key.step}/{key.attempt}"
