"""Tampering with a database on purpose, as someone with access to the file could."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actors.mapper import order_of_document
from storage.archive import database_files
from storage.store import DocumentStore

Doc = dict[str, Any]


def tamper(base: Path, tmp_path: Path, *changes: tuple[str, Callable[[Doc], object]]) -> Path:
    """A copy of base with each (document, change) applied, as someone with file access could."""
    copy = tmp_path / "tampered.db"
    for part in database_files(base):  # the journal, and the archive of settled orders
        shutil.copy(part, copy.with_name(part.name.replace(base.name, copy.name, 1)))
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
