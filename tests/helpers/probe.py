"""Run a piece of Python in a fresh interpreter: for what only holds before anything else in the
process has imported or built it (aiogram's types, the start-up's builds)."""

from __future__ import annotations

import subprocess
import sys


def run_probe(code: str) -> None:
    """Fails with the probe's error output unless it exits 0 having printed ``ok``."""
    probe = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert probe.returncode == 0, probe.stderr[-3000:]
    assert probe.stdout.strip() == "ok"
