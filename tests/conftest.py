"""Fixtures shared by the suite: fast engine timings, engines on scenarios, the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pykka
import pytest

from actors import Engine
from actors.embedded.database import seed
from actors.saga.scenario import Scenario
from actors.saga.settings import EngineSettings
from app.cli import main
from app.report import build_report
from app.scenario import load_scenario, parse_scenario
from storage.store import DocumentStore

# Fixtures of their own modules, for every test: the PostgreSQL server and its workers (tests/postgres,
# tests/contract), the dashboard under Pilot, a small disk that fills up.
pytest_plugins = ["tests.postgres_server", "tests.dashboard_pilot", "tests.failing_disk"]

# Short timeouts and backoff so retries happen in milliseconds, not seconds.
FAST = EngineSettings(answer_timeout_s=0.05, max_execute_tries=3, backoff_base_s=0.002,
                      backoff_cap_s=0.02)

EngineFactory = Callable[..., Engine]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that mostly wait on the clock are spread over the first two thirds of the run,
    one every so many tests: under `-n` each then waits while the other processes work, rather
    than all waiting together at the start (cores idle) or ending the run alone."""
    waiting = [item for item in items if item.get_closest_marker("waits") is not None]
    working = [item for item in items if item.get_closest_marker("waits") is None]
    spacing = max(1, 2 * len(working) // (3 * max(1, len(waiting))))
    for place, item in enumerate(waiting):
        working.insert(place * (spacing + 1), item)
    items[:] = working


@pytest.fixture
def start_engine() -> Iterator[EngineFactory]:
    """Start an in-memory engine on a scenario (a Scenario, a library name, or TOML-shaped data)."""
    engines: list[Engine] = []

    def start(scenario: Scenario | str | dict[str, Any], settings: EngineSettings = FAST) -> Engine:
        if isinstance(scenario, str):
            scenario = load_scenario(scenario)
        elif isinstance(scenario, dict):
            scenario = parse_scenario(scenario, "test scenario")
        store = DocumentStore(None)
        seed(store, scenario)
        engine = Engine(store, on_crash="restart", settings=settings)
        engines.append(engine)
        return engine

    yield start
    for engine in engines:
        engine.close()
    pykka.ActorRegistry.stop_all()


def settled_report(engine: Engine, follow_ups: bool = True) -> dict[str, Any]:
    engine.wait_until_settled(timeout_s=30)
    if follow_ups:
        engine.run_follow_ups(lambda line: None, timeout_s=30)
    return build_report(engine.snapshot())


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run `ordersaga ARGS` in this process: (exit status, stdout, stderr)."""
    def run(*args: str | Path) -> tuple[int, str, str]:
        try:
            status = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse's own usage errors
            status = int(exit_.code or 0)
        captured = capsys.readouterr()
        return status, captured.out, captured.err
    return run


def order_of(report: dict[str, Any], order_id: str) -> dict[str, Any]:
    return next(order for order in report["orders"] if order["id"] == order_id)


def events(order: dict[str, Any], attempt: int | None = None) -> list[tuple[str, str, str]]:
    """An order's timeline as (step, action, outcome), optionally for one attempt."""
    return [(e["step"], e["action"], e["outcome"]) for e in order["timeline"]
            if attempt is None or e["attempt"] == attempt]


def json_out(text: str) -> dict[str, Any]:
    return json.loads(text)
