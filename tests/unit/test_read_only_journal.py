"""Reading a journal without its lock: what a reader sees while a writer appends, and that
it never changes the file, not even to cut a torn tail."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.errors import DatabaseError, DatabaseReadOnly
from storage.store import DocumentStore


def _read(path: Path) -> dict[str, dict | None]:
    reader = DocumentStore(path, create=False, read_only=True)
    try:
        return {name: reader.get(name) for name in ("stock/KB", "order/o-1")}
    finally:
        reader.close()


def test_a_reader_sees_the_last_whole_line_while_the_writer_holds_and_appends(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = DocumentStore(db)
    try:
        writer.put("order/o-1", {"step": 1})
        writer.flush()
        acknowledged = db.read_bytes()
        writer.put("stock/KB", {"available": 4})
        writer.put("order/o-1", {"step": 2})
        writer.flush()
        whole = db.read_bytes()
        # The writer's next line, as a reader may find it at every byte of its write.
        for cut in range(len(acknowledged), len(whole)):
            torn = tmp_path / f"torn-{cut}.db"
            torn.write_bytes(whole[:cut])
            assert _read(torn) == {"stock/KB": None, "order/o-1": {"step": 1}}, f"cut at byte {cut}"
            assert torn.read_bytes() == whole[:cut]  # the torn tail is the writer's: left as it is
        assert _read(db) == {"stock/KB": {"available": 4}, "order/o-1": {"step": 2}}
    finally:
        writer.close()


def test_a_reader_writes_nothing_and_still_refuses_damage(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    writer = DocumentStore(db)
    writer.put("order/o-1", {"step": 1})
    writer.close()
    reader = DocumentStore(db, create=False, read_only=True)
    with pytest.raises(DatabaseReadOnly):
        reader.put("order/o-1", {"step": 2})
    reader.close()
    assert _read(db)["order/o-1"] == {"step": 1}

    content = bytearray(db.read_bytes())
    content[content.index(b"\n") + 20] ^= 0x01  # a whole line failing its checksum: not a torn tail
    db.write_bytes(bytes(content))
    with pytest.raises(DatabaseError, match="damaged"):
        _read(db)
