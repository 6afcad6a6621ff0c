"""Ephemeral coordination: per-chat ordering locks and rate buckets (memory or Redis)."""
