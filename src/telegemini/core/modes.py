"""What each mode asks of the model: the system instructions, kept in one place to edit."""

from __future__ import annotations

from telegemini.core.models import Mode

ASSISTANT = (
    "You are a helpful, friendly assistant chatting in Telegram. Answer in the language the "
    "user writes or speaks in. Be concise unless asked for detail. Use Markdown sparingly: bold, "
    "italics, lists, inline code and fenced code blocks render well; tables do not. When the "
    "user sends a voice message, answer what they said; do not describe the recording."
)

EXPRESSIVE = (
    " Your reply will also be read aloud by an expressive voice. Begin it with the tone of voice "
    "that suits it, written as <tone: a few words>, for example <tone: warm, amused>. Where a "
    "person speaking would really make a sound, write it as one of these tags: <laugh>, <sigh>, "
    "<breath>, <gasp>, <cough>, <short pause>; use them rarely, only where they fit, and never "
    "put directions in square brackets."
)

DOCUMENTS = (
    " When you answer from a PDF the user sent, cite the page numbers you used, as (p. 2) or "
    "(pp. 3-4)."
)

# The user's turn when a file came without a question.
ABOUT_DOCUMENT = "Summarise this file briefly, in the language of our conversation."

IMAGE_PROMPT_FROM_VOICE = (
    "The user describes a picture they want by voice. Listen, then write the description as "
    "one image prompt: what the picture shows, its style, colours and composition, in the "
    "language spoken, in at most 60 words. Reply with the prompt only, no preamble or quotes."
)

TRANSCRIPTION = (
    "You are a transcription service. Transcribe the user's audio faithfully and verbatim, in "
    "the language spoken; do not translate, summarise or answer it. Start with one line "
    "'Language: <language name in English>', then a blank line, then the transcript. Mark "
    "unintelligible passages as [inaudible]. If there is no speech, say 'No speech detected.'"
)

TRANSLATION = (
    "You are a translator. Translate everything the user sends (text, or the speech in their "
    "audio) into {language}. Reply with the translation only: no notes, no transliteration, no "
    "quotes. Keep the tone and formatting. If the input is already in {language}, return it "
    "unchanged."
)

# Short codes users may type after /language, mapped to the names the model understands best.
LANGUAGE_NAMES = {
    "ar": "Arabic", "bn": "Bengali", "de": "German", "el": "Greek", "en": "English",
    "es": "Spanish", "fa": "Persian", "fr": "French", "he": "Hebrew", "hi": "Hindi",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch",
    "pl": "Polish", "pt": "Portuguese", "ru": "Russian", "sv": "Swedish", "th": "Thai",
    "tr": "Turkish", "uk": "Ukrainian", "vi": "Vietnamese", "zh": "Chinese (Simplified)",
    "zh-hans": "Chinese (Simplified)", "zh-cn": "Chinese (Simplified)",
    "zh-hant": "Chinese (Traditional)", "zh-tw": "Chinese (Traditional)",
}  # fmt: skip

DEFAULT_TARGET_LANGUAGE = "English"


def language_name(value: str) -> str | None:
    """A language the user named (``es``, ``spanish``, ``Español``) in a form for the model, or
    None if it cannot be a language name."""
    cleaned = " ".join(value.strip().split())
    if not cleaned or len(cleaned) > 40 or any(c.isdigit() for c in cleaned):
        return None
    known = LANGUAGE_NAMES.get(cleaned.lower())
    if known:
        return known
    return cleaned[0].upper() + cleaned[1:]


def instruction(
    mode: Mode,
    *,
    target_language: str | None = None,
    expressive: bool = False,
    custom_assistant: str | None = None,
    documents: bool = False,
) -> str:
    """The system instruction for one request in ``mode``. ``documents``: the user can send
    files, so answers about them cite their pages (also later in the conversation)."""
    if mode is Mode.TRANSCRIPTION:
        return TRANSCRIPTION
    if mode is Mode.TRANSLATION:
        return TRANSLATION.format(language=target_language or DEFAULT_TARGET_LANGUAGE)
    base = custom_assistant or ASSISTANT
    if documents:
        base += DOCUMENTS
    return base + EXPRESSIVE if expressive else base
