"""The layers hold: app -> actors' public API -> storage, storage -> nothing of ours,
Textual only under app/dashboard. Read from the static import graph, as an import
contract would, and checked once more at run time for Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _imports(package: str) -> Iterator[tuple[str, str]]:
    """(file, imported module) for every import in the package, function-level ones included."""
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield str(path.relative_to(ROOT)), alias.name
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield str(path.relative_to(ROOT)), node.module


def _top(module: str) -> str:
    return module.split(".")[0]


def test_storage_imports_nothing_of_ours() -> None:
    assert [(f, m) for f, m in _imports("storage") if _top(m) in ("actors", "app")] == []


def test_the_engine_imports_neither_the_front_ends_nor_textual() -> None:
    assert [(f, m) for f, m in _imports("actors") if _top(m) in ("app", "textual")] == []


def test_front_ends_use_only_the_engines_public_api() -> None:
    """`from actors import ...`, never a module inside it, and never storage directly."""
    reached_past = [(f, m) for f, m in _imports("app")
                    if _top(m) == "storage" or (_top(m) == "actors" and m != "actors")]
    assert reached_past == []


def test_textual_is_imported_only_by_the_dashboard() -> None:
    outside = [(f, m) for f, m in _imports("app")
               if _top(m) in ("textual", "rich") and not f.startswith("app/dashboard/")]
    assert outside == []


def test_everything_the_public_api_names_exists() -> None:
    import actors

    assert [name for name in actors.__all__ if not hasattr(actors, name)] == []


@pytest.mark.parametrize("module", ["actors", "storage.store", "app.cli", "app.report", "app.audit",
                                    "app.dashboard.wording"])
def test_the_engine_and_headless_cli_do_not_load_textual(module: str) -> None:
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=ROOT)
    assert result.stdout.strip() == "[]"


RUNTIMES = ("pykka", "tinydb", "dbos", "sqlalchemy", "psycopg", "textual")


def test_the_saga_core_imports_no_runtime() -> None:
    """actors/saga holds the rules both runtimes carry out: pure, in the static graph..."""
    reached = [(f, m) for f, m in _imports("actors/saga")
               if _top(m) in RUNTIMES or (_top(m) == "actors" and not m.startswith("actors.saga"))
               or _top(m) == "storage"]
    assert reached == []


def test_importing_the_saga_core_loads_no_runtime() -> None:
    """...and at run time: importing every module of it loads none of them."""
    modules = sorted(f"actors.saga.{path.stem}" for path in (ROOT / "actors" / "saga").glob("*.py")
                     if path.stem != "__init__")
    code = (f"import sys; import {', '.join(modules)}; "
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(RUNTIMES)!r}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert result.stdout.strip() == "[]"


def test_neither_runtime_imports_the_other() -> None:
    assert [(f, m) for f, m in _imports("actors/embedded") if m.startswith("actors.postgres")] == []
    assert [(f, m) for f, m in _imports("actors/postgres") if m.startswith("actors.embedded")] == []


def test_front_ends_import_no_runtime_library() -> None:
    """The CLI and the dashboard talk to either runtime through `actors` (SagaEngine), never
    to Pykka, DBOS or SQLAlchemy: the engine's errors are its own (EngineRestarting)."""
    reached = [(f, m) for f, m in _imports("app") if _top(m) in ("pykka", "dbos", "sqlalchemy", "psycopg")]
    assert reached == []


def test_the_read_side_has_no_circle() -> None:
    """snapshot.py <- stream.py <- readers.py: each builds on the ones before it only."""
    imported = {(Path(f).stem, m.rsplit(".", 1)[-1]) for f, m in _imports("actors/reading")
                if m.startswith("actors.reading.")}
    assert imported <= {("stream", "snapshot"), ("readers", "snapshot"), ("readers", "stream")}
