"""Telegram adapter: python-telegram-bot on one side, core types on the other."""
