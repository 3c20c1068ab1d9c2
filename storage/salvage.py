"""Keep what a damaged database held before its damage, in a new file.

Every intact line before the first damaged one is a state the database was
in (each line is one atomic batch), so replaying exactly those and saving
the result gives a database that opens and resumes its orders from that
moment. Lines after the damage are left out even when intact: applied over
the missing line, they would mix documents from different moments.

The archive of settled orders is copied as it is: every group in it was
dropped from the journal after it was archived, so a group the kept lines
still hold live is one whose live copy wins, and the rest settled before the
kept lines end.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from storage.archive import archive_paths
from storage.errors import DatabaseError, StorageFailed
from storage.files import locked, real_path, refuse_unless_regular
from storage.journal_file import Replay, read_journal, write_snapshot


def salvage(source: Path, target: Path) -> Replay:
    """Write a new database at target from source's intact lines before its damage; say what was read.

    source is only read (no lock, no write), so a database on read-only media can be salvaged.
    Neither may be anything but a regular file (see refuse_unless_regular), and target's folder
    must exist: a mistyped path makes no folders.
    """
    refuse_unless_regular(source)
    refuse_unless_regular(target)
    folder = real_path(target).parent
    if not folder.is_dir():
        raise DatabaseError(f"{target}: the folder {folder} does not exist, and salvage makes no folders; "
                            "name a path in an existing folder with --to.")
    _refuse_existing(target)
    real = real_path(source)
    if not real.exists():
        raise DatabaseError(f"{source}: no such database.")
    replay = read_journal(source, real)
    with locked(target) as real_target:
        _refuse_existing(target)  # created since the first look, by another process
        try:
            for kept, copy in zip(archive_paths(real), archive_paths(real_target), strict=True):
                if kept.exists():
                    _copy_synced(kept, copy)
            write_snapshot(real_target, replay.tables)
        except OSError as error:
            raise StorageFailed(target, error, kept="no database was created",
                                then="run the command again") from None
    return replay


def _copy_synced(source: Path, target: Path) -> None:
    with open(source, "rb") as original, open(target, "wb") as copy:
        shutil.copyfileobj(original, copy, 1024 * 1024)
        copy.flush()
        os.fsync(copy.fileno())


def _refuse_existing(target: Path) -> None:
    if real_path(target).exists():
        raise DatabaseError(f"{target}: a file is already there; salvage writes a new database only, "
                            "so name a path where none is with --to.")
