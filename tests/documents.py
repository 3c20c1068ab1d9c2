"""Writing documents straight into a database file, for the storage tests."""

from __future__ import annotations

from pathlib import Path

from storage.codec import StoredDocument
from storage.store import DocumentStore


def write_documents(path: Path, docs: dict[str, StoredDocument]) -> None:
    """Create (or open) the database at path and store docs in it, durably."""
    store = DocumentStore(path)
    try:
        for name, doc in docs.items():
            store.put(name, doc)
        store.flush()
    finally:
        store.close()
