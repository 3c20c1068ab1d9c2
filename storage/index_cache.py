"""The archive's index as last parsed, kept beside it, so a listing of 100,000 archived orders
does not parse 100,000 JSON lines every time (see docs/performance.md).

Derived from the index and never trusted blindly: it names how many of the index's bytes it
covers and their checksum, so a copy left beside an index that was since replaced (a new
generation, a backup restored) is known for what it is, under a checksum of its own. A copy that
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


def load(index: Path, index_now: memoryview) -> tuple[int, Entries] | None:
    """The entries parsed from the first bytes of index_now (the index as it is now), and how
    many bytes they cover; None when there is no copy that can be trusted for it."""
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
        covered, covered_crc, entries = marshal.loads(body)
    except (ValueError, EOFError, TypeError):
        return None
    if not isinstance(covered, int) or not isinstance(entries, dict) or not 0 < covered <= len(index_now):
        return None
    if zlib.crc32(index_now[:covered]) != covered_crc:
        return None  # the index is not the one these entries were parsed from
    return covered, entries


def save(index: Path, covered: memoryview, entries: Entries) -> None:
    """Keep entries, parsed from covered (the index's first bytes), for the next reader."""
    body = marshal.dumps((len(covered), zlib.crc32(covered), entries))
    path = cache_path(index)
    temp = path.with_name(path.name + ".new")
    try:
        with open(temp, "wb") as out:
            out.write(_MAGIC + b"%08x" % zlib.crc32(body) + body)
        os.replace(temp, path)
    except OSError:  # only a copy: the index is still there to parse
        temp.unlink(missing_ok=True)
