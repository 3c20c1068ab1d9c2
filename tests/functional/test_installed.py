"""ordersaga installed, not run from its checkout: the scenario library ships with the
package, so `ordersaga run demo` works from any folder, from a wheel as from an editable install."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO_OUTCOME = "Orders: 8 (4 completed, 3 failed, 1 on hold)"
# What a checkout holds besides the package: none of it may be needed by the wheel.
NOT_SHIPPED = shutil.ignore_patterns(".git", ".venv", "build", "*.egg-info", "__pycache__", ".mypy_cache",
                                     ".pytest_cache", "tests", "bench", "docs", "*.db*")


def _environment() -> dict[str, str]:
    """No PYTHONPATH and no pip chatter: only the installed package may be found."""
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return environment | {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}


def _run(*command: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, cwd=cwd,
                          env=_environment(), timeout=300)


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel pip builds from a copy of the checkout, offline (the test venv's setuptools)."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SHIPPED)
    built = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                 "--wheel-dir", tmp_path / "dist", source)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("ordersaga-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    """A new venv holding the wheel; its dependencies come from the test venv's site-packages,
    added by path, so the test venv's editable install of the checkout is not among them."""
    venv = tmp_path / "venv"
    assert _run(sys.executable, "-m", "venv", "--without-pip", venv).returncode == 0
    python = venv / "bin" / "python"
    installed = _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                     wheel)
    assert installed.returncode == 0, installed.stderr
    site_packages = _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
    dependencies = Path(site_packages.stdout.strip()) / "dependencies.pth"
    dependencies.write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_the_wheel_runs_the_demo_from_any_folder(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    assert "scenarios/demo.toml" in zipfile.ZipFile(wheel).namelist()
    venv = _fresh_venv(tmp_path, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = _run(venv / "bin" / "python", "-c", "import app; print(app.__file__)", cwd=elsewhere)
    assert where.stdout.startswith(str(venv)), where.stdout + where.stderr  # the wheel's, not the checkout

    ran = _run(venv / "bin" / "ordersaga", "run", "demo", "--db", "demo.db", cwd=elsewhere)
    assert ran.returncode == 0, ran.stderr
    assert DEMO_OUTCOME in ran.stdout
    assert "o-2        bob            $89.99  on hold" in ran.stdout

    wrong = _run(venv / "bin" / "ordersaga", "run", "dmeo", "--db", "other.db", cwd=elsewhere)
    assert wrong.returncode == 2
    assert wrong.stderr.count("\n") == 1 and "dmeo: no such scenario file" in wrong.stderr
    assert "(address_undeliverable, card_declined," in wrong.stderr and " demo, " in wrong.stderr
    assert not (elsewhere / "other.db").exists()


def test_the_editable_install_runs_a_library_scenario_from_any_folder(tmp_path: Path) -> None:
    ordersaga = Path(sys.executable).parent / "ordersaga"
    ran = _run(ordersaga, "run", "happy_path", "--db", "happy.db", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "Orders: 3 (3 completed)" in ran.stdout
