from __future__ import annotations

from telegemini.core.speech import speakable, split_for_speech, strip_audio_tags


def omitted(what: str) -> str:
    return f"({what} omitted)"


def test_markdown_is_not_read_aloud():
    text = (
        "# Title\n\nThis is **bold**, _italic_ and `code`.\n\n"
        "- first item\n- second item\n\n"
        "See [the docs](https://example.com) or https://example.org/page.\n\n"
        "```python\nprint('hi')\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\nDone."
    )
    spoken = speakable(text, omitted=omitted)
    assert "**" not in spoken
    assert "`" not in spoken
    assert "#" not in spoken
    assert "http" not in spoken
    assert "print" not in spoken
    assert "(code omitted)" in spoken
    assert "(table omitted)" in spoken
    assert "This is bold, italic and code." in spoken
    assert "See the docs or" in spoken
    assert spoken.endswith("Done.")


def test_audio_tags_stay_for_speech_and_leave_the_text():
    text = "[laughs] Good one! [citation needed] [whispers] secret"
    assert strip_audio_tags(text) == "Good one! [citation needed] secret"
    assert "[laughs]" in speakable(text, omitted=omitted)


def test_speech_is_split_between_sentences():
    text = "First sentence here. Second one! Third? Fourth and last."
    assert split_for_speech(text, limit=40) == [
        "First sentence here. Second one! Third?",
        "Fourth and last.",
    ]


def test_a_sentence_longer_than_the_limit_is_cut_between_words():
    assert split_for_speech("One. Two two. Three three three! Four?", limit=15) == [
        "One. Two two.",
        "Three three",
        "three! Four?",
    ]


def test_split_keeps_every_word_and_respects_the_limit():
    text = " ".join(f"Word{n}" for n in range(300)) + ". Short end."
    pieces = split_for_speech(text, limit=120)
    assert all(len(p) <= 120 for p in pieces)
    assert " ".join(pieces).split() == text.split()


def test_formulas_are_read_as_text_not_as_latex():
    spoken = speakable(
        "Energy: $$E = mc^2$$ and the ratio $\\frac{a}{b}$ is $\\alpha \\cdot 2$, costing $5.",
        omitted=lambda kind: f"({kind} omitted)",
    )
    assert "$$" not in spoken
    assert "\\" not in spoken
    assert "E = mc^2" in spoken
    assert "a/b" in spoken
    assert "alpha · 2" in spoken
    assert "costing $5." in spoken  # a price is not a formula
