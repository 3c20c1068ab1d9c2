"""The audit: proof, from the records alone, that no order left orphaned state.

`audit` cross-checks each participant's records (effects and idempotency
ledger) against each order's timeline and notices, and checks conservation of
stock and money. It trusts no step status the coordinator keeps, and is a pure
function of a snapshot, cheap enough for a dashboard to run as orders settle.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime

from actors import ArchivedShare, LiveReports, WorldSnapshot, WorldStream, stream_of
from app.audit.book import AuditBook
from app.audit.findings import Finding, Kind, summary
from app.audit.records import AuditError

__all__ = ["AuditBook", "AuditError", "Finding", "Kind", "audit", "audit_stream", "summary"]


def audit(snapshot: WorldSnapshot, allow_in_flight: bool = False) -> list[Finding]:
    """Everything wrong in the snapshot, per order, then per sku, then per customer.

    With allow_in_flight (a live view), an order still running is only checked
    for saga order; otherwise it is itself a finding. Raises AuditError when a
    participant's records do not have the shape it writes.
    """
    return audit_stream(stream_of(snapshot), allow_in_flight)[1]


def audit_stream(stream: WorldStream, allow_in_flight: bool = False,
                 progress: Callable[[int, int], object] | None = None,
                 stuck_before: datetime | None = None) -> tuple[int, list[Finding]]:
    """The orders audited and the findings, as audit gives them, one order at a time;
    progress, if given, hears (orders checked here, orders in all) after each. With
    allow_in_flight, an order in flight that last moved before stuck_before is named stuck.

    With many archived orders, another process checks the later half of them meanwhile
    (checking an order is CPU-bound Python): what it buys, docs/performance.md."""
    book = AuditBook(allow_in_flight, stuck_before)
    book.begin(stream.live)
    share = stream.share(0.5) if stream.count >= SHARED_FROM else None
    told = progress or (lambda done, total: None)
    if share is None:
        for parts in stream.orders():
            book.check(parts)
            told(book.orders, stream.count)
        return book.orders, book.findings()
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        other = pool.submit(audit_share, share, stream.live, allow_in_flight, stuck_before)
        for parts in stream.orders(skip={place.group for place in share.places}):
            book.check(parts)
            told(book.orders, stream.count)
        book.absorb(other.result())
    return book.orders, book.findings()


# Orders from which another process takes half: below, starting it costs more than it saves.
SHARED_FROM = 20_000


def audit_share(share: ArchivedShare, live: LiveReports, allow_in_flight: bool,
                stuck_before: datetime | None = None) -> AuditBook:
    """The verdicts on a share of the archived orders (run in another process)."""
    book = AuditBook(allow_in_flight, stuck_before)
    book.begin(live)
    for parts in share.orders():
        book.check(parts)
    return book
