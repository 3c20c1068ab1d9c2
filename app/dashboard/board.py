"""The orders as the dashboard shows them: what changed, what to announce, what to list.

Plain Python, so the rules of filtering, sorting and announcing are the same
whatever draws them, and can be read without a terminal.

A database's history only grows, so the board keeps one summary per order (with
its search text) and full records only for the orders still live (in flight or
on hold) and the one the operator selected; the list shows the orders that
matter up to a cap, and a filter searches every order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain, dropwhile, islice
from typing import Any

from actors import (
    ARCHIVED_STATUSES,
    Notification,
    OrderRecord,
    OrderSummary,
    SagaStatus,
    WorkerState,
    at_risk,
    order_sort_key,
    summary_of,
)
from app.query import Query, parse_query, search_text, shown_step

# Sorting by status puts what needs a person first.
ATTENTION = (SagaStatus.FAILED, SagaStatus.ON_HOLD, SagaStatus.COMPENSATING,
             SagaStatus.RUNNING, SagaStatus.PENDING, SagaStatus.CANCELLED, SagaStatus.COMPLETED)
# Listed before the most recent others, whatever their age: what is moving or needs a person.
MATTERS = frozenset(ATTENTION[:5])
# Failed or on hold: what needs a person, and what the `f` key jumps to.
NEEDS_ATTENTION = frozenset(ATTENTION[:2])
# At most this many rows in the list: a table of this size redraws within a key press
# through a terminal (see bench/dashboard_tmux.py), and a filter finds any other order.
LIST_CAP = 100
_EPOCH = datetime.min.replace(tzinfo=UTC)


def version(record: OrderRecord) -> int:
    """Grows with every transition of one order, so an older copy is never shown after a newer one."""
    return len(record.timeline) + len(record.notifications)


def searchable(summary: OrderSummary) -> str:
    """What a filter's bare words match: id, customer, status, step and failure reason."""
    return search_text(summary)


def as_query(filter: Query | str) -> Query:
    """A filter as a query (a string is parsed: QueryError if it cannot be read)."""
    return filter if isinstance(filter, Query) else parse_query(filter)


def urgency(summary: OrderSummary) -> tuple[int, float]:
    """Failed before on hold before moving, then the most recently updated first."""
    return ATTENTION.index(summary.status), -(summary.updated_at or _EPOCH).timestamp()


@dataclass(frozen=True)
class Ranked:
    """Orders in the order they are listed, with the search text of each."""

    ids: list[str]
    texts: list[str]

    @classmethod
    def of(cls, summaries: list[OrderSummary]) -> Ranked:
        return cls([s.id for s in summaries], [searchable(s) for s in summaries])


@dataclass(frozen=True)
class History:
    """Every order's summary as read when the dashboard opened, ranked (see OrderBoard.ranked)."""

    summaries: list[OrderSummary]  # the most recently updated first
    matter: Ranked
    rest: Ranked


def prepared_history(summaries: Iterable[OrderSummary]) -> History:
    """A history as add_history takes it, built on a worker thread, where its cost at
    100,000 orders holds up no key."""
    newest = sorted(summaries, key=lambda s: s.updated_at or _EPOCH, reverse=True)
    matter = sorted((s for s in newest if s.status in MATTERS), key=urgency)
    rest = [s for s in newest if s.status not in MATTERS]
    return History(newest, Ranked.of(matter), Ranked.of(rest))


# Each column's sort value; orders that tie keep the id order.
SORT_KEYS: dict[str, Callable[[OrderSummary], Any]] = {
    "id": lambda s: order_sort_key(s.id),
    "customer": lambda s: s.customer,
    "total": lambda s: s.total_cents,
    "status": lambda s: ATTENTION.index(s.status),
    "step": shown_step,
    "attempts": lambda s: s.attempts,
    "updated": lambda s: s.updated_at or _EPOCH,
    "reason": lambda s: s.failure.reason if s.failure else "",
    "worker": lambda s: s.worker or "",
}


@dataclass(frozen=True)
class Announcement:
    """A notification the dashboard has not shown yet."""

    order: str
    notification: Notification


@dataclass(frozen=True)
class Listing:
    """What the list shows: the ids, in the chosen order, and how many orders the filter
    matches (every order when there is none), of which the ids are the first that matter."""

    ids: list[str]
    matches: int


class OrderBoard:
    def __init__(self, records: Iterable[OrderRecord] = ()) -> None:
        self.summaries: dict[str, OrderSummary] = {}
        self.records: dict[str, OrderRecord] = {}
        # The database's workers as last read (PostgreSQL's; they outlive any world), and
        # those an order in flight may be waiting on.
        self.workers: list[WorkerState] = []
        self._at_risk: dict[str, str] = {}
        self.reset(records)

    def set_workers(self, workers: list[WorkerState]) -> set[str]:
        """Take the workers as read now: the orders in flight whose worker's mark changes."""
        at = {worker.id: worker.state for worker in workers if worker.id in at_risk(workers)}
        moved = {name for name in at.keys() | self._at_risk.keys() if at.get(name) != self._at_risk.get(name)}
        self.workers, self._at_risk = workers, at
        if not moved:
            return set()
        return {order_id for order_id, summary in self.summaries.items()
                if summary.worker in moved and not summary.status.settled}

    def worker_mark(self, summary: OrderSummary) -> str | None:
        """The state of the worker an order in flight waits on, if it is silent or lost."""
        return None if summary.status.settled or summary.worker is None else self._at_risk.get(summary.worker)

    def reset(self, records: Iterable[OrderRecord], announce_existing: bool = False) -> list[Announcement]:
        """Show a new world (its live orders; its history follows, see add_history); its
        notifications are news only if the world is new."""
        self.summaries = {}
        self.records = {}
        self._archived_held: set[str] = set()  # records held whose orders the archive keeps
        self._search: dict[str, str] = {}
        self._tally = Counter[SagaStatus]()
        self._announced: dict[str, int] = {}
        # Orders that moved while shown, latest last; the history as read (orders that move
        # since are listed as moved).
        self._moved: dict[str, None] = {}
        self._moved_matter: set[str] = set()  # those of them moving or needing a person now
        self._history = History([], Ranked([], []), Ranked([], []))
        self._only_summarised = False  # whether some orders are known by their summary only
        self.history_loaded = False
        news = self.apply(records)[1]
        return news if announce_existing else []

    def apply(self, records: Iterable[OrderRecord],
              workers: Mapping[str, str] | None = None) -> tuple[set[str], list[Announcement]]:
        """Take newer copies of records (and the workers that stored them, on PostgreSQL):
        which orders changed, and what they announce."""
        changed: set[str] = set()
        news: list[Announcement] = []
        for record in records:
            order_id = record.order.id
            known = self.records.get(order_id)
            if known is not None and version(known) > version(record):
                continue
            before = self.summaries.get(order_id)
            self._summarise(summary_of(record, (workers or {}).get(order_id)
                                       or (before.worker if before is not None else None)))
            self._hold(record)
            self._moved.pop(order_id, None)
            self._moved[order_id] = None
            if record.status in MATTERS:
                self._moved_matter.add(order_id)
            else:
                self._moved_matter.discard(order_id)
            changed.add(order_id)
            seen = self._announced.get(order_id, 0)
            news += [Announcement(order_id, n) for n in record.notifications[seen:]]
            self._announced[order_id] = len(record.notifications)
        return changed, news

    def add_history(self, history: History) -> None:
        """Take the summaries of every order (see prepared_history); an order the board
        already follows keeps what it has (it arrived since, or is as new)."""
        summaries = self.summaries
        for summary in history.summaries:
            known = summaries.get(summary.id)
            if known is None:
                self._tally[summary.status] += 1
                summaries[summary.id] = summary
                self._only_summarised = True
            elif known.worker is None and summary.worker is not None:
                summaries[summary.id] = known._replace(worker=summary.worker)  # a live record says none
        self._history = history
        self.history_loaded = True

    def _summarise(self, summary: OrderSummary) -> None:
        before = self.summaries.get(summary.id)
        if before is not None:
            self._tally[before.status] -= 1
        self._tally[summary.status] += 1
        self.summaries[summary.id] = summary
        self._search[summary.id] = searchable(summary)

    def forget_settled(self, keep: str | None) -> None:
        """Drop the full records of archived orders but keep's: the engine finds them again."""
        for order_id in self._archived_held - {keep}:
            self.records.pop(order_id, None)
        self._archived_held &= {keep}

    def adopt(self, record: OrderRecord) -> None:
        """Hold a record fetched for the selection (unless a newer copy has arrived since)."""
        known = self.records.get(record.order.id)
        if known is None or version(known) <= version(record):
            self._hold(record)

    def _hold(self, record: OrderRecord) -> None:
        self.records[record.order.id] = record
        if record.status in ARCHIVED_STATUSES:
            self._archived_held.add(record.order.id)
        else:
            self._archived_held.discard(record.order.id)

    def _ranked_parts(self) -> list[tuple[Iterable[tuple[str, str]], bool]]:
        """Every order once with its search text, in four parts, those that matter first: the
        moved ones that are moving or need a person, then the history's (failed, on hold), then
        the other moved ones, latest first, then the rest of the history, newest first. Only the
        moved orders that matter are ranked here (the history was ranked on a worker); the
        parts are read lazily, so listing the first rows reads no further. Each part says
        whether it is the history's, whose orders that moved since are listed as moved instead."""
        summaries, search, matters, history = self.summaries, self._search, self._moved_matter, self._history
        # By status then id, not by time: a busy list changes rows only as orders change status.
        matter = sorted(matters, key=lambda i: (ATTENTION.index(summaries[i].status), order_sort_key(i)))
        rest = (i for i in reversed(self._moved) if i not in matters)
        return [(((i, search[i]) for i in matter), False),
                (zip(history.matter.ids, history.matter.texts, strict=True), True),
                (((i, search[i]) for i in rest), False), (zip(history.rest.ids, history.rest.texts, strict=True), True)]

    def ranked(self) -> Iterator[str]:
        """Every order, as listed without a filter."""
        moved = self._moved
        for part, from_history in self._ranked_parts():
            yield from (i for i, _ in part if not from_history or i not in moved)

    def next_needing_attention(self, after: str | None, listed: list[str],
                               filter_text: Query | str = "") -> str | None:
        """The failed or on-hold order to select after `after`: the next one listed below it
        (listed: the list's own rows, top to bottom), then those not listed (any order the
        filter matches, as ranked for the list), then round to the top of the list."""
        def needs(order_id: str) -> bool:
            return self.summaries[order_id].status in NEEDS_ATTENTION

        shown = set(listed)
        unlisted = (i for i in self._needing_attention(filter_text) if i not in shown)
        top = (i for i in listed if needs(i))
        if after in shown:
            below = (i for i in listed[listed.index(after) + 1:] if needs(i))
            return next(chain(below, unlisted, top), None)
        if after is None:
            return next(chain(top, unlisted), None)
        rest = dropwhile(lambda order_id: order_id != after, unlisted)
        next(rest, None)  # after itself
        return next(chain(rest, top), None)

    def _needing_attention(self, filter_text: Query | str) -> Iterator[str]:
        """The failed and on-hold orders the filter matches, ranked. They are all in the parts
        that matter, at the head of the history's (ranked by urgency), so only those are read."""
        query, now = as_query(filter_text), datetime.now(UTC)
        moved, summaries = self._moved, self.summaries
        for part, from_history in self._ranked_parts()[:2]:  # the moved and the history's that matter
            for order_id, text in part:
                if from_history and order_id in moved:
                    continue  # listed as moved
                if summaries[order_id].status not in NEEDS_ATTENTION:
                    if from_history:
                        break  # ranked by urgency: none further on
                    continue
                if query.matches(summaries[order_id], now, text):
                    yield order_id

    def matching(self, filter_text: Query | str) -> list[str]:
        """Every order the filter matches (however many), ranked as the list shows them."""
        query, now = as_query(filter_text), datetime.now(UTC)
        if not query:
            return list(self.ranked())
        moved, summaries = self._moved, self.summaries
        hits: list[str] = []
        for part, from_history in self._ranked_parts():
            found = [i for i, text in part if query.matches(summaries[i], now, text)]
            hits += [i for i in found if i not in moved] if from_history else found
        return hits

    def listing(self, filter_text: Query | str = "", sort: str = "id", reverse: bool = False,
                cap: int | None = None, keep: str | None = None) -> Listing:
        """The first cap (LIST_CAP) orders that matter among those the filter matches, in the
        chosen order; and keep (the selected order) if the filter matches it, so a selection
        never drops out of the list while its order moves."""
        cap = LIST_CAP if cap is None else cap
        query = as_query(filter_text)
        if query:
            hits = self.matching(query)
            chosen, matches = hits[:cap], len(hits)
        else:
            chosen, matches = list(islice(self.ranked(), cap)), len(self.summaries)
        kept = self.summaries.get(keep or "")
        if kept is not None and kept.id not in chosen and query.matches(kept):
            chosen.append(kept.id)
        return Listing(self.in_order(chosen, sort, reverse), matches)

    def in_order(self, ids: Iterable[str], sort: str, reverse: bool = False) -> list[str]:
        column = SORT_KEYS[sort]
        rows = [self.summaries[i] for i in ids]
        rows.sort(key=lambda s: (column(s), order_sort_key(s.id)), reverse=reverse)
        return [s.id for s in rows]

    def tally(self) -> Counter[SagaStatus]:
        return +self._tally

    def unsettled(self) -> int:
        return sum(count for status, count in self._tally.items() if not status.settled)

    def needing_attention(self) -> int:
        return sum(self._tally[status] for status in NEEDS_ATTENTION)

    def known_notifications(self) -> int | None:
        """How many notifications the orders have, if the board has seen every order whole."""
        return None if self._only_summarised else sum(self._announced.values())

    def latest(self, count: int) -> list[str]:
        """The count orders that moved last (what the notifications list reads)."""
        history = (s.id for s in self._history.summaries if s.id not in self._moved)
        return list(islice(chain(reversed(self._moved), history), count))
