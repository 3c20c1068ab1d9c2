"""`ordersaga dashboard` refuses a database or scenario it cannot use before any
UI starts: one line on stderr, exit status 2, nothing written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from storage.store import DocumentStore

Cli = Callable[..., tuple[int, str, str]]


def test_a_database_open_elsewhere_is_refused_and_left_alone(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    holder = DocumentStore(db)  # another ordersaga process, as far as the lock can tell
    try:
        before = db.read_bytes()
        status, out, err = cli("dashboard", "--db", db, "demo")
    finally:
        holder.close()
    assert (status, out) == (2, "")
    assert err == f"ordersaga: {db}: the database is in use by another ordersaga process.\n"
    assert db.read_bytes() == before


def test_a_file_that_is_no_database_is_refused_and_left_alone(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("my notes\n")
    for args in (("dashboard", "--db", db), ("dashboard", "--db", db, "demo")):
        status, out, err = cli(*args)
        assert (status, out) == (2, "")
        assert err.startswith(f"ordersaga: {db}: ") and "ordersaga database" in err
        assert err.count("\n") == 1
    assert db.read_text() == "my notes\n"


def test_a_bad_scenario_is_reported_and_no_database_is_created(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[stock]\nKB = -1\n')
    db = tmp_path / "new.db"
    status, out, err = cli("dashboard", "--db", db, bad)
    assert (status, out) == (2, "")
    assert err == f"ordersaga: {bad}: stock.KB: must be at least 0 (got -1)\n"
    assert not db.exists()


def test_options_without_a_command_open_the_dashboard(cli: Cli, tmp_path: Path) -> None:
    """`ordersaga --db PATH SCENARIO` is the dashboard, so its errors are the dashboard's."""
    status, _, err = cli("--db", tmp_path / "d.db", "no_such_scenario")
    assert status == 2 and "no_such_scenario: no such scenario file" in err
    assert not (tmp_path / "d.db").exists()
