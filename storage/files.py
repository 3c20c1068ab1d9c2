"""The database file on disk: the path it really is, what may be there, its lock.

A database reached through a symlink is the file the link leads to: it is
locked, appended to and replaced there. A file with hard links is refused:
replacing it (compaction, --replace) renames a new file over one name only,
which would leave the other names on a stale copy that a second process
could open and write unlocked. Whatever is at the path but no regular file (a folder, a FIFO, a
device, a socket) is refused unread: opening a FIFO blocks for ever, and a new file renamed over
a device would replace what every program on the machine uses.
"""

from __future__ import annotations

import fcntl
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from storage.errors import DatabaseError, DatabaseLocked, DatabaseReadOnly

UNTOUCHED = "it was left untouched"


def real_path(path: Path) -> Path:
    """The file a database path names, through any symlinks: what is locked, read and replaced."""
    try:
        return path.resolve()
    except RuntimeError:  # what pathlib raises for a symlink loop
        raise DatabaseError(f"{path}: cannot open the database (its symlinks form a loop).") from None
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None


_NOT_FILES = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
              (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
              (stat.S_ISSOCK, "a socket"))


def refuse_unless_regular(path: Path, real: Path | None = None) -> None:
    """Raise DatabaseError, without opening it, where something other than a regular file is at
    path (real: the file it leads to, when known); a path where nothing is yet may be created."""
    try:
        mode = os.stat(real if real is not None else path).st_mode  # stat(2) opens nothing
    except FileNotFoundError:
        return
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _NOT_FILES if test(mode)), "something other than a file")
        raise DatabaseError(f"{path}: {kind} is there, not a database file, so ordersaga neither reads "
                            f"nor writes it; {UNTOUCHED}.")


def lock_database(path: Path) -> IO[str]:
    """Take the database's lock, or say who holds it; close the file to release.

    The lock is a flock on REAL.lock, REAL being the file path leads to, so every
    symlink to a database shares one lock, and the lock outlives the renames that
    replace the database file (a flock on the file itself would not).
    """
    real = real_path(path)
    refuse_unless_regular(path, real)
    try:
        names = real.stat().st_nlink
    except FileNotFoundError:  # a database about to be created
        names = 1
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None
    if names > 1:
        raise DatabaseError(f"{path}: the database file has {names} hard links, and ordersaga "
                            "replaces the file under one name when it compacts or starts over, "
                            "which would leave the other names on a stale copy; remove the other "
                            "links (or open a copy) and try again.")
    lock_path = real.with_name(real.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock_file = open(lock_path, "a")  # noqa: SIM115 - held for as long as the database is open
    except OSError as error:
        raise DatabaseError(f"{path}: cannot open the database ({error.strerror}).") from None
    try:
        fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock_file.close()
        raise DatabaseLocked(f"{path}: the database is in use by another ordersaga process.") from None
    return lock_file


def refuse_read_only(path: Path, real: Path) -> None:
    """Raise DatabaseReadOnly unless this process may write the file and its folder.

    The folder counts because the lock file and a compaction's new file are made
    there. access(2) answers for this process: permission bits (which root
    bypasses), a read-only mount (which binds root too), ACLs, immutable files.
    """
    for what, target in (("folder", real.parent), ("file", real)):
        if not os.access(target, os.W_OK):
            raise DatabaseReadOnly(f"{path}: the database is read-only (this process cannot write "
                                   f"its {what}); `ordersaga report --no-resume` and the other "
                                   "commands that only read it still work.")


@contextmanager
def locked(path: Path) -> Iterator[Path]:
    """Hold the database's lock for the block, which gets the real path to write."""
    real = real_path(path)
    lock_file = lock_database(path)
    try:
        yield real
    finally:
        lock_file.close()


def fsync_directory(directory: Path) -> None:
    """Make a rename in directory durable."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
