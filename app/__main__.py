"""The `ordersaga` command (and `python -m app`): signal handling first, then the CLI.

The handlers go in before the CLI's imports, which take a moment, so a Ctrl-C
or SIGTERM while they load ends the command with one line, not a traceback.
Importing `app.cli` itself (as the tests do) changes no process-wide handler.
"""

from __future__ import annotations

import sys

from app import collector
from app.signals import stop_on_signals


def run() -> None:
    stop_on_signals()
    with collector.importing():
        from app.cli import main
    sys.exit(main())


if __name__ == "__main__":
    run()
