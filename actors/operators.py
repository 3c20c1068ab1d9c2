"""Who an engine records an operator's action under when the front end names nobody."""

from __future__ import annotations

import getpass


def login_name() -> str:
    """The login name of whoever runs this process (LOGNAME, USER, or the password database)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid with no name, in a container say
        return "unknown"


def acting(by: str | None) -> str:
    return by if by is not None else login_name()
