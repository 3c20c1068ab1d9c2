"""Errors a user can cause by pointing ordersaga at the wrong file."""


class DatabaseError(Exception):
    """The database cannot be used; the message names the file and why."""


class DatabaseLocked(DatabaseError):
    """Another process has the database open."""


class DatabaseReadOnly(DatabaseError):
    """The database's file or folder cannot be written by this process."""
