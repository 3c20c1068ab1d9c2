"""Build mixed-order scenarios: the 200-order file in scenarios/ and bench worlds.

    python bench/mixed_scenario.py            # rewrite scenarios/mixed_200.toml
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SKUS = {"KEYBOARD": (4999, 60), "MOUSE": (1999, 80), "MONITOR": (19999, 30),
        "CABLE": (999, 150), "DOCK": (12999, 30), "WEBCAM": (6999, 40)}


def mixed_world(orders: int, seed: int = 7, faults: bool = True,
                latency_ms: dict[str, int] | None = None) -> dict[str, Any]:
    """A scenario as TOML-shaped data: mostly successes, some natural and injected failures."""
    rng = random.Random(seed)
    customers = {f"customer-{n:02d}": rng.choice([8000, 60000, 250000, 900000]) for n in range(12)}
    scale = max(1, orders // 200)
    stock = {sku: count * scale for sku, (_, count) in SKUS.items()}
    order_list = []
    for n in range(1, orders + 1):
        skus = rng.sample(sorted(SKUS), rng.choice([1, 1, 2, 3]))
        order_list.append({
            "id": f"o-{n}",
            "customer": rng.choice(sorted(customers)),
            "ship_to": f"{rng.randint(1, 99)} {rng.choice(['Main', 'Elm', 'Oak', 'Pine'])} St",
            "items": [{"sku": sku, "quantity": rng.choice([1, 1, 1, 2, 3]),
                       "price_cents": SKUS[sku][0]} for sku in skus],
        })
    world: dict[str, Any] = {
        "name": f"{orders} mixed orders",
        "description": "Many customers racing for limited stock, some short of money, "
                       "with a few declined cards, carrier failures, lost replies and "
                       "failing refunds.",
        "latency_ms": latency_ms if latency_ms is not None else {"inventory": 2, "payment": 4, "shipping": 3},
        "stock": stock,
        "accounts": customers,
        "orders": order_list,
    }
    if faults:
        picks = rng.sample(range(1, orders + 1), 12)
        world["faults"] = (
            [{"service": "payment", "order": f"o-{n}", "kind": "error", "reason": "Card declined by issuer",
              "recoverable": False} for n in picks[:3]]
            + [{"service": "shipping", "order": f"o-{n}", "kind": "error", "reason": "Carrier unavailable"}
               for n in picks[3:6]]
            + [{"service": "payment", "order": f"o-{n}", "kind": "lost_reply"} for n in picks[6:9]]
            + [{"service": "shipping", "order": f"o-{n}", "kind": "timeout"} for n in picks[9:10]]
            + [{"service": "payment", "action": "compensate", "kind": "error",
                "reason": "Payment gateway unavailable", "times": 3}]
        )
    return world


def to_toml(world: dict[str, Any]) -> str:
    """Just enough TOML for scenario data (tomllib reads but does not write)."""
    def value(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"

    lines = []
    for key, v in world.items():
        if not isinstance(v, (dict, list)):
            lines.append(f"{key} = {value(v)}")
    for key, v in world.items():
        if isinstance(v, dict):
            lines += ["", f"[{key}]"] + [f"{k} = {value(x)}" for k, x in v.items()]
    for key, v in world.items():
        if isinstance(v, list):
            for entry in v:
                lines += ["", f"[[{key}]]"] + [f"{k} = {value(x)}" for k, x in entry.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    target = ROOT / "scenarios" / "mixed_200.toml"
    target.write_text(to_toml(mixed_world(200)))
    print(f"wrote {target}", file=sys.stderr)
