"""Durable state through SQLAlchemy (SQLite or PostgreSQL), plus an in-memory store."""
