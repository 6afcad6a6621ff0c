"""The one validated configuration object, read from the environment and ``.env``.

Variable names are public interface (see README): no prefix, and never renamed. No other module
reads ``os.environ``; the object is built once at start-up and passed explicitly.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from telegemini.errors import ConfigError

IdList = Annotated[list[int], NoDecode]
_TOKEN_SHAPE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
# Database URL schemes accepted, and the async driver each one means.
_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
}

_FIXES: dict[str, str] = {
    "ADMIN_USER_IDS": "write numeric Telegram user ids separated by commas, e.g. 12345,67890",
    "ALLOWED_USER_IDS": "write numeric Telegram user ids separated by commas",
    "ALLOWED_CHAT_IDS": "write numeric Telegram chat ids separated by commas",
    "TELEGRAM_SECRET_TOKEN": "use 1-256 characters from A-Z a-z 0-9 _ -",
    "PORT": "use a TCP port number between 0 and 65535",
    "LOG_FORMAT": "use text or json",
    "LOG_LEVEL": "use DEBUG, INFO, WARNING or ERROR",
    "IMAGE_PACKS": "write images:stars pairs separated by commas, e.g. 50:250,200:900",
}


class Settings(BaseSettings):
    """Everything an operator can configure. Each field's description is its documentation."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        populate_by_name=True,
        env_nested_delimiter="__",
        env_ignore_empty=True,  # `GOOGLE_API_KEY=` in .env means "not set", as people expect
    )

    telegram_bot_token: SecretStr | None = Field(
        default=None, description="Bot token from @BotFather."
    )
    google_api_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("GOOGLE_API_KEY", "GEMINI_API_KEY"),
        description="Gemini API key (`GEMINI_API_KEY` is accepted too).",
    )
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org",
        description="Bot API server root: the bot calls `{root}/bot{token}/{method}`.",
    )
    gemini_base_url: str | None = Field(
        default=None,
        description="Gemini API root, for proxies and the sandbox (wins over the SDK's "
        "`GOOGLE_GEMINI_BASE_URL`).",
    )
    database_url: str = Field(
        default="sqlite+aiosqlite:///data/telegemini.db",
        description="SQLAlchemy URL; `postgresql+asyncpg://…` for several instances.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL; when set, rate limits and per-chat locks are shared by instances.",
    )
    webhook_url: str | None = Field(
        default=None,
        description="Public HTTPS base URL; the bot registers `{WEBHOOK_URL}/webhook`.",
    )
    telegram_secret_token: SecretStr | None = Field(
        default=None, description="Webhook secret; requests without it are refused with 403."
    )
    port: int = Field(
        default=8080, ge=0, le=65535, description="Webhook server port (0 picks a free one)."
    )
    sandbox_port: int = Field(
        default=8765, ge=0, le=65535, description="Port of the local sandbox's chat page."
    )
    inbox_lease: float = Field(
        default=60.0,
        gt=0,
        description="Seconds an instance holds an update without renewing; after that a crashed "
        "instance's updates are taken by another.",
    )
    inbox_capacity: int = Field(
        default=256,
        ge=1,
        le=10000,
        description="Updates (of different chats) an instance works on at once.",
    )
    k_service: str | None = Field(
        default=None, description="Set by Cloud Run; selects webhook mode."
    )
    chat_model: str = Field(
        default="gemini-3.5-flash-lite", description="Model for chat and audio understanding."
    )
    google_search_enabled: bool = Field(
        default=True,
        description="Let the model search the web (Google Search grounding) and cite sources.",
    )
    documents_enabled: bool = Field(
        default=True,
        description="Read the PDFs, text and code files users send (users can turn it off).",
    )
    url_context_enabled: bool = Field(
        default=True,
        description="Read the web pages a message links to (URL context); answers list them.",
    )
    image_model: str = Field(
        default="gemini-3-pro-image", description="Image model (Nano Banana Pro): 1K, 2K, 4K."
    )
    image_timeout: float = Field(
        default=180.0,
        gt=0,
        description="Seconds to wait for one image, every attempt included (4K takes longest).",
    )
    image_reuse_seconds: float = Field(
        default=3600.0,
        ge=0,
        description="An identical image request within this time reuses the photo already sent.",
    )
    video_model: str = Field(
        default="gemini-omni-1.2-flash",
        description="Video model (Gemini Omni, Interactions only): 3-15 s clips, 16:9 or 9:16.",
    )
    video_enabled: bool = Field(
        default=True,
        description="🎬 Animate and /video; hidden by itself when VIDEO_MODEL is unavailable.",
    )
    video_timeout: float = Field(
        default=600.0,
        gt=0,
        description="Seconds a clip may take before it is given up on (and refunded).",
    )
    video_poll_interval: float = Field(
        default=5.0,
        gt=0,
        description="Seconds between checks on a clip being filmed (and progress updates).",
    )
    tts_model: str = Field(default="gemini-3.8-flash-lite-tts", description="Speech model.")
    tts_voice: str = Field(default="Kore", description="Default voice of voice replies.")
    voice_enabled: bool = Field(
        default=True, description="Default for new users: reply with a voice note as well."
    )
    voice_max_duration: float = Field(
        default=600.0, gt=0, description="Longest voice or audio message accepted, in seconds."
    )
    admin_user_ids: IdList = Field(
        default_factory=list, description="Comma-separated Telegram user ids with admin commands."
    )
    allowed_user_ids: IdList = Field(
        default_factory=list, description="Comma-separated user ids allowed; empty = everyone."
    )
    allowed_chat_ids: IdList = Field(
        default_factory=list, description="Comma-separated chat ids allowed; empty = everyone."
    )
    quotas: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="Daily limits as `QUOTAS__<TIER>__<KIND>` (tiers free, premium, unlimited; "
        "kinds messages, voice, images, hd_images, videos); negative = unlimited.",
    )
    quota_timezone: str = Field(
        default="UTC", description="Time zone whose midnight resets the daily quotas."
    )
    rates: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="Per-user rate limits as `RATES__<KIND>__PER_MINUTE` and "
        "`RATES__<KIND>__BURST`.",
    )
    moderation_blocklist: Path | None = Field(
        default=None, description="File of blocked words and `re:` patterns, one per line."
    )
    moderation_autoban: int = Field(
        default=0, ge=0, description="Ban a user after this many blocked prompts in a day (0: off)."
    )
    captcha_enabled: bool = Field(
        default=False, description="New users in private chats must pass a tap-the-picture check."
    )
    alert_chat_id: int | None = Field(
        default=None, description="Chat that receives error alerts (default: every admin)."
    )
    telegram_global_rate: float = Field(
        default=30.0, gt=0, description="Messages per second the bot sends overall."
    )
    history_turns: int = Field(
        default=20,
        ge=0,
        le=200,
        description="Turns of local transcript kept per conversation, to reseed an expired one.",
    )
    system_prompt: str | None = Field(
        default=None, description="Replaces the assistant's built-in system instruction."
    )
    gemini_timeout: float = Field(
        default=45.0,
        gt=0,
        description="Seconds a user waits for an answer at most, every attempt included; "
        "then they are told.",
    )
    gemini_retry_attempts: int = Field(
        default=3,
        ge=1,
        le=10,
        description="Gemini calls per user request on 429/5xx/timeouts, the fallback without "
        "web search included.",
    )
    gemini_retry_budget: float = Field(
        default=20.0, ge=0, description="Seconds of waiting between retries, at most, per call."
    )
    stream_replies: bool = Field(
        default=True, description="Stream answers as drafts in private chats."
    )
    rich_messages: bool = Field(
        default=True,
        description="Answers as Telegram rich messages (tables, math, headings; Bot API 10.1); "
        "false: formatted text, as before.",
    )
    stars_enabled: bool = Field(
        default=False,
        description="Sell Premium and image packs for Telegram Stars (/premium); off: nothing "
        "of selling appears.",
    )
    premium_monthly_stars: int = Field(
        default=250,
        ge=0,
        le=10000,
        description="Stars a month for Premium (the premium tier's quotas); 0: not sold.",
    )
    image_packs: str = Field(
        default="50:250,200:900",
        description="Image packs as images:stars, comma-separated; used after the day's quota.",
    )
    paysupport_text: str | None = Field(
        default=None, description="What /paysupport says about reaching you (payment questions)."
    )
    terms_text: str | None = Field(default=None, description="What /terms shows: your terms.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Log verbosity."
    )
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json` for one JSON object per line."
    )

    @field_validator("admin_user_ids", "allowed_user_ids", "allowed_chat_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [int(part) for part in value.replace(";", ",").split(",") if part.strip()]
        if isinstance(value, int):
            return [value]
        return value

    @field_validator("quotas")
    @classmethod
    def _check_quotas(cls, value: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        tiers, kinds = (
            {"free", "premium", "unlimited"},
            {"messages", "voice", "images", "hd_images", "videos"},
        )
        clean = {
            tier.lower(): {k.lower(): v for k, v in limits.items()}
            for tier, limits in value.items()
        }
        for tier, limits in clean.items():
            if tier not in tiers:
                raise ValueError(f"unknown tier {tier!r}: use {', '.join(sorted(tiers))}")
            for kind in limits:
                if kind not in kinds:
                    raise ValueError(f"unknown kind {kind!r}: use {', '.join(sorted(kinds))}")
        return clean

    @field_validator("rates")
    @classmethod
    def _check_rates(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        clean = {
            kind.lower(): {k.lower(): v for k, v in rule.items()} for kind, rule in value.items()
        }
        for kind, rule in clean.items():
            if set(rule) - {"per_minute", "burst"} or any(v <= 0 for v in rule.values()):
                raise ValueError(f"RATES__{kind.upper()}: use PER_MINUTE and BURST, both > 0")
        return clean

    @field_validator("image_packs")
    @classmethod
    def _check_packs(cls, value: str) -> str:
        from telegemini.core.offers import parse_packs  # the one parser of the format

        parse_packs(value)  # ValueError says what is wrong
        return value

    @field_validator("quota_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)"
            ) from exc
        return value

    @field_validator("telegram_secret_token")
    @classmethod
    def _check_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        secret = value.get_secret_value()
        allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
        if not 1 <= len(secret) <= 256 or not set(secret) <= allowed:
            raise ValueError("must be 1-256 characters from A-Z a-z 0-9 _ -")
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        # The shape Telegram hands out (and aiogram insists on): digits, a colon, then letters,
        # digits, "_" or "-". Checked here so a pasted typo is a line of text, not a traceback.
        if value is not None and not _TOKEN_SHAPE.fullmatch(value.get_secret_value()):
            raise ValueError("this is not a bot token (it looks like 123456789:AAE…)")
        return value

    @field_validator("tts_voice")
    @classmethod
    def _check_voice(cls, value: str) -> str:
        from telegemini.core.voice import VOICES  # the model's prebuilt voices

        match = next((v for v in VOICES if v.lower() == value.lower()), None)
        if match is None:
            raise ValueError(f"unknown voice {value!r} (use one of: {', '.join(VOICES)})")
        return match

    @field_validator("telegram_api_base_url", "gemini_base_url", "webhook_url")
    @classmethod
    def _check_http_url(cls, value: str | None) -> str | None:
        if value is not None and (
            urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).netloc
        ):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in {"redis", "rediss", "unix"}:
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        """Hosting providers hand out ``postgres://`` and ``postgresql://``: the async driver is
        added. Any other scheme than SQLite or PostgreSQL is refused here, before start-up."""
        scheme, sep, rest = value.partition("://")
        if not sep:
            raise ValueError(
                "is not a database URL (use sqlite+aiosqlite:///path/to/file.db or "
                "postgresql://user:password@host:5432/name)"
            )
        driver = _DRIVERS.get(scheme.lower())
        if driver is None:
            raise ValueError(
                f"unsupported database {scheme!r} (use sqlite+aiosqlite:///… or "
                "postgresql+asyncpg://…)"
            )
        return f"{driver}://{rest}"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "webhook_url",
        "gemini_base_url",
        "redis_url",
        "telegram_bot_token",
        "google_api_key",
        "telegram_secret_token",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    # --- derived values -------------------------------------------------------------------

    @property
    def mode(self) -> Literal["polling", "webhook"]:
        """Webhook when a public URL is configured, else long polling."""
        return "webhook" if self.webhook_url else "polling"

    @property
    def webhook_endpoint(self) -> str | None:
        return f"{self.webhook_url.rstrip('/')}/webhook" if self.webhook_url else None

    def token(self) -> str:
        if self.telegram_bot_token is None:
            raise ConfigError([_missing_token_help()])
        return self.telegram_bot_token.get_secret_value()

    def problems_with_files(self) -> list[str]:
        """Files the settings name that cannot be read."""
        path = self.moderation_blocklist
        if path is not None and not path.is_file():
            return [f"MODERATION_BLOCKLIST: {path} does not exist (or is not a file)"]
        return []

    def secrets(self) -> list[str]:
        """Values that must never appear in a log line."""
        values = [self.telegram_bot_token, self.google_api_key, self.telegram_secret_token]
        return [v.get_secret_value() for v in values if v is not None and v.get_secret_value()]

    def problems_for_run(self) -> list[str]:
        """Everything that stops `telegemini run`, each with its fix."""
        problems: list[str] = []
        if self.telegram_bot_token is None:
            problems.append(_missing_token_help())
        if self.google_api_key is None:
            problems.append(
                "GOOGLE_API_KEY is not set: create a key at https://aistudio.google.com/apikey "
                "and put GOOGLE_API_KEY=... in .env"
            )
        if self.k_service and not self.webhook_url:
            problems.append(
                "Cloud Run detected (K_SERVICE) but WEBHOOK_URL is not set: set it to the "
                "service URL (https://<service>-<hash>.run.app)"
            )
        return problems

    def sqlite_path(self) -> Path | None:
        """The file behind a SQLite URL, relative to the working directory."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix):
            raw = self.database_url.removeprefix(prefix)
            return None if raw in {"", ":memory:"} else Path(raw)
        return None


def _missing_token_help() -> str:
    return (
        "TELEGRAM_BOT_TOKEN is not set: talk to @BotFather in Telegram, send /newbot, and put "
        "TELEGRAM_BOT_TOKEN=... in .env (or run `telegemini sandbox` to try the bot locally)"
    )


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning every validation problem into one ConfigError."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "?"
            fix = _FIXES.get(name, "")
            problems.append(f"{name}: {error['msg']}" + (f" ({fix})" if fix else ""))
        raise ConfigError(problems) from exc
