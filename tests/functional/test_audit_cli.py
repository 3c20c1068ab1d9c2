"""`ordersaga audit` end to end: silent on every library scenario, and each kind of
finding caught, with its line and exit 1, on a database tampered with on purpose."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from app.scenario import library
from tests.tampering import Doc, tamper, tamper_archived

Cli = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[2]


def audited(cli: Cli, db: Path) -> tuple[int, list[str]]:
    status, out, err = cli("audit", "--db", db)
    assert err == ""
    return status, out.splitlines()


def test_every_library_scenario_audits_clean(cli: Cli, settled: Callable[[str], Path]) -> None:
    names = [path.stem for path in library() if path.stem != "crash_recovery"]
    assert len(names) >= 10
    for name in names:
        status, lines = audited(cli, settled(name))
        assert (status, len(lines)) == (0, 1) and lines[0].endswith(" audited, 0 findings"), (name, lines)
    assert audited(cli, settled("mixed_200"))[1] == ["200 orders audited, 0 findings"]


def test_a_run_killed_mid_payment_audits_clean_once_reported(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "crash.db"

    def ordersaga(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "app", *args, "--db", str(db)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)

    assert ordersaga("run", "crash_recovery").returncode == -9  # killed on purpose
    assert ordersaga("report").returncode == 0
    assert audited(cli, db) == (0, ["1 order audited, 0 findings"])


def test_a_left_running_order_is_reported_not_waited_for(settled: Callable[[str], Path],
                                                         tmp_path: Path) -> None:
    db = tamper(settled("happy_path"), tmp_path, ("order/o-2", lambda d: d.update(status="running")))
    result = subprocess.run([sys.executable, "-m", "app", "audit", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stdout.splitlines()) == (1, [
        "unsettled: Order o-2 is still running after recovery settled.", "3 orders audited, 1 finding"])


def test_a_compensation_out_of_order(cli: Cli, settled: Callable[[str], Path], tmp_path: Path) -> None:
    def release_before_refund(order: Doc) -> None:
        timeline = order["timeline"]
        first = next(i for i, e in enumerate(timeline) if e["action"] == "compensate")
        timeline[first:first + 4] = timeline[first + 2:first + 4] + timeline[first:first + 2]

    db = tamper(settled("shipping_failure"), tmp_path, ("order/o-1", release_before_refund))
    status, lines = audited(cli, db)
    assert status == 1
    assert lines == ["saga_order: Order o-1 compensates inventory in attempt 1 before payment; "
                     "compensations must run in reverse order.", "2 orders audited, 1 finding"]


def test_a_failed_order_whose_timeline_never_released(cli: Cli, settled: Callable[[str], Path],
                                                      tmp_path: Path) -> None:
    db = tamper(settled("card_declined"), tmp_path,
                ("order/o-1", lambda d: d.update(timeline=d["timeline"][:-2])))
    status, lines = audited(cli, db)
    assert status == 1
    assert "status_mismatch: Order o-1 is failed but its timeline never compensated inventory." in lines


def test_a_double_charge(cli: Cli, settled: Callable[[str], Path], tmp_path: Path) -> None:
    def charge_again(payment: Doc) -> None:
        payment["ledger"]["o-1/payment/2"] = "applied"
        payment["charges"]["o-1/payment/2"] = {"amount_cents": 4999, "status": "captured"}

    db = tamper(settled("happy_path"), tmp_path, ("payment/o-1", charge_again),
                ("account/alice", lambda d: d.update(balance_cents=d["balance_cents"] - 4999)))
    status, lines = audited(cli, db)
    assert status == 1
    assert ("applied_twice: Order o-1 holds 2 captured charges (o-1/payment/1, o-1/payment/2): "
            "payment was applied twice without a compensation between.") in lines
    assert ("record_mismatch: Payment records o-1/payment/2 as applied, but the timeline of "
            "order o-1 never executed payment in attempt 2.") in lines


def _hold_reservation(inventory: Doc) -> None:
    inventory["ledger"]["o-1/inventory/1"] = "applied"
    inventory["reservations"]["o-1/inventory/1"]["status"] = "held"


def _keep_one_reserved(stock: Doc) -> None:
    stock["available"] -= 1
    stock["reserved"] += 1


def test_a_reservation_left_on_a_failed_order(cli: Cli, settled: Callable[[str], Path],
                                              tmp_path: Path) -> None:
    db = tamper(settled("card_declined"), tmp_path, ("inventory/o-1", _hold_reservation),
                ("stock/HEADPHONES", _keep_one_reserved))
    status, lines = audited(cli, db)
    assert status == 1
    assert ("orphaned_effect: Order o-1 is failed but inventory still holds its reservation "
            "o-1/inventory/1.") in lines
    assert ("record_mismatch: Inventory records o-1/inventory/1 as applied, but the timeline of "
            "order o-1 says it was released.") in lines
    assert lines[-1] == "1 order audited, 2 findings"  # stock stays conserved: the units are held


def test_a_held_order_holding_past_its_failed_step(cli: Cli, settled: Callable[[str], Path],
                                                   tmp_path: Path) -> None:
    def charge(payment: Doc) -> None:
        payment["ledger"]["o-1/payment/1"] = "applied"
        payment["charges"] = {"o-1/payment/1": {"amount_cents": 4999, "status": "captured"}}

    db = tamper(settled("insufficient_funds_hold_on_hold"), tmp_path, ("payment/o-1", charge),
                ("account/bob", lambda d: d.update(balance_cents=d["balance_cents"] - 4999)))
    status, lines = audited(cli, db)
    assert status == 1
    assert ("orphaned_effect: Order o-1 is on hold at payment but payment still holds its charge "
            "o-1/payment/1.") in lines


def test_a_held_order_that_lost_its_kept_step(cli: Cli, settled: Callable[[str], Path],
                                              tmp_path: Path) -> None:
    def release(inventory: Doc) -> None:
        inventory["ledger"]["o-1/inventory/1"] = "compensated"
        inventory["reservations"]["o-1/inventory/1"]["status"] = "released"

    def unreserve(stock: Doc) -> None:
        stock["available"] += 1
        stock["reserved"] -= 1

    db = tamper(settled("insufficient_funds_hold_on_hold"), tmp_path, ("inventory/o-1", release),
                ("stock/KEYBOARD", unreserve))
    status, lines = audited(cli, db)
    assert status == 1
    assert ("missing_effect: Order o-1 is on hold at payment but inventory holds no held "
            "reservation for it.") in lines


def test_a_completed_order_whose_shipment_was_cancelled(cli: Cli, settled: Callable[[str], Path],
                                                        tmp_path: Path) -> None:
    def cancel(shipping: Doc) -> None:
        shipping["ledger"]["o-3/shipping/1"] = "compensated"
        shipping["shipments"]["o-3/shipping/1"]["status"] = "cancelled"

    db = tamper(settled("happy_path"), tmp_path, ("shipping/o-3", cancel))
    status, lines = audited(cli, db)
    assert status == 1
    assert "missing_effect: Order o-3 is completed but shipping holds no created shipment for it." in lines


def _reserve_two(inventory: Doc) -> None:
    inventory["reservations"]["o-1/inventory/1"]["items"] = {"KEYBOARD": 2}


@pytest.mark.parametrize("changes, expected", [
    ([("shipping/o-1", lambda d: d["ledger"].pop("o-1/shipping/1"))],
     "Shipping has a shipment o-1/shipping/1 that its ledger never recorded."),
    ([("shipping/o-1", lambda d: d["ledger"].update({"o-1/shipping/1": "fenced"}))],
     "Shipping's ledger says o-1/shipping/1 was fenced, yet it has a shipment for it."),
    ([("shipping/o-1", lambda d: d["shipments"].clear())],
     "Shipping's ledger says o-1/shipping/1 was applied, yet it has no shipment for it."),
    ([("shipping/o-1", lambda d: d.update(ledger={}, shipments={}))],
     "Shipping has no record of o-1/shipping/1, but the timeline of order o-1 says it holds."),
    ([("shipping/o-1", lambda d: d["ledger"].update({"o-1/shipping/1": "failed"}))],
     "Shipping's ledger says o-1/shipping/1 failed, yet it has a shipment for it."),
    ([("shipping/o-1", lambda d: d.update(ledger={"o-1/shipping/1": "failed"}, shipments={}))],
     "Shipping records o-1/shipping/1 as failed, but the timeline of order o-1 says it holds."),
    ([("payment/o-1", lambda d: d["charges"]["o-1/payment/1"].update(amount_cents=1)),
      ("account/alice", lambda d: d.update(balance_cents=d["balance_cents"] + 4998))],
     "Payment charged $0.01 for order o-1 (o-1/payment/1), whose total is $49.99."),
    ([("inventory/o-1", _reserve_two), ("stock/KEYBOARD", _keep_one_reserved)],
     "Inventory reserved {'KEYBOARD': 2} for order o-1 (o-1/inventory/1), but it asks for {'KEYBOARD': 1}."),
    ([("shipping/o-9", lambda d: d.update(ledger={"o-9/shipping/1": "fenced"}))],
     "There are shipping records of order o-9, which this database does not have."),
], ids=["effect not in ledger", "fenced yet applied", "applied yet absent", "unknown to the "
        "participant", "failed yet applied", "failed yet held", "wrong amount", "wrong items",
        "unknown order"])
def test_participant_records_disagree(cli: Cli, settled: Callable[[str], Path], tmp_path: Path,
                                      changes: list[tuple[str, Callable[[Doc], object]]],
                                      expected: str) -> None:
    status, lines = audited(cli, tamper(settled("happy_path"), tmp_path, *changes))
    assert status == 1
    assert f"record_mismatch: {expected}" in lines


def test_a_decline_the_timeline_gives_another_reason_for(cli: Cli, settled: Callable[[str], Path],
                                                         tmp_path: Path) -> None:
    def expire(payment: Doc) -> None:
        payment["failures"]["o-1/payment/1"]["reason"] = "Card expired"

    db = tamper(settled("card_declined"), tmp_path, ("payment/o-1", expire))
    assert audited(cli, db) == (1, [
        "record_mismatch: Payment records o-1/payment/1 as failed with the reason 'Card expired', "
        "but the timeline of order o-1 gives 'Card declined by issuer'.", "1 order audited, 1 finding"])


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d.update(available=d["available"] + 3),
     "stock_not_conserved: Stock of KEYBOARD is not conserved: 11 available + 2 held by "
     "reservations = 13, but 10 initial + 0 restocked = 10."),
    (lambda d: d.update(reserved=d["reserved"] + 1),
     "stock_not_conserved: Stock of KEYBOARD counts 3 reserved, but its held reservations hold 2."),
])
def test_stock_broken(cli: Cli, settled: Callable[[str], Path], tmp_path: Path,
                      change: Callable[[Doc], object], expected: str) -> None:
    db = tamper(settled("happy_path"), tmp_path, ("stock/KEYBOARD", change))
    assert audited(cli, db) == (1, [expected, "3 orders audited, 1 finding"])


def test_a_restock_that_was_never_recorded(cli: Cli, settled: Callable[[str], Path],
                                           tmp_path: Path) -> None:
    db = tamper(settled("out_of_stock"), tmp_path, ("stock/MONITOR", lambda d: d["restocks"].clear()))
    assert audited(cli, db) == (1, [
        "stock_not_conserved: Stock of MONITOR is not conserved: 4 available + 4 held by "
        "reservations = 8, but 3 initial + 0 restocked = 3.", "2 orders audited, 1 finding"])


def test_a_top_up_that_was_never_recorded(cli: Cli, settled: Callable[[str], Path],
                                          tmp_path: Path) -> None:
    db = tamper(settled("insufficient_funds"), tmp_path, ("account/bob", lambda d: d["top_ups"].clear()))
    assert audited(cli, db) == (1, [
        "money_not_conserved: Money of customer bob is not conserved: balance $60.01 + captured "
        "$49.99 = $110.00, but initial $10.00 + top-ups $0.00 = $10.00.",
        "1 order audited, 1 finding"])


@pytest.mark.parametrize(("keep", "count"), [(lambda notes: [], 0), (lambda notes: notes * 2, 2)])
def test_confirmations_other_than_one(cli: Cli, settled: Callable[[str], Path], tmp_path: Path,
                                      keep: Callable[[list[Doc]], list[Doc]], count: int) -> None:
    db = tamper(settled("happy_path"), tmp_path,
                ("order/o-1", lambda d: d.update(notifications=keep(d["notifications"]))))
    assert audited(cli, db) == (1, [
        f"confirmation: Order o-1 is completed but has {count} confirmations instead of one.",
        "3 orders audited, 1 finding"])


@pytest.mark.parametrize(("scenario", "order", "kind", "expected"), [
    ("card_declined", "o-1", "failure",  # failed for good
     "failure_notice: Order o-1 has 0 failure notices for attempt 1, which failed at payment, instead of 1."),
    ("insufficient_funds", "o-1", "failure",  # failed, then retried to completion
     "failure_notice: Order o-1 has 0 failure and 0 on-hold notices for attempt 1, which failed "
     "at payment, instead of one."),
    ("insufficient_funds_hold_on_hold", "o-2", "on_hold",  # on hold now
     "hold_notice: Order o-2 has 0 on-hold notices for attempt 1, which failed at payment, instead of 1."),
    ("insufficient_funds_hold", "o-1", "on_hold",  # held, then resumed to completion
     "hold_notice: Order o-1 has 0 on-hold notices for attempt 1, which failed at payment, instead of 1."),
])
def test_a_missing_failure_or_hold_notice(cli: Cli, settled: Callable[[str], Path], tmp_path: Path,
                                          scenario: str, order: str, kind: str, expected: str) -> None:
    def drop(record: Doc) -> None:
        record["notifications"] = [n for n in record["notifications"] if n["kind"] != kind]

    status, lines = audited(cli, tamper(settled(scenario), tmp_path, (f"order/{order}", drop)))
    assert (status, lines[:-1]) == (1, [expected])


def test_a_failure_notice_without_its_reason(cli: Cli, settled: Callable[[str], Path],
                                             tmp_path: Path) -> None:
    def vague(order: Doc) -> None:
        order["notifications"][0]["message"] = "Order o-1 failed."

    db = tamper(settled("card_declined"), tmp_path, ("order/o-1", vague))
    assert audited(cli, db) == (1, [
        "failure_notice: Order o-1's failure notice for attempt 1 does not give the reason "
        "(Card declined by issuer).", "1 order audited, 1 finding"])


def test_json_lists_the_findings(cli: Cli, settled: Callable[[str], Path], tmp_path: Path) -> None:
    db = tamper(settled("card_declined"), tmp_path, ("order/o-1", lambda d: d.update(notifications=[])))
    status, out, _ = cli("audit", "--db", db, "--json")
    assert status == 1
    assert json.loads(out) == {"orders_audited": 1, "in_flight": [], "findings": [{
        "kind": "failure_notice", "subject": "o-1",
        "message": "Order o-1 has 0 failure notices for attempt 1, which failed at payment, instead of 1."}]}


def test_unusable_input_is_one_sentence_and_exit_2(cli: Cli, settled: Callable[[str], Path],
                                                   tmp_path: Path) -> None:
    status, out, err = cli("audit", "--db", tmp_path / "none.db")
    assert (status, out, err) == (2, "", f"ordersaga: {tmp_path / 'none.db'}: no such database.\n")
    db = tamper(settled("happy_path"), tmp_path, ("stock/MOUSE", lambda d: d.pop("initial")))
    status, out, err = cli("audit", "--db", db)
    assert (status, out) == (2, "")
    assert err == (f"ordersaga: {db}: The inventory records cannot be audited: "
                   "stock.MOUSE.initial: field required.\n")


def test_an_order_tampered_in_the_archive_is_found_where_it_lies(cli: Cli, settled: Callable[[str], Path],
                                                                 tmp_path: Path) -> None:
    db = tamper_archived(settled("card_declined"), tmp_path, "o-1", "order/o-1",
                         lambda d: d.update(notifications=[]))
    assert audited(cli, db) == (1, [
        "failure_notice: Order o-1 has 0 failure notices for attempt 1, which failed at payment, instead of 1.",
        "1 order audited, 1 finding"])
