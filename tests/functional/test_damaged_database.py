"""A database file that cannot be used is named with what is wrong, exit status 2, and left
byte for byte as it was; a torn tail (a write that never finished) is the one exception."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from actors.mapper import read_records
from storage.journal_file import HEADER
from storage.store import DocumentStore
from tests.invariants import assert_invariants

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
    "bad checksum in the middle": (_flip_a_bit_in_the_middle, "is damaged at line 2, byte "),
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
    holder = DocumentStore(db, create=False)  # another ordersaga process, as far as the lock can tell
    try:
        status, out, err = cli(*command, "--db", db)
    finally:
        holder.close()
    assert (status, out, err) == (2, "", f"ordersaga: {db}: the database is in use by another "
                                         "ordersaga process.\n")
    assert db.read_bytes() == before


def test_a_torn_last_line_loses_only_that_unfinished_write_and_says_so(cli: Cli, db: Path) -> None:
    acknowledged = db.read_bytes()
    expected = json.loads(cli("report", "--db", db, "--json")[1])
    # A flush the process died inside: part of a line, no newline, never acknowledged.
    torn = b'1c2d3e4f {"w":{"order/o-1":{"1":{"status":"fai'
    db.write_bytes(acknowledged + torn)
    status, out, err = cli("report", "--db", db, "--json")
    assert (status, err) == (0, f"ordersaga: {db}: cut off its unfinished last line ({len(torn)} bytes), "
                                "which is exactly what a crash in the middle of a write leaves; that "
                                "write was never acknowledged, so nothing had acted on it.\n")
    assert json.loads(out) == expected
    assert db.read_bytes() == acknowledged
    assert cli("report", "--db", db)[2] == ""  # cut once, told once


def test_a_damaged_line_is_named_with_what_follows_and_the_way_out(cli: Cli, db: Path) -> None:
    content = db.read_bytes()
    number = content.count(b"\n") - 2
    db.write_bytes(_break_checksum(content, number))
    status, out, err = cli("report", "--db", db)
    assert (status, out) == (2, "")
    assert err == (f"ordersaga: {db}: the database is damaged at line {number}, byte "
                   f"{_line_start(content, number)} (a record that fails its checksum), with 2 more "
                   f"lines ({len(content) - _line_start(content, number + 1)} bytes) after it; it was "
                   f"left untouched, and `ordersaga salvage --db {db} --to NEW_PATH` writes a new "
                   f"database from the {number - 1} intact lines before it.\n")


def _line_start(content: bytes, number: int) -> int:
    return sum(len(line) for line in content.splitlines(keepends=True)[:number - 1])


def _break_checksum(content: bytes, number: int) -> bytes:
    """Damage only a line's checksum: its record still reads, so salvage can say what it held."""
    offset = _line_start(content, number)
    return content[:offset] + bytes([content[offset] ^ 0x01]) + content[offset + 1:]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_salvage_keeps_what_came_before_the_damage_and_the_orders_resume(cli: Cli, db: Path,
                                                                          tmp_path: Path) -> None:
    content = db.read_bytes()
    lines = content.splitlines()
    reserved = next(n for n, line in enumerate(lines, start=1) if b'"inventory/o-1"' in line)
    # The orders' first batch after the reservations: their sagas are in flight before it.
    number = next(n for n, line in enumerate(lines, start=1) if n > reserved and b'"order/o-1"' in line)
    db.write_bytes(_break_checksum(content, number))
    damaged, salvaged = _sha256(db), tmp_path / "salvaged.db"
    offset = _line_start(content, number)
    last = content.count(b"\n")

    status, out, err = cli("salvage", "--db", db, "--to", salvaged)

    assert (status, err) == (0, "")
    assert _sha256(db) == damaged
    assert f"Kept lines 1-{number - 1} ({offset} bytes)" in out
    assert f"Dropped lines {number}-{last} ({len(content) - offset} bytes):" in out
    damaged_line = out.split(f"  line {number} (")[1].splitlines()[0]
    assert "a record that fails its checksum; it touched " in damaged_line and "order/o-1" in damaged_line
    assert "Orders set back to where they were after line" in out
    in_flight = DocumentStore(salvaged, create=False)
    try:
        assert "completed" not in {record.status for record in read_records(in_flight)}
    finally:
        in_flight.close()
    status, out, err = cli("report", "--db", salvaged, "--json")
    assert (status, err) == (0, "")
    report = json.loads(out)
    assert [order["status"] for order in report["orders"]] == ["completed"] * 3
    assert_invariants(report)


def test_salvage_of_an_undamaged_database_says_so_and_copies_all_of_it(cli: Cli, db: Path,
                                                                       tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    status, out, err = cli("salvage", "--db", db, "--to", copy)
    assert (status, err) == (0, "")
    lines = db.read_bytes().count(b"\n")
    assert out == (f"{db} is undamaged: all its lines 1-{lines} ({db.stat().st_size} bytes) were "
                   f"copied to {copy}.\n")
    assert cli("report", "--db", copy, "--json")[1] == cli("report", "--db", db, "--json")[1]


def test_salvage_refuses_to_write_over_an_existing_file(cli: Cli, db: Path, tmp_path: Path) -> None:
    there = tmp_path / "there.db"
    there.write_bytes(b"something of value\n")
    status, out, err = cli("salvage", "--db", db, "--to", there)
    assert (status, out) == (2, "")
    assert err == (f"ordersaga: {there}: a file is already there; salvage writes a new database "
                   "only, so name a path where none is with --to.\n")
    assert there.read_bytes() == b"something of value\n"


@pytest.fixture
def held(db: Path) -> Iterator[Path]:
    """The database open in another ordersaga process, until the test ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from storage.store import DocumentStore; "
         "store = DocumentStore(sys.argv[1], create=False); print('open', flush=True); sys.stdin.read()",
         str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        yield db
    finally:
        holder.communicate("")


def test_a_symlink_to_a_database_in_use_is_refused(cli: Cli, held: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(held)
    before = held.read_bytes()
    status, out, err = cli("top-up", "bob", "100", "--db", link)
    assert (status, out, err) == (2, "", f"ordersaga: {link}: the database is in use by another "
                                         "ordersaga process.\n")
    assert held.read_bytes() == before


def test_a_hard_link_to_a_database_in_use_is_refused(cli: Cli, held: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.db"
    os.link(held, link)
    before = held.read_bytes()
    status, out, err = cli("top-up", "bob", "100", "--db", link)
    assert (status, out) == (2, "")
    assert err.startswith(f"ordersaga: {link}: the database file has 2 hard links") and err.count("\n") == 1
    assert held.read_bytes() == before


def test_run_replace_through_a_symlink_rewrites_the_file_and_keeps_the_link(cli: Cli, db: Path,
                                                                            tmp_path: Path) -> None:
    link = tmp_path / "link.db"
    link.symlink_to(db)
    status, out, err = cli("run", "card_declined", "--replace", "--db", link, "--json")
    assert (status, err) == (0, "")
    assert link.is_symlink()
    assert json.loads(cli("report", "--db", db, "--json")[1])["scenario"] == json.loads(out)["scenario"]
