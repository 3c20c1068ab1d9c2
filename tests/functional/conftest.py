"""Fixtures of the functional tests."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.scenario import SCENARIO_DIR


@pytest.fixture(scope="module")
def settled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], Path]]:
    """A database per scenario, run to the end once per module; tests tamper with copies."""
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in made:
            scenario = SCENARIO_DIR / f"{name}.toml"
            if name.endswith("_on_hold"):  # the library scenario, left on hold: no follow-ups
                text = (SCENARIO_DIR / f"{name.removesuffix('_on_hold')}.toml").read_text()
                scenario = tmp_path_factory.mktemp("scenario") / f"{name}.toml"
                scenario.write_text(text.split("[[then]]")[0])
            made[name] = tmp_path_factory.mktemp("settled") / f"{name}.db"
            with contextlib.redirect_stdout(io.StringIO()):  # the run's report is not under test
                assert main(["run", str(scenario), "--db", str(made[name])]) == 0
        return made[name]

    yield get
