"""The archive's index as last parsed, kept beside it, so a listing of 100,000 archived orders
does not parse 100,000 JSON lines every time (loading this copy takes a third of that).

Derived from the index and never trusted blindly: it names the index's first line (its
generation) and how many of its bytes it covers, under a checksum of the whole. A copy that
does not match its index, is damaged, or was written by another Python (marshal's format is
Python's own) is ignored, and the index is parsed as if there were none. It is written beside
its place and renamed into it, not synced: after a crash it is at worst missing or damaged,
hence ignored. Only the owner of the database (who holds its lock) writes it.
"""

from __future__ import annotations

import marshal
import os
import sys
import zlib
from pathlib import Path
from typing import Any

Entries = dict[str, dict[str, Any]]
_MAGIC = f"ordersaga-index-cache {sys.implementation.cache_tag} {marshal.version}\n".encode()


def cache_path(index: Path) -> Path:
    return index.with_name(index.name + ".cache")


def load(index: Path, header: bytes) -> tuple[int, Entries] | None:
    """The entries of the index whose first line is header, and the bytes of it they cover;
    None when there is no copy that can be trusted for it."""
    try:
        data = cache_path(index).read_bytes()
    except OSError:
        return None
    checksum, body = data[len(_MAGIC):len(_MAGIC) + 8], data[len(_MAGIC) + 8:]
    if not data.startswith(_MAGIC):
        return None
    try:
        if int(checksum, 16) != zlib.crc32(body):
            return None
        kept_header, covered, entries = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if kept_header != header or not isinstance(covered, int) or not isinstance(entries, dict):
        return None
    return covered, entries


def save(index: Path, header: bytes, covered: int, entries: Entries) -> None:
    """Keep entries, parsed from the index's first `covered` bytes, for the next reader."""
    body = marshal.dumps((header, covered, entries))
    path = cache_path(index)
    temp = path.with_name(path.name + ".new")
    try:
        with open(temp, "wb") as out:
            out.write(_MAGIC + b"%08x" % zlib.crc32(body) + body)
        os.replace(temp, path)
    except OSError:  # only a copy: the index is still there to parse
        temp.unlink(missing_ok=True)
