"""A PostgreSQL URL as a person gave it: checked at the door, and shown without its secrets.

A password may come as `user:secret@` or as `?password=secret`; neither may reach a
terminal or a log, whatever echoes the URL (our messages, psycopg's, SQLAlchemy's).
Loads SQLAlchemy only, not DBOS: every command checks --db with it before anything else.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, unquote_plus

import sqlalchemy as sa

from storage.errors import DatabaseError

_HIDDEN = "***"
_USERINFO_PASSWORD = re.compile(r"(://[^/?#@:]*:)([^/?#@]+)@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#\s]+)", re.IGNORECASE)
_PORT = re.compile(r"://(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*)(?::([^/?#]*))?")


def display(url: str) -> str:
    """The URL as shown to a person: every password replaced by ***."""
    return _QUERY_PASSWORD.sub(rf"\g<1>{_HIDDEN}", _USERINFO_PASSWORD.sub(rf"\g<1>{_HIDDEN}@", url))


def secrets(url: str) -> set[str]:
    """The URL's passwords, as written and as decoded: what no message may carry."""
    found = {match[2] for match in _USERINFO_PASSWORD.finditer(url)}
    found |= {match[2] for match in _QUERY_PASSWORD.finditer(url)}
    return {form for secret in found for form in (secret, unquote(secret), unquote_plus(secret)) if form}


def redacted(text: str, url: str) -> str:
    """Text that may echo the URL or its password (an error's), with the password hidden
    wherever it appears (safe rather than pretty: a short password hides more than it)."""
    for secret in sorted(secrets(url), key=len, reverse=True):
        text = text.replace(secret, _HIDDEN)
    return text


def check_url(url: str) -> str:
    """The URL if it can name a PostgreSQL database; otherwise DatabaseError, one sentence
    saying what is wrong (the URL shown without its password)."""
    port = _PORT.search(url)
    if port is not None and port[1] and not (port[1].isascii() and port[1].isdigit()
                                             and 0 < int(port[1]) < 65536):
        raise DatabaseError(f"{display(url)}: the port {port[1]!r} is not a port number "
                            "(a whole number from 1 to 65535).")
    try:
        sa.make_url(url)
    except (ValueError, sa.exc.ArgumentError) as error:
        raise DatabaseError(f"{display(url)} is not a PostgreSQL URL ({redacted(str(error), url)}); "
                            "give one like postgresql://user@host:5432/database.") from None
    return url
