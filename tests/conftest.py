"""Test-wide settings. Every test runs on one shared event loop (see pyproject)."""

import logging

import pytest


@pytest.fixture(autouse=True)
def _restore_logging():
    """Code under test may call ``configure_logging``; leave the root logger as it was."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
