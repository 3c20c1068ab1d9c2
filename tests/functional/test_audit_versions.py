"""The audit knows an order's versions: what each attempt reserved, charged and shipped is
checked against the version it ran on, a completed order's holdings against its current
version, and a version tampered with in the stored database is found."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.functional.test_audit_cli import Cli, audited
from tests.tampering import Doc, tamper


def _drop_edits(order: Doc) -> None:
    order["timeline"] = [event for event in order["timeline"] if event["action"] != "edit"]


@pytest.mark.parametrize("scenario, change, findings", [
    ("quantity_too_large", lambda o: o["earlier_versions"][0]["items"][0].update(quantity=2), [
        "record_mismatch: Inventory reserved {'KEYBOARD': 3} for order o-2 (o-2/inventory/1), but "
        "version 1, which attempt 1 ran on, asks for {'KEYBOARD': 2}."]),
    ("quantity_too_large", lambda o: o["attempts"][1].update(version=1), [
        "record_mismatch: Inventory reserved {'KEYBOARD': 1} for order o-2 (o-2/inventory/2), but "
        "version 1, which attempt 2 ran on, asks for {'KEYBOARD': 3}.",
        "record_mismatch: Payment charged $49.99 for order o-2 (o-2/payment/2), but version 1, which "
        "attempt 2 ran on, totals $149.97.",
        "version_mismatch: Order o-2's attempt 2 says it ran on version 1, but its timeline starts it "
        "on version 2."]),
    ("quantity_too_large", _drop_edits, [
        "version_mismatch: Order o-2 has 2 versions, but its timeline records 0 edits, which make 1.",
        "version_mismatch: Order o-2's attempt 2 says it ran on version 2, but its timeline starts it "
        "on version 1.",
        "version_mismatch: Order o-2 has 1 correction notice for 0 edits, instead of one each."]),
    ("quantity_too_large", lambda o: o["order"]["items"].append(
        {"sku": "MONITOR", "quantity": 1, "price_cents": 0}), [
        "record_mismatch: Inventory reserved {'KEYBOARD': 1} for order o-2 (o-2/inventory/2), but "
        "version 2, which attempt 2 ran on, asks for {'KEYBOARD': 1, 'MONITOR': 1}.",
        "version_mismatch: Order o-2's version 2 adds MONITOR, which no correction can."]),
    # Reserved and charged under version 1, kept by attempt 2: they must fit version 2 as well.
    ("address_undeliverable", lambda o: o["order"]["items"][0].update(quantity=2), [
        "record_mismatch: Inventory reserved {'KEYBOARD': 1} for order o-1 (o-1/inventory/1), but "
        "its current version 2 asks for {'KEYBOARD': 2}.",
        "record_mismatch: Payment charged $49.99 for order o-1 (o-1/payment/1), but its current "
        "version 2 totals $99.98."]),
], ids=["version 1 changed", "attempt's version changed", "edit dropped", "sku added", "kept effect unfit"])
def test_a_version_tampered_with_is_found(cli: Cli, settled: Callable[[str], Path], tmp_path: Path,
                                         scenario: str, change: Callable[[Doc], object],
                                         findings: list[str]) -> None:
    order = "order/o-1" if scenario == "address_undeliverable" else "order/o-2"
    status, lines = audited(cli, tamper(settled(scenario), tmp_path, (order, change)))
    assert status == 1
    assert lines == [*findings, f"2 orders audited, {len(findings)} finding{'s' if len(findings) > 1 else ''}"]


def test_a_shipment_to_an_address_no_version_gave_is_found(cli: Cli, settled: Callable[[str], Path],
                                                          tmp_path: Path) -> None:
    def to_the_old_address(shipping: Doc) -> None:
        shipping["shipments"]["o-1/shipping/2"]["address"] = "12 Nowhere Lane, Atlantis"

    status, lines = audited(cli, tamper(settled("address_undeliverable"), tmp_path,
                                        ("shipping/o-1", to_the_old_address)))
    assert (status, lines) == (1, [
        'record_mismatch: Shipping created o-1/shipping/2 for order o-1 to "12 Nowhere Lane, Atlantis", '
        'but version 2, which attempt 2 ran on, ships to "12 Harbour Rd, Springfield".',
        "2 orders audited, 1 finding"])
