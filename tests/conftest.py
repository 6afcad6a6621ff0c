"""Test-wide settings. Every test runs on one shared event loop (see pyproject)."""

import os

# Opt in to python-telegram-bot's timedelta time fields now, so no deprecation warning fires
# (warnings are errors in this suite) and our code is ready for PTB's next major version.
os.environ["PTB_TIMEDELTA"] = "true"
