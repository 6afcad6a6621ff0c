"""`make run` installs what the bot needs; `make test` adds the development tools."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEV_TOOLS = ("pytest", "ruff", "mypy", "import-linter", "playwright")


def planned(target: str, venv: Path) -> list[str]:
    """The commands `make <target>` would run for the virtualenv ``venv`` (make's dry run)."""
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is not installed: the README's two commands need it")
    result = subprocess.run(  # noqa: S603 - our own Makefile, fixed arguments
        [make, "--dry-run", "--no-print-directory", target, f"VENV={venv}", "CHROMIUM=/bin/sh"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        env={**os.environ, "PYTHON": sys.executable},
    )
    return result.stdout.splitlines()


def installs(commands: list[str]) -> list[str]:
    return [line for line in commands if "pip install" in line]


def test_make_run_on_a_fresh_virtualenv_installs_no_development_tools(tmp_path):
    commands = planned("run", tmp_path / "venv")
    [install] = installs(commands)
    assert install.endswith("-c constraints.txt -e .")
    assert "[dev]" not in " ".join(commands)
    assert commands[-1] == f"{tmp_path / 'venv'}/bin/telegemini run"
    # The extras hold the development tools, and only them: the bot never needs one to run.
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    runtime = pyproject.split("[project.optional-dependencies]")[0]
    assert [tool for tool in DEV_TOOLS if f'"{tool}' in runtime] == []


def test_make_test_adds_the_development_tools(tmp_path):
    venv = tmp_path / "venv"
    fresh = installs(planned("test", venv))
    assert [line.split(" -e ")[-1] for line in fresh] == [".", '".[dev]"']
    # After `make run` installed the bot, `make test` adds only the tools.
    (venv).mkdir()
    (venv / ".installed").touch()
    assert [line.split(" -e ")[-1] for line in installs(planned("test", venv))] == ['".[dev]"']
    # Once both are installed, neither command installs anything again.
    (venv / ".installed-dev").touch()
    assert installs(planned("test", venv)) == []
    assert installs(planned("run", venv)) == []
