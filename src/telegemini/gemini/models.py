"""The Gemini model lifecycle as far as it is known: the one dated table ``doctor`` reads to warn
of a configured model that is about to be shut down.

Model *names* live in configuration only (CHAT_MODEL, TTS_MODEL, IMAGE_MODEL); this table only
says what is known about names, so a retirement is announced before it breaks the bot. Keep it
short, dated, and sourced: when Google announces a date, add a row and move ``CHECKED``.

Sources (see ``../shared/reference/gemini-api-2026-12.md`` §2, state of 2026-12-02):
- D2, https://ai.google.dev/gemini-api/docs/deprecations
- D1, https://ai.google.dev/gemini-api/docs/changelog
- T6, gunpal5/Google_GenerativeAI wiki "Speech-Generation" (third party: the official date of the
  2.5/3.1 TTS previews' shutdown was not retrieved)
- E8, Gemini Enterprise model versions (the 2.5 Flash dates)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

CHECKED = date(2026, 12, 2)  # when the table was last compared with the sources above
WARN_DAYS = 60  # doctor warns when a configured model shuts down within this many days


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """What is known about one model name's end: a shutdown date (None: deprecated without one),
    the model the sources name as its replacement (None: none named), and where that was read."""

    shutdown: date | None
    replacement: str | None
    source: str


LIFECYCLE: dict[str, Lifecycle] = {
    # chat
    "gemini-3.1-flash-lite": Lifecycle(date(2027, 5, 7), "gemini-3.5-flash-lite", "D2"),
    "gemini-3.7-flash": Lifecycle(None, "gemini-3.8-flash", "D1 (auto-routed since 2026-10-08)"),
    "gemini-3.5-flash": Lifecycle(None, "gemini-3.6-flash", "D1 (auto-routed since 2026-10-08)"),
    "gemini-2.5-pro": Lifecycle(date(2026, 10, 16), None, "D2"),
    "gemini-2.5-flash": Lifecycle(date(2026, 10, 20), None, "E8"),
    "gemini-2.5-flash-lite": Lifecycle(date(2026, 10, 20), None, "E8"),
    # speech
    "gemini-3.1-flash-tts-preview": Lifecycle(
        date(2026, 12, 18), "gemini-3.8-flash-lite-tts", "T6 (unofficial date), D4"
    ),
    "gemini-2.5-flash-preview-tts": Lifecycle(date(2026, 12, 18), None, "T6 (unofficial)"),
    "gemini-2.5-pro-preview-tts": Lifecycle(date(2026, 12, 18), None, "T6 (unofficial)"),
    # images
    "gemini-3.1-flash-image": Lifecycle(
        None, "gemini-nano-banana-2.1", "D1 (deprecated 2026-10-06)"
    ),
    "gemini-2.5-flash-image": Lifecycle(date(2026, 10, 2), None, "D2"),
    "gemini-3-pro-image-preview": Lifecycle(date(2026, 6, 25), "gemini-3-pro-image", "D1"),
    "gemini-3.1-flash-image-preview": Lifecycle(date(2026, 6, 25), None, "D1"),
    # video (VIDEO_MODEL): Veo left the Developer API; Omni through Interactions replaced it
    "gemini-omni-flash-preview": Lifecycle(
        date(2026, 9, 30), "gemini-omni-1.2-flash", "T8 (unofficial date)"
    ),
    "veo-3.1-generate-preview": Lifecycle(
        date(2026, 10, 22), "gemini-omni-1.2-flash", "T4, T5 (unofficial date)"
    ),
    "veo-3.1-fast-generate-preview": Lifecycle(
        date(2026, 10, 22), "gemini-omni-1.2-flash", "T4, T5 (unofficial date)"
    ),
}


@dataclass(frozen=True, slots=True)
class Retirement:
    """A configured model with a known end: ``days`` until its shutdown (negative: past; None:
    deprecated without a date)."""

    setting: str
    model: str
    lifecycle: Lifecycle
    days: int | None

    @property
    def soon(self) -> bool:
        """Shut down already, or within ``WARN_DAYS``."""
        return self.days is not None and self.days <= WARN_DAYS

    def describe(self) -> str:
        life = self.lifecycle
        if life.shutdown is None:
            when = "is deprecated (no shutdown date announced)"
        elif self.days is not None and self.days < 0:
            when = f"was scheduled to shut down on {life.shutdown.isoformat()}"
        else:
            when = f"shuts down on {life.shutdown.isoformat()} (in {self.days} days)"
        successor = f", replaced by {life.replacement}" if life.replacement else ""
        return f"{self.setting} {self.model} {when}{successor} [{life.source}]"


def retirements(models: list[tuple[str, str]], *, today: date) -> list[Retirement]:
    """What the table knows of the configured ``(setting, model)`` pairs, in their order."""
    found = []
    for setting, model in models:
        life = LIFECYCLE.get(model.removeprefix("models/"))
        if life is None:
            continue
        days = (life.shutdown - today).days if life.shutdown is not None else None
        found.append(Retirement(setting, model, life, days))
    return found


STALE_TABLE = timedelta(days=180)  # older than this, the table asks to be checked again


@dataclass(frozen=True, slots=True)
class LifecycleReport:
    """doctor's line about the configured models: ``warn`` when one shuts down soon."""

    warn: bool
    detail: str
    fix: str = ""


def lifecycle_report(
    models: list[tuple[str, str]], defaults: dict[str, str], *, today: date
) -> LifecycleReport:
    """Judge the configured ``(setting, model)`` pairs on ``today``. A retiring model's fix is
    the replacement the sources name, else the setting's default (``defaults``) when that is
    another model."""
    known = retirements(models, today=today)
    soon = [r for r in known if r.soon]
    checked = f"table of {CHECKED.isoformat()}"
    if today - CHECKED > STALE_TABLE:
        checked += ", worth checking against ai.google.dev/gemini-api/docs/deprecations"
    if soon:
        fixes = []
        for retiring in soon:
            default = defaults.get(retiring.setting)
            successor = retiring.lifecycle.replacement or (
                default if default != retiring.model else None
            )
            target = successor or "a current model (https://ai.google.dev/gemini-api/docs/models)"
            fixes.append(f"set {retiring.setting} to {target}")
        detail = "; ".join(r.describe() for r in soon) + f" ({checked})"
        return LifecycleReport(True, detail, "; ".join(fixes) + " before then")
    notes = "; ".join(r.describe() for r in known)
    detail = f"no known shutdown within {WARN_DAYS} days ({checked})"
    return LifecycleReport(False, f"{detail}; {notes}" if notes else detail)
