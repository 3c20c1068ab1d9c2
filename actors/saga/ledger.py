"""The idempotency ledger's rules: what a participant does with a command, given what
its ledger holds for the command's effect and the scripted fault that fires on it.

Each effect is named by its idempotency key (order, step, attempt). The ledger
records whether it was applied, failed (with the answer it was given, so a repeat
after a restart is answered the same even once an injected fault is used up),
compensated, or fenced (compensated before it ever arrived, so a late delivery is
refused instead of applied). Both runtimes decide here and only store the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from actors.saga.documents import FailedAnswer, LedgerRow, LedgerState
from actors.saga.domain import Action, IdempotencyKey, ParticipantReply
from actors.saga.effects import DONE, Effect
from actors.saga.scenario import Fault, FaultKind

APPLIED: Final = "applied"
COMPENSATED: Final = "compensated"
FENCED: Final = "fenced"
FAILED: Final = "failed"

NEVER_ARRIVED = "it was cancelled before it arrived"


@dataclass(frozen=True)
class LedgerEntry:
    """What became of one effect; a failed one with the answer it was given."""

    state: LedgerState
    reason: str = ""
    recoverable: bool = True
    shortfall: bool = False

    def failed_answer(self) -> FailedAnswer:
        return {"reason": self.reason, "recoverable": self.recoverable, "shortfall": self.shortfall}

    def row(self, order: str, effect: str) -> LedgerRow:
        """The entry as the participants' reports list it (the audit reads these)."""
        if self.state != FAILED:
            return {"order": order, "effect": effect, "state": self.state}
        return {"order": order, "effect": effect, "state": self.state, **self.failed_answer()}


def entry_of(state: LedgerState | None, failure: FailedAnswer | None = None) -> LedgerEntry | None:
    """The entry from what a runtime stored: the state, and a failed execution's answer."""
    if state is None:
        return None
    if state != FAILED or failure is None:
        return LedgerEntry(state)
    return LedgerEntry(state, failure["reason"], failure["recoverable"], failure.get("shortfall", False))


def is_repeat(key: IdempotencyKey, entry: LedgerEntry | None) -> bool:
    """Whether the command's outcome is decided already. Only a fresh command can fail as an
    operation: a repeat still travels, so only the faults of the call itself fire on it."""
    if key.action == Action.EXECUTE:
        return entry is not None
    return entry is not None and entry.state in (COMPENSATED, FENCED, FAILED)


@dataclass(frozen=True)
class Decision:
    """What a participant does with one command, for its runtime to store and carry out."""

    entry: LedgerEntry | None  # the effect's new ledger entry; None leaves it as it is
    reply: ParticipantReply | None  # the answer to send once stored; None when none travels
    crash: bool = False  # the scripted crash: the participant dies once the fault's firing is stored


def reply(key: IdempotencyKey, effect: Effect) -> ParticipantReply:
    return ParticipantReply(key=key, ok=effect.ok, reason="" if effect.ok else effect.reason,
                            recoverable=effect.recoverable, shortfall=effect.shortfall)


def recorded_reply(key: IdempotencyKey, entry: LedgerEntry) -> ParticipantReply:
    """The answer the ledger gives a repeated command: the one it was given the first time.
    A compensation of an effect that failed, or that was fenced, has nothing to undo."""
    if key.action == Action.COMPENSATE or entry.state in (APPLIED, COMPENSATED):
        return reply(key, DONE)
    if entry.state == FAILED:
        return reply(key, Effect(False, entry.reason, entry.recoverable, entry.shortfall))
    return reply(key, Effect(False, NEVER_ARRIVED))


def decide(key: IdempotencyKey, entry: LedgerEntry | None, fault: Fault | None,
           carry_out: Callable[[Action], Effect]) -> Decision:
    """Apply (execute) or undo (compensate) the effect key names, at most once.

    carry_out(action) applies or undoes the service's effect on the runtime's state and
    says what it came to; it is called at most once, and only when the ledger allows it.
    """
    if fault is not None and fault.kind == FaultKind.CRASH:
        return Decision(None, None, crash=True)
    if fault is not None and fault.kind == FaultKind.TIMEOUT:
        return Decision(None, None)  # the call is lost before it takes effect
    lost = fault is not None and fault.kind == FaultKind.LOST_REPLY
    made: Decision
    if entry is not None and is_repeat(key, entry):
        made = Decision(None, recorded_reply(key, entry))
    elif key.action == Action.EXECUTE:
        effect = (Effect(False, fault.reason, fault.recoverable)
                  if fault is not None and fault.kind == FaultKind.ERROR else carry_out(Action.EXECUTE))
        # Failures are recorded too: a repeat is answered the same, never evaluated afresh.
        made = Decision(LedgerEntry(APPLIED) if effect.ok
                        else LedgerEntry(FAILED, effect.reason, effect.recoverable, effect.shortfall),
                        reply(key, effect))
    elif fault is not None and fault.kind == FaultKind.ERROR:
        # A failed compensation leaves the effect applied; it is asked again until it succeeds.
        made = Decision(None, reply(key, Effect(False, fault.reason, fault.recoverable)))
    elif entry is not None and entry.state == APPLIED:
        effect = carry_out(Action.COMPENSATE)
        made = Decision(LedgerEntry(COMPENSATED) if effect.ok else None, reply(key, effect))
    else:
        # Nothing of this effect arrived yet: fence it so a late delivery is refused.
        made = Decision(LedgerEntry(FENCED), reply(key, DONE))
    return Decision(made.entry, None) if lost else made
