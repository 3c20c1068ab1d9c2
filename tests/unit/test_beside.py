"""The socket a process holding a database listens on: private to the owner, answers as the
command would, and a holder that is gone is no answer at all."""

from __future__ import annotations

import socket
import stat
import sys
import threading
from pathlib import Path

from app.beside import Answer, Listener, ask, captured, socket_path


def echo(argv: list[str]) -> Answer:
    return Answer(3 if "fail" in argv else 0, " ".join(argv) + "\n", "")


def test_a_command_is_answered_by_the_holder_through_a_socket_only_its_owner_may_use(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    listener = Listener(db, echo)
    try:
        assert stat.S_IMODE(socket_path(db).stat().st_mode) == 0o600
        assert ask(db, ["retry", "o-1"]) == Answer(0, "retry o-1\n", "")
        assert ask(db, ["retry", "fail"]) == Answer(3, "retry fail\n", "")
    finally:
        listener.close()
    assert not socket_path(db).exists()
    assert ask(db, ["retry", "o-1"]) is None


def test_a_socket_left_by_a_holder_that_died_is_no_answer(tmp_path: Path) -> None:
    db = tmp_path / "shop.db"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(socket_path(db)))  # as a killed holder leaves it: the file stays, nobody listens
    assert socket_path(db).is_socket()
    assert ask(db, ["retry", "o-1"]) is None
    Listener(db, echo).close()  # the next holder takes the place


def test_a_database_deep_in_the_tree_is_served_too(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["a-rather-long-directory-name"] * 5)
    deep.mkdir(parents=True)
    listener = Listener(deep / "shop.db", echo)
    try:
        assert len(str(socket_path(deep / "shop.db"))) > 108
        assert ask(deep / "shop.db", ["list"]) == Answer(0, "list\n", "")
    finally:
        listener.close()


def test_what_a_served_command_prints_stays_out_of_other_threads_output(capsys: object) -> None:
    seen: list[str] = []

    def elsewhere() -> None:
        print("the dashboard's own line")

    with captured() as (out, err):
        print("the command's answer")
        print("its warning", file=sys.stderr)
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
        seen = [out.getvalue(), err.getvalue()]
    assert seen == ["the command's answer\n", "its warning\n"]
    assert "the dashboard's own line" in capsys.readouterr().out  # type: ignore[attr-defined]
