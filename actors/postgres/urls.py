"""A PostgreSQL URL as a person gave it: checked at the door, and shown without its secrets.

A password may come as `user:secret@` or as `?password=secret`, or from libpq's own sources
(PGPASSWORD, a connection service's file); none may reach a terminal or a log, whatever
echoes the URL or the error (our messages, psycopg's, SQLAlchemy's).
Loads SQLAlchemy only, not DBOS: every command checks --db with it before anything else.
"""

from __future__ import annotations

import configparser
import os
import re
from urllib.parse import unquote, unquote_plus

import sqlalchemy as sa

from storage.errors import DatabaseError

_HIDDEN = "***"
_USERINFO_PASSWORD = re.compile(r"(://[^/?#@:]*:)([^/?#@]+)@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)([^&#\s]+)", re.IGNORECASE)
_SERVICE = re.compile(r"[?&]service=([^&#\s]+)", re.IGNORECASE)
_PORT = re.compile(r"://(?:[^/?#@]*@)?(?:\[[^\]]*\]|[^/?#:]*)(?::([^/?#]*))?")


def display(url: str) -> str:
    """The URL as shown to a person: every password replaced by ***."""
    return _QUERY_PASSWORD.sub(rf"\g<1>{_HIDDEN}", _USERINFO_PASSWORD.sub(rf"\g<1>{_HIDDEN}@", url))


def secrets(url: str) -> set[str]:
    """The passwords the URL connects with, as written and as decoded: what no message may
    carry. Those it names (user:secret@, ?password=) and those libpq would add to it: the
    PGPASSWORD variable's, and the password of the connection service it names (service=, or
    PGSERVICE), from the service file libpq reads."""
    found = {match[2] for match in _USERINFO_PASSWORD.finditer(url)}
    found |= {match[2] for match in _QUERY_PASSWORD.finditer(url)}
    found |= {secret for secret in (os.environ.get("PGPASSWORD"), _service_password(url)) if secret}
    return {form for secret in found for form in (secret, unquote(secret), unquote_plus(secret)) if form}


def _service_password(url: str) -> str | None:
    """The password of the service the URL names, in the first service file that defines it
    (PGSERVICEFILE or ~/.pg_service.conf, then PGSYSCONFDIR's pg_service.conf), as libpq looks."""
    named = _SERVICE.search(url)
    service = unquote_plus(named[1]) if named else os.environ.get("PGSERVICE")
    if not service:
        return None
    files = [os.environ.get("PGSERVICEFILE") or os.path.join(os.path.expanduser("~"), ".pg_service.conf")]
    if os.environ.get("PGSYSCONFDIR"):
        files.append(os.path.join(os.environ["PGSYSCONFDIR"], "pg_service.conf"))
    for path in files:
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, UnicodeDecodeError, configparser.Error):
            continue  # libpq says what is wrong with it when it connects
        if parser.has_section(service):
            return parser.get(service, "password", fallback=None)
    return None


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
