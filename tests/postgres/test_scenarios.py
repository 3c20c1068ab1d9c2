"""The user stories on the PostgreSQL runtime (every library scenario runs on both runtimes in
tests/contract), through the CLI
with `--db postgresql://...`: a worker process runs the sagas, the command only seeds,
enqueues, waits and reports; the report keeps every invariant and the audit finds nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from actors import create_database
from actors.postgres.engine import PostgresEngine
from actors.saga.domain import SagaStatus, StepStatus
from app.scenario import parse_scenario
from tests.conftest import events, order_of
from tests.invariants import assert_invariants
from tests.postgres_server import Worker

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
_WAIT_S = 60  # only to fail rather than hang


def _run(cli: Cli, url: str, scenario: str | Path) -> dict:
    status, out, err = cli("run", scenario, "--db", url, "--replace", "--json")
    assert status == 0, err
    report = json.loads(out)
    assert_invariants(report)
    status, out, err = cli("audit", "--db", url)
    assert (status, out.splitlines()[-1]) == (0, f"{len(report['orders'])} order"
                                              f"{'s' if len(report['orders']) != 1 else ''} audited, 0 findings")
    return report


def test_orders_complete(cli: Cli, postgres_url: str, workers: dict[str, Worker]) -> None:
    report = _run(cli, postgres_url, "happy_path")
    assert [order["status"] for order in report["orders"]] == ["completed"] * 3
    assert all(len(order["notifications"]) == 1 for order in report["orders"])


def test_a_declined_card_releases_the_reservation_and_refuses_a_retry(
        cli: Cli, postgres_url: str, workers: dict[str, Worker]) -> None:
    report = _run(cli, postgres_url, "card_declined")
    order = order_of(report, "o-1")
    assert order["status"] == "failed"
    assert events(order)[-3:] == [("payment", "execute", "failed"), ("inventory", "compensate", "started"),
                                  ("inventory", "compensate", "compensated")]
    assert report["reservations"] == [{"order": "o-1", "items": {"HEADPHONES": 1}, "status": "released"}]
    assert report["charges"] == []
    assert "not recoverable" in report["follow_ups"][0]


def test_a_retry_after_a_top_up_completes(cli: Cli, postgres_url: str, workers: dict[str, Worker],
                                          tmp_path: Path) -> None:
    """The operator's story, command by command: failed for want of money, top-up, retry."""
    scenario = tmp_path / "short.toml"
    scenario.write_text('name = "Short of money"\n[stock]\nKB = 3\n[accounts]\nbob = 1000\n'
                        '[[orders]]\nid = "o-1"\ncustomer = "bob"\nship_to = "1 Main St"\n'
                        'items = [{ sku = "KB", quantity = 1, price_cents = 4999 }]\n')
    report = _run(cli, postgres_url, scenario)
    assert order_of(report, "o-1")["status"] == "failed"
    status, out, err = cli("retry", "o-1", "--db", postgres_url)  # looks before it leaps, as embedded
    assert (status, out) == (2, "") and "its payment failure is not resolved yet (balance $10.00" in err
    status, out, err = cli("top-up", "bob", "50", "--db", postgres_url)
    assert (status, out.strip()) == (0, "Topped up bob by $50.00; balance $60.00."), err
    status, out, err = cli("retry", "o-1", "--db", postgres_url)
    assert status == 0, err
    assert out.splitlines()[0] == "Order o-1: attempt 2 started at inventory."
    assert "completed, attempt 2" in out
    status, out, err = cli("list", "--db", postgres_url)
    header, line = out.splitlines()
    assert "WORKER" in header and line.split()[:4] == ["o-1", "bob", "$49.99", "completed"]
    assert line.split()[4] in workers
    status, out, err = cli("history", "o-1", "--db", postgres_url)
    assert status == 0 and "notice #2 confirmation" in out
    status, out, err = cli("report", "--db", postgres_url, "--json")
    assert_invariants(json.loads(out))
    assert json.loads(out)["accounts"]["bob"]["balance_cents"] == 1000 + 5000 - 4999


def test_a_slow_service_shows_each_step_as_it_is_done(postgres_url: str, workers: dict[str, Worker]) -> None:
    """A service's latency ends the transaction before it: another process reading the order
    (as the dashboard and `ordersaga show` do) sees the reservation made while the charge is
    on its way, then the charge made while the shipment is, not only the completed order
    (as it may with no latency at all)."""
    world = {"name": "slow", "stock": {"PRINTER": 2}, "accounts": {"judy": 100000},
             "latency_ms": {"inventory": 1000, "payment": 1000, "shipping": 1000},
             "orders": [{"id": "o-1", "customer": "judy", "ship_to": "8 Spruce Way",
                         "items": [{"sku": "PRINTER", "quantity": 1, "price_cents": 15900}]}]}
    create_database(postgres_url, parse_scenario(world, "slow"), replace=True)
    seen: list[tuple[StepStatus, ...]] = []
    deadline = time.monotonic() + _WAIT_S  # only to fail rather than hang
    with PostgresEngine(postgres_url) as engine:
        while time.monotonic() < deadline:
            record = engine.record("o-1")
            steps = tuple(step.status for step in record.attempts[-1].steps) if record.attempts else ()
            if steps and steps not in seen:
                seen.append(steps)
            if record.status == SagaStatus.COMPLETED:
                break
            time.sleep(0.02)  # the next look, until the order completes
    done, running, waiting = StepStatus.SUCCEEDED, StepStatus.RUNNING, StepStatus.PENDING
    assert seen[-3:] == [(done, running, waiting), (done, done, running), (done, done, done)], seen
