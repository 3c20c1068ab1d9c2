"""Reading scenario files: TOML checked field by field, every problem reported."""

from __future__ import annotations

import stat
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from actors import BadValue, Scenario, format_cents



def _library_folder() -> Path:
    """The shipped scenarios' folder, from a checkout or an installed wheel alike (pip
    installs packages as files, so the package's folder is a real one)."""
    try:
        folder = resources.files("scenarios")
    except ModuleNotFoundError:  # an editable install made before the library was package data
        raise ImportError("the scenario library (package `scenarios`) is not installed: reinstall "
                          "ordersaga (`make .venv/.installed` does once pyproject.toml changes)") from None
    assert isinstance(folder, Path), f"the scenario library is not a folder: {folder}"
    return folder


SCENARIO_DIR = _library_folder()
# Well above the largest scenario anyone runs: 100,000 orders take about 15 MB.
MAX_SCENARIO_BYTES = 64 * 1024 * 1024

Location = tuple[int | str, ...]


class ScenarioError(Exception):
    """A scenario file cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _field_path(location: Location) -> str:
    if location[-1:] == ("[key]",):  # the name of a [stock] or [accounts] entry: the table is the place
        location = location[:-2]
    path = ""
    for part in location:
        if isinstance(part, int) or not part or part != part.strip() or not part.isprintable():
            path += f"[{part!r}]"  # an index, or a key that would not read as one on one line
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def _is_money(location: Location) -> bool:
    return location[:1] == ("accounts",) or str(location[-1]).endswith("_cents")


def _describe(error: Any) -> str:
    if isinstance(error.get("ctx", {}).get("error"), BadValue):
        return str(error["ctx"]["error"])  # the sentence every door says of this value
    message = error["msg"]
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "is required"
    if error["type"] == "greater_than_equal":
        message = f"must be at least {error['ctx']['ge']:,}"
    elif error["type"] == "less_than_equal":
        limit = error["ctx"]["le"]
        message = f"must be at most {limit:,}"
        if _is_money(error["loc"]):
            message += f" cents, {format_cents(limit)}"
    message = message[0].lower() + message[1:]
    if error["type"] not in ("value_error",) and "input" in error:
        message += f" (got {error['input']!r})"
    message = message.removeprefix("value error, ")
    return f"a name {message}" if error["loc"][-1:] == ("[key]",) else message


def _entries(data: dict[str, Any], section: str) -> list[tuple[int, Any]]:
    """The entries of an array section as written, with their indexes (not an array: a field problem)."""
    entries = data.get(section, [])
    return list(enumerate(entries)) if isinstance(entries, list) else []


def _reference_problems(data: dict[str, Any], reported: set[Location]) -> list[str]:
    """Problems no single field shows: names that point at nothing, duplicates.

    They are read from the data as written, so they are found alongside any field's
    problems; a name that is itself a field problem (in `reported`) is not checked again.
    """
    problems: list[str] = []
    stock, accounts = data.get("stock", {}), data.get("accounts", {})
    order_ids: set[str] = set()
    skus_of: dict[str, set[Any]] = {}  # each order's skus: what an edit may change or remove

    def name(container: Any, location: Location) -> str | None:
        value = container.get(location[-1]) if isinstance(container, dict) else None
        return value if isinstance(value, str) and location not in reported else None

    def must_be_in(names: Any, section: str, container: Any, location: Location) -> None:
        value = name(container, location)
        if value is not None and isinstance(names, dict) and value not in names:
            problems.append(f"{_field_path(location)}: {value!r} has no entry in [{section}]")

    def must_be_an_order(container: Any, location: Location) -> None:
        value = name(container, location)
        if value is not None and value not in order_ids:
            problems.append(f"{_field_path(location)}: no order {value!r} in [[orders]]")

    for index, order in _entries(data, "orders"):
        order_id = name(order, ("orders", index, "id"))
        if order_id in order_ids:
            problems.append(f"orders[{index}].id: duplicate order id {order_id!r}")
        if order_id is not None:
            order_ids.add(order_id)
        must_be_in(accounts, "accounts", order, ("orders", index, "customer"))
        items = order.get("items") if isinstance(order, dict) else None
        for item_index, item in enumerate(items if isinstance(items, list) else []):
            must_be_in(stock, "stock", item, ("orders", index, "items", item_index, "sku"))
        if order_id is not None:
            skus_of[order_id] = {item.get("sku") for item in items if isinstance(item, dict)} \
                if isinstance(items, list) else set()
    for index, fault in _entries(data, "faults"):
        must_be_an_order(fault, ("faults", index, "order"))
    for index, action in _entries(data, "then"):
        if isinstance(action, dict):
            must_be_in(accounts, "accounts", action.get("top_up"), ("then", index, "top_up", "customer"))
            must_be_in(stock, "stock", action.get("restock"), ("then", index, "restock", "sku"))
        must_be_an_order(action, ("then", index, "retry"))
        must_be_an_order(action, ("then", index, "cancel"))
        edit = action.get("edit") if isinstance(action, dict) else None
        must_be_an_order(edit, ("then", index, "edit", "order"))
        edited = name(edit, ("then", index, "edit", "order"))
        for field in ("quantity", "remove"):
            asked = edit.get(field) if isinstance(edit, dict) and edited is not None and edited in skus_of else None
            for sku in asked if isinstance(asked, (dict, list)) else ():
                if isinstance(sku, str) and edited is not None and sku not in skus_of[edited]:
                    problems.append(f"then[{index}].edit.{field}: order {edited!r} has no item {sku!r}; "
                                    "an edit can change or remove an item, not add one")
    return problems


def parse_scenario(data: dict[str, Any], source: str) -> Scenario:
    """The scenario in data; ScenarioError lists every problem, of fields and of references, at once."""
    scenario: Scenario | None = None
    errors: list[Any] = []
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        errors = error.errors()
    problems = [f"{_field_path(e['loc'])}: {_describe(e)}" for e in errors]
    problems += _reference_problems(data, {tuple(e["loc"]) for e in errors})
    if problems:
        raise ScenarioError([f"{source}: {problem}" for problem in problems])
    assert scenario is not None
    return scenario


def _is_a_name(path: Path) -> bool:
    """A bare word such as `demo`: what the library is searched for."""
    return not (path.exists() or path.is_absolute() or len(path.parts) > 1)


def resolve_scenario_path(name: str | Path) -> Path:
    """A path as given, or the name of a scenario in the library (with or without .toml)."""
    path = Path(name)
    if not _is_a_name(path):
        return path
    for candidate in (SCENARIO_DIR / path, SCENARIO_DIR / f"{path}.toml"):
        if candidate.exists():
            return candidate
    return path


def _not_found(path: Path) -> str:
    """A name the library lacks is answered with the names it has; a path, as not found."""
    if not _is_a_name(path):
        return f"{path}: no such scenario file"
    names = ", ".join(scenario.stem for scenario in library())
    return f"{path}: no such scenario file, and no scenario of that name ships with ordersaga ({names})"


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
        raise ScenarioError([_not_found(path)]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError([f"{path}: cannot be read ({error})"]) from None


def load_scenario(name: str | Path) -> Scenario:
    import tomllib  # here: a command that loads no scenario need not import it

    path = resolve_scenario_path(name)
    text = _read_text(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ScenarioError([f"{path}: not valid TOML ({error})"]) from None
    except ValueError:  # an integer of more digits than Python converts (sys.get_int_max_str_digits)
        raise ScenarioError([f"{path}: a number in it has thousands of digits, more than any value in a "
                             "scenario may have"]) from None
    return parse_scenario(data, str(path))


def library() -> list[Path]:
    """The scenario files that ship with ordersaga."""
    return sorted(SCENARIO_DIR.glob("*.toml"))
