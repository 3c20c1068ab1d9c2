"""A password in the --db URL, as `user:secret@` or as `?password=secret`, reaches no terminal
and no log: not the worker's start line, not an error (ours or PostgreSQL's), whatever the
command; and a URL that cannot name a database is one sentence, exit 2, in every command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.postgres_server import Worker, database

pytestmark = pytest.mark.postgres

Cli = Callable[..., tuple[int, str, str]]
SECRET = "s3cr3t-Pw"
# A Unix socket that does not exist, and a closed port on this machine: nothing else is dialled.
UNREACHABLE = (f"postgresql://shop:{SECRET}@/shop?host=/tmp/ordersaga-no-such-socket",
               f"postgresql://shop@/shop?host=/tmp/ordersaga-no-such-socket&password={SECRET}",
               f"postgresql://shop@127.0.0.1:1/shop?password={SECRET}&sslmode=disable")
COMMANDS = (("list",), ("status", "o-1"), ("report",), ("audit",), ("worker", "--id", "w1"),
            ("recover", "--from", "w1"), ("top-up", "judy", "5"), ("run", "happy_path"))


def _one_sentence(status: int, out: str, err: str) -> None:
    assert status == 2, out + err
    assert SECRET not in out + err
    assert "Traceback" not in err
    assert err.startswith("ordersaga: ") and err.count("\n") == 1, err


@pytest.mark.parametrize("url", UNREACHABLE)
@pytest.mark.parametrize("command", COMMANDS[:5])
def test_an_unreachable_database_is_named_without_its_password(cli: Cli, url: str,
                                                               command: tuple[str, ...]) -> None:
    status, out, err = cli(*command, "--db", url)
    _one_sentence(status, out, err)
    assert "cannot reach PostgreSQL" in err and "***" in err


@pytest.mark.parametrize("command", COMMANDS)
def test_a_malformed_url_is_one_sentence_in_every_command(cli: Cli, command: tuple[str, ...]) -> None:
    status, out, err = cli(*command, "--db", f"postgresql://shop:{SECRET}@localhost:abc/shop?password={SECRET}")
    _one_sentence(status, out, err)
    assert "the port 'abc' is not a port number" in err


def test_a_worker_says_where_it_takes_orders_from_without_the_password(
        postgres_server: object, tmp_path: Path, cli: Cli) -> None:
    url = database(postgres_server, "credentials") + f"&password={SECRET}"
    worker = Worker(url, "creds", tmp_path).start()
    try:
        worker.wait_ready()
        status, out, err = cli("run", "happy_path", "--db", url, "--replace")
        assert status == 0, err
        assert SECRET not in out + err
    finally:
        worker.stop()
    log = worker.log.read_text()
    assert "password=***" in log and SECRET not in log


def test_libpq_s_own_passwords_are_hidden_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A URL may name a connection service whose file holds the password, and PGPASSWORD may
    hold one: whatever echoes them is cleared of them as of the URL's own."""
    from actors import redacted

    services = tmp_path / "services.conf"
    services.write_text(f"[shop]\nhost=/tmp/ordersaga-no-such-socket\ndbname=shop\npassword={SECRET}\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGPASSWORD", "An0ther-Pw")
    echoed = f"could not connect with {SECRET} or An0ther-Pw"
    assert redacted(echoed, "postgresql://?service=shop") == "could not connect with *** or ***"
    monkeypatch.setenv("PGSERVICE", "shop")
    assert redacted(echoed, "postgresql://shop@localhost/shop") == "could not connect with *** or ***"
    monkeypatch.delenv("PGSERVICE")
    monkeypatch.delenv("PGPASSWORD")
    assert redacted(echoed, "postgresql://shop@localhost/shop") == echoed  # no service: nothing of its file


@pytest.mark.parametrize("command", COMMANDS[:5])
def test_a_service_file_s_password_reaches_no_terminal(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       command: tuple[str, ...]) -> None:
    services = tmp_path / "services.conf"
    services.write_text(f"[shop]\nhost=/tmp/ordersaga-no-such-socket\ndbname=shop\nuser=shop\npassword={SECRET}\n")
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGPASSWORD", SECRET)
    status, out, err = cli(*command, "--db", "postgresql://?service=shop")
    _one_sentence(status, out, err)
    assert "cannot reach PostgreSQL" in err


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("scheme", ["mysql", "postgresql+asyncpg"])
def test_a_url_of_another_scheme_is_one_sentence_without_its_password(cli: Cli, command: tuple[str, ...],
                                                                      scheme: str) -> None:
    status, out, err = cli(*command, "--db", f"{scheme}://shop:{SECRET}@localhost/shop")
    _one_sentence(status, out, err)
    assert f"names a {scheme}:// URL, which ordersaga cannot open" in err
