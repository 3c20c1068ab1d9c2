"""A database file that cannot be used is named with what is wrong, exit status 2, and left
byte for byte as it was; a torn tail (a write that never finished) is the one exception."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from storage.journal import HEADER
from storage.store import SagaStore

Cli = Callable[..., tuple[int, str, str]]
COMMANDS = [("report",), ("list",), ("status", "o-1"), ("retry", "o-1"), ("run", "happy_path", "--replace")]
# The commands that resume the database, so need its lock (the others read it without).
WRITING = [("report",), ("retry", "o-1"), ("run", "happy_path", "--replace")]


def _flip_a_bit_in_the_middle(content: bytes) -> bytes:
    lines = content.split(b"\n")
    middle = len(lines[0]) + 1 + len(lines[1]) // 2
    return content[:middle] + bytes([content[middle] ^ 0x04]) + content[middle + 1:]


def _other_schema(content: bytes) -> bytes:
    body = HEADER[9:-1].replace(b'"schema":1', b'"schema":2')
    return b"%08x %s\n" % (zlib.crc32(body), body) + content[len(HEADER):]


DAMAGE = {
    "bad checksum in the middle": (_flip_a_bit_in_the_middle, "is damaged at byte "),
    "truncated inside the header": (lambda content: content[:25], "ends inside its header line (truncated)"),
    "not JSON at all": (lambda content: b"\x00\x01binary junk\n" * 40, "not a readable ordersaga database"),
    "a JSON file of another program": (lambda content: b'{"_default": {"1": {"x": 1}}}\n',
                                       "not a readable ordersaga database"),
    "another schema version": (_other_schema, "schema version 2 is not supported"),
}


@pytest.fixture
def db(cli: Cli, tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    assert cli("run", "happy_path", "--db", path)[0] == 0
    return path


@pytest.mark.parametrize("damage", sorted(DAMAGE))
@pytest.mark.parametrize("command", COMMANDS, ids=lambda args: args[0])
def test_a_damaged_database_is_named_refused_and_left_untouched(cli: Cli, db: Path, damage: str,
                                                                command: tuple[str, ...]) -> None:
    make, problem = DAMAGE[damage]
    db.write_bytes(make(db.read_bytes()))
    before = db.read_bytes()
    status, out, err = cli(*command, "--db", db)
    assert (status, out) == (2, "")
    assert err.startswith(f"ordersaga: {db}: ") and problem in err and err.count("\n") == 1, err
    assert db.read_bytes() == before


@pytest.mark.parametrize("command", WRITING, ids=lambda args: args[0])
def test_a_database_in_use_is_refused_and_left_untouched(cli: Cli, db: Path,
                                                         command: tuple[str, ...]) -> None:
    before = db.read_bytes()
    holder = SagaStore(db, create=False)  # another ordersaga process, as far as the lock can tell
    try:
        status, out, err = cli(*command, "--db", db)
    finally:
        holder.close()
    assert (status, out, err) == (2, "", f"ordersaga: {db}: the database is in use by another "
                                         "ordersaga process.\n")
    assert db.read_bytes() == before


def test_a_torn_last_line_loses_only_that_unfinished_write(cli: Cli, db: Path) -> None:
    acknowledged = db.read_bytes()
    expected = json.loads(cli("report", "--db", db, "--json")[1])
    # A flush the process died inside: part of a line, no newline, never acknowledged.
    db.write_bytes(acknowledged + b'1c2d3e4f {"w":{"order/o-1":{"1":{"status":"fai')
    status, out, err = cli("report", "--db", db, "--json")
    assert (status, err) == (0, "")
    assert json.loads(out) == expected
    assert db.read_bytes() == acknowledged
