"""The README and .env.example document exactly the variables Settings reads."""

from __future__ import annotations

import re
from pathlib import Path

from telegemini.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _env_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def test_readme_table_lists_every_variable_and_no_other():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    names: set[str] = set()
    for cell in re.findall(r"^\| (`[A-Z][^|]*) \|", readme, flags=re.MULTILINE):
        names |= {m.split("__")[0] for m in re.findall(r"`([A-Z][A-Z_<>]*)`", cell)}
    assert names == _env_names()


def test_env_example_mentions_every_variable():
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    mentioned = {
        name.split("__")[0] for name in re.findall(r"^#? ?([A-Z_]+)=", example, flags=re.MULTILINE)
    }
    assert _env_names() <= mentioned


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in (ROOT / "README.md").read_text(encoding="utf-8")


def _documented(module: str, architecture: str) -> bool:
    """``core/chat.py`` is named in the map, or its package has a line naming ``chat.py``."""
    if f"`{module}`" in architecture:
        return True
    package, _, name = module.rpartition("/")
    return any(
        f"`{package}/`" in line and f"`{name}`" in line for line in architecture.splitlines()
    )


def test_the_architecture_map_names_every_module():
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    source = ROOT / "src" / "telegemini"
    modules = [
        path.relative_to(source).as_posix()
        for path in sorted(source.rglob("*.py"))
        if path.name != "__init__.py" and "migrations/versions" not in path.as_posix()
    ]
    assert len(modules) > 100  # the walk found the package
    missing = [m for m in modules if not _documented(m, architecture)]
    assert missing == []
