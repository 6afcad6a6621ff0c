"""Fake Telegram Bot API and fake Gemini servers for tests and the local sandbox."""
