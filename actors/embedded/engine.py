"""The engine facade: open a database, start the actors, and offer what front ends need.

The engine's methods block the calling thread until the actors answer, so a
front end calls them from its main thread (the CLI) or from a worker thread
(the dashboard), never from inside an actor. Once the storage fails (a full
disk), every one of them raises its StorageFailed instead of waiting.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Collection
from pathlib import Path
from typing import cast

import pykka

from actors.embedded.coordinator import CoordinatorProxy, NotLive, SagaCoordinator
from actors.embedded.lifecycle import kill_process, restarting_is_said
from actors.embedded.participants import PARTICIPANTS
from actors.embedded.participants.base import Participant, ParticipantProxy
from actors.embedded.participants.inventory import InventoryProxy
from actors.embedded.participants.payment import PaymentProxy
from actors.embedded.participants.shipping import ShippingProxy
from actors.embedded.proxies import ProxyMethod
from actors.embedded.scheduler import Scheduler
from actors.embedded.storage_actor import StorageActor, StorageFailure, StorageProxy
from actors.events import EventHub, Subscriber
from actors.follow_ups import FollowUps
from actors.mapper import Document, archived_record, read_follow_ups, read_records, read_scenario
from actors.operators import acting
from actors.reading.snapshot import (
    ArchivedSummaries,
    LiveReports,
    OrderSummary,
    WorldSnapshot,
    combine,
    order_sort_key,
    owned_documents,
    record_of,
    rows_of_orders,
    summary_of,
)
from actors.reading.stream import WorldStream, stream_world
from actors.reading.workers import WorkerState
from actors.saga import corrections, operators, retrying
from actors.saga.documents import OperatorMark
from actors.saga.domain import Correction, OperatorAction, OrderRecord, SagaStatus, Service, now
from actors.saga.errors import Refused
from actors.saga.faults import FaultBook, fault_document
from actors.saga.operators import Credit, waits_on
from actors.saga.plan import SAGA_PLAN
from actors.saga.preflight import CauseCheck, CauseUnresolved, Supplies, cause_check
from actors.saga.scenario import Scenario
from actors.saga.settings import EngineSettings
from storage.errors import StorageFailed
from storage.store import DocumentStore


class Engine:
    def __init__(self, store: DocumentStore, *, on_crash: str = "kill",
                 settings: EngineSettings = EngineSettings()) -> None:
        """Start the actors on an open store; in-flight orders resume at once.

        on_crash says what the scenario's `crash` fault does: "kill" the
        process, or "restart" the coordinator (the dashboard).
        """
        self.path = store.path
        self.torn_bytes = store.torn_bytes  # for the front end to tell: storage does not print
        self.scenario = read_scenario(store)
        self._archives = store.archives
        self.settings = settings
        self.hub = EventHub()
        self._archived_summaries = ArchivedSummaries()
        self._scheduler = Scheduler()
        self._follow_up_progress = read_follow_ups(store)
        records = read_records(store)
        owned = owned_documents(store)
        scenario = self.scenario or Scenario(name="empty")
        self._latency_s = {service: ms / 1000 for service, ms in scenario.latency_ms.items()}
        crash = kill_process if on_crash == "kill" else self._restart_in_background
        self.storage_failure = StorageFailure()
        self._storage_ref = StorageActor.start(store, self.storage_failure)
        self.storage = cast(StorageProxy, self._storage_ref.proxy())
        self._participant_refs: list[pykka.ActorRef[Participant]] = []
        self.participants: dict[Service, ParticipantProxy] = {}
        for step in SAGA_PLAN:
            fired = store.get(fault_document(step.service)) or {}
            faults = FaultBook(step.service, scenario.faults, fired.get("remaining"))
            ref = PARTICIPANTS[step.service].start(self.storage, self._scheduler, faults, owned[step.service],
                                         self._latency_s.get(step.service, 0.0), crash)
            self._participant_refs.append(ref)
            self.participants[step.service] = cast(ParticipantProxy, ref.proxy())
        # The same proxies, as the participant each one is (its own methods and report).
        self._inventory = cast(InventoryProxy, self.participants[Service.INVENTORY])
        self._payment = cast(PaymentProxy, self.participants[Service.PAYMENT])
        self._shipping = cast(ShippingProxy, self.participants[Service.SHIPPING])
        self._coordinator_lock = threading.Lock()
        self._idle = threading.Event()  # set by the coordinator while no saga runs or waits
        self.storage_failure.listen(lambda _: self._idle.set())  # and a wait hears of a failure at once
        self._start_coordinator(records)

    @classmethod
    def open(cls, path: str | Path, *, on_crash: str = "kill",
             settings: EngineSettings = EngineSettings()) -> Engine:
        store = DocumentStore(path, create=False)
        try:
            return cls(store, on_crash=on_crash, settings=settings)
        except BaseException:
            store.close()
            raise

    # -- coordinator lifecycle --------------------------------------------------
    def _start_coordinator(self, records: list[OrderRecord]) -> None:
        self._killed = threading.Event()
        self._coordinator_ref = SagaCoordinator.start(
            self.storage, self.participants, self.hub, self._scheduler, self.settings,
            self._latency_s, records, self._killed, self._archives, self._idle)
        self.coordinator = cast(CoordinatorProxy, self._coordinator_ref.proxy())

    def restart_coordinator(self) -> None:
        """Kill the coordinator (it acts on nothing more) and start a new one from storage."""
        with self._coordinator_lock:
            self._killed.set()
            self._coordinator_ref.stop()
            self._start_coordinator(self.storage.records().get())

    def _restart_in_background(self, where: str) -> None:
        # Called on the storage actor's thread, which the restart must not wait on.
        threading.Thread(target=self.restart_coordinator, name="ordersaga-restart").start()

    # -- operator actions ---------------------------------------------------------
    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        return self.hub.subscribe(subscriber)

    def on_storage_failure(self, listener: Callable[[StorageFailed], None]) -> None:
        """Call listener (on an engine thread) if the storage fails: orders stop moving then."""
        self.storage_failure.listen(listener)

    def on_replaced(self, listener: Callable[[], None]) -> None:
        """No other process replaces this world: the engine holds the file's lock."""

    def workers(self) -> list[WorkerState]:
        """This process runs the sagas itself: no workers."""
        return []

    def on_database_news(self, listener: Callable[[str], None]) -> None:
        """A file does not go away and come back as a server does: nothing to tell."""

    def retry(self, order_id: str, force: bool = False, by: str | None = None) -> str:
        """Start the order's next attempt, recorded as `by`'s (default: this process's login
        name); unless forced, CauseUnresolved when the shortfall it failed for (see
        preflight) is still there, since the attempt would fail again."""
        if not force:
            check = self.check_cause(order_id)
            if check is not None and not check.resolved:
                raise CauseUnresolved(order_id, check)
        who = acting(by)
        return self._ask_coordinator(order_id, lambda: self.coordinator.retry(order_id, who),
                                     lambda record: retrying.retry(record, now(), who))

    def check_cause(self, order_id: str) -> CauseCheck | None:
        """Whether the order's failure looks resolved now (None: nothing the engine can judge)."""
        return cause_check(self.record(order_id), self.supplies())

    def cancel(self, order_id: str, by: str | None = None) -> str:
        who = acting(by)
        return self._ask_coordinator(order_id, lambda: self.coordinator.cancel(order_id, who),
                                     lambda record: retrying.cancel(record, now(), who))

    def edit(self, change: Correction, by: str | None = None) -> str:
        """Correct a failed or held order (a new version of it); a retry then runs on it."""
        who = acting(by)
        return self._ask_coordinator(change.order, lambda: self.coordinator.edit(change, who),
                                     lambda record: corrections.edit(record, change, now(), who))

    def _tell_credit(self, order_id: str, credit: Credit) -> None:
        """Tell the order's timeline of a credit made for it."""
        self._ask_coordinator(order_id, lambda: self.coordinator.credited(order_id, credit),
                              lambda record: operators.credited(record, credit))

    def _ask_coordinator(self, order_id: str, ask: Callable[[], pykka.Future[str]],
                         rule: Callable[[OrderRecord], object]) -> str:
        """The coordinator's answer to an operator's request about an order. An archived order
        is not in its memory: the rule (the same saga_logic function) refuses on the archived
        record, or the order is brought back live and the coordinator asked again."""
        try:
            return self._answer(ask())
        except NotLive:
            pass
        rule(self._archived(order_id))
        self._bring_back(order_id)
        return self._answer(ask())

    def _archived(self, order_id: str) -> OrderRecord:
        record = self.storage.archived_record(order_id).get()
        if record is None:
            raise Refused(f"There is no order {order_id!r} in this database.")
        return record

    def _bring_back(self, order_id: str) -> None:
        """Make an archived order live again, in storage, the participants and the coordinator."""
        documents = self.storage.unarchive(order_id).get()
        for participant in self.participants.values():
            participant.adopt(documents, order_id).get()
        with self._coordinator_lock:
            self.coordinator.adopt(archived_record(documents, order_id)).get()

    def _answer(self, future: pykka.Future[str]) -> str:
        """The coordinator's answer, unless the storage failed before it could be acted on."""
        answer = future.get()
        self.storage_failure.check()
        return answer

    def top_up(self, customer: str, amount_cents: int, key: str | None = None, by: str | None = None) -> str:
        credit = Credit(OperatorAction.TOP_UP, customer, amount_cents, acting(by), now())
        return self._credit(self._payment.top_up, credit, key)

    def restock(self, sku: str, quantity: int, key: str | None = None, by: str | None = None) -> str:
        credit = Credit(OperatorAction.RESTOCK, sku, quantity, acting(by), now())
        return self._credit(self._inventory.restock, credit, key)

    def _credit(self, method: ProxyMethod[[str, int, str, OperatorMark], pykka.ThreadingFuture[tuple[str, bool]]],
                credit: Credit, key: str | None) -> str:
        """Ask a participant to add money or stock once per key, with who made it and the
        orders waiting on it; wait until it is durable, then tell each order's timeline."""
        waiting = self._waiting_on(credit)
        try:
            durable = method(credit.target, credit.amount, key or f"operator/{uuid.uuid4()}",
                             credit.mark(waiting)).get()
        except KeyError as error:  # the participant does not know the customer or sku
            raise Refused(error.args[0]) from None
        answer, new = self.storage_failure.get(durable)
        for order_id in waiting if new else []:
            self._tell_credit(order_id, credit)
        return answer

    def _waiting_on(self, credit: Credit) -> list[str]:
        """The orders failed or held for want of what the credit adds, live or archived."""
        found = []
        for summary in self.summaries():
            failure = summary.failure
            if summary.status in (SagaStatus.FAILED, SagaStatus.ON_HOLD) and failure is not None \
                    and failure.shortfall and (credit.action != OperatorAction.TOP_UP
                                               or summary.customer == credit.target):
                record = self.find(summary.id)
                if record is not None and waits_on(record, credit):
                    found.append(summary.id)
        return sorted(found, key=order_sort_key)

    def run_follow_ups(self, report: Callable[[str], None], timeout_s: float = 600) -> None:
        """Apply the scenario's `then` actions not yet applied (see FollowUps)."""
        if self.scenario is not None:
            FollowUps(self, self.scenario, self._follow_up_progress).run(report, timeout_s)

    def store_durably(self, documents: list[Document]) -> None:
        """Write documents through the storage actor and return once they are durable."""
        self.storage.commit(documents).get()
        self.storage.flush().get()

    # -- reading --------------------------------------------------------------------
    def wait_until_settled(self, timeout_s: float = 600, poll_s: float = 0.1,
                           progress: Callable[[int, int], None] | None = None) -> None:
        """Block until no order is running or compensating, and all is durable.

        The coordinator says when none runs; until then the count is read every poll_s
        (asking every few milliseconds took CPU from the sagas themselves), and progress,
        if given, hears (settled, total) each time.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            self.storage_failure.check()
            with self._coordinator_lock:
                settled, total = self.coordinator.progress().get()
            if progress is not None:
                progress(settled, total)
            if settled == total:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{total - settled} orders still in flight after {timeout_s:.0f} s")
            self._idle.wait(poll_s)
        self.storage.flush().get()

    def live_records(self) -> list[OrderRecord]:
        """The orders in memory: in flight, on hold, or settled and not archived yet; after a
        storage failure, that failure (they may hold transitions that never became durable)."""
        with self._coordinator_lock:
            records = list(self.coordinator.records().get())
        self.storage_failure.check()
        return records

    def records(self) -> list[OrderRecord]:
        """Every order, the archived ones included (read from the archive: a full pass)."""
        return self.snapshot().records

    def summaries(self) -> list[OrderSummary]:
        """Every order as a listing shows it: the archived ones from the archive's index."""
        live = self.live_records()
        known = {record.order.id for record in live}
        archived = self.storage.archived_summaries().get() if self._archives else []
        kept = self._archived_summaries.of(archived)
        return [*(summary_of(record) for record in live),
                *(summary for summary in kept if summary.id not in known)]

    def find(self, order_id: str) -> OrderRecord | None:
        """One order's record, live or archived, or None; after a storage failure, that failure."""
        with self._coordinator_lock:
            live = self.coordinator.live_record(order_id).get()
        self.storage_failure.check()
        return live if live is not None else self.storage.archived_record(order_id).get()

    def record(self, order_id: str) -> OrderRecord:
        return record_of([record] if (record := self.find(order_id)) else [], order_id)

    def supplies(self) -> Supplies:
        """The stock and balances now, without the rest of the participants' state."""
        stock, balances = self._inventory.available(), self._payment.balances()
        supplies = Supplies(stock=stock.get(), balances=balances.get())
        self.storage_failure.check()
        return supplies

    def _live_and_reports(self) -> tuple[list[OrderRecord], LiveReports]:
        """The live records, then the participants' reports: a participant acts before the
        coordinator hears of it, so a settled record never meets an older participant state."""
        live = self.live_records()
        inventory, payment, shipping = (self._inventory.report(), self._payment.report(),
                                        self._shipping.report())
        return live, (inventory.get(), payment.get(), shipping.get())

    def snapshot(self) -> WorldSnapshot:
        """The records first, then the participants: a participant acts before the
        coordinator hears of it, so a settled record never meets an older participant state.
        Archived orders come from the archive, with each participant's record of them."""
        live, reports = self._live_and_reports()
        # An order the coordinator forgot meanwhile was archived, and some participants may have
        # forgotten it too before they reported: it is read whole from the archive instead.
        live_ids = {record.order.id for record in self.live_records()}
        live = [record for record in live if record.order.id in live_ids]
        archived = self.storage.archived_groups().get() if self._archives else []
        snapshot = combine(self.scenario, live, rows_of_orders(reports, live_ids), archived)
        self.storage_failure.check()  # the participants too may hold what never became durable
        return snapshot

    def stream(self, archived: Collection[str] | None = None) -> WorldStream:
        """The live orders and participants now, and the archived orders (only those named in
        `archived`, when given) read from the archive a few at a time as the stream is read.

        The records first, then the participants, as for a snapshot; then which orders are
        still live. One the coordinator forgot meanwhile was archived, and the participants may
        have forgotten it too: it is read from the archive, with its participants' documents."""
        live, reports = self._live_and_reports()
        live_ids = {record.order.id for record in self.live_records()}
        forgotten = [record.order.id for record in live if record.order.id not in live_ids]
        live = [record for record in live if record.order.id in live_ids]
        reports = rows_of_orders(reports, live_ids)  # a forgotten order's rows come from the archive
        wanted = None if archived is None else [order_id for order_id in [*archived, *forgotten]
                                                if order_id not in live_ids]
        places = self.storage.archived_places(wanted).get() if self._archives else []
        self.storage_failure.check()
        return stream_world(self.scenario, live, reports, places,
                            lambda chunk: self.storage.archived_documents(chunk).get(), str(self.path),
                            self.path if self._archives else None)

    def close(self) -> None:
        """Stop every actor (the storage actor last, so it flushes) and the timers."""
        self._scheduler.stop()
        self._coordinator_ref.stop()
        for ref in self._participant_refs:
            ref.stop()
        self._storage_ref.stop()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


for _asked in ("retry", "check_cause", "cancel", "edit", "top_up", "restock", "store_durably",
               "wait_until_settled", "live_records", "records", "summaries", "find", "record", "supplies",
               "snapshot", "stream"):
    setattr(Engine, _asked, restarting_is_said(getattr(Engine, _asked)))
