"""The documentation keeps up with the product: the README stays a page a newcomer reads in a
minute, and every command, flag, fault kind and library scenario a user can meet is described."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from actors import FaultKind
from app.cli import build_parser
from app.scenario import library

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def _commands() -> dict[str, argparse.ArgumentParser]:
    [commands] = [action for action in build_parser()._actions if isinstance(action, argparse._SubParsersAction)]
    return dict(commands.choices)


def test_the_readme_starts_with_the_two_commands_and_stays_short() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 200
    assert [line.split("#")[0].strip() for line in lines[3:5]] == ["make run", "make test"]


def test_every_command_and_each_of_its_flags_is_in_the_cli_page() -> None:
    page = (DOCS / "cli.md").read_text()
    missing = []
    for name, parser in _commands().items():
        if not re.search(rf"^ordersaga {re.escape(name)}\b", page, re.MULTILINE):
            missing.append(name)
        for action in parser._actions:
            missing += [f"{name} {flag}" for flag in action.option_strings
                        if flag.startswith("--") and flag != "--help" and flag not in page]
    assert missing == []


def test_every_fault_kind_has_an_example_in_the_scenarios_page() -> None:
    page = (DOCS / "scenarios.md").read_text()
    assert [kind.value for kind in FaultKind if f'kind = "{kind.value}"' not in page] == []


def test_every_library_scenario_is_in_the_scenarios_page() -> None:
    page = (DOCS / "scenarios.md").read_text()
    assert [path.stem for path in library() if f"`{path.stem}`" not in page] == []
