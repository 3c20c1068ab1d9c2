"""Errors a user can cause by pointing ordersaga at the wrong file, or that its disk can."""

from __future__ import annotations

import errno
import os

# What an errno says went wrong with a database's file, and what a person does about it.
_CAUSES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the device holding {path}", "free space"),
    errno.EDQUOT: ("the disk quota is used up for {path}", "free space or raise the quota"),
    errno.EROFS: ("the file system holding {path} is read-only", "make it writable"),
    errno.EACCES: ("no permission to write {path}", "allow writing it"),
    errno.EPERM: ("no permission to write {path}", "allow writing it"),
    errno.EIO: ("the device holding {path} reported an I/O error", "check the device"),
}


class DatabaseError(Exception):
    """The database cannot be used; the message names the file and why."""


class DatabaseLocked(DatabaseError):
    """Another process has the database open."""


class StorageFailed(DatabaseError):
    """Writing or syncing the database's file failed (a full disk, a failing one).

    Whatever was being written is not durable, so nothing acts on it: the
    message says what failed, what is safe, and what to do next.
    """

    def __init__(self, path: str | os.PathLike[str], error: OSError,
                 kept: str = "nothing acknowledged was lost",
                 then: str = "run `ordersaga report`") -> None:
        cause, self.remedy = _CAUSES.get(error.errno or 0,
                                         ("cannot write {path} ({reason})", "resolve that"))
        self.cause = cause.format(path=path, reason=error.strerror)
        super().__init__(f"{self.cause}; {kept}; {self.remedy} and {then}.")


class DatabaseReadOnly(DatabaseError):
    """The database's file or folder cannot be written by this process."""
