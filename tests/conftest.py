"""Test-wide settings. Every test runs on one shared event loop (see pyproject)."""

import logging
import os

import pytest

# Opt in to python-telegram-bot's timedelta time fields now, so no deprecation warning fires
# (warnings are errors in this suite) and our code is ready for PTB's next major version.
os.environ["PTB_TIMEDELTA"] = "true"


@pytest.fixture(autouse=True)
def _restore_logging():
    """Code under test may call ``configure_logging``; leave the root logger as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
