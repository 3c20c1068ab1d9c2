"""The audit as a book of per-order verdicts: a full audit fills it one order at a time,
holding no other order's documents, and a later pass re-checks only the orders whose record
or participants' rows changed, with the findings a full audit would give."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from actors import LiveReports, OrderParts, OrderRecord, order_sort_key
from app.audit.conservation import captured_cents, held_units, money_findings, stock_findings
from app.audit.credits import Told, credit_findings, told
from app.audit.findings import Finding, Kind
from app.audit.orders import check_order
from app.audit.records import OrderEffects, effects_by_order, merged, validated
from app.audit.timeline import replay


@dataclass(frozen=True, slots=True)
class _Verdict:
    """One order's findings and its part of the stock and money. A live order keeps what it
    was checked with, to be checked again only when that changes; an archived one keeps none
    of its documents (it changes only by becoming live again)."""

    known: bool  # the database has its record
    checked: tuple[OrderRecord | None, OrderEffects | None] | None  # live: its record and rows
    findings: tuple[Finding, ...]
    held: Mapping[str, int]  # units its held reservations keep, by sku
    captured: Mapping[str, int]  # cents its captured charges took, by customer (none or one)
    credits: tuple[Told, ...] = ()  # the top-ups and restocks its timeline says were made for it


class _Tally:
    """Sums by name of every order's part, kept as orders are checked again. A name is in the
    total while some order has a part of it (a held reservation, a captured charge), as it is
    when the rows are summed in one pass."""

    def __init__(self) -> None:
        self._sums: dict[str, int] = {}
        self._parts: Counter[str] = Counter()

    def change(self, old: Mapping[str, int], new: Mapping[str, int]) -> None:
        for name, amount in old.items():
            self._sums[name] -= amount
            self._parts[name] -= 1
        for name, amount in new.items():
            self._sums[name] = self._sums.get(name, 0) + amount
            self._parts[name] += 1

    def total(self, extra: Counter[str]) -> Counter[str]:
        total = Counter({name: amount for name, amount in self._sums.items() if self._parts[name] > 0})
        for name, amount in extra.items():
            total[name] += amount
        return total


class AuditBook:
    """Every order's verdict between passes. A pass starts with `begin` (the participants'
    state now), checks orders with `check`, and ends with `findings`."""

    def __init__(self, allow_in_flight: bool, stuck_before: datetime | None = None) -> None:
        """allow_in_flight: an order still running is checked for saga order only (a live view),
        and named stuck if it last moved before stuck_before (when given)."""
        self._allow_in_flight = allow_in_flight
        self._stuck_before = stuck_before
        self._verdicts: dict[str, _Verdict] = {}
        # Kept as verdicts change, so a pass that checks a few orders reads no others.
        self._known: set[str] = set()  # the orders with a record
        self._checked_live: set[str] = set()  # the orders live at their last check
        self._flagged: set[str] = set()
        self._held = _Tally()
        self._captured = _Tally()
        self._live: LiveReports | None = None
        self._live_effects: dict[str, OrderEffects] = {}
        self._archived_strays: dict[str, OrderEffects] = {}  # archived rows of orders with no record
        self._told: dict[str, tuple[Told, ...]] = {}  # the orders whose timelines tell of credits

    @property
    def orders(self) -> int:
        """The orders with a record checked so far."""
        return len(self._known)

    @property
    def live_orders(self) -> set[str]:
        """The orders that were live at their last check: a later pass reads those again."""
        return set(self._checked_live)

    def begin(self, live: LiveReports) -> None:
        """Start a pass on the participants' state now; AuditError if it is not as they write it."""
        self._live = validated(live)
        self._live_effects = effects_by_order(self._live)

    def check(self, parts: OrderParts) -> None:
        """Check one order (a live one again only if its record or rows changed since)."""
        order_id = parts.order_id
        live = self._live_effects.get(order_id)
        old = self._verdicts.get(order_id)
        checked = (parts.record, live) if parts.archived_rows is None else None
        if old is not None and checked is not None and old.checked == checked:
            return
        archived = (effects_by_order(validated(parts.archived_rows)).get(order_id)
                    if parts.archived_rows is not None else None)
        effects = merged(live, archived)
        findings: tuple[Finding, ...] = ()
        captured: dict[str, int] = {}
        credits: tuple[Told, ...] = ()
        if parts.record is not None:
            replayed = replay(parts.record)
            findings = tuple(check_order(parts.record, replayed, effects, self._allow_in_flight, self._stuck_before))
            credits = tuple(told(event) for event in replayed.credits)
            cents = captured_cents(effects)
            if cents is not None:
                captured[parts.record.order.customer] = cents
        elif archived is not None:
            self._archived_strays[order_id] = archived
        verdict = _Verdict(parts.record is not None, checked, findings, held_units(effects), captured, credits)
        self._held.change(old.held if old else {}, verdict.held)
        self._captured.change(old.captured if old else {}, verdict.captured)
        self._keep(order_id, verdict)
        if findings:
            self._flagged.add(order_id)
        else:
            self._flagged.discard(order_id)

    def absorb(self, other: AuditBook) -> None:
        """Take the verdicts of another book that checked other orders on the same state."""
        for order_id, verdict in other._verdicts.items():
            assert order_id not in self._verdicts, f"{order_id} was checked twice"
            self._keep(order_id, verdict)
            self._held.change({}, verdict.held)
            self._captured.change({}, verdict.captured)
        self._flagged |= other._flagged
        self._archived_strays.update(other._archived_strays)

    def _keep(self, order_id: str, verdict: _Verdict) -> None:
        self._verdicts[order_id] = verdict
        if verdict.credits:
            self._told[order_id] = verdict.credits
        else:
            self._told.pop(order_id, None)
        for kept, holds in ((self._known, verdict.known), (self._checked_live, verdict.checked is not None)):
            if holds:
                kept.add(order_id)
            else:
                kept.discard(order_id)

    def findings(self) -> list[Finding]:
        """Everything wrong, as a full audit lists it: per order, then per sku, then per customer."""
        assert self._live is not None, "begin a pass first"
        found = [finding for order_id in sorted(self._flagged, key=order_sort_key)
                 for finding in self._verdicts[order_id].findings]
        known = self._known
        extra_held = Counter[str]()
        for order_id in sorted((set(self._archived_strays) | set(self._live_effects)) - known):
            live = self._live_effects.get(order_id)
            kept = merged(live, self._archived_strays.get(order_id))
            if order_id not in self._verdicts:  # live rows only: no check counted them
                extra_held.update(held_units(kept))
            steps = sorted({step for step, _ in kept.effects} | {step for step, _ in kept.ledger})
            found.append(Finding(Kind.RECORD_MISMATCH, order_id, (
                f"There are {' and '.join(steps)} records of order {order_id}, "
                "which this database does not have.")))
        found += stock_findings(self._live[0]["stock"], self._held.total(extra_held))
        found += money_findings(self._live[1]["accounts"], self._captured.total(Counter()))
        return found + credit_findings(self._live, self._told, known)
