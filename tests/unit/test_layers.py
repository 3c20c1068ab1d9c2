"""The engine works without the UI: importing it (or the headless CLI) never loads Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["actors.engine", "storage.store", "app.cli", "app.report"])
def test_the_engine_and_headless_cli_do_not_load_textual(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
