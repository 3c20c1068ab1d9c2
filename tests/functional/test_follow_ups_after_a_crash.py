"""A scenario's `then` retry, cancel or edit, cut short by a crash, is applied exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors import Engine, create_database
from actors.follow_ups import FollowUps
from app.scenario import parse_scenario
from tests.conftest import FAST

# Bob cannot pay, and the top-up is too small: the retry fails again, recoverably,
# so a retry applied twice would show as a third attempt.
WORLD = {
    "name": "retry once",
    "stock": {"KEYBOARD": 5},
    "accounts": {"bob": 1000},
    "orders": [{"id": "o-1", "customer": "bob", "ship_to": "1 Main St",
                "items": [{"sku": "KEYBOARD", "quantity": 1, "price_cents": 4999}]}],
    "then": [{"top_up": {"customer": "bob", "amount_cents": 100}}, {"retry": "o-1"}],
}


class Died(BaseException):
    """The process stopping between two writes."""


def test_a_retry_done_just_before_a_crash_is_not_done_again(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    create_database(db, parse_scenario(WORLD, "test"))
    real_write = FollowUps._store

    def die_once_the_retry_is_stored(follow_ups: FollowUps, begun: dict | None) -> None:
        if begun is None and follow_ups._applied == 2:  # the retry is done, not yet counted
            follow_ups._engine.wait_until_settled(timeout_s=30)  # ... and its attempt durable
            raise Died
        real_write(follow_ups, begun)

    with monkeypatch.context() as patched:
        patched.setattr(FollowUps, "_store", die_once_the_retry_is_stored)
        engine = Engine.open(db, settings=FAST)
        try:
            with pytest.raises(Died):
                engine.run_follow_ups(lambda line: None, timeout_s=30)
        finally:
            engine.close()

    lines: list[str] = []
    with Engine.open(db, settings=FAST) as engine:
        engine.run_follow_ups(lines.append, timeout_s=30)
        record = engine.record("o-1")
    assert len(record.attempts) == 2
    assert lines == ["then retry o-1: applied before the process stopped."]
    assert record.status.value == "failed"


def test_an_edit_done_just_before_a_crash_is_not_done_again(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "e.db"
    world = {**WORLD, "then": [{"edit": {"order": "o-1", "ship_to": "2 Oak Ave"}}]}
    create_database(db, parse_scenario(world, "test"))
    real_write = FollowUps._store

    def die_once_the_edit_is_stored(follow_ups: FollowUps, begun: dict | None) -> None:
        if begun is None and follow_ups._applied == 1:  # the edit is done, not yet counted
            follow_ups._engine.wait_until_settled(timeout_s=30)  # ... and durable
            raise Died
        real_write(follow_ups, begun)

    with monkeypatch.context() as patched:
        patched.setattr(FollowUps, "_store", die_once_the_edit_is_stored)
        with Engine.open(db, settings=FAST) as engine, pytest.raises(Died):
            engine.run_follow_ups(lambda line: None, timeout_s=30)

    lines: list[str] = []
    with Engine.open(db, settings=FAST) as engine:
        engine.run_follow_ups(lines.append, timeout_s=30)
        record = engine.record("o-1")
    assert lines == ['then edit o-1 (ship to "2 Oak Ave"): applied before the process stopped.']
    assert record.version == 2
