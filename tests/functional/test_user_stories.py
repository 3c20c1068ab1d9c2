"""Each user story through the actors together (in memory), as an operator would see it."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from actors import Engine, EngineRestarting
from actors.embedded.database import create_database
from actors.events import OrderUpdate
from actors.saga.domain import Service
from actors.saga.errors import Refused
from actors.saga.settings import EngineSettings
from app.audit import audit
from app.scenario import library, parse_scenario
from tests.conftest import FAST, EngineFactory, events, order_of, settled_report
from tests.invariants import assert_invariants

PATIENCE_S = 30.0  # turns a hang into a failure; nothing here is timed


def world(*orders: dict, stock: int = 5, balance: int = 100000, **extra: object) -> dict:
    return {"name": "test", "stock": {"KB": stock}, "accounts": {"bob": balance, "amy": balance},
            "orders": list(orders), **extra}


def order(order_id: str, quantity: int = 1, customer: str = "bob", price: int = 4999) -> dict:
    return {"id": order_id, "customer": customer, "ship_to": "1 Main St",
            "items": [{"sku": "KB", "quantity": quantity, "price_cents": price}]}


def without_retries(o: dict) -> list[tuple[str, str, str]]:
    """An order's timeline as events() gives it, without the tries asked again: on a busy
    machine a reply may outlast the short answer timeout, and the command is asked again."""
    return [event for event in events(o) if event[2] != "retrying"]


def retry_reasons(o: dict, step: str, action: str) -> list[str]:
    return [e["reason"] for e in o["timeline"]
            if (e["step"], e["action"], e["outcome"]) == (step, action, "retrying")]


# For the stories whose retries come from scripted faults: an answer timeout that, in practice,
# only a reply never sent runs out; what they assert still holds if a slow reply runs it out too.
SCRIPTED = EngineSettings(answer_timeout_s=0.5, backoff_base_s=FAST.backoff_base_s,
                          backoff_cap_s=FAST.backoff_cap_s)


def no_answer_from(service: str) -> str:
    """The reason of a retry that SCRIPTED's timeout started."""
    return f"no answer from {service} within {SCRIPTED.answer_timeout_s * 1000:.0f} ms"


def test_us001_a_complete_order_gets_one_confirmation_and_every_record_agrees(start_engine: EngineFactory) -> None:
    report = settled_report(start_engine("happy_path"))
    for o in report["orders"]:
        assert o["status"] == "completed"
        assert [s["status"] for s in o["steps"]] == ["succeeded"] * 3
        assert [n["kind"] for n in o["notifications"]] == ["confirmation"]
    assert {c["status"] for c in report["charges"]} == {"captured"}
    assert {s["status"] for s in report["shipments"]} == {"created"}
    assert report["stock"]["KEYBOARD"]["reserved"] == 2
    assert_invariants(report)


def test_us002_a_shipping_failure_refunds_then_releases_and_tells_why(start_engine: EngineFactory) -> None:
    report = settled_report(start_engine("shipping_failure"))
    failed = order_of(report, "o-1")
    assert failed["status"] == "failed"
    assert failed["failure"] == {"step": "shipping", "reason": "Carrier unavailable", "recoverable": True}
    assert without_retries(failed)[-5:] == [
        ("shipping", "execute", "failed"),
        ("payment", "compensate", "started"), ("payment", "compensate", "compensated"),
        ("inventory", "compensate", "started"), ("inventory", "compensate", "compensated")]
    notice = [n for n in failed["notifications"] if n["kind"] == "failure"]
    assert len(notice) == 1 and "Carrier unavailable" in notice[0]["message"]
    assert [c["status"] for c in report["charges"] if c["order"] == "o-1"] == ["refunded"]
    assert order_of(report, "o-2")["status"] == "completed"
    assert_invariants(report)


def test_us003_status_shows_the_step_in_progress_while_the_order_runs(start_engine: EngineFactory) -> None:
    engine = start_engine(world(order("o-1"), latency_ms={"payment": 300}))
    seen: queue.Queue[OrderUpdate] = queue.Queue()
    engine.subscribe(seen.put)  # before the first look, so no later transition is missed
    record = engine.record("o-1")
    while record.current_step != "payment":
        record = seen.get(timeout=PATIENCE_S).record
    assert record.status.value == "running" and record.current_step == "payment"
    attempt = record.current_attempt
    assert [s.status.value for s in attempt.steps] == ["succeeded", "running", "pending"]
    engine.wait_until_settled(PATIENCE_S)
    assert engine.record("o-1").status.value == "completed"


@pytest.mark.parametrize("policy, redone", [("compensate", ["inventory", "payment", "shipping"]),
                                            ("hold", ["payment", "shipping"])])
def test_us004_retry_after_top_up_completes_without_repeating_kept_steps(
        start_engine: EngineFactory, policy: str, redone: list[str]) -> None:
    engine = start_engine(world(order("o-1"), balance=1000, recoverable_failures=policy))
    first = settled_report(engine, follow_ups=False)
    assert order_of(first, "o-1")["status"] == ("failed" if policy == "compensate" else "on_hold")
    held = [r["status"] for r in first["reservations"]]
    assert held == (["released"] if policy == "compensate" else ["held"])

    engine.top_up("bob", 10000)
    assert "attempt 2 started" in engine.retry("o-1")
    report = settled_report(engine, follow_ups=False)
    done = order_of(report, "o-1")
    assert done["status"] == "completed" and done["attempts"] == 2
    assert list(dict.fromkeys(step for step, _, _ in events(done, attempt=2))) == redone
    assert [r["status"] for r in report["reservations"]].count("held") == 1
    assert [n["kind"] for n in done["notifications"]].count("confirmation") == 1
    assert_invariants(report)


@pytest.mark.parametrize("scenario_policy, own_policy", [("compensate", "hold"), ("hold", "compensate")])
def test_an_order_with_its_own_policy_holds_or_compensates_as_it_says(
        start_engine: EngineFactory, scenario_policy: str, own_policy: str) -> None:
    own = {**order("o-2", customer="amy"), "recoverable_failures": own_policy}
    engine = start_engine(world(order("o-1"), own, balance=1000, recoverable_failures=scenario_policy))
    policies = {"o-1": scenario_policy, "o-2": own_policy}
    held_by = {"compensate": ("failed", "released", ["inventory", "payment", "shipping"]),
               "hold": ("on_hold", "held", ["payment", "shipping"])}
    first = settled_report(engine, follow_ups=False)
    for order_id, policy in policies.items():
        assert order_of(first, order_id)["status"] == held_by[policy][0]
        assert [r["status"] for r in first["reservations"] if r["order"] == order_id] == [held_by[policy][1]]

    for customer, order_id in (("bob", "o-1"), ("amy", "o-2")):
        engine.top_up(customer, 10000)
        engine.retry(order_id)
    report = settled_report(engine, follow_ups=False)
    for order_id, policy in policies.items():
        done = order_of(report, order_id)
        assert done["status"] == "completed"
        assert list(dict.fromkeys(step for step, _, _ in events(done, attempt=2))) == held_by[policy][2]
    assert_invariants(report)


def test_us004_a_non_recoverable_failure_cannot_be_retried(start_engine: EngineFactory) -> None:
    engine = start_engine("card_declined")
    engine.wait_until_settled(10)
    with pytest.raises(Refused, match="not recoverable"):
        engine.retry("o-1")
    with pytest.raises(Refused, match="no order 'o-9'"):
        engine.retry("o-9")


def test_us004_a_held_order_can_be_cancelled_and_is_then_fully_undone(start_engine: EngineFactory) -> None:
    engine = start_engine(world(order("o-1"), balance=1000, recoverable_failures="hold"))
    engine.wait_until_settled(10)
    engine.cancel("o-1")
    report = settled_report(engine, follow_ups=False)
    cancelled = order_of(report, "o-1")
    assert cancelled["status"] == "cancelled"
    assert cancelled["failure"]["reason"].startswith("Cancelled while on hold")
    assert events(cancelled)[-1] == ("inventory", "compensate", "compensated")
    assert_invariants(report)


def test_us005_the_timeline_shows_every_outcome_and_the_failure_reason(start_engine: EngineFactory) -> None:
    report = settled_report(start_engine("insufficient_funds"))
    o = order_of(report, "o-1")
    first = [e for e in o["timeline"] if e["attempt"] == 1]
    assert {e["outcome"] for e in first} == {"started", "succeeded", "failed", "compensated"}
    failed = next(e for e in first if e["outcome"] == "failed")
    assert failed["step"] == "payment" and failed["reason"].startswith("Insufficient funds")
    ats = [e["at"] for e in o["timeline"]]
    assert ats == sorted(ats)


def test_a_race_for_scarce_stock_has_exactly_as_many_winners_as_units(start_engine: EngineFactory) -> None:
    racers = [order(f"o-{n}", customer="bob" if n % 2 else "amy") for n in range(1, 21)]
    report = settled_report(start_engine(world(*racers, stock=5)))
    statuses = [o["status"] for o in report["orders"]]
    assert statuses.count("completed") == 5 and statuses.count("failed") == 15
    assert report["stock"]["KB"] == {"available": 0, "reserved": 5, "initial": 5, "restocked": 0}
    assert_invariants(report)


def test_lost_replies_never_charge_twice(start_engine: EngineFactory) -> None:
    report = settled_report(start_engine("lost_reply", settings=SCRIPTED))
    o = order_of(report, "o-1")
    assert o["status"] == "completed"
    # Both replies the scenario loses are noticed only by their timeout, and asked again.
    reasons = retry_reasons(o, "payment", "execute")
    assert len(reasons) >= 2
    assert set(reasons) == {no_answer_from("payment")}
    assert [c["amount_cents"] for c in report["charges"]] == [3500]
    assert report["accounts"]["grace"]["balance_cents"] == 10000 - 3500


def test_failing_compensations_are_retried_until_they_succeed(start_engine: EngineFactory) -> None:
    report = settled_report(start_engine("compensation_fault", settings=SCRIPTED))
    o = order_of(report, "o-1")
    assert o["status"] == "failed"
    # The refund fails twice, as scripted: each failure is answered, so exactly two retries
    # give its reason (a reply slower than the timeout would add one that says so).
    refund = retry_reasons(o, "payment", "compensate")
    assert refund.count("Payment gateway unavailable") == 2
    assert set(refund) <= {"Payment gateway unavailable", no_answer_from("payment")}
    # The release's call is lost once: only its timeout tells, and it is asked again.
    release = retry_reasons(o, "inventory", "compensate")
    assert len(release) >= 1 and set(release) == {no_answer_from("inventory")}
    assert without_retries(o)[-4:] == [
        ("payment", "compensate", "started"), ("payment", "compensate", "compensated"),
        ("inventory", "compensate", "started"), ("inventory", "compensate", "compensated")]
    assert_invariants(report)


def test_a_step_that_never_answers_is_failed_and_its_possible_effect_undone(start_engine: EngineFactory) -> None:
    silent = {"service": "shipping", "kind": "lost_reply", "times": FAST.max_execute_tries}
    report = settled_report(start_engine(world(order("o-1"), faults=[silent])))
    o = order_of(report, "o-1")
    assert o["status"] == "failed"
    assert o["failure"]["reason"] == f"shipping did not answer after {FAST.max_execute_tries} tries"
    # The shipment was created (the replies were lost), so it is cancelled first.
    assert without_retries(o)[-6:-4] == [("shipping", "compensate", "started"),
                                         ("shipping", "compensate", "compensated")]
    assert [s["status"] for s in report["shipments"]] == ["cancelled"]
    assert_invariants(report)


def test_confirmation_is_sent_once_even_when_the_last_reply_is_repeated(start_engine: EngineFactory) -> None:
    repeat = {"service": "shipping", "kind": "lost_reply", "times": 1}
    report = settled_report(start_engine(world(order("o-1"), faults=[repeat])))
    assert [n["kind"] for n in order_of(report, "o-1")["notifications"]] == ["confirmation"]


def test_a_restart_of_the_coordinator_mid_run_loses_nothing(start_engine: EngineFactory) -> None:
    engine = start_engine(world(*[order(f"o-{n}") for n in range(1, 9)], stock=20,
                                latency_ms={"inventory": 20, "payment": 20, "shipping": 20}),
                          settings=EngineSettings(answer_timeout_s=0.1, backoff_base_s=0.005))
    engine.restart_coordinator()
    engine.restart_coordinator()
    report = settled_report(engine)
    assert [o["status"] for o in report["orders"]] == ["completed"] * 8
    assert_invariants(report)


DECLINE = {"service": "payment", "reason": "Card declined by issuer", "recoverable": False}


def _restart_once_payment_has_the_charge(engine: Engine, order_id: str) -> None:
    """Restart the coordinator (the dashboard's `k`) once the payment participant has handled
    the order's charge, before its answer (delayed by the latency) comes back.

    The answer waits on the engine's timer thread, which is held from the moment the payment
    starts until the restart is done: subscribers are told of a transition before its command
    is sent, so the hold is queued before the answer can be, however long the restart takes."""
    asked, restarted = threading.Event(), threading.Event()

    def hold_the_timers(update: OrderUpdate) -> None:
        if update.record.order.id == order_id and update.record.current_step == "payment" and not asked.is_set():
            engine._scheduler.call_later(0, lambda: restarted.wait(PATIENCE_S))
            asked.set()

    unsubscribe = engine.subscribe(hold_the_timers)
    try:
        assert asked.wait(PATIENCE_S), "the payment never started"
        unsubscribe()
        engine.storage.flush().get()  # the charge is sent once the update is published...
        engine.participants[Service.PAYMENT].report().get()  # ...and handled before this answers
        engine.restart_coordinator()
    finally:
        restarted.set()


@pytest.mark.parametrize("faults, failure", [
    ([DECLINE], {"step": "payment", "reason": "Card declined by issuer", "recoverable": False}),
    # Every answer after the restart is lost: the outcome is unknown, so the payment is
    # compensated too, which undoes nothing.
    ([DECLINE, {"service": "payment", "kind": "lost_reply", "times": FAST.max_execute_tries}],
     {"step": "payment", "reason": f"payment did not answer after {FAST.max_execute_tries} tries",
      "recoverable": True}),
], ids=["asked again", "asked again, never answered"])
def test_a_coordinator_restarted_before_a_decline_arrives_never_charges(
        start_engine: EngineFactory, faults: list[dict], failure: dict) -> None:
    engine = start_engine(world(order("o-1"), faults=faults,
                                latency_ms={"inventory": 50, "payment": 300}))
    _restart_once_payment_has_the_charge(engine, "o-1")
    report = settled_report(engine)
    o = order_of(report, "o-1")
    assert (o["status"], o["failure"]) == ("failed", failure)
    assert [(e["step"], e["action"]) for e in o["timeline"]
            if e["reason"] == "asked again after a restart"] == [("payment", "execute")]
    assert report["charges"] == []
    assert report["accounts"]["bob"]["balance_cents"] == 100000
    assert_invariants(report)
    assert audit(engine.snapshot()) == []


@pytest.mark.parametrize("path", [p for p in library() if p.stem != "crash_recovery"], ids=lambda p: p.stem)
def test_every_library_scenario_ends_with_the_invariants_holding(start_engine: EngineFactory, path) -> None:
    report = settled_report(start_engine(str(path)))
    assert_invariants(report)
    assert report["orders"], "a scenario without orders shows nothing"


def test_orders_retried_as_they_fail_or_once_archived_all_complete(tmp_path: Path) -> None:
    """On a database file what settles leaves memory for the archive: an order retried as it
    fails, or once archived (brought back to every participant), completes all the same."""
    count = 20
    orders = [order(f"o-{n}", customer=f"c-{n}") for n in range(1, count + 1)]
    accounts = {f"c-{n}": 100 for n in range(1, count + 1)}
    create_database(tmp_path / "s.db", parse_scenario({**world(*orders, stock=100), "accounts": accounts},
                                                      "test scenario"))
    engine = Engine.open(tmp_path / "s.db", settings=FAST)
    try:
        failed: queue.Queue[str] = queue.Queue()
        engine.hub.subscribe(lambda update: failed.put(update.record.order.id)
                             if update.record.status.value == "failed" else None)
        later = []
        for _ in orders:
            order_id = failed.get(timeout=30)
            engine.top_up(order_id.replace("o-", "c-"), 10000)
            if int(order_id[2:]) % 2:
                engine.retry(order_id)
            else:
                later.append(order_id)
        engine.wait_until_settled(timeout_s=30)
        deadline = time.monotonic() + 30
        while {r.order.id for r in engine.coordinator.records().get()} & set(later):
            assert time.monotonic() < deadline, "the settled orders were never archived"
            time.sleep(0.01)
        for order_id in later:
            assert "attempt 2 started" in engine.retry(order_id)
        report = settled_report(engine, follow_ups=False)
    finally:
        engine.close()
    assert {o["id"]: (o["status"], o["attempts"]) for o in report["orders"]} == {
        f"o-{n}": ("completed", 2) for n in range(1, count + 1)}
    assert_invariants(report)


def test_an_engine_whose_coordinator_is_gone_says_it_is_restarting(start_engine: Callable[..., Engine]) -> None:
    """A front end hears the engine's own error, never Pykka's, while the coordinator is down."""
    engine = start_engine("insufficient_funds")
    engine.wait_until_settled(timeout_s=30)
    engine._coordinator_ref.stop()
    with pytest.raises(EngineRestarting):
        engine.retry("o-1", force=True)
