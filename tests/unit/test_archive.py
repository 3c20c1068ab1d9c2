"""The archive of settled orders: the journal keeps what is live, and a group is archived,
live, or both after a crash at any point, never neither."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from actors.embedded.storage_actor import SettledGroup, StorageActor
from storage import index_cache
from storage.archive import archive_paths, database_files
from storage.codec import encoded, record_line
from storage.errors import DatabaseError
from storage.store import DocumentStore
from tests.documents import write_documents

GROUP = {"order/o-1": {"status": "completed", "n": 1}, "payment/o-1": {"charges": {}}}
SUMMARY = {"id": "o-1", "status": "completed"}


def test_an_archived_group_leaves_the_journal_and_is_read_back_by_name(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write_documents(db, {**GROUP, "stock/KB": {"available": 3}})
    store = DocumentStore(db, create=False)
    store.archive("o-1", list(GROUP), SUMMARY)
    store.flush()
    store.close()

    reopened = DocumentStore(db, create=False)
    try:
        assert reopened.get("order/o-1") is None and reopened.get("stock/KB") == {"available": 3}
        assert reopened.archived("o-1") == GROUP
        assert [(g.group, g.summary) for g in reopened.archived_groups()] == [("o-1", SUMMARY)]
        assert reopened.archived("o-2") is None
    finally:
        reopened.close()


def test_a_crash_after_the_archive_is_synced_but_before_the_journal_drops_keeps_both(tmp_path: Path) -> None:
    """The archive is synced first; a process that dies before the journal's drop line
    leaves the group live as well, and the live copy wins."""
    db = tmp_path / "a.db"
    write_documents(db, GROUP)
    store = DocumentStore(db, create=False)
    store.archive("o-1", list(GROUP), SUMMARY)
    store._sync_archive()  # the archive's half of a flush; then the process dies
    store._storage._file.close()  # no journal line, no close-time flush: as after kill -9
    store._storage._lock_file.close()

    reopened = DocumentStore(db, create=False)
    try:
        assert reopened.get("order/o-1") == GROUP["order/o-1"]  # still live
        assert reopened.archived("o-1") == GROUP  # and archived
    finally:
        reopened.close()


def test_an_index_lost_or_behind_is_rebuilt_from_the_archive(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write_documents(db, GROUP)
    store = DocumentStore(db, create=False)
    store.archive("o-1", list(GROUP), SUMMARY)
    store.close()
    archive, index = archive_paths(db)
    index.unlink()

    reopened = DocumentStore(db, create=False)
    try:
        assert [(g.group, g.summary) for g in reopened.archived_groups()] == [("o-1", SUMMARY)]
        assert reopened.archived("o-1") == GROUP
    finally:
        reopened.close()


def test_an_unfinished_last_archive_line_is_cut_off_on_opening(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write_documents(db, GROUP)
    store = DocumentStore(db, create=False)
    store.archive("o-1", list(GROUP), SUMMARY)
    store.close()
    archive, _ = archive_paths(db)
    whole = archive.stat().st_size
    with open(archive, "ab") as out:
        out.write(b'0badc0de {"g":"o-2","d":{')  # a write a crash interrupted

    DocumentStore(db, create=False).close()
    assert archive.stat().st_size == whole


def test_a_database_copied_without_its_archive_is_refused_not_shown_short(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write_documents(db, GROUP)
    store = DocumentStore(db, create=False)
    store.archive("o-1", list(GROUP), SUMMARY)
    store.close()
    copy = tmp_path / "copy" / "a.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)  # the journal alone

    with pytest.raises(DatabaseError, match=r"its archive of settled orders, a\.db\.archive, is missing"):
        DocumentStore(copy, create=False)
    for part in database_files(db):
        shutil.copy(part, copy.parent / part.name)
    DocumentStore(copy, create=False).close()


def test_a_replaced_database_ignores_the_old_worlds_archive(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write_documents(db, GROUP)
    store = DocumentStore(db, create=False)
    store.archive("o-1", list(GROUP), SUMMARY)
    store.close()
    os.unlink(db)
    write_documents(db, {"order/o-9": {"status": "pending"}})  # a new world, no archive of its own yet

    store = DocumentStore(db, create=False)
    try:
        assert store.archived("o-1") is None and store.archived_groups() == []
    finally:
        store.close()


def test_a_reader_lists_each_group_once_whole_as_the_writer_appends(tmp_path: Path) -> None:
    """A reader keeps what it parsed of the index and parses what is appended since: a line
    the writer has not finished is not listed until it is, and a group archived again is
    listed once, as last archived."""
    db = tmp_path / "a.db"
    other = {"order/o-2": {"status": "failed"}}
    write_documents(db, {**GROUP, **other})
    writer = DocumentStore(db, create=False)
    try:
        writer.archive("o-1", list(GROUP), SUMMARY)
        writer.flush()
        reader = DocumentStore(db, read_only=True)
        assert reader.archived_summaries() == [("o-1", SUMMARY)]

        writer.archive("o-2", list(other), {"id": "o-2", "status": "failed"})
        writer.flush()
        _, index = archive_paths(db)
        whole = index.read_bytes()
        index.write_bytes(whole[:-20])  # the writer's last line, half written
        assert reader.archived_summaries() == [("o-1", SUMMARY)]
        index.write_bytes(whole)
        assert reader.archived_summaries() == [("o-1", SUMMARY), ("o-2", {"id": "o-2", "status": "failed"})]

        again = {**GROUP, "order/o-1": {"status": "completed", "n": 2}}
        for name, doc in again.items():  # brought back live, then archived again as it settles anew
            writer.put(name, doc)
        writer.archive("o-1", list(again), {"id": "o-1", "status": "completed", "attempts": 2})
        writer.flush()
        assert sorted(reader.archived_summaries()) == [
            ("o-1", {"id": "o-1", "status": "completed", "attempts": 2}),
            ("o-2", {"id": "o-2", "status": "failed"})]
        assert reader.archived("o-1") == writer.archived("o-1") == again  # found in the parsed index
        reader.close()
    finally:
        writer.close()


def _listed(db: Path) -> list[tuple[str, dict[str, object]]]:
    """The archived summaries a new process reads (it may start from the kept parsed index)."""
    reader = DocumentStore(db, read_only=True)
    try:
        return sorted(reader.archived_summaries())
    finally:
        reader.close()


def _archive_one(db: Path, order: str, listing: bool = True) -> None:
    store = DocumentStore(db, create=False)
    try:
        store.put(f"order/{order}", {"status": "completed"})
        store.archive(order, [f"order/{order}"], {"id": order})
        store.flush()
        if listing:
            store.archived_summaries()  # a listing by the owner, which keeps the parsed index
    finally:
        store.close()


def test_the_kept_parsed_index_is_used_only_where_it_matches_the_index(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    write_documents(db, {"stock/KB": {"available": 3}})
    for order in ("o-1", "o-2"):
        _archive_one(db, order)
    kept = index_cache.cache_path(archive_paths(db)[1])
    assert kept.exists() and _listed(db) == [("o-1", {"id": "o-1"}), ("o-2", {"id": "o-2"})]

    with open(archive_paths(db)[1], "ab") as index:  # archived since, by a writer that kept nothing
        index.write(record_line({"g": "o-3", "o": 0, "n": 0, "s": {"id": "o-3"}}))
    assert _listed(db) == [("o-1", {"id": "o-1"}), ("o-2", {"id": "o-2"}), ("o-3", {"id": "o-3"})]

    data = bytearray(kept.read_bytes())
    data[-5] ^= 0xFF  # damaged: ignored, the index is parsed instead
    kept.write_bytes(bytes(data))
    assert [group for group, _ in _listed(db)] == ["o-1", "o-2", "o-3"]

    backup = tmp_path / "backup"
    backup.mkdir()
    for part in database_files(db):
        shutil.copy2(part, backup / part.name)
    _archive_one(db, "o-4")
    _archive_one(db, "o-5")  # the copy kept now covers o-4 and o-5
    for part in database_files(db):
        shutil.copy2(backup / part.name, part)  # a backup restored; the kept copy is newer
    _archive_one(db, "o-6", listing=False)
    _archive_one(db, "o-7", listing=False)  # the index is as long again as the kept copy covers
    assert [group for group, _ in _listed(db)] == ["o-1", "o-2", "o-3", "o-6", "o-7"]

    _archive_one(db, "o-4")
    os.unlink(db)
    write_documents(db, {"stock/KB": {"available": 3}})  # a new world: the old world's copy is ignored
    _archive_one(db, "o-9")
    assert kept.exists() and _listed(db) == [("o-9", {"id": "o-9"})]


def test_only_orders_still_as_they_settled_are_archived(tmp_path: Path) -> None:
    """The coordinator names each settled order with the document it stored when the order
    settled: an operator's retry may have stored a newer one since, and that order stays live.
    An order found settled at a restart comes without one: its stored time decides."""
    settled_at = "2026-11-27T00:00:00.000001Z"
    settled = {name: encoded({"status": "completed", "updated_at": settled_at}) for name in ("o-1", "o-2")}
    retried = encoded({"status": "running", "updated_at": "2026-11-27T00:00:01Z"})
    found_at_restart = {"status": "failed", "updated_at": settled_at}
    write_documents(tmp_path / "a.db", {})
    store = DocumentStore(tmp_path / "a.db", create=False)
    actor = StorageActor.start(store)
    storage = actor.proxy()
    try:
        storage.commit([("order/o-1", settled["o-1"]), ("order/o-2", retried),
                        ("order/o-3", found_at_restart)]).get()
        archived: list[str] = []
        storage.archive([SettledGroup(order_id, settled_at, settled.get(order_id), {"id": order_id})
                         for order_id in ("o-1", "o-2", "o-3")], archived.extend).get()
        storage.flush().get()
        assert archived == ["o-1", "o-3"]
        assert storage.archived_summaries().get() == [{"id": "o-1"}, {"id": "o-3"}]
    finally:
        actor.stop()  # closes the store
    reopened = DocumentStore(tmp_path / "a.db", create=False)
    try:
        assert reopened.get("order/o-2") == {"status": "running", "updated_at": "2026-11-27T00:00:01Z"}
        assert reopened.get("order/o-1") is None and reopened.archived("o-1") == {
            "order/o-1": {"status": "completed", "updated_at": settled_at}}
    finally:
        reopened.close()


def test_a_commit_whose_flush_waited_behind_a_read_of_the_archive_is_still_acted_on(tmp_path: Path) -> None:
    """A commit defers its fsync when another message waits; an archive read that came next
    must flush it, or the commit's callbacks (a command to send, a timer to start) wait for a
    later commit that an idle engine never makes: a retried archived order stuck in flight."""
    write_documents(tmp_path / "a.db", {})
    actor = StorageActor.start(DocumentStore(tmp_path / "a.db", create=False))
    storage = actor.proxy()
    try:
        go_on, acted = threading.Event(), threading.Event()
        storage.commit.defer([("order/o-1", {"status": "running"})], lambda: go_on.wait(30))  # holds the actor
        storage.commit.defer([("order/o-2", {"status": "running"})], acted.set)  # its flush waits behind...
        last = storage.archived_record("o-9")  # ...this read, the last message
        go_on.set()
        assert last.get(timeout=30) is None
        assert acted.wait(30), "the commit's callback never ran"
    finally:
        actor.stop()
