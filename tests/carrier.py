"""A carrier outage as an on-call operator meets it: many orders failed at shipping, settled
and archived, in a database made by `ordersaga run`."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

from app.cli import main


def carrier_outage(orders: int, failed: int) -> str:
    """A scenario (TOML) of `orders` one-WIDGET orders of three customers, the first `failed`
    of which the carrier refuses once (recoverable: a retry completes them)."""
    lines = ['name = "Carrier outage"', 'description = "The carrier was down for the first orders."',
             "", "[stock]", f"WIDGET = {orders * 2}", "", "[accounts]"]
    lines += [f"c{n:02d} = 10000000" for n in range(1, 4)]
    for n in range(1, orders + 1):
        lines += ["", "[[orders]]", f'id = "o-{n}"', f'customer = "c{n % 3 + 1:02d}"',
                  'ship_to = "1 Main St, Springfield"',
                  'items = [{ sku = "WIDGET", quantity = 1, price_cents = 1001 }]']
    for n in range(1, failed + 1):
        lines += ["", "[[faults]]", 'service = "shipping"', 'action = "execute"', f'order = "o-{n}"',
                  'kind = "error"', 'reason = "Carrier unavailable"', "recoverable = true", "times = 1"]
    return "\n".join(lines) + "\n"


def carrier_database(tmp_path: Path, orders: int, failed: int) -> Path:
    """A database where the carrier outage has run to the end (every order archived)."""
    scenario = tmp_path / "carrier.toml"
    scenario.write_text(carrier_outage(orders, failed))
    db = tmp_path / "carrier.db"
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", str(scenario), "--db", str(db)]) == 0
    return db
