"""Checks of one order: its status, its timeline and what the participants hold for it."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime

from actors import EffectWords, LedgerState, NotificationKind, OrderRecord, SagaStatus, format_cents
from app.audit.findings import Finding, Kind
from app.audit.records import EFFECT_KINDS, Effect, OrderEffects
from app.audit.timeline import PLAN, AttemptSummary, Fate, Replay
from app.audit.versions import version_findings


class _Order:
    """Collects the findings about one order."""

    def __init__(self, record: OrderRecord, replay: Replay, effects: OrderEffects) -> None:
        self.record = record
        self.id = record.order.id
        self.status = record.status.value.replace("_", " ")
        self.replay = replay
        self.effects = effects
        self.findings: list[Finding] = []

    def add(self, kind: Kind, message: str) -> None:
        self.findings.append(Finding(kind, self.id, message))

    # -- status against timeline ----------------------------------------------
    def status_matches_timeline(self) -> None:
        replay, status, claim = self.replay, self.record.status, f"Order {self.id} is {self.status} but"
        if replay.unfinished is not None:
            step, action = replay.unfinished
            doing = "execution" if action.value == "execute" else "compensation"
            self.add(Kind.STATUS_MISMATCH, f"{claim} its timeline leaves {step}'s {doing} unfinished.")
        if not replay.attempts:
            self.add(Kind.STATUS_MISMATCH, f"{claim} its timeline is empty.")
            return
        last = replay.attempts[-1]
        held = set(replay.held)
        if status == SagaStatus.COMPLETED:
            if last.failed_step or held != set(PLAN):
                missing = ", ".join(step for step in PLAN if step not in held) or "its last attempt"
                self.add(Kind.STATUS_MISMATCH, f"{claim} its timeline never completed {missing}.")
            return
        if last.failed_step is None:
            self.add(Kind.STATUS_MISMATCH, f"{claim} its last attempt ({last.number}) records no failure.")
            return
        expected = set() if status in _HOLDS_NOTHING else set(self._before(last.failed_step))
        if held - expected:
            extra = ", ".join(sorted(held - expected, key=PLAN.index))
            self.add(Kind.STATUS_MISMATCH, f"{claim} its timeline never compensated {extra}.")
        elif expected - held:
            lost = ", ".join(sorted(expected - held, key=PLAN.index))
            self.add(Kind.STATUS_MISMATCH, f"{claim} its timeline no longer holds {lost}.")

    @staticmethod
    def _before(step: str) -> tuple[str, ...]:
        return PLAN[:PLAN.index(step)]

    # -- what the participants hold against the status -------------------------
    def holdings_match_status(self) -> None:
        live: dict[str, list[Effect]] = defaultdict(list)
        for effect in self.effects.effects.values():
            if effect.live:
                live[effect.step].append(effect)
        for step, effects in live.items():
            if len(effects) > 1:
                kind = EFFECT_KINDS[step]
                keys = ", ".join(sorted(e.key for e in effects))
                self.add(Kind.APPLIED_TWICE, f"Order {self.id} holds {len(effects)} {kind.live} "
                                             f"{kind.noun}s ({keys}): {step} was applied twice "
                                             "without a compensation between.")
        status = self.record.status
        required: tuple[str, ...]
        forbidden: tuple[str, ...]
        if status == SagaStatus.COMPLETED:
            required, forbidden = PLAN, ()
        elif status in _HOLDS_NOTHING:
            required, forbidden = (), PLAN
        else:
            last = self.replay.attempts[-1] if self.replay.attempts else None
            if last is None or last.failed_step is None:
                return  # no failed step to hold up to: the status check said so
            required = self._before(last.failed_step)
            forbidden = PLAN[len(required):]
        where = f" at {self.replay.attempts[-1].failed_step}" if status == SagaStatus.ON_HOLD else ""
        for step in required:
            if not live[step]:
                kind = EFFECT_KINDS[step]
                self.add(Kind.MISSING_EFFECT, f"Order {self.id} is {self.status}{where} but "
                                              f"{step} holds no {kind.live} {kind.noun} for it.")
        for step in forbidden:
            for effect in live[step]:
                kind = EFFECT_KINDS[step]
                self.add(Kind.ORPHANED_EFFECT, f"Order {self.id} is {self.status}{where} but {step} "
                                               f"still holds its {kind.noun} {effect.key}.")

    # -- participants' records against the timeline and the order ------------------
    def records_match_timeline(self) -> None:
        fates = self.replay.fates
        keys = set(self.effects.effects) | set(self.effects.ledger)
        keys |= {(step, f"{self.id}/{step}/{n}") for (step, n), fate in fates.items()
                 if fate in (Fate.HELD, Fate.UNDONE)}
        for step, key in sorted(keys, key=lambda k: (PLAN.index(k[0]), k[1])):
            message = self._disagreement(step, key)
            if message:
                self.add(Kind.RECORD_MISMATCH, message)

    def _attempt_of(self, step: str, key: str) -> int | None:
        head, _, tail = key.rpartition("/")
        return int(tail) if head == f"{self.id}/{step}" and tail.isdigit() else None

    def _disagreement(self, step: str, key: str) -> str | None:
        kind = EFFECT_KINDS[step]
        effect = self.effects.effects.get((step, key))
        state = self.effects.ledger.get((step, key))
        attempt = self._attempt_of(step, key)
        who = step.capitalize()
        if attempt is None:
            return f"{who} records {key!r} for order {self.id}, which names no {step} effect of it."
        # The participant against itself: its ledger and its effect must agree.
        if effect is not None and state is None:
            return f"{who} has a {kind.noun} {key} that its ledger never recorded."
        if state == "fenced" and effect is not None:
            return f"{who}'s ledger says {key} was fenced, yet it has a {kind.noun} for it."
        if state == "failed" and effect is not None:
            return f"{who}'s ledger says {key} failed, yet it has a {kind.noun} for it."
        if state in ("applied", "compensated") and effect is None:
            return f"{who}'s ledger says {key} was {state}, yet it has no {kind.noun} for it."
        if effect is not None and effect.live != (state == "applied"):
            actual = kind.live if effect.live else kind.undone
            return f"{who}'s ledger says {key} was {state}, yet its {kind.noun} is {actual}."
        # The participant against the timeline.
        fate = self.replay.fates.get((step, attempt))
        timeline = f"the timeline of order {self.id}"
        if fate is None:
            return (f"{who} records {key} as {state}, but {timeline} never executed {step} "
                    f"in attempt {attempt}.")
        if fate not in _ALLOWED_FATES[state]:
            recorded = f"has no record of {key}" if state is None else f"records {key} as {state}"
            return f"{who} {recorded}, but {timeline} {_told(fate, kind)}."
        if state == "failed" and fate == Fate.FAILED:
            # The coordinator failed the step with the participant's answer, word for word.
            recorded = self.effects.failure_reasons[step, key]
            told = next(a.failure_reason for a in self.replay.attempts if a.number == attempt)
            if recorded != told:
                return (f"{who} records {key} as failed with the reason {recorded!r}, but "
                        f"{timeline} gives {told!r}.")
        # The effect against the version of the order it was applied under and, while a
        # completed order holds it, against the current version.
        ran_on = next((a.version for a in self.record.attempts if a.number == attempt), None)
        if effect is None or ran_on is None or not 1 <= ran_on <= self.record.version:
            return None  # an attempt or version the record lacks: the version checks say so
        problem = self._effect_fits_version(key, effect, ran_on, attempt)
        if problem is None and effect.live and self.record.status == SagaStatus.COMPLETED:
            problem = self._effect_fits_version(key, effect, self.record.version, None)
        return problem

    def _effect_fits_version(self, key: str, effect: Effect, number: int, attempt: int | None) -> str | None:
        """Whether effect is what version `number` asks (attempt: the one that ran on it; None:
        the current version)."""
        order = self.record.order_version(number)
        if self.record.version == 1:
            whose, asks, ships = "whose total is", "but it asks for", "but it ships to"
        else:
            which = (f"version {number}, which attempt {attempt} ran on," if attempt is not None
                     else f"its current version {number}")
            whose, asks, ships = f"but {which} totals", f"but {which} asks for", f"but {which} ships to"
        if effect.charge is not None and effect.charge["amount_cents"] != order.total_cents:
            return (f"Payment charged {format_cents(effect.charge['amount_cents'])} for order {self.id} "
                    f"({key}), {whose} {format_cents(order.total_cents)}.")
        if effect.reservation is not None:
            wanted = order.units_by_sku()
            if wanted != effect.reservation["items"]:
                return (f"Inventory reserved {effect.reservation['items']} for order {self.id} ({key}), "
                        f"{asks} {wanted}.")
        if effect.shipment is not None and effect.shipment["address"] != order.ship_to:
            return (f'Shipping created {key} for order {self.id} to "{effect.shipment["address"]}", '
                    f'{ships} "{order.ship_to}".')
        return None

    # -- notices -----------------------------------------------------------------
    def notices_match(self) -> None:
        notes = Counter((n.attempt, n.kind) for n in self.record.notifications)
        confirmations = sum(n for (_, kind), n in notes.items()
                            if kind == NotificationKind.CONFIRMATION)
        if self.record.status == SagaStatus.COMPLETED and confirmations != 1:
            self.add(Kind.CONFIRMATION, f"Order {self.id} is completed but has {confirmations} "
                                        "confirmations instead of one.")
        elif self.record.status != SagaStatus.COMPLETED and confirmations:
            self.add(Kind.CONFIRMATION, f"Order {self.id} is {self.status} but was confirmed.")
        attempts = {a.number: a for a in self.replay.attempts}
        for (number, kind), _ in sorted(notes.items()):
            if number not in attempts and kind != NotificationKind.CONFIRMATION:
                self.add(_NOTICE_KIND[kind], f"Order {self.id} has a {kind.value} notice for "
                                             f"attempt {number}, which its timeline never ran.")
        for attempt in self.replay.attempts:
            n = attempt.number
            failures = notes[n, NotificationKind.FAILURE]
            holds = notes[n, NotificationKind.ON_HOLD]
            cancellations = notes[n, NotificationKind.CANCELLATION]
            last = attempt is self.replay.attempts[-1]
            cancelled = last and self.record.status == SagaStatus.CANCELLED
            if cancellations != int(cancelled):
                self.add(Kind.CANCELLATION_NOTICE, f"Order {self.id} has {cancellations} cancellation "
                                                   f"notices for attempt {n}, instead of {int(cancelled)}.")
            if attempt.failed_step is None:
                if failures:
                    self.add(Kind.FAILURE_NOTICE, f"Order {self.id} has a failure notice for "
                                                  f"attempt {n}, which did not fail.")
                if holds:
                    self.add(Kind.HOLD_NOTICE, f"Order {self.id} has an on-hold notice for "
                                               f"attempt {n}, which did not fail.")
                continue
            if last and self.record.status == SagaStatus.COMPLETED:
                continue  # completed though its last attempt failed: the status check said so
            self._count_notices(attempt, last, failures, holds)
            self._notices_give_reason(n, attempt.failure_reason)

    def _count_notices(self, attempt: AttemptSummary, last: bool, failures: int, holds: int) -> None:
        """A failed attempt tells the customer once: failed, or on hold (or on hold, then failed)."""
        at = f"attempt {attempt.number}, which failed at {attempt.failed_step}"
        if not last and not attempt.kept:
            # Retried after failing, or after a hold that kept nothing: either notice will do.
            if failures + holds != 1:
                self.add(Kind.FAILURE_NOTICE, f"Order {self.id} has {failures} failure and {holds} "
                                              f"on-hold notices for {at}, instead of one.")
            return
        failed = last and self.record.status == SagaStatus.FAILED
        if failures != int(failed):
            self.add(Kind.FAILURE_NOTICE, f"Order {self.id} has {failures} failure notices "
                                          f"for {at}, instead of {int(failed)}.")
        if holds > 1 or (holds == 0 and not failed):  # a cancelled order was on hold first
            self.add(Kind.HOLD_NOTICE, f"Order {self.id} has {holds} on-hold notices "
                                       f"for {at}, instead of 1.")

    def _notices_give_reason(self, number: int, reason: str) -> None:
        if not reason:
            self.add(Kind.FAILURE_NOTICE, f"Order {self.id}'s attempt {number} failed without "
                                          "a reason in its timeline.")
            return
        for note in self.record.notifications:
            if note.attempt != number or note.kind in (NotificationKind.CONFIRMATION,
                                                       NotificationKind.CORRECTION):
                continue
            if reason not in note.message:
                self.add(_NOTICE_KIND[note.kind], f"Order {self.id}'s {note.kind.value} notice for "
                                                  f"attempt {number} does not give the reason ({reason}).")


# What each ledger state allows the timeline to say of the same execution.
_ALLOWED_FATES: dict[LedgerState | None, tuple[Fate, ...]] = {
    "applied": (Fate.HELD,), "compensated": (Fate.UNDONE, Fate.FENCED),
    # A failed execution may have had no answer in time: compensated then, with nothing to undo.
    "failed": (Fate.FAILED, Fate.FENCED),
    "fenced": (Fate.FENCED,), None: (Fate.FAILED, Fate.STARTED)}


def _told(fate: Fate, kind: EffectWords[str]) -> str:
    return {Fate.STARTED: "records no outcome of it", Fate.HELD: "says it holds",
            Fate.UNDONE: f"says it was {kind.undone}", Fate.FAILED: "records it as failed",
            Fate.FENCED: "says it failed and was compensated"}[fate]


_NOTICE_KIND = {NotificationKind.FAILURE: Kind.FAILURE_NOTICE,
                NotificationKind.ON_HOLD: Kind.HOLD_NOTICE,
                NotificationKind.CANCELLATION: Kind.CANCELLATION_NOTICE,
                NotificationKind.CONFIRMATION: Kind.CONFIRMATION,
                NotificationKind.CORRECTION: Kind.VERSION_MISMATCH}
# The statuses in which an order holds no effect at all.
_HOLDS_NOTHING = (SagaStatus.FAILED, SagaStatus.CANCELLED)


def check_order(record: OrderRecord, replay: Replay, effects: OrderEffects,
                allow_in_flight: bool, stuck_before: datetime | None = None) -> list[Finding]:
    """Every finding about one order; an order in flight is only checked for saga order, and
    whether it last moved before stuck_before (when given): then nothing carries it on."""
    order = _Order(record, replay, effects)
    for problem in replay.problems:
        order.add(Kind.SAGA_ORDER, problem)
    for problem in replay.unrecorded:
        order.add(Kind.OPERATOR_RECORD, problem)
    if not record.status.settled:
        if not allow_in_flight:
            order.add(Kind.UNSETTLED, f"Order {order.id} is still {order.status} "
                                      "after recovery settled.")
        elif stuck_before is not None and record.updated_at is not None and record.updated_at < stuck_before:
            order.add(Kind.STUCK, f"Order {order.id} is still {order.status} and has not moved since "
                                  f"{record.updated_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC.")
        return order.findings
    order.status_matches_timeline()
    order.holdings_match_status()
    order.records_match_timeline()
    order.notices_match()
    return order.findings + version_findings(record, replay)
