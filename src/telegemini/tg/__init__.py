"""Telegram adapter: aiogram on one side, core types on the other."""
