"""Tampering with a database on purpose, as someone with access to the file could."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from storage.store import DocumentStore

Doc = dict[str, Any]


def tamper(base: Path, tmp_path: Path, *changes: tuple[str, Callable[[Doc], object]]) -> Path:
    """A copy of base with each (document, change) applied, as someone with file access could."""
    copy = tmp_path / "tampered.db"
    shutil.copy(base, copy)
    store = DocumentStore(copy, create=False)
    try:
        for name, change in changes:
            doc = store.get(name) or {}
            change(doc)
            store.put(name, doc)
        store.flush()
    finally:
        store.close()
    return copy
