"""Reading scenario files: TOML checked field by field, every problem reported."""

from __future__ import annotations

import stat
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from actors.domain import Scenario

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
# Well above the largest scenario anyone runs: 100,000 orders take about 15 MB.
MAX_SCENARIO_BYTES = 64 * 1024 * 1024


class ScenarioError(Exception):
    """A scenario file cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _describe(error: Any) -> str:
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "is required"
    message = message[0].lower() + message[1:]
    if error["type"] not in ("value_error",) and "input" in error:
        message += f" (got {error['input']!r})"
    return message.removeprefix("value error, ")


def _reference_problems(scenario: Scenario) -> list[str]:
    """Problems no single field shows: names that point at nothing, duplicates."""
    problems = []
    order_ids = set()
    for index, order in enumerate(scenario.orders):
        where = f"orders[{index}]"
        if order.id in order_ids:
            problems.append(f"{where}.id: duplicate order id {order.id!r}")
        order_ids.add(order.id)
        if order.customer not in scenario.accounts:
            problems.append(f"{where}.customer: {order.customer!r} has no entry in [accounts]")
        for item_index, item in enumerate(order.items):
            if item.sku not in scenario.stock:
                problems.append(f"{where}.items[{item_index}].sku: {item.sku!r} has no entry in [stock]")
        if not order.items:
            problems.append(f"{where}.items: an order needs at least one item")
    for index, fault in enumerate(scenario.faults):
        if fault.order is not None and fault.order not in order_ids:
            problems.append(f"faults[{index}].order: no order {fault.order!r} in [[orders]]")
    for index, action in enumerate(scenario.then):
        where = f"then[{index}]"
        if action.top_up and action.top_up.customer not in scenario.accounts:
            problems.append(f"{where}.top_up.customer: {action.top_up.customer!r} has no entry in [accounts]")
        if action.restock and action.restock.sku not in scenario.stock:
            problems.append(f"{where}.restock.sku: {action.restock.sku!r} has no entry in [stock]")
        for field in ("retry", "cancel"):
            target = getattr(action, field)
            if target is not None and target not in order_ids:
                problems.append(f"{where}.{field}: no order {target!r} in [[orders]]")
    return problems


def parse_scenario(data: dict[str, Any], source: str) -> Scenario:
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise ScenarioError([f"{source}: {_field_path(e['loc'])}: {_describe(e)}"
                             for e in error.errors()]) from None
    problems = _reference_problems(scenario)
    if problems:
        raise ScenarioError([f"{source}: {problem}" for problem in problems])
    return scenario


def resolve_scenario_path(name: str | Path) -> Path:
    """A path as given, or the name of a file in scenarios/ (with or without .toml)."""
    path = Path(name)
    if path.exists() or path.is_absolute() or len(path.parts) > 1:
        return path
    for candidate in (SCENARIO_DIR / path, SCENARIO_DIR / f"{path}.toml"):
        if candidate.exists():
            return candidate
    return path


def _read_text(path: Path) -> str:
    """The text of a scenario file. What is not a regular file (a FIFO, /dev/zero) is
    refused without being opened, and a file too large to be a scenario without being read."""
    too_large = ScenarioError([f"{path}: larger than {MAX_SCENARIO_BYTES // 2**20} MB, "
                               "far more than any scenario needs"])
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            raise ScenarioError([f"{path}: not a regular file, so not a scenario file"])
        if status.st_size > MAX_SCENARIO_BYTES:
            raise too_large
        with path.open("rb") as file:
            data = file.read(MAX_SCENARIO_BYTES + 1)  # a file that grew since, or that stat calls empty
        if len(data) > MAX_SCENARIO_BYTES:
            raise too_large
        return data.decode("utf-8-sig")  # a byte order mark, as some editors write, is not TOML
    except FileNotFoundError:
        raise ScenarioError([f"{path}: no such scenario file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([f"{path}: cannot be read ({error})"]) from None


def load_scenario(name: str | Path) -> Scenario:
    path = resolve_scenario_path(name)
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([f"{path}: not valid TOML ({error})"]) from None
    return parse_scenario(data, str(path))


def library() -> list[Path]:
    """The scenario files that ship with ordersaga."""
    return sorted(SCENARIO_DIR.glob("*.toml"))
