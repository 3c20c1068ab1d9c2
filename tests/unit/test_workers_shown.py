"""How the workers of a PostgreSQL database read, in `ordersaga workers` and the dashboard:
each one's state, the title line's count, and the mark on orders that wait on a silent one."""

from __future__ import annotations

from datetime import UTC, datetime

from actors import WorkerState
from actors.reading.workers import state_of
from actors.saga import rules as saga_logic
from app.dashboard.board import OrderBoard
from app.dashboard.widgets.orders_table import fitting_columns, row_cells
from app.dashboard.widgets.top_bar import roster
from tests.unit.test_dashboard_board import record

AT = datetime(2025, 1, 1, tzinfo=UTC)


def worker(name: str, state: str) -> WorkerState:
    return WorkerState(id=name, state=state, last_beat="", beat_age_s=0.0, in_flight=0, pid=1, host="h",
                       started="", takeover_after_s=30.0, taken_by="w1" if state == "lost" else None, handed=0)


def test_a_worker_is_silent_after_half_its_takeover_timeout_and_lost_once_taken_over() -> None:
    assert state_of(stopped=False, taken=False, beat_age_s=14.9, takeover_after_s=30) == "alive"
    assert state_of(stopped=False, taken=False, beat_age_s=15.1, takeover_after_s=30) == "silent"
    assert state_of(stopped=False, taken=False, beat_age_s=15.1, takeover_after_s=30, silent_after_s=60) == "alive"
    assert state_of(stopped=False, taken=True, beat_age_s=40, takeover_after_s=30) == "lost"
    assert state_of(stopped=True, taken=True, beat_age_s=40, takeover_after_s=30) == "stopped"


def test_the_top_line_counts_the_running_workers_and_names_the_lost_ones() -> None:
    def plain(workers: list[WorkerState]) -> str:
        return "".join(part if isinstance(part, str) else part[0] for part in roster(workers))

    assert plain([]) == ""  # the embedded runtime has none
    assert plain([worker("w1", "alive"), worker("w2", "silent")]) == "2 workers · 1 silent"
    assert plain([worker("w1", "alive"), worker("w2", "lost"), worker("w3", "stopped")]) == "1 worker · w2 lost"
    assert plain([worker(f"w{n}", "lost") for n in range(4)]) == "0 workers · w0, w1 and 2 more lost"


def test_orders_in_flight_on_a_silent_worker_are_marked_until_it_beats_again() -> None:
    moving = saga_logic.begin_attempt(record("o-1"), AT).record
    board = OrderBoard()
    board.apply([moving, record("o-2")], {"o-1": "w2", "o-2": "w2"})
    board.apply([record("o-3")], {"o-3": "w1"})
    summary = board.summaries["o-1"]
    assert summary.worker == "w2" and board.worker_mark(summary) is None
    assert board.set_workers([worker("w1", "alive"), worker("w2", "silent")]) == {"o-1", "o-2"}
    assert board.worker_mark(summary) == "silent"
    assert row_cells(summary, mark=board.worker_mark(summary))["worker"].plain == "? w2"
    assert board.set_workers([worker("w1", "alive"), worker("w2", "silent")]) == set()  # nothing changed
    assert board.set_workers([worker("w1", "alive"), worker("w2", "lost")]) == {"o-1", "o-2"}
    assert row_cells(summary, mark=board.worker_mark(summary))["worker"].plain == "✗ w2"
    board.set_workers([worker("w1", "alive"), worker("w2", "alive")])
    assert board.worker_mark(summary) is None
    board.apply([saga_logic.begin_attempt(record("o-2"), AT).record])  # no worker said: it keeps its own
    assert board.summaries["o-2"].worker == "w2"


def test_the_worker_column_is_only_for_a_database_run_by_workers() -> None:
    assert "worker" not in [key for key, _, _ in fitting_columns(200)]
    assert "worker" in [key for key, _, _ in fitting_columns(200, workers=True)]
    assert "worker" not in [key for key, _, _ in fitting_columns(80, workers=True)]  # spared, after the reason
