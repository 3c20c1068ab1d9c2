"""The journal storage: what survives a crash at any byte, and what it refuses to open."""

from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from actors import create_database
from actors.saga.scenario import Scenario
from storage.codec import StoredDocument, encoded
from storage.errors import DatabaseError, DatabaseLocked
from storage.files import locked
from storage.journal import COMPACT_MIN_BYTES
from storage.journal_file import HEADER
from storage.store import DocumentStore
from tests.documents import write_documents


def _stored(path: Path) -> dict[str, dict | None]:
    store = DocumentStore(path, create=False)
    try:
        return {name: store.get(name) for name in ("stock/KB", "inventory/o-1", "order/o-1")}
    finally:
        store.close()


def test_a_crash_inside_a_flush_keeps_all_of_its_documents_or_none(tmp_path: Path) -> None:
    """A reservation lowers the stock and records the effect: a crash must never keep one
    without the other, or the retried command would reserve twice."""
    db = tmp_path / "s.db"
    before = {"stock/KB": {"available": 5}, "inventory/o-1": {"ledger": {}}, "order/o-1": {"step": 1}}
    after = {"stock/KB": {"available": 4}, "inventory/o-1": {"ledger": {"o-1/inventory/1": "applied"}},
             "order/o-1": {"step": 2}}
    write_documents(db, before)
    acknowledged = db.read_bytes()
    write_documents(db, after)
    whole = db.read_bytes()
    assert len(whole) > len(acknowledged)
    for cut in range(len(acknowledged), len(whole)):
        torn = tmp_path / f"torn-{cut}.db"
        torn.write_bytes(whole[:cut])
        store = DocumentStore(torn, create=False)
        # What was cut, for the opener to tell; a cut at a line boundary leaves nothing to tell.
        assert store.torn_bytes == cut - len(acknowledged), f"cut at byte {cut}"
        store.close()
        assert _stored(torn) == before, f"cut at byte {cut}"
        assert torn.read_bytes() == acknowledged  # the torn tail is cut, nothing else
    assert _stored(db) == after


def test_after_a_torn_tail_is_cut_new_writes_append_and_replay(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    db.write_bytes(db.read_bytes() + b'0badc0de {"w":{"order/o-1":{"1":{"st')
    write_documents(db, {"stock/KB": {"available": 3}})
    assert _stored(db) == {"stock/KB": {"available": 3}, "inventory/o-1": None, "order/o-1": {"step": 1}}


def test_a_document_written_again_is_replaced_whole(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1, "failure": "declined"}})
    write_documents(db, {"order/o-1": {"step": 2}})
    assert _stored(db)["order/o-1"] == {"step": 2}


@pytest.mark.parametrize("handed_over", [dict, encoded], ids=["as a dict", "encoded"])
def test_any_text_or_number_reads_back_as_written_in_escaped_ascii(
        tmp_path: Path, handed_over: Callable[[dict[str, Any]], StoredDocument]) -> None:
    """Lines stay what earlier versions wrote (ASCII with escapes), which the archive's search
    for an order's line relies on, whatever a document holds, and however it was handed over."""
    db = tmp_path / "s.db"
    docs = [{"ship_to": "Zoë, 1 Straße \u2028 ☃"}, {"note": "tab\tDEL\x7f"}, {"big": 2**70},
            {"n": -3, "ok": True, "none": None, "list": [1, "two", {"3": [4]}]}]
    for doc in docs:
        write_documents(db, {"order/o-1": handed_over(doc)})
        line = db.read_bytes().splitlines()[-1]
        assert line.isascii() and b"\x7f" not in line
        assert json.loads(line[9:]) == {"w": {"order/o-1": {"1": doc}}, "x": []}
        assert _stored(db)["order/o-1"] == doc


def test_an_encoded_document_is_what_it_was_when_handed_over(tmp_path: Path) -> None:
    """A participant keeps changing its documents after handing them to the store: what the
    store holds, reads and journals is each as it was when handed over."""
    store = DocumentStore(tmp_path / "s.db")
    try:
        ledger: dict[str, Any] = {"ledger": {"o-1/inventory/1": "applied"}}
        store.put("inventory/o-1", encoded(ledger))
        ledger["ledger"]["o-1/inventory/1"] = "compensated"
        assert store.peek("inventory/o-1") == store.get("inventory/o-1") == {"ledger": {"o-1/inventory/1": "applied"}}
        assert dict(store.stored("inventory/")) == {"o-1": {"ledger": {"o-1/inventory/1": "applied"}}}
        store.flush()
    finally:
        store.close()
    assert DocumentStore(tmp_path / "s.db", read_only=True).get("inventory/o-1") == {
        "ledger": {"o-1/inventory/1": "applied"}}


def test_writes_between_flushes_share_one_line_and_one_fsync(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    store = DocumentStore(db)
    fsyncs: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (fsyncs.append(fd), real_fsync(fd)))
    try:
        for n in range(50):
            store.put(f"order/o-{n}", {"step": 1})
            store.put("stock/KB", {"available": 100 - n})
        store.flush()
        store.flush()  # nothing new: no write, no fsync
    finally:
        store.close()
    assert len(fsyncs) == 1
    assert db.read_bytes().count(b"\n") == 2  # the header and the one batch


def test_a_journal_of_mostly_superseded_lines_is_compacted_on_its_own(tmp_path: Path) -> None:
    """Rewriting one document over and over must not grow the file (and its replay) for ever."""
    db = tmp_path / "s.db"
    store = DocumentStore(db)
    flushes = 3 * COMPACT_MIN_BYTES // 2 // 50_000  # half as much again as compaction waits for
    try:
        for n in range(flushes):
            store.put("order/o-1", {"step": n, "padding": "x" * 50_000})
            store.flush()
    finally:
        store.close()
    assert db.stat().st_size <= COMPACT_MIN_BYTES
    assert not db.with_name("s.db.compact").exists()
    write_documents(db, {"stock/KB": {"available": 1}})  # appends after a compaction replay too
    assert _stored(db) == {"stock/KB": {"available": 1}, "inventory/o-1": None,
                           "order/o-1": {"step": flushes - 1, "padding": "x" * 50_000}}


def test_a_crash_during_compaction_leaves_the_journal_as_it_was(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1}, "stock/KB": {"available": 2}})
    before = db.read_bytes()
    store = DocumentStore(db, create=False)

    def crash(*args: object) -> None:
        raise KeyboardInterrupt("killed before the rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store._storage.compact()  # on its own it would wait for 8 MB of journal
    monkeypatch.undo()
    store.close()
    assert db.read_bytes() == before
    assert _stored(db)["order/o-1"] == {"step": 1}


@pytest.mark.parametrize(("content", "problem"), [
    (HEADER[:20], "ends inside its header line (truncated)"),
    (b"my shopping list\nmilk\n", "its first line is not an ordersaga header"),
    (b'{"_default": {"1": {"a": 1}}}', "its first line is not an ordersaga header"),
    (b"", "the file is empty"),
])
def test_a_file_that_is_not_a_journal_is_refused_untouched(tmp_path: Path, content: bytes,
                                                           problem: str) -> None:
    db = tmp_path / "s.db"
    db.write_bytes(content)
    with pytest.raises(DatabaseError) as refused:
        DocumentStore(db, create=False)
    assert str(refused.value).startswith(f"{db}: ") and problem in str(refused.value)
    assert db.read_bytes() == content


def test_a_bad_checksum_before_the_end_is_damage_not_a_torn_tail(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    write_documents(db, {"order/o-1": {"step": 2}})
    content = bytearray(db.read_bytes())
    second_line = content.index(b"\n") + 1
    content[second_line + 20] ^= 0x01  # one flipped bit in the first batch
    db.write_bytes(bytes(content))
    with pytest.raises(DatabaseError) as refused:
        DocumentStore(db, create=False)
    after = len(content) - content.index(b"\n", second_line) - 1
    assert str(refused.value) == (
        f"{db}: the database is damaged at line 2, byte {second_line} (a record that fails its "
        f"checksum), with 1 more line ({after} bytes) after it; it was left untouched, and "
        f"`ordersaga salvage --db {db} --to NEW_PATH` writes a new database from the 1 intact "
        "line before it.")
    assert db.read_bytes() == bytes(content)


def test_another_schema_version_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    body = HEADER[9:-1].replace(b'"schema":1', b'"schema":9')
    content = b"%08x %s\n" % (zlib.crc32(body), body) + db.read_bytes()[len(HEADER):]
    db.write_bytes(content)
    with pytest.raises(DatabaseError) as refused:
        DocumentStore(db, create=False)
    assert "schema version 9 is not supported (this ordersaga reads version 1)" in str(refused.value)
    assert db.read_bytes() == content


def test_a_second_opener_is_refused_while_the_first_holds_it(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    first = DocumentStore(db)
    try:
        with pytest.raises(DatabaseLocked, match="in use by another ordersaga process"):
            DocumentStore(db)
    finally:
        first.close()
    DocumentStore(db).close()  # released on close


def test_a_symlink_reaches_the_same_lock_as_the_file_it_leads_to(tmp_path: Path) -> None:
    db, link = tmp_path / "s.db", tmp_path / "link.db"
    link.symlink_to(db)
    # the lock holds before the file exists, as when a database is created
    with locked(link), pytest.raises(DatabaseLocked):
        DocumentStore(db)
    first = DocumentStore(link)  # creates the file the link leads to
    try:
        assert link.is_symlink() and db.is_file()
        with pytest.raises(DatabaseLocked, match=f"^{re.escape(str(link))}: the database is in use"):
            DocumentStore(link)
        with pytest.raises(DatabaseLocked, match=f"^{re.escape(str(db))}: the database is in use"):
            DocumentStore(db)
        first._storage.compact()  # a new file renamed over the old one: the lock must still hold
        with pytest.raises(DatabaseLocked):
            DocumentStore(db)
    finally:
        first.close()


def test_a_compaction_through_a_symlink_rewrites_the_file_and_keeps_the_link(tmp_path: Path) -> None:
    db, link = tmp_path / "s.db", tmp_path / "link.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    link.symlink_to(db)
    write_documents(link, {"order/o-1": {"step": 2}})
    store = DocumentStore(link, create=False)
    try:
        store._storage.compact()
    finally:
        store.close()
    assert link.is_symlink() and db.read_bytes().count(b"\n") == 2  # the header and the one table
    assert _stored(db)["order/o-1"] == {"step": 2}


def test_a_database_file_with_hard_links_is_refused_untouched(tmp_path: Path) -> None:
    """A compaction renames a new file over one name: the others would keep a stale copy that
    another process could open, unlocked, and write to."""
    db, other = tmp_path / "s.db", tmp_path / "other.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    first = DocumentStore(db, create=False)
    try:
        os.link(db, other)
        before = db.read_bytes()
        for name in (other, db):
            refusal = f"^{re.escape(str(name))}: the database file has 2 hard links"
            with pytest.raises(DatabaseError, match=refusal):
                DocumentStore(name, create=False)
        assert db.read_bytes() == before and not other.with_name("other.db.lock").exists()
    finally:
        first.close()
    other.unlink()
    assert _stored(db)["order/o-1"] == {"step": 1}


def test_a_crash_while_creating_a_database_leaves_none_or_the_old_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The world is written beside the file and renamed over it: a crash before the rename
    leaves no half-seeded database for the next command to resume."""
    db = tmp_path / "s.db"
    world = Scenario(name="w", stock={"KB": 3}, accounts={"ann": 100})

    def crash(*args: object) -> None:
        raise KeyboardInterrupt("killed before the rename")

    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", crash)
        with pytest.raises(KeyboardInterrupt):
            create_database(db, world)
    assert not db.exists()

    create_database(db, world)
    old = db.read_bytes()
    with monkeypatch.context() as patched:
        patched.setattr(os, "replace", crash)
        with pytest.raises(KeyboardInterrupt):
            create_database(db, Scenario(name="other"), replace=True)
    assert db.read_bytes() == old
