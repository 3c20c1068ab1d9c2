"""Where ordersaga keeps its database when no --db is given."""

from __future__ import annotations

import os
from pathlib import Path


def default_database() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "ordersaga" / "ordersaga.db"
