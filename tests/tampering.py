"""Tampering with a database on purpose, as someone with access to the file could."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actors.mapper import order_of_document
from storage.archive import Archive, database_files
from storage.files import real_path
from storage.store import ARCHIVE_GENERATION, DocumentStore

Doc = dict[str, Any]


def _copy(base: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "tampered.db"
    for part in database_files(base):  # the journal, and the archive of settled orders
        shutil.copy(part, copy.with_name(part.name.replace(base.name, copy.name, 1)))
    return copy


def tamper(base: Path, tmp_path: Path, *changes: tuple[str, Callable[[Doc], object]]) -> Path:
    """A copy of base with each (document, change) applied, as someone with file access could."""
    copy = _copy(base, tmp_path)
    store = DocumentStore(copy, create=False)
    try:
        for name, change in changes:
            group = order_of_document(name)
            if store.get(name) is None and group is not None:
                # A settled order's documents are archived: bring them back live, where they win.
                for archived_name, archived in (store.archived(group) or {}).items():
                    store.put(archived_name, archived)
            doc = store.get(name) or {}
            change(doc)
            store.put(name, doc)
        store.flush()
    finally:
        store.close()
    return copy


def tamper_archived(base: Path, tmp_path: Path, order_id: str, name: str, change: Callable[[Doc], object]) -> Path:
    """A copy of base whose archived order has one document changed where it lies, in the
    archive (its latest line there wins), leaving it settled and not live."""
    copy = _copy(base, tmp_path)
    store = DocumentStore(copy, create=False, read_only=True)
    try:
        generation = (store.peek(ARCHIVE_GENERATION) or {})["generation"]
        documents = store.archived(order_id)
    finally:
        store.close()
    assert documents is not None, f"{order_id} is not archived"
    change(documents[name])
    archive = Archive(real_path(copy), generation, writable=True)
    found = archive.find(order_id)
    assert found is not None
    archive.add(order_id, documents, found.summary)
    archive.sync()
    return copy
