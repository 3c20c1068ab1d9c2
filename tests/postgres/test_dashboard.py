"""The dashboard on a PostgreSQL database: it shows what the workers do as they do it, and
its keys act on the shared database (a top-up and a retry here)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from textual.widgets import Static

from actors import create_database, read_snapshot
from app.dashboard.app import SagaDashboard
from app.dashboard.widgets.audit_badge import AuditBadge
from app.scenario import load_scenario, parse_scenario
from bench.mixed_scenario import mixed_world
from tests.dashboard_pilot import (
    DashboardFactory,
    event_line,
    listed_ids,
    main_screen,
    row,
    until,
)
from tests.postgres.test_workers import _wait_for
from tests.postgres_server import Worker, database

pytestmark = pytest.mark.postgres


async def test_the_dashboard_follows_the_workers_and_its_keys_reach_them(
        dashboard: DashboardFactory, postgres_url: str, workers: dict[str, Worker]) -> None:
    app = dashboard(load_scenario("insufficient_funds"), db=postgres_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed",
                    "o-1 failed on a worker")
        await pilot.press("t")
        await pilot.press(*"100", "enter")
        await until(pilot, lambda: "Topped up bob by $100.00" in event_line(app), "the top-up acknowledged")
        await pilot.press("r")
        await until(pilot, lambda: row(app, "o-1")["status"] == "✓ completed", "o-1 completed on a worker")
        await pilot.press("X")
        await pilot.press("y")
        await until(pilot, lambda: "the workers run the sagas" in event_line(app), "why X does not apply")


def _title(app: SagaDashboard) -> str:
    return str(main_screen(app).query_one("#title", Static).visual)


def _workers(app: SagaDashboard) -> str:
    """The workers as the top line shows them."""
    return str(main_screen(app).query_one("#workers", Static).visual)


def _badge(app: SagaDashboard) -> str:
    return str(main_screen(app).query_one(AuditBadge).visual)


def _in_flight(app: SagaDashboard) -> list[str]:
    return [order_id for order_id in listed_ids(app)
            if row(app, order_id)["status"].split()[-1] in ("pending", "running", "compensating")]


@pytest.mark.waits
async def test_the_dashboard_names_each_orders_worker_and_marks_those_a_silent_worker_holds(
        dashboard: DashboardFactory, postgres_server: object, tmp_path: Path) -> None:
    """Two workers; one stalls (SIGSTOP) with its sagas in flight: its orders are marked and the
    top line counts it silent, then lost once the other takes its sagas over; every order
    settles and the audit badge says the ledger balances."""
    url = database(postgres_server, "dash_workers")
    steady = Worker(url, "steady", tmp_path).start()
    stalled = Worker(url, "stalled", tmp_path, "--takeover-after", "10").start()
    try:
        steady.wait_ready(), stalled.wait_ready()
        world = mixed_world(40, seed=31, latency_ms={"inventory": 500, "payment": 500, "shipping": 500})
        create_database(url, parse_scenario(world, "stalling"), replace=True)
        app = dashboard(db=url)
        async with app.run_test(size=(120, 35)) as pilot:
            await until(pilot, lambda: _workers(app) == "2 workers", "the two workers in the top line")
            await until(pilot, lambda: any(row(app, order_id)["worker"] == "stalled" for order_id in _in_flight(app)),
                        "an order in flight on the worker about to stall")
            assert stalled.process is not None
            stalled.process.send_signal(signal.SIGSTOP)
            await until(pilot, lambda: _workers(app) == "2 workers · 1 silent", "the stalled worker counted silent")
            await until(pilot, lambda: any(row(app, order_id)["worker"] == "? stalled"
                                           for order_id in _in_flight(app)), "an order marked as held by it")
            await until(pilot, lambda: _workers(app) == "1 worker · stalled lost", "the stalled worker declared lost")
            await asyncio.to_thread(_wait_for, lambda: all(r.status.settled for r in read_snapshot(url).records))
            await until(pilot, lambda: not _in_flight(app) and len(listed_ids(app)) == 40, "every order settled")
            assert {row(app, order_id)["worker"] for order_id in listed_ids(app)} <= {"steady", "stalled"}
            await until(pilot, lambda: _badge(app) == "✓ ledger balanced", "the audit badge clean")
    finally:
        if stalled.process is not None and stalled.process.poll() is None:
            stalled.process.send_signal(signal.SIGCONT)
        stalled.stop()
        steady.stop()


async def test_a_world_replaced_by_another_process_is_said_and_shown_instead(
        dashboard: DashboardFactory, postgres_server: object, tmp_path: Path) -> None:
    """`ordersaga run --replace` elsewhere: the dashboard says so on the event line and shows the
    new world alone (no order of the old one, no finding from mixing them)."""
    url = database(postgres_server, "dash_replaced")
    worker = Worker(url, "w1", tmp_path).start()
    try:
        worker.wait_ready()
        create_database(url, parse_scenario(mixed_world(12, seed=32), "first world"), replace=True)
        app = dashboard(db=url)
        async with app.run_test(size=(120, 35)) as pilot:
            await until(pilot, lambda: len(listed_ids(app)) == 12 and not _in_flight(app), "the first world settled")
            create_database(url, load_scenario("insufficient_funds"), replace=True)
            await until(pilot, lambda: "Another process replaced this database's world" in event_line(app),
                        "the replacement said")
            await until(pilot, lambda: listed_ids(app) == ["o-1"] and row(app, "o-1")["status"] == "✗ failed",
                        "the new world alone, settled")
            assert "Insufficient funds, top-up, retry" in _title(app)
            await until(pilot, lambda: _badge(app) == "✓ ledger balanced", "the audit badge clean")
    finally:
        worker.stop()
