"""Turn a text plus ``parse_mode``/``entities`` into what Telegram stores: plain text + entities.

Order of work, as the Bot API does it: explicit entities win over ``parse_mode``; the text is
parsed (MarkdownV2, Markdown or HTML); white space is trimmed at both ends; entities Telegram
finds by itself (mentions, commands, URLs) are added where nothing else is. Limits on the result
are checked by the callers (``limits.py``), because the error wording depends on the method.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .entities import add_detected, trim, validate_entities
from .html_mode import parse_html
from .markdown_mode import parse_markdown, parse_markdown_v2
from .models import ApiError

PARSERS = {"markdownv2": parse_markdown_v2, "markdown": parse_markdown, "html": parse_html}


def format_text(
    text: str,
    *,
    parse_mode: Any = None,
    entities: Any = None,
    users: Mapping[int, dict[str, Any]] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """Parse and normalize ``text``. Raises ApiError (400) as Telegram would."""
    if entities not in (None, [], ""):
        plain, found = text, validate_entities(text, entities)
    elif parse_mode not in (None, ""):
        parser = PARSERS.get(str(parse_mode).lower())
        if parser is None:
            raise ApiError.bad_request("unsupported parse_mode")
        plain, found = parser(text)
    else:
        plain, found = text, []
    if users:
        for item in found:
            user = item.get("user")
            if item["type"] == "text_mention" and isinstance(user, dict):
                known = users.get(int(user.get("id", 0)))
                if known is not None:
                    item["user"] = dict(known)
    plain, found = trim(plain, found)
    return plain, add_detected(plain, found)
