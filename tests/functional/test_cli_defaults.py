"""What every command shares: $ORDERSAGA_DB as the default database, an example in --help."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from app.cli import build_parser

Cli = Callable[..., tuple[int, str, str]]


def test_ordersaga_db_is_the_database_when_no_db_is_given(cli: Cli, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "from-the-environment.db"
    monkeypatch.setenv("ORDERSAGA_DB", str(db))
    status, _, err = cli("run", "happy_path")
    assert status == 0, err
    assert db.exists()
    status, out, _ = cli("list")
    assert status == 0 and {line.split()[0] for line in out.splitlines()[1:]} == {"o-1", "o-2", "o-3"}
    given = tmp_path / "given.db"
    status, out, err = cli("list", "--db", given)  # --db still wins
    assert (status, err.strip()) == (2, f"ordersaga: {given}: no such database.")


@pytest.mark.parametrize("command", sorted(build_parser().get_default("command_names")))
def test_every_commands_help_ends_with_an_example_of_it(cli: Cli, command: str) -> None:
    status, out, _ = cli(command, "--help")
    assert status == 0
    assert f"example:\n  ordersaga {command} " in out
