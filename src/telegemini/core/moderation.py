"""The operator's blocklist, checked against every prompt before it can reach the model.

File format (``MODERATION_BLOCKLIST``): one rule a line; ``#`` starts a comment; a line
``re:<pattern>`` (or ``/<pattern>/``) is a regular expression, anything else a word or phrase
matched on word boundaries. Text is compared after Unicode NFKC normalisation, case folding and
removal of zero-width and combining marks, so ｆｕｌｌｗｉｄｔｈ, MiXeD case or z​ero-width
tricks do not get through.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def normalize(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).translate(_INVISIBLE).casefold()
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    return " ".join(stripped.split())


@dataclass(frozen=True, slots=True)
class Blocklist:
    rules: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> Blocklist:
        rules: list[re.Pattern[str]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            rule = (
                line.split("#", 1)[0].strip()
                if not line.lstrip().startswith("re:")
                else line.strip()
            )
            if not rule:
                continue
            if rule.startswith("re:"):
                pattern = rule[3:].strip()
            elif len(rule) > 2 and rule.startswith("/") and rule.endswith("/"):
                pattern = rule[1:-1]
            else:
                pattern = r"(?<!\w)" + re.escape(normalize(rule)) + r"(?!\w)"
            try:
                rules.append(re.compile(pattern, re.IGNORECASE))
            except re.error as exc:
                raise ValueError(f"blocklist line {number}: {exc}") from exc
        return cls(tuple(rules))

    def check(self, *texts: str) -> str | None:
        """The first rule matching any of ``texts`` (its pattern), or None."""
        for text in texts:
            if not text:
                continue
            clean = normalize(text)
            for rule in self.rules:
                if rule.search(clean):
                    return rule.pattern
        return None
