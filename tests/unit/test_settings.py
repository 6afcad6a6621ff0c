from __future__ import annotations

import pytest

from telegemini.errors import ConfigError
from telegemini.settings import Settings, load_settings

CLEAN = {"_env_file": None}


def test_defaults_follow_the_operator_contract(monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "GOOGLE_API_KEY", "GEMINI_API_KEY", "WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(**CLEAN)
    assert settings.telegram_api_base_url == "https://api.telegram.org"
    assert settings.database_url == "sqlite+aiosqlite:///data/telegemini.db"
    assert settings.chat_model == "gemini-3.1-flash-lite"
    assert settings.port == 8080
    assert settings.telegram_global_rate == 30
    assert settings.mode == "polling"


def test_environment_names_are_public_interface(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("GEMINI_API_KEY", "gem-key")
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.com/")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = Settings(**CLEAN)
    assert settings.token() == "1:abc"
    assert settings.google_api_key is not None
    assert settings.google_api_key.get_secret_value() == "gem-key"
    assert settings.mode == "webhook"
    assert settings.webhook_endpoint == "https://bot.example.com/webhook"
    assert settings.log_level == "DEBUG"


def test_google_api_key_wins_over_gemini_api_key(monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "google")
    monkeypatch.setenv("GEMINI_API_KEY", "gemini")
    settings = Settings(**CLEAN)
    assert settings.google_api_key is not None
    assert settings.google_api_key.get_secret_value() == "google"


def test_every_problem_is_listed_at_once(monkeypatch):
    monkeypatch.setenv("PORT", "99999")
    monkeypatch.setenv("TELEGRAM_SECRET_TOKEN", "has spaces!")
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigError) as caught:
        load_settings(**CLEAN)
    problems = "\n".join(caught.value.problems)
    assert "PORT" in problems
    assert "TELEGRAM_SECRET_TOKEN" in problems
    assert "LOG_FORMAT" in problems


def test_missing_token_explains_how_to_get_one(monkeypatch):
    for name in ("TELEGRAM_BOT_TOKEN", "GOOGLE_API_KEY", "GEMINI_API_KEY", "K_SERVICE"):
        monkeypatch.delenv(name, raising=False)
    problems = Settings(**CLEAN).problems_for_run()
    assert any("@BotFather" in p for p in problems)
    assert any("GOOGLE_API_KEY" in p for p in problems)


def test_cloud_run_without_webhook_url_is_a_problem(monkeypatch):
    monkeypatch.setenv("K_SERVICE", "telegemini")
    monkeypatch.delenv("WEBHOOK_URL", raising=False)
    assert any("K_SERVICE" in p for p in Settings(**CLEAN).problems_for_run())


def test_secrets_are_collected_for_redaction():
    settings = Settings(
        **CLEAN, telegram_bot_token="123:tok", google_api_key="key-123", telegram_secret_token="s_1"
    )
    assert set(settings.secrets()) == {"123:tok", "key-123", "s_1"}
