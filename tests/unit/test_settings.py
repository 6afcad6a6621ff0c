from __future__ import annotations

from pathlib import Path

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
    assert settings.chat_model == "gemini-3.5-flash-lite"
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


def test_empty_values_count_as_unset(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(
        "TELEGRAM_BOT_TOKEN=\nGOOGLE_API_KEY=\nCHAT_MODEL=\nPORT=\nWEBHOOK_URL=\n"
    )  # what `cp .env.example .env` leaves for a newcomer to fill in
    for name in ("TELEGRAM_BOT_TOKEN", "GOOGLE_API_KEY", "GEMINI_API_KEY", "CHAT_MODEL", "PORT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REDIS_URL", "")
    settings = load_settings()
    assert settings.telegram_bot_token is None
    assert settings.google_api_key is None
    assert settings.chat_model == "gemini-3.5-flash-lite"
    assert settings.port == 8080
    assert settings.redis_url is None


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgres://u:p@db:5432/bot", "postgresql+asyncpg://u:p@db:5432/bot"),
        ("postgresql://u:p@db/bot", "postgresql+asyncpg://u:p@db/bot"),
        ("postgresql+asyncpg://u@db/bot", "postgresql+asyncpg://u@db/bot"),
        ("sqlite:///data/bot.db", "sqlite+aiosqlite:///data/bot.db"),
    ],
)
def test_database_urls_as_providers_hand_them_out_get_the_async_driver(given, used):
    assert Settings(**CLEAN, database_url=given).database_url == used


def test_every_offline_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as caught:
        load_settings(
            _env_file=None,
            telegram_bot_token="my token",
            tts_voice="Robot",
            telegram_api_base_url="api.telegram.org",
            redis_url="localhost:6379",
            database_url="mysql://u@db/bot",
            quota_timezone="Mars/Olympus",
            port=70000,
        )
    text = str(caught.value)
    for name in (
        "TELEGRAM_BOT_TOKEN",
        "TTS_VOICE",
        "TELEGRAM_API_BASE_URL",
        "REDIS_URL",
        "DATABASE_URL",
        "QUOTA_TIMEZONE",
        "PORT",
    ):
        assert f"{name}: " in text
    assert "my token" not in text  # a token, even a broken one, is never shown
    assert "unknown voice 'Robot'" in text


def test_voice_names_are_matched_without_regard_to_case():
    assert Settings(**CLEAN, tts_voice="puck").tts_voice == "Puck"


def test_the_readmes_first_step_reads_cleanly(monkeypatch, tmp_path):
    """`cp .env.example .env && make run`: nothing filled in yet means the sandbox, not a crash."""
    monkeypatch.chdir(tmp_path)
    example = Path(__file__).resolve().parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    for name in ("TELEGRAM_BOT_TOKEN", "GOOGLE_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.telegram_bot_token is None  # `telegemini run` starts the sandbox
    assert settings.google_api_key is None  # ... with the demo model
