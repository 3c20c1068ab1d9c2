"""Replaying an order's timeline against the saga rules, trusting no step status.

Each attempt must be T1..Tk (resuming after the steps a held attempt kept),
or that then Ck..C1 in exactly reverse order; a step's effect is held from
its successful execution until its compensation, and is never applied twice
in between. The replay also says, per execution, what the timeline claims
became of it, which the participants' records are then checked against.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from actors import SAGA_PLAN, Action, OperatorAction, OrderRecord, Outcome, TimelineEvent

PLAN = tuple(step.name for step in SAGA_PLAN)
_INDEX = {name: index for index, name in enumerate(PLAN)}
# Enum members looked up once: the replay runs per event on thousands of orders.
_EXECUTE, _COMPENSATE = Action.EXECUTE, Action.COMPENSATE
_EDIT, _RETRY, _CANCEL = OperatorAction.EDIT, OperatorAction.RETRY, OperatorAction.CANCEL
_OPERATOR = frozenset(OperatorAction)
_STARTED, _SUCCEEDED, _FAILED, _RETRYING, _COMPENSATED = (
    Outcome.STARTED, Outcome.SUCCEEDED, Outcome.FAILED, Outcome.RETRYING, Outcome.COMPENSATED)


class Fate(str, Enum):
    """What the timeline says became of one execution (a step in an attempt)."""

    STARTED = "started"    # no outcome recorded
    HELD = "held"          # succeeded and not compensated
    UNDONE = "undone"      # succeeded, then compensated
    FAILED = "failed"      # failed, never compensated: nothing may have been applied
    FENCED = "fenced"      # failed without an answer, then compensated


_FATE_STARTED, _HELD, _UNDONE, _FATE_FAILED, _FENCED = (
    Fate.STARTED, Fate.HELD, Fate.UNDONE, Fate.FAILED, Fate.FENCED)


@dataclass
class AttemptSummary:
    number: int
    failed_step: str | None = None
    failure_reason: str = ""
    kept: frozenset[str] = frozenset()  # steps still held when the attempt's events end
    edits_before: int = 0  # the order's edits before the attempt began: it ran on version this + 1


@dataclass
class Replay:
    problems: list[str] = field(default_factory=list)
    # An operator's recorded action without its effect in the timeline, or the reverse.
    unrecorded: list[str] = field(default_factory=list)
    fates: dict[tuple[str, int], Fate] = field(default_factory=dict)  # (step, attempt) ->
    attempts: list[AttemptSummary] = field(default_factory=list)
    held: dict[str, int] = field(default_factory=dict)  # step -> attempt whose execution holds it
    unfinished: tuple[str, Action] | None = None
    edits: list[TimelineEvent] = field(default_factory=list)  # an operator's corrections, in order
    cancels: list[TimelineEvent] = field(default_factory=list)
    credits: list[TimelineEvent] = field(default_factory=list)  # top-ups and restocks made for it


def _doing(step: str, action: Action) -> str:
    return f"{step}'s {'execution' if action == Action.EXECUTE else 'compensation'}"


class _Replayer:
    def __init__(self, record: OrderRecord) -> None:
        self.order = record.order.id
        self.cancelled = record.cancelled
        self.out = Replay()
        self.attempt: AttemptSummary | None = None
        self.compensating = False
        self.doubtful: str | None = None  # this attempt's failed step, which may be compensated
        # Who acted is recorded from the first operator event that names someone on: from there,
        # each attempt after the first follows a recorded retry (an older ordersaga recorded none).
        self.recording = False
        self.retry: TimelineEvent | None = None  # a retry not yet followed by its attempt

    def problem(self, text: str) -> None:
        self.out.problems.append(f"Order {self.order} {text}.")

    def unrecorded(self, text: str) -> None:
        self.out.unrecorded.append(f"Order {self.order} {text}.")

    def run(self, timeline: tuple[TimelineEvent, ...]) -> Replay:
        for event in timeline:
            if event.action in _OPERATOR:
                self.operator(event)
                continue
            if event.step not in _INDEX:
                self.problem(f"records a step {event.step!r} that is not in the saga plan")
                continue
            if self.attempt is None or event.attempt != self.attempt.number:
                self.next_attempt(event.attempt)
            self.step(event)
        self.close_attempt()
        if self.retry is not None and self.out.unfinished is None:
            self.unrecorded(f"records a retry by {self.retry.by} at {self.retry.at:%Y-%m-%d %H:%M:%S} "
                         "that started no attempt")
        if self.out.cancels and not self.cancelled:
            cancel = self.out.cancels[-1]
            self.unrecorded(f"records a cancel by {cancel.by} at {cancel.at:%Y-%m-%d %H:%M:%S}, but is not cancelled")
        elif self.cancelled and self.recording and not self.out.cancels:
            self.unrecorded("is cancelled without a recorded cancel, though it records who acted")
        return self.out

    def operator(self, event: TimelineEvent) -> None:
        """What an operator did: an edit, a retry or cancel of the attempt that failed, or a
        credit made for the order (only told: its effect is checked against the participant's)."""
        self.recording = self.recording or event.by is not None
        if event.action == _EDIT:
            self.edit(event)
        elif event.action in (_RETRY, _CANCEL):
            attempt, doing = self.attempt, "retried" if event.action == _RETRY else "cancelled"
            if attempt is None or event.attempt != attempt.number or attempt.failed_step is None:
                self.problem(f"is {doing} by {event.by} under attempt {event.attempt}, which had not failed")
            if event.action == _RETRY:
                self.retry = event
            else:
                self.out.cancels.append(event)
        else:
            self.out.credits.append(event)

    def next_attempt(self, number: int) -> None:
        previous = self.attempt.number if self.attempt else 0
        if number != previous + 1:
            self.problem(f"goes from attempt {previous} to attempt {number}")
        if number > 1 and self.retry is None and self.recording:
            self.unrecorded(f"starts attempt {number} without a recorded retry, though it records who acted before")
        self.retry = None
        if self.out.unfinished is not None:
            self.problem(f"starts attempt {number} with {_doing(*self.out.unfinished)} unfinished")
            self.out.unfinished = None
        self.close_attempt()
        self.attempt = AttemptSummary(number, edits_before=len(self.out.edits))
        self.out.attempts.append(self.attempt)
        self.compensating = False
        self.doubtful = None

    def edit(self, event: TimelineEvent) -> None:
        """An operator's correction: only of an order whose attempt failed and is settled."""
        attempt = self.attempt
        if attempt is None:
            self.problem("is edited before its first attempt")
        elif event.attempt != attempt.number:
            self.problem(f"records an edit under attempt {event.attempt} during attempt {attempt.number}")
        elif self.out.unfinished is not None:
            self.problem(f"is edited in attempt {attempt.number} while "
                         f"{_doing(*self.out.unfinished)} is unfinished")
        elif attempt.failed_step is None:
            self.problem(f"is edited in attempt {attempt.number}, which did not fail")
        self.out.edits.append(event)

    def close_attempt(self) -> None:
        if self.attempt is not None:
            self.attempt.kept = frozenset(self.out.held)

    def step(self, event: TimelineEvent) -> None:
        assert self.attempt is not None and isinstance(event.action, Action)  # edits are read before
        n, name, action, outcome = self.attempt.number, event.step, event.action, event.outcome
        underway = self.out.unfinished == (name, action)
        if outcome == _STARTED:
            if self.out.unfinished is not None:
                self.problem(f"starts {_doing(name, action)} in attempt {n} "
                             f"while {_doing(*self.out.unfinished)} is unfinished")
            if action == _EXECUTE:
                self.start_execution(n, name)
            else:
                self.start_compensation(n, name)
            self.out.unfinished = (name, action)
            return
        if not underway:
            self.problem(f"records {name} {action.value} {outcome.value} in attempt {n} "
                         "without having started it")
        if outcome == _RETRYING:
            return
        self.out.unfinished = None
        if action == _EXECUTE and outcome == _SUCCEEDED:
            self.out.held[name] = n
            self.out.fates[name, n] = _HELD
        elif action == _EXECUTE and outcome == _FAILED:
            self.out.fates[name, n] = _FATE_FAILED
            self.attempt.failed_step, self.attempt.failure_reason = name, event.reason
            self.doubtful = name
        elif action == _COMPENSATE and outcome == _COMPENSATED:
            if name in self.out.held:
                self.out.fates[name, self.out.held.pop(name)] = _UNDONE
            elif self.out.fates.get((name, n)) == _FATE_FAILED:
                self.out.fates[name, n] = _FENCED
        elif action == _COMPENSATE and outcome == _FAILED:
            self.problem(f"gives up compensating {name} in attempt {n}; "
                         "a compensation must be retried until it succeeds")
        else:
            self.problem(f"records {name} {action.value} {outcome.value} in attempt {n}, "
                         "which no saga step does")

    def start_execution(self, n: int, name: str) -> None:
        held = self.out.held
        if self.compensating:
            self.problem(f"executes {name} in attempt {n} after its compensation began")
        elif self.attempt and self.attempt.failed_step:
            self.problem(f"executes {name} in attempt {n} after {self.attempt.failed_step} failed")
        elif name in held:
            self.problem(f"executes {name} again in attempt {n} while the effect of attempt "
                         f"{held[name]} is still held (applied twice without a compensation between)")
        else:
            expected = next(step for step in PLAN if step not in held)
            if name != expected:
                self.problem(f"executes {name} in attempt {n} before {expected} succeeded")
        if (name, n) in self.out.fates:
            self.problem(f"starts {name} twice in attempt {n}")
        self.out.fates[name, n] = _FATE_STARTED

    def start_compensation(self, n: int, name: str) -> None:
        held = self.out.held
        if name == self.doubtful and (name, n) in self.out.fates and not self.compensating:
            pass  # its execution got no answer, so it may hold an effect: undone first
        elif name not in held:
            self.problem(f"compensates {name} in attempt {n}, which holds no effect")
        else:
            latest = max(held, key=_INDEX.__getitem__)
            if name != latest:
                self.problem(f"compensates {name} in attempt {n} before {latest}; "
                             "compensations must run in reverse order")
        self.compensating = True
        if name != self.doubtful:
            self.doubtful = None


def replay(record: OrderRecord) -> Replay:
    return _Replayer(record).run(record.timeline)
