"""A write or fsync that fails (a full disk, a failing one): nothing half-written is kept or
acted on, nothing more is written, and the error names the file and the cause."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from actors import create_database
from actors.embedded.storage_actor import StorageActor, StorageFailure
from actors.saga.scenario import Scenario
from storage.errors import StorageFailed
from storage.salvage import salvage
from storage.store import DocumentStore
from tests.documents import write_documents
from tests.failing_disk import SmallDisk, failing


def _stored(path: Path, name: str) -> dict | None:
    store = DocumentStore(path, create=False)
    try:
        return store.get(name)
    finally:
        store.close()


@pytest.mark.parametrize(("call", "code", "cause"), [
    ("write", errno.ENOSPC, "no space left on the device holding {db}; nothing acknowledged was lost; "
                            "free space and run `ordersaga report`."),
    ("fsync", errno.EIO, "the device holding {db} reported an I/O error; nothing acknowledged was lost; "
                         "check the device and run `ordersaga report`."),
    ("write", errno.EROFS, "the file system holding {db} is read-only; nothing acknowledged was lost; "
                           "make it writable and run `ordersaga report`."),
    ("fsync", errno.EACCES, "no permission to write {db}; nothing acknowledged was lost; "
                            "allow writing it and run `ordersaga report`."),
], ids=["ENOSPC-at-write", "EIO-at-fsync", "EROFS-at-write", "EACCES-at-fsync"])
def test_a_failed_flush_keeps_what_was_acknowledged_and_writes_nothing_more(
        tmp_path: Path, call: str, code: int, cause: str) -> None:
    db = tmp_path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    acknowledged = db.read_bytes()
    store = DocumentStore(db, create=False)
    store.put("order/o-1", {"step": 2, "padding": "x" * 1000})
    with failing(db, call, code), pytest.raises(StorageFailed) as failed:
        store.flush()
    assert str(failed.value) == cause.format(db=db)
    store.put("stock/KB", {"available": 1})
    with pytest.raises(StorageFailed):  # the disk works again, but a line may be torn: no more writes
        store.flush()
    store.close()  # without writing, and without raising
    assert db.read_bytes() == acknowledged  # the part of the failed line that landed was cut off
    assert _stored(db, "order/o-1") == {"step": 1}


def test_a_compaction_that_cannot_write_its_new_file_leaves_the_journal_and_no_temp_file(
        tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    write_documents(db, {"order/o-1": {"step": 2}})
    before = db.read_bytes()
    store = DocumentStore(db, create=False)
    with failing(db.with_name("s.db.compact"), "fsync", errno.ENOSPC), \
            pytest.raises(StorageFailed, match="no space left on the device holding"):
        store._storage.compact()  # on its own it would wait for 8 MB of journal
    store.close()
    assert db.read_bytes() == before
    assert not db.with_name("s.db.compact").exists()
    assert _stored(db, "order/o-1") == {"step": 2}


def test_a_compaction_on_a_full_disk_leaves_the_journal_and_gives_the_space_back(
        small_disk: SmallDisk) -> None:
    db = small_disk.path / "s.db"
    write_documents(db, {"order/o-1": {"step": 1, "padding": "x" * 60_000}})
    before = db.read_bytes()
    store = DocumentStore(db, create=False)
    small_disk.fill()
    with pytest.raises(StorageFailed, match="no space left on the device holding"):
        store._storage.compact()  # needs 60 kB the disk no longer has
    store.close()
    assert db.read_bytes() == before
    assert not db.with_name("s.db.compact").exists()
    small_disk.empty()
    assert _stored(db, "order/o-1") == {"step": 1, "padding": "x" * 60_000}


def test_a_database_that_cannot_be_written_is_not_created(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with failing(db.with_name("s.db.compact"), "fsync", errno.ENOSPC), \
            pytest.raises(StorageFailed) as failed:
        create_database(db, Scenario(name="w", stock={"KB": 3}))
    assert str(failed.value) == (f"no space left on the device holding {db}; no database was created; "
                                 "free space and run the command again.")
    assert not db.exists() and not db.with_name("s.db.compact").exists()


def test_a_salvage_that_cannot_write_its_copy_leaves_none(tmp_path: Path) -> None:
    db, copy = tmp_path / "s.db", tmp_path / "copy.db"
    write_documents(db, {"order/o-1": {"step": 1}})
    with failing(copy.with_name("copy.db.compact"), "fsync", errno.EDQUOT), \
            pytest.raises(StorageFailed) as failed:
        salvage(db, copy)
    assert str(failed.value) == (f"the disk quota is used up for {copy}; no database was created; "
                                 "free space or raise the quota and run the command again.")
    assert not copy.exists() and not copy.with_name("copy.db.compact").exists()


def test_the_storage_actor_never_acts_on_a_batch_that_did_not_become_durable(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    failure = StorageFailure()
    heard: list[StorageFailed] = []
    failure.listen(heard.append)
    storage = StorageActor.start(DocumentStore(db), failure).proxy()
    acted: list[int] = []
    try:
        storage.commit([("order/o-1", {"step": 1})], lambda: acted.append(1)).get()
        with failing(db, "fsync", errno.EIO):
            storage.commit([("order/o-1", {"step": 2})], lambda: acted.append(2)).get()
        with pytest.raises(StorageFailed, match="reported an I/O error"):
            storage.flush().get()  # whoever waits for durability hears why it will not come
        storage.commit([("order/o-1", {"step": 3})], lambda: acted.append(3)).get()
        assert acted == [1]
        assert heard == [failure.error]
        late: list[StorageFailed] = []
        failure.listen(late.append)  # a listener that comes after the failure hears of it at once
        assert late == heard
    finally:
        storage.actor_ref.stop()
    assert _stored(db, "order/o-1") == {"step": 1}


def test_a_new_database_whose_header_cannot_be_written_says_why_and_stays_usable(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with failing(db, "write", errno.ENOSPC), \
            pytest.raises(StorageFailed, match="no space left on the device holding"):
        DocumentStore(db)
    write_documents(db, {"order/o-1": {"step": 1}})  # unlocked, and nothing half-written in the way
    assert _stored(db, "order/o-1") == {"step": 1}
