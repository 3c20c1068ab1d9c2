"""What the dashboard looks like, compared with approved SVG screenshots.

The demo is run to the end once, headless, with a frozen clock (every time
shown is the same, in UTC) and answers that are never late; each snapshot then
opens a copy of that database, under a path that reads the same everywhere.
Regenerate after a deliberate change with `pytest tests/snapshots --snapshot-update`
and look at the new SVGs before committing them.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from actors import Engine, create_database
from actors.saga.settings import EngineSettings
from app.dashboard.app import SagaDashboard
from app.dashboard.widgets.audit_badge import AuditBadge
from app.dashboard.widgets.timeline import Timeline
from app.scenario import load_scenario
from storage.archive import database_files
from tests.dashboard_pilot import (
    DashboardFactory,
    main_screen,
    select,
    strip_text,
    until,
)

FROZEN = datetime(2025, 3, 14, 9, 26, 53, 589000, tzinfo=UTC)
# o-8's lost reply is asked again after this; nothing else may be late by as much.
ANSWER_TIMEOUT = EngineSettings(answer_timeout_s=1.0)
DEMO_ORDERS = 8
Snap = Callable[..., bool]


@pytest.fixture(scope="module")
def settled_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo (without its pauses for a human eye) run to the end."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    demo = load_scenario("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("actors.embedded.coordinator.now", lambda: FROZEN)
        create_database(path, demo.model_copy(update={"latency_ms": {}}))
        with Engine.open(path, settings=ANSWER_TIMEOUT) as engine:
            engine.wait_until_settled(timeout_s=60)
    return path


@pytest.fixture
def finished_demo(settled_demo: Path, dashboard: DashboardFactory, tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[SagaDashboard]:
    for part in database_files(settled_demo):  # the journal, and the archive of settled orders
        shutil.copy(part, tmp_path / part.name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    monkeypatch.setattr("app.dashboard.display.local_now", lambda: FROZEN)  # the demo ran today
    yield dashboard(db=Path("demo.db"))
    monkeypatch.undo()
    time.tzset()


def showing(order_id: str, pane_says: str = "") -> Callable[[Pilot[None]], Awaitable[None]]:
    """Select order_id once everything about it is on screen (pane_says: what the order pane
    shows once it has read the stock and balances)."""
    async def run_before(pilot: Pilot[None]) -> None:
        main = main_screen(pilot.app)  # type: ignore[arg-type]
        await until(pilot, lambda: main.board.history_loaded and len(main.board.summaries) == DEMO_ORDERS,
                    "the demo's orders")
        badge = main.query_one(AuditBadge)
        await until(pilot, lambda: "ledger balanced" in str(badge.visual), "the audit's verdict")
        await select(pilot, order_id)
        timeline = main.query_one(Timeline)
        await until(pilot, lambda: timeline.row_count > 0 and timeline.scroll_y == timeline.max_scroll_y,
                    "the latest events of the timeline")
        await until(pilot, lambda: pane_says in strip_text(pilot.app), pane_says)  # type: ignore[arg-type]
    return run_before


def test_main_screen_after_the_demo(snap_compare: Snap, finished_demo: SagaDashboard) -> None:
    assert snap_compare(finished_demo, terminal_size=(80, 24),
                        run_before=showing("o-2", pane_says="Not resolved yet"))


def test_timeline_of_an_order_whose_refund_was_retried(snap_compare: Snap,
                                                       finished_demo: SagaDashboard) -> None:
    assert snap_compare(finished_demo, terminal_size=(100, 40), run_before=showing("o-7"))


def test_help_screen(snap_compare: Snap, finished_demo: SagaDashboard) -> None:
    assert snap_compare(finished_demo, terminal_size=(80, 24), run_before=showing("o-1"),
                        press=["question_mark"])
