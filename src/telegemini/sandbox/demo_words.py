"""The demo model's words in the sandbox's five languages, and the little it knows of languages.

Gemini answers in the language the user writes in; the demo model does the same for the five
languages of the simulated users: it tells them apart by script and a few common words. Its
"translation" is a small phrase list, and says so.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

LANGUAGES: Final = ("en", "zh-hans", "zh-hant", "es", "ru")

# What the model says, by language. ``{…}`` are filled in by demo.py.
WORDS: Final[dict[str, dict[str, str]]] = {
    "en": {
        "you_said": "You said: *{text}*",
        "you_said_block": "You said:\n\n{text}",
        "intro": (
            "I am the **demo model**: I work offline, repeat what you say and remember this "
            "conversation. Set `GOOGLE_API_KEY` to talk to Gemini."
        ),
        "earlier": "Earlier in this conversation:",
        "received": "I received {what}. The demo model cannot hear or see; with `GOOGLE_API_KEY` "
        "set, Gemini would.",
        "recording": "a recording ({size})",
        "picture": "a picture",
        "pictures": "{n} pictures",
        "transcript": "[demo transcript] A recording of {size}. The demo model cannot hear; "
        "with GOOGLE_API_KEY set, Gemini writes down every word here.",
        "translated": "(demo translation from a built-in phrase list)",
        "unknown_phrase": "(demo) I only translate a few phrases: {phrases}. With GOOGLE_API_KEY "
        "set, Gemini translates anything.",
        "picture_done": "Here is your picture.",
        "file_note": (
            "The demo model only quotes from files; "
            "with `GOOGLE_API_KEY` set, Gemini reads the whole file and answers your question."
        ),
    },
    "zh-hans": {
        "you_said": "你说：*{text}*",
        "you_said_block": "你说：\n\n{text}",
        "intro": "我是**演示模型**：离线运行，复述你说的话，并记住这段对话。设置 `GOOGLE_API_KEY` "
        "即可与 Gemini 对话。",
        "earlier": "这段对话中之前说过：",
        "received": "我收到了{what}。演示模型听不见也看不见；"
        "设置 `GOOGLE_API_KEY` 后，Gemini 可以。",
        "recording": "一段录音（{size}）",
        "picture": "一张图片",
        "pictures": "{n} 张图片",
        "transcript": "[演示转写] 一段 {size} 的录音。演示模型听不见；设置 GOOGLE_API_KEY 后，"
        "Gemini 会在这里逐字写下内容。",
        "translated": "（演示翻译，来自内置短语表）",
        "unknown_phrase": "（演示）我只会翻译几个短语：{phrases}。设置 GOOGLE_API_KEY 后，"
        "Gemini 什么都能翻译。",
        "picture_done": "这是你的图片。",
        "file_note": (
            "演示模型只会引用文件中的文字；"
            "设置 `GOOGLE_API_KEY` 后，Gemini 会读完整个文件并回答你的问题。"
        ),
    },
    "zh-hant": {
        "you_said": "你說：*{text}*",
        "you_said_block": "你說：\n\n{text}",
        "intro": "我是**示範模型**：離線運作，複述你說的話，並記住這段對話。設定 `GOOGLE_API_KEY` "
        "即可與 Gemini 對話。",
        "earlier": "這段對話中之前說過：",
        "received": "我收到了{what}。示範模型聽不見也看不見；"
        "設定 `GOOGLE_API_KEY` 後，Gemini 可以。",
        "recording": "一段錄音（{size}）",
        "picture": "一張圖片",
        "pictures": "{n} 張圖片",
        "transcript": "[示範轉寫] 一段 {size} 的錄音。示範模型聽不見；設定 GOOGLE_API_KEY 後，"
        "Gemini 會在這裡逐字寫下內容。",
        "translated": "（示範翻譯，來自內建短語表）",
        "unknown_phrase": "（示範）我只會翻譯幾個短語：{phrases}。設定 GOOGLE_API_KEY 後，"
        "Gemini 什麼都能翻譯。",
        "picture_done": "這是你的圖片。",
        "file_note": (
            "示範模型只會引用檔案中的文字；"
            "設定 `GOOGLE_API_KEY` 後，Gemini 會讀完整個檔案並回答你的問題。"
        ),
    },
    "es": {
        "you_said": "Dijiste: *{text}*",
        "you_said_block": "Dijiste:\n\n{text}",
        "intro": (
            "Soy el **modelo de demostración**: funciono sin conexión, repito lo que dices y "
            "recuerdo esta conversación. Configura `GOOGLE_API_KEY` para hablar con Gemini."
        ),
        "earlier": "Antes en esta conversación:",
        "received": "Recibí {what}. El modelo de demostración no oye ni ve; con `GOOGLE_API_KEY` "
        "configurada, Gemini sí.",
        "recording": "una grabación ({size})",
        "picture": "una imagen",
        "pictures": "{n} imágenes",
        "transcript": "[transcripción de demostración] Una grabación de {size}. El modelo de "
        "demostración no oye; con GOOGLE_API_KEY, Gemini escribe aquí cada palabra.",
        "translated": "(traducción de demostración con una lista de frases integrada)",
        "unknown_phrase": "(demostración) Solo traduzco unas pocas frases: {phrases}. Con "
        "GOOGLE_API_KEY, Gemini traduce cualquier cosa.",
        "picture_done": "Aquí tienes tu imagen.",
        "file_note": (
            "El modelo de demostración solo cita los archivos; "
            "con `GOOGLE_API_KEY`, Gemini lee el archivo entero y responde a tu pregunta."
        ),
    },
    "ru": {
        "you_said": "Вы сказали: *{text}*",
        "you_said_block": "Вы сказали:\n\n{text}",
        "intro": (
            "Я **демо-модель**: работаю без сети, повторяю ваши слова и помню этот разговор. "
            "Задайте `GOOGLE_API_KEY`, чтобы говорить с Gemini."
        ),
        "earlier": "Ранее в этом разговоре:",
        "received": "Я получила {what}. Демо-модель не слышит и не видит; с `GOOGLE_API_KEY` "
        "это сделает Gemini.",
        "recording": "запись ({size})",
        "picture": "картинку",
        "pictures": "картинки: {n}",
        "transcript": "[демо-расшифровка] Запись размером {size}. Демо-модель не слышит; "
        "с GOOGLE_API_KEY Gemini запишет здесь каждое слово.",
        "translated": "(демо-перевод по встроенному списку фраз)",
        "unknown_phrase": "(демо) Я перевожу лишь несколько фраз: {phrases}. С GOOGLE_API_KEY "
        "Gemini переведёт что угодно.",
        "picture_done": "Вот ваша картинка.",
        "file_note": (
            "Демо-модель лишь цитирует файлы; "
            "с `GOOGLE_API_KEY` Gemini прочитает весь файл и ответит на ваш вопрос."
        ),
    },
}

# The phrase list of the demo's translation mode: the same phrase in each language.
PHRASES: Final[tuple[dict[str, str], ...]] = (
    {"en": "Hello", "zh-hans": "你好", "zh-hant": "你好", "es": "Hola", "ru": "Привет"},
    {"en": "Thank you", "zh-hans": "谢谢", "zh-hant": "謝謝", "es": "Gracias", "ru": "Спасибо"},
    {
        "en": "Good morning",
        "zh-hans": "早上好",
        "zh-hant": "早安",
        "es": "Buenos días",
        "ru": "Доброе утро",
    },
    {
        "en": "Good night",
        "zh-hans": "晚安",
        "zh-hant": "晚安",
        "es": "Buenas noches",
        "ru": "Спокойной ночи",
    },
    {
        "en": "How are you?",
        "zh-hans": "你好吗？",
        "zh-hant": "你好嗎？",
        "es": "¿Cómo estás?",
        "ru": "Как дела?",
    },
    {"en": "Goodbye", "zh-hans": "再见", "zh-hant": "再見", "es": "Adiós", "ru": "До свидания"},
    {
        "en": "I love you",
        "zh-hans": "我爱你",
        "zh-hant": "我愛你",
        "es": "Te quiero",
        "ru": "Я тебя люблю",
    },
    {
        "en": "See you tomorrow",
        "zh-hans": "明天见",
        "zh-hant": "明天見",
        "es": "Hasta mañana",
        "ru": "До завтра",
    },
)

# The names the bot's translation instruction uses ("Translate … into Spanish"), by language.
TARGETS: Final = {
    "english": "en",
    "spanish": "es",
    "russian": "ru",
    "chinese": "zh-hans",
    "chinese (simplified)": "zh-hans",
    "chinese (traditional)": "zh-hant",
}

# Characters written one way in Traditional Chinese and another in Simplified.
_TRADITIONAL = frozenset("們個這說來為會時國過還麼讓點體對開關謝見愛嗎語聲圖們裡錄寫給讀聽樣")
_SPANISH = re.compile(
    r"[ñáéíóú¿¡]|\b(hola|gracias|qué|que|cómo|como|el|la|los|las|es|de|por|para|buenos|"
    r"buenas|quiero|hazlo|hazla|una|un)\b",
    re.IGNORECASE,
)


def detect_language(text: str) -> str | None:
    """One of ``LANGUAGES`` for ``text``, or None when it shows none (no letters, say)."""
    han = [c for c in text if unicodedata.name(c, "").startswith("CJK UNIFIED IDEOGRAPH")]
    if han:
        return "zh-hant" if any(c in _TRADITIONAL for c in han) else "zh-hans"
    if any(unicodedata.name(c, "").startswith("CYRILLIC") for c in text):
        return "ru"
    if _SPANISH.search(text):
        return "es"
    if any(c.isalpha() for c in text):
        return "en"
    return None


def words(language: str) -> dict[str, str]:
    return WORDS.get(language, WORDS["en"])


def _key(text: str) -> str:
    return re.sub(r"[\s!?.,¡¿！？。，]+", " ", text).strip().lower()


def find_phrase(text: str) -> dict[str, str] | None:
    """The phrase ``text`` is, in any of the five languages (case and punctuation aside)."""
    wanted = _key(text)
    return next((p for p in PHRASES if wanted in {_key(v) for v in p.values()}), None)


def target_language(instruction: str) -> str | None:
    """The language code the translation instruction asks for, if it is one of the five."""
    found = re.search(r"into (.+?)\. ", instruction)
    return TARGETS.get(found.group(1).strip().lower()) if found else None
