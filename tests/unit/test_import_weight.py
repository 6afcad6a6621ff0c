"""What a running bot has in memory: heavy libraries load only when a feature needs them."""

from __future__ import annotations

import subprocess
import sys

LAZY = ("av", "alembic", "redis", "matplotlib", "google.genai", "PIL.Image")


def test_starting_the_app_loads_no_media_migration_redis_or_gemini_sdk_library():
    probe = (
        "import sys, telegemini.cli, telegemini.app, telegemini.wiring, telegemini.doctor\n"
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules))\n"
    )
    child = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=False
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.strip() == "[]"
