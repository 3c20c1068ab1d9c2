"""`report --json` and `audit` read a database one order at a time; what they print is what
the whole-world snapshot gave, byte for byte, with live and archived orders mixed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import app.audit
from actors import create_database, open_engine, open_reader
from app.audit import audit, audit_stream
from app.report import build_report, write_report_json
from app.scenario import load_scenario
from tests.tampering import Doc, tamper, tamper_archived

# An order on hold stays live (o-1: bob cannot pay); the completed and failed ones are archived. Names beyond ASCII
# are escaped in the JSON, as json.dumps escapes them.
MIXED = """
name = "mixed, some held"
recoverable_failures = "hold"
[stock]
KEYBOARD = 5
"CÂBLE" = 1
[accounts]
bob = 1000
"zoë" = 100000
[[orders]]
id = "o-1"
customer = "bob"
ship_to = "1 Main St"
items = [{ sku = "KEYBOARD", quantity = 1, price_cents = 4999 }]
[[orders]]
id = "o-2"
customer = "zoë"
ship_to = "Straße 2, Köln"
items = [{ sku = "KEYBOARD", quantity = 2, price_cents = 4999 }, { sku = "CÂBLE", quantity = 1, price_cents = 500 }]
[[orders]]
id = "o-10"
customer = "zoë"
ship_to = "Straße 2, Köln"
items = [{ sku = "CÂBLE", quantity = 3, price_cents = 500 }]
[[orders]]
id = "o-9"
customer = "zoë"
ship_to = "3 Pine Rd"
items = [{ sku = "KEYBOARD", quantity = 1, price_cents = 100 }]
[[faults]]
service = "shipping"
order = "o-9"
kind = "error"
reason = "Address undeliverable"
recoverable = false
times = 1
"""


def _settled(tmp_path: Path) -> Path:
    scenario_file = tmp_path / "mixed.toml"
    scenario_file.write_text(MIXED, encoding="utf-8")
    db = tmp_path / "mixed.db"
    create_database(db, load_scenario(str(scenario_file)))
    with open_engine(db) as engine:
        engine.wait_until_settled()
    return db


def _both_ways(db: Path) -> tuple[str, str]:
    """The report as the snapshot gives it and as the stream writes it."""
    with open_reader(db) as world:
        whole = json.dumps(build_report(world.snapshot()), indent=2)
        pieces: list[bytes] = []
        write_report_json(world.stream(), [], pieces.append)
    return whole, b"".join(pieces).decode()


def test_the_streamed_report_is_the_snapshot_report_byte_for_byte(tmp_path: Path) -> None:
    db = _settled(tmp_path)
    whole, streamed = _both_ways(db)
    assert streamed == whole
    report = json.loads(streamed)
    assert [o["id"] for o in report["orders"]] == ["o-1", "o-2", "o-9", "o-10"]
    assert {o["status"] for o in report["orders"]} == {"on_hold", "completed", "failed"}
    assert "\\u00eb" in streamed  # zoë, escaped as json.dumps escapes it


def test_the_streamed_audit_finds_what_the_snapshot_audit_finds(tmp_path: Path) -> None:
    def unconfirmed(record: Doc) -> None:
        record["notifications"] = []

    def overcharged(document: Doc) -> None:
        for charge in document.get("charges", {}).values():
            charge["amount_cents"] += 1

    archived = tmp_path / "archived"
    archived.mkdir()
    db = tamper_archived(_settled(tmp_path), archived, "o-2", "order/o-2", unconfirmed)
    db = tamper(db, tmp_path, ("payment/o-9", overcharged))  # brought back live, as tamper does
    with open_reader(db) as world:
        whole = audit(world.snapshot())
        orders, streamed = audit_stream(world.stream())
    assert orders == 4 and streamed == whole
    assert {finding.subject for finding in whole} >= {"o-2", "o-9"}


def test_an_audit_shared_with_another_process_finds_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archived = tmp_path / "archived"
    archived.mkdir()
    db = tamper_archived(_settled(tmp_path), archived, "o-9", "order/o-9", lambda d: d.update(notifications=[]))
    with open_reader(db) as world:
        alone = audit_stream(world.stream())
        monkeypatch.setattr(app.audit, "SHARED_FROM", 0)  # share even these few orders
        stream = world.stream()
        share = stream.share(0.5)
        assert share is not None and [place.group for place in share.places] == ["o-9"]  # of o-2 and o-9
        shared = audit_stream(stream)
    assert shared == alone and alone[0] == 4 and {f.subject for f in alone[1]} == {"o-9"}
