"""telegemini: a self-hosted Telegram assistant bot on Google Gemini."""

__version__ = "0.1.0"
