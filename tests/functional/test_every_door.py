"""One value, every door: generated bad values go in through a scenario file, each command's
arguments and the dashboard's forms, and every door refuses each one with the same sentence (the
rule's, actors/saga/values.py), the CLI with exit 2, and the database's bytes stay as they were.

The values come from a seeded random.Random, so a failure names a value that fails again. Each
is a good value with one defect a person meets: a control character, an invisible one (zero-width,
bidirectional, a filler, a separator), spaces around it, nothing at all, far too many characters,
a leading '-' for an id; for numbers, a form that is no number, thousands of digits, out of range.
"""

from __future__ import annotations

import random
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from actors import AMOUNT, CUSTOMER, ORDER_ID, QUANTITY, SHIP_TO, SKU, WORKER_ID, BadValue
from actors.saga.values import Text, Whole
from app.dashboard.app import SagaDashboard
from app.dashboard.screens.amount_prompt import AmountPrompt
from app.dashboard.screens.edit_prompt import EditPrompt
from tests.dashboard_pilot import DashboardFactory, handled, select, until
from tests.functional.test_cli import without_follow_ups
from tests.functional.test_dashboard_keys import settled

Cli = Callable[..., tuple[int, str, str]]
SEED = 21
VALUES_PER_KIND = 16

CONTROL = [chr(code) for code in (*range(0x20), *range(0x7F, 0xA0))]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u202a", "\u202e", "\u2066", "\u2069", "\u2060",
             "\ufeff", "\u00ad", "\u061c", "\u180e", "\u3164", "\u115f", "\u034f", "\ufe0f", "\U000e0041",
             "\u2028", "\u2029", "\u00a0", "\u3000"]


def bad_text(rng: random.Random, rule: Text, good: str) -> str:
    at = rng.randrange(len(good) + 1)
    defects: list[Callable[[], str]] = [
        lambda: good[:at] + rng.choice(CONTROL) + good[at:],
        lambda: good[:at] + rng.choice(INVISIBLE) + good[at:],
        lambda: " " * rng.randint(1, 3) + good,
        lambda: good + rng.choice([" ", "  ", "\t", "\n"]),
        lambda: " " * rng.randint(0, 4),
        lambda: (good * 100_000)[:rng.choice([rule.most_chars + 1, rule.most_chars * 3, 10_000, 100_000])],
    ]
    if rule.argument:
        defects.append(lambda: "-" + good)
    return rng.choice(defects)()


def bad_number(rng: random.Random, rule: Whole) -> str:
    good = rule.example
    choices: list[Callable[[], str]] = [
        lambda: rng.choice([" ", "\t"]) + good,
        lambda: good + " ",
        lambda: good + rng.choice(CONTROL + INVISIBLE),
        lambda: rng.choice(["three", "3.5.1", "1e3", "0x10", "３", "1_000", "½", "--3", "3-", "$"]),
        lambda: rng.choice("123456789") + "".join(rng.choices("0123456789", k=rng.choice([18, 30, 4299, 5000]))),
        lambda: str(rng.choice([rule.most + 1, rule.most * 10, 10 ** 15, -1, -rule.most])),
    ]
    return rng.choice(choices)()


@dataclass(frozen=True)
class Kind:
    rule: Text | Whole
    values: tuple[str, ...]
    # Where a scenario file holds it, and the line that puts it there (None: no scenario door).
    location: str | None = None
    line: Callable[[str], str] = str

    def sentence(self, value: str) -> str:
        try:
            self.rule.parse(value) if isinstance(self.rule, Whole) else self.rule.check(value)
        except BadValue as bad:
            return str(bad)
        raise AssertionError(f"{value!r} was meant to be bad")


def toml_string(text: str) -> str:
    """A TOML basic string of text, every character but printable ASCII escaped."""
    return '"' + "".join(char if " " <= char <= "~" and char not in '"\\' else
                         f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}"
                         for char in text) + '"'


def _kinds() -> dict[str, Kind]:
    rng = random.Random(SEED)

    def texts(rule: Text, good: str) -> tuple[str, ...]:
        return tuple(bad_text(rng, rule, good) for _ in range(VALUES_PER_KIND))

    def numbers(rule: Whole) -> tuple[str, ...]:
        made: list[str] = []
        while len(made) < VALUES_PER_KIND:
            value = bad_number(rng, rule)
            if value.strip() != "0":  # 0 means "remove" in a correction: a door's own meaning
                made.append(value)
        return tuple(made)

    return {
        "order id": Kind(ORDER_ID, texts(ORDER_ID, "o-2"), "then[0].retry", lambda v: f"retry = {toml_string(v)}"),
        "customer": Kind(CUSTOMER, texts(CUSTOMER, "erin"), "then[0].top_up.customer",
                         lambda v: f"top_up = {{ customer = {toml_string(v)}, amount_cents = 100 }}"),
        "sku": Kind(SKU, texts(SKU, "KEYBOARD"), "then[0].restock.sku",
                    lambda v: f"restock = {{ sku = {toml_string(v)}, quantity = 1 }}"),
        "ship-to": Kind(SHIP_TO, texts(SHIP_TO, "9 Cedar Ct"), "orders[0].ship_to",
                        lambda v: f"ship_to = {toml_string(v)}"),
        "worker id": Kind(WORKER_ID, texts(WORKER_ID, "w1")),
        "quantity": Kind(QUANTITY, numbers(QUANTITY), "then[0].restock.quantity",
                         lambda v: f'restock = {{ sku = "KEYBOARD", quantity = {QUANTITY.read(v)} }}'),
        "amount": Kind(AMOUNT, numbers(AMOUNT), "then[0].top_up.amount_cents",
                       lambda v: f'top_up = {{ customer = "erin", amount_cents = {AMOUNT.read(v)} }}'),
    }


KINDS = _kinds()
# Where each command takes each kind of value. Options first and `--` before the arguments,
# so that a value starting with '-' reaches its rule (`--id -w1` does by itself).
COMMANDS: dict[str, list[Callable[[str], tuple[str, ...]]]] = {
    "order id": [lambda v: ("status", "--", v), lambda v: ("history", "--", v), lambda v: ("retry", "--", v),
                 lambda v: ("cancel", "--", v), lambda v: ("edit", "--ship-to", "2 Oak Ave", "--", v)],
    "customer": [lambda v: ("top-up", "--", v, "5"), lambda v: ("list", "--customer", v)],
    "sku": [lambda v: ("restock", "--", v, "1"), lambda v: ("edit", "--remove", v, "o-2"),
            lambda v: ("edit", "--quantity", f"{v}=1", "o-2")],
    "ship-to": [lambda v: ("edit", "--ship-to", v, "o-2")],
    "worker id": [lambda v: ("worker", "--id", v), lambda v: ("recover", "--from", v)],
    "quantity": [lambda v: ("restock", "--", "KEYBOARD", v), lambda v: ("edit", "--quantity", f"KEYBOARD={v}", "o-2")],
    "amount": [lambda v: ("top-up", "--", "erin", v)],
}
SCENARIO = """name = "doors"
[stock]
KEYBOARD = 5
[accounts]
erin = 10000
[[orders]]
id = "o-1"
customer = "erin"
items = [{ sku = "KEYBOARD", quantity = 1, price_cents = 100 }]
"""


def scenario_with(kind: Kind, value: str) -> str:
    line = kind.line(value)
    if line.startswith("ship_to"):
        return SCENARIO + line + "\n"  # still the order's table
    return SCENARIO + 'ship_to = "1 Main St"\n[[then]]\n' + line + "\n"


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())
            if stat.S_ISREG(path.lstat().st_mode)}


@pytest.fixture(scope="module")
def held(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """quantity_too_large without its follow-ups: o-2 held with 3 KEYBOARD for erin."""
    from app.cli import main

    folder = tmp_path_factory.mktemp("doors")
    assert main(["run", str(without_follow_ups("quantity_too_large", folder)), "--db", str(folder / "held.db")]) == 0
    yield folder / "held.db"


def test_every_kind_of_value_is_tried_at_every_door_it_has() -> None:
    assert set(KINDS) == set(COMMANDS)
    assert all(len(set(kind.values)) > VALUES_PER_KIND // 2 for kind in KINDS.values())


@pytest.mark.parametrize("name", list(KINDS))
def test_a_bad_value_is_one_sentence_at_each_command_and_in_a_scenario_file(
        cli: Cli, held: Path, tmp_path: Path, name: str) -> None:
    kind = KINDS[name]
    before = files(held.parent)
    for value in kind.values:
        sentence = kind.sentence(value)
        for command in COMMANDS[name]:
            args = command(value)
            said = cli(args[0], "--db", held, *args[1:])
            assert said == (2, "", f"ordersaga: {sentence}\n"), f"{args[0]} with {value!r}"
        if kind.location is None or (isinstance(kind.rule, Whole) and not _reads_as_a_number(kind.rule, value)):
            continue
        scenario = tmp_path / "bad.toml"
        scenario.write_text(scenario_with(kind, value))
        said = cli("run", scenario, "--db", held, "--replace")
        assert said == (2, "", f"ordersaga: {scenario}: {kind.location}: {sentence}\n"), f"scenario with {value!r}"
    assert files(held.parent) == before


def _reads_as_a_number(rule: Whole, value: str) -> bool:
    """Whether a scenario (TOML) can hold the number typed: what it reads as, in range or not."""
    try:
        rule.read(value)
    except BadValue:
        return False
    return True


def _problem(app: SagaDashboard, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).visual)


async def _refused(app: SagaDashboard, pilot: object, field: str, problem: str, value: str, sentence: str) -> None:
    """Type value into the form's field: the sentence shows at once, and Enter keeps the form open."""
    form = app.screen
    entry = form.query_one(field, Input)
    entry.focus()
    entry.value = value
    await until(pilot, lambda: _problem(app, problem) == sentence, f"{sentence!r} under {field}")  # type: ignore[arg-type]
    submitted = handled(form, Input.Submitted)
    await pilot.press("enter")  # type: ignore[attr-defined]
    await until(pilot, submitted, "the form's answer to Enter")  # type: ignore[arg-type]
    assert app.screen is form and _problem(app, problem) == sentence, f"{field} with {value!r}"


async def test_a_bad_value_is_the_same_sentence_in_the_dashboards_forms(
        dashboard: DashboardFactory, held: Path) -> None:  # noqa: F811
    before = files(held.parent)
    app = dashboard(db=held)
    async with app.run_test(size=(120, 36)) as pilot:
        await settled(pilot, app, 2)
        await select(pilot, "o-2")
        forms = [("e", EditPrompt, "#ship-to", "#verdict", "ship-to"),
                 ("e", EditPrompt, "#quantity-0", "#verdict", "quantity"),
                 ("s", AmountPrompt, "#field-0", "#problem-0", "quantity"),
                 ("t", AmountPrompt, "#field-0", "#problem-0", "amount")]
        for key, form, field, problem, name in forms:
            await pilot.press(key)
            await until(pilot, lambda form=form: isinstance(app.screen, form), f"the form of {key!r}")
            for value in KINDS[name].values:
                await _refused(app, pilot, field, problem, value, KINDS[name].sentence(value))
            await pilot.press("escape")
            await until(pilot, lambda form=form: not isinstance(app.screen, form), "the form closed")
    app.session.close()
    assert files(held.parent) == before
