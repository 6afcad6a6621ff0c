"""The operator's blocklist, checked against every prompt before it can reach the model.

File format (``MODERATION_BLOCKLIST``): one rule a line; ``#`` starts a comment; a line
``re:<pattern>`` (or ``/<pattern>/``) is a regular expression, anything else a word or phrase
matched on word boundaries. Text is compared after Unicode NFKC normalisation, case folding and
removal of every default-ignorable code point and of combining marks, so ｆｕｌｌｗｉｄｔｈ, MiXeD
case, z​ero-width or tag-character tricks do not get through.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt, stable since Unicode 6):
# characters a renderer shows as nothing, so a blocked word split by any of them still reads the
# same. Removed before matching.
DEFAULT_IGNORABLE: tuple[tuple[int, int], ...] = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # Arabic letter mark
    (0x115F, 0x1160),  # Hangul fillers
    (0x17B4, 0x17B5),  # Khmer inherent vowels
    (0x180B, 0x180F),  # Mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero width space, joiners, directional marks
    (0x202A, 0x202E),  # directional embeddings and overrides
    (0x2060, 0x206F),  # word joiner, invisible operators, directional isolates
    (0x3164, 0x3164),  # Hangul filler
    (0xFE00, 0xFE0F),  # variation selectors
    (0xFEFF, 0xFEFF),  # zero width no-break space
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler
    (0xFFF0, 0xFFF8),  # reserved
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol formatting
    (0xE0000, 0xE0FFF),  # tags, variation selectors supplement, reserved
)
_INVISIBLE = dict.fromkeys(
    code for first, last in DEFAULT_IGNORABLE for code in range(first, last + 1)
)


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
