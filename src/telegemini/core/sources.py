"""What an answer read on the web, shown under it: the sources Google Search grounded it on, and
the pages the URL Context tool fetched. Never spoken, never stored in the transcript."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from telegemini.core.models import ChatCompleted, Source

MAX_SOURCES = 5


@dataclass(frozen=True, slots=True)
class SearchLabels:
    """Search is on for this answer; the words for "Searching…" and the sources heading."""

    searching: str
    sources: str


def sources_block(sources: tuple[Source, ...], heading: str, *, whole_url: bool = False) -> str:
    """A numbered Markdown list of the first ``MAX_SOURCES`` distinct sources, as links. A source
    without a title is labelled by its site (``whole_url``: its site and path, for pages read)."""
    seen: dict[str, str] = {}
    for source in sources:
        if source.url not in seen and source.url.startswith(("http://", "https://")):
            seen[source.url] = source.title or _label(source.url, whole_url=whole_url)
    lines = [heading]
    for number, (url, title) in enumerate(list(seen.items())[:MAX_SOURCES], start=1):
        label = title.replace("[", "(").replace("]", ")")
        target = url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
        lines.append(f"{number}. [{label}]({target})")
    return "\n".join(lines)


def footer(
    completed: ChatCompleted, *, search: SearchLabels | None, pages_heading: str | None
) -> str:
    """The blocks under an answer: the pages it read (when URL context was on), then its search
    sources (when search was on), the pages not repeated among them. "" when there are none."""
    blocks = []
    read = {page.url for page in completed.pages}
    if pages_heading is not None and completed.pages:
        titles = {s.url: s.title for s in completed.sources if s.title}
        pages = tuple(Source(p.url, p.title or titles.get(p.url, "")) for p in completed.pages)
        blocks.append(sources_block(pages, pages_heading, whole_url=True))
    cited = tuple(s for s in completed.sources if s.url not in read)
    if search is not None and cited:
        blocks.append(sources_block(cited, search.sources))
    return "\n\n".join(blocks)


def _label(url: str, *, whole_url: bool) -> str:
    parts = urlsplit(url)
    if whole_url and parts.netloc:
        return (parts.netloc + parts.path).rstrip("/")
    return parts.netloc or url
