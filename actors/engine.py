"""Wiring: open a database, start the actors, and offer what front ends need.

The engine's methods block the calling thread until the actors answer, so a
front end calls them from its main thread (the CLI) or from a worker thread
(the dashboard), never from inside an actor. Once the storage fails (a full
disk), every one of them raises its StorageFailed instead of waiting.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pykka

from actors import collector
from actors.coordinator import EngineSettings, SagaCoordinator
from actors.domain import OrderRecord, Scenario, Service, ThenAction
from actors.events import EventHub, Subscriber
from actors.participants.base import Participant
from actors.participants.faults import FaultBook
from actors.participants.inventory import STOCK, InventoryService, stock_doc
from actors.participants.payment import ACCOUNT, PaymentService, account_doc
from actors.participants.shipping import ShippingService
from actors.saga_logic import Refused
from actors.scheduler import Scheduler
from actors.storage_actor import StorageActor, StorageFailure
from storage.errors import DatabaseError, StorageFailed
from storage.store import META, SagaStore

PARTICIPANTS: dict[Service, type[Participant]] = {
    Service.INVENTORY: InventoryService,
    Service.PAYMENT: PaymentService,
    Service.SHIPPING: ShippingService,
}
# Which stored documents each participant owns, by table-name prefix.
OWNED_PREFIXES: dict[Service, tuple[str, ...]] = {
    Service.INVENTORY: (STOCK, "inventory/"),
    Service.PAYMENT: (ACCOUNT, "payment/"),
    Service.SHIPPING: ("shipping/",),
}


def kill_process(where: str) -> None:
    """The headless `crash` fault: die at once, as kill -9 would."""
    print(f"ordersaga: injected crash at {where}; the process is killed. "
          "Any command on this database resumes the run.", file=sys.stderr, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)


def seed(store: SagaStore, scenario: Scenario) -> None:
    """Write a scenario's world into an empty store, every order pending."""
    store.put_meta(scenario, then_applied=0)
    for sku, quantity in scenario.stock.items():
        store.put(STOCK + sku, stock_doc(quantity))
    for customer, cents in scenario.accounts.items():
        store.put(ACCOUNT + customer, account_doc(cents))
    for order in scenario.orders:
        store.put_record(OrderRecord(order=order, policy=scenario.recoverable_failures))
    store.flush()


def owned_docs(store: SagaStore) -> dict[Service, dict[str, dict[str, Any]]]:
    """Copies of each participant's stored documents, by their full names."""
    return {service: {prefix + key: doc for prefix in prefixes for key, doc in store.docs(prefix).items()}
            for service, prefixes in OWNED_PREFIXES.items()}


@dataclass(frozen=True)
class WorldSnapshot:
    """Every order and every participant's state at one moment, as read by a report."""

    scenario: Scenario | None
    records: list[OrderRecord]
    inventory: dict[str, Any]
    payment: dict[str, Any]
    shipping: dict[str, Any]


class Engine:
    def __init__(self, store: SagaStore, *, on_crash: str = "kill",
                 settings: EngineSettings = EngineSettings()) -> None:
        """Start the actors on an open store; in-flight orders resume at once.

        on_crash says what the scenario's `crash` fault does: "kill" the
        process, or "restart" the coordinator (the dashboard).
        """
        collector.collect_less_often()
        self.path = store.path
        self.torn_bytes = store.torn_bytes  # for the front end to tell: storage does not print
        self.scenario = store.scenario()
        self.settings = settings
        self.hub = EventHub()
        self._scheduler = Scheduler()
        self._then_applied = store.then_applied()
        self._then_begun = store.then_begun()
        with collector.loading():
            records = store.records()
            owned = owned_docs(store)
        scenario = self.scenario or Scenario(name="empty")
        self._latency_s = {service: ms / 1000 for service, ms in scenario.latency_ms.items()}
        crash = kill_process if on_crash == "kill" else self._restart_in_background
        fault_state = {service: store.get(f"faults/{service.value}") for service in Service}
        self.storage_failure = StorageFailure()
        self._storage_ref = StorageActor.start(store, self.storage_failure)
        self.storage = self._storage_ref.proxy()
        self._participant_refs = []
        self.participants: dict[Service, Any] = {}
        for service, actor_class in PARTICIPANTS.items():
            remaining = (fault_state[service] or {}).get("remaining")
            faults = FaultBook(service, scenario.faults, remaining)
            ref = actor_class.start(self.storage, self._scheduler, faults, owned[service],
                                    self._latency_s.get(service, 0.0), crash)
            self._participant_refs.append(ref)
            self.participants[service] = ref.proxy()
        self._coordinator_lock = threading.Lock()
        self._start_coordinator(records)

    @classmethod
    def open(cls, path: str | Path, **kwargs: Any) -> Engine:
        with collector.loading():
            store = SagaStore(path, create=False)
        try:
            return cls(store, **kwargs)
        except BaseException:
            store.close()
            raise

    # -- coordinator lifecycle --------------------------------------------------
    def _start_coordinator(self, records: list[OrderRecord]) -> None:
        self._killed = threading.Event()
        self._coordinator_ref = SagaCoordinator.start(
            self.storage, self.participants, self.hub, self._scheduler, self.settings,
            self._latency_s, records, self._killed)
        self.coordinator = self._coordinator_ref.proxy()

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

    def retry(self, order_id: str) -> str:
        return self._answer(self.coordinator.retry(order_id))

    def cancel(self, order_id: str) -> str:
        return self._answer(self.coordinator.cancel(order_id))

    def _answer(self, future: Any) -> str:
        """The coordinator's answer, unless the storage failed before it could be acted on."""
        answer = str(future.get())
        self.storage_failure.check()
        return answer

    def top_up(self, customer: str, amount_cents: int, key: str | None = None) -> str:
        return self._credit(self.participants[Service.PAYMENT].top_up, customer, amount_cents, key)

    def restock(self, sku: str, quantity: int, key: str | None = None) -> str:
        return self._credit(self.participants[Service.INVENTORY].restock, sku, quantity, key)

    def _credit(self, method: Any, target: str, amount: int, key: str | None) -> str:
        """Ask a participant to add money or stock once per key; wait until it is durable."""
        try:
            durable = method(target, amount, key or f"operator/{uuid.uuid4()}").get()
        except KeyError as error:  # the participant does not know the customer or sku
            raise Refused(error.args[0]) from None
        return str(self.storage_failure.get(durable))

    def apply(self, action: ThenAction, key: str | None = None) -> str:
        """Apply one scenario follow-up; Refused says why it cannot apply."""
        if action.top_up:
            return self.top_up(action.top_up.customer, action.top_up.amount_cents, key)
        if action.restock:
            return self.restock(action.restock.sku, action.restock.quantity, key)
        if action.retry:
            return self.retry(action.retry)
        assert action.cancel is not None
        return self.cancel(action.cancel)

    def run_follow_ups(self, report: Callable[[str], None], timeout_s: float = 600) -> None:
        """Apply the scenario's `then` actions not yet applied, each after the orders settle.

        The count applied is stored, so a run killed half-way continues here
        on the next open instead of repeating or losing actions.
        """
        if self.scenario is None:
            return
        actions = self.scenario.then
        while self._then_applied < len(actions):
            self.wait_until_settled(timeout_s)
            index = self._then_applied
            action = actions[index]
            if self._took_effect_before_restart(action, index):
                report(f"then {action.describe()}: applied before the process stopped.")
            else:
                self._begin_follow_up(action, index)
                try:
                    report(f"then {action.describe()}: {self.apply(action, key=f'then/{index}')}")
                except Refused as refusal:
                    report(f"then {action.describe()}: not applied. {refusal}")
            self._then_applied = index + 1
            self._write_follow_ups(begun=None)
        self.wait_until_settled(timeout_s)

    def _begin_follow_up(self, action: ThenAction, index: int) -> None:
        """Before a retry or cancel (top-ups and restocks carry their own idempotency key),
        store what the order looked like, so a restart can tell whether it took effect."""
        target = action.retry or action.cancel
        record = self._find(target or "")
        if record is not None:
            self._write_follow_ups(begun={"index": index, "order": record.order.id,
                                          "attempts": len(record.attempts),
                                          "cancelled": record.cancelled})

    def _took_effect_before_restart(self, action: ThenAction, index: int) -> bool:
        """Whether the retry or cancel begun at index, before the process stopped, took effect."""
        begun, self._then_begun = self._then_begun, None
        if begun is None or begun.get("index") != index:
            return False
        record = self._find(str(begun.get("order")))
        if record is None:
            return False
        if action.retry:
            return len(record.attempts) > int(begun.get("attempts", 0))
        return bool(action.cancel) and record.cancelled and not begun.get("cancelled")

    def _write_follow_ups(self, begun: dict[str, Any] | None) -> None:
        """Store how far the follow-ups went (and the one begun, if any); return once durable."""
        assert self.scenario is not None
        meta: dict[str, Any] = {"scenario": self.scenario.model_dump(mode="json"),
                                "then_applied": self._then_applied}
        if begun is not None:
            meta["then_begun"] = begun
        self.storage.commit([(META, meta)]).get()
        self.storage.flush().get()

    # -- reading --------------------------------------------------------------------
    def wait_until_settled(self, timeout_s: float = 600, poll_s: float = 0.01,
                           progress: Callable[[int, int], None] | None = None) -> None:
        """Block until no order is running or compensating, and all is durable.

        progress, if given, hears (settled, total) on every poll.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            self.storage_failure.check()
            with self._coordinator_lock:
                unsettled, total = self.coordinator.settled_counts().get()
            if progress is not None:
                progress(total - unsettled, total)
            if unsettled == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{unsettled} orders still in flight after {timeout_s:.0f} s")
            time.sleep(poll_s)
        self.storage.flush().get()

    def records(self) -> list[OrderRecord]:
        """Every order as the coordinator has it; after a storage failure, that failure
        (the coordinator may hold transitions that never became durable)."""
        with self._coordinator_lock:
            records = list(self.coordinator.records().get())
        self.storage_failure.check()
        return records

    def _find(self, order_id: str) -> OrderRecord | None:
        return next((r for r in self.records() if r.order.id == order_id), None)

    def record(self, order_id: str) -> OrderRecord:
        return record_of(self.records(), order_id)

    def snapshot(self) -> WorldSnapshot:
        """The records first, then the participants: a participant acts before the
        coordinator hears of it, so a settled record never meets an older participant state."""
        records = sorted(self.records(), key=lambda r: _order_sort_key(r.order.id))
        futures = {service: proxy.report() for service, proxy in self.participants.items()}
        snapshot = WorldSnapshot(
            scenario=self.scenario,
            records=records,
            inventory=futures[Service.INVENTORY].get(),
            payment=futures[Service.PAYMENT].get(),
            shipping=futures[Service.SHIPPING].get(),
        )
        self.storage_failure.check()  # the participants too may hold what never became durable
        return snapshot

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


def _order_sort_key(order_id: str) -> tuple[str, int, str]:
    """o-2 before o-10: split off a trailing number."""
    head = order_id.rstrip("0123456789")
    tail = order_id[len(head):]
    return (head, int(tail) if tail else -1, order_id)


def record_of(records: list[OrderRecord], order_id: str) -> OrderRecord:
    """The order's record; Refused names an order the database does not have."""
    record = next((r for r in records if r.order.id == order_id), None)
    if record is None:
        raise Refused(f"There is no order {order_id!r} in this database.")
    return record


def read_snapshot(path: str | Path) -> WorldSnapshot:
    """The world as last stored at path, read without its lock, without starting actors
    and without writing a byte: what `Engine.snapshot()` shows before anything resumes,
    orders in flight where they stopped."""
    with collector.loading():
        store = SagaStore(path, read_only=True)
        try:
            owned = owned_docs(store)
            reports = {service: actor_class.report_of(owned[service])
                       for service, actor_class in PARTICIPANTS.items()}
            return WorldSnapshot(
                scenario=store.scenario(),
                records=sorted(store.records(), key=lambda r: _order_sort_key(r.order.id)),
                inventory=reports[Service.INVENTORY],
                payment=reports[Service.PAYMENT],
                shipping=reports[Service.SHIPPING],
            )
        finally:
            store.close()


def create_database(path: str | Path, scenario: Scenario, replace: bool = False) -> None:
    """Write a scenario into a new database file; refuse to overwrite one unless asked.

    The world is built in memory and saved in one atomic step, so a crash
    part-way leaves the old file (or none), never a half-seeded database.
    """
    path = Path(path)
    world = SagaStore(None)
    seed(world, scenario)
    if not path.exists() or path.stat().st_size == 0:
        world.save_as(path)
        return
    if not replace:
        raise DatabaseError(f"{path}: a database already exists there; "
                            "pass --replace to start over.")
    # Opening it first refuses a file that is no ordersaga database, or one in use.
    existing = SagaStore(path, create=False)
    try:
        existing.replace_with(world)
    finally:
        existing.close()
