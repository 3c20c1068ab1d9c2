"""Where ordersaga keeps its database when no --db is given: $ORDERSAGA_DB, else under the
user's data directory."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_VARIABLE = "ORDERSAGA_DB"


def default_location() -> str:
    """--db's default, as typed: $ORDERSAGA_DB (a path or a postgresql:// URL) if set."""
    return os.environ.get(DATABASE_VARIABLE) or str(default_database())


def default_database() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "ordersaga" / "ordersaga.db"
