"""The `ordersaga` command (and `python -m app`): signal handling first, then the CLI.

The handlers go in before the CLI's imports, which take a moment, so a Ctrl-C
or SIGTERM while they load ends the command with one line, not a traceback.
Importing `app.cli` itself (as the tests do) changes no process-wide handler.
"""

from __future__ import annotations

import gc
import sys

from app.signals import stop_on_signals


def run() -> None:
    stop_on_signals()
    # The modules loaded live as long as the process: importing them without the collector's
    # passes over them (a fifth of the imports' time), then freezing them, as a database loaded.
    gc.disable()
    try:
        from app.cli import main
    finally:
        gc.freeze()
        gc.enable()
    sys.exit(main())


if __name__ == "__main__":
    run()
