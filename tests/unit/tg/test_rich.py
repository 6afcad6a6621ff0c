"""Answers as rich messages: within Telegram's limits, split only between blocks, nothing lost."""

from __future__ import annotations

from telegemini.tg.rich import BLOCK_LIMIT, COLUMN_LIMIT, TEXT_LIMIT, rich_chunks, top_level_blocks

ANSWER = """# Prices

Prices rose by $x^2$ percent.

| month | EUR |
|:--|--:|
| Jul | 1 200 |

- one
- two

```python
print("hi")
```

$$E = mc^2$$
"""


def _words(text: str) -> list[str]:
    return [w for w in text.replace("```python", " ").replace("```", " ").split() if w]


def test_an_ordinary_answer_is_one_rich_message_as_written():
    assert rich_chunks(ANSWER) == [ANSWER]


def test_a_long_answer_is_split_between_blocks_and_keeps_every_word():
    paragraph = ("word " * 200).strip() + "\n\n"  # ~1,000 characters
    answer = paragraph * 40  # ~40,000 characters
    chunks = rich_chunks(answer)
    assert len(chunks) == 2
    assert all(len(chunk) <= TEXT_LIMIT for chunk in chunks)
    assert _words("".join(chunks)) == _words(answer)
    assert all(chunk.startswith("word") for chunk in chunks)  # cut between paragraphs


def test_a_list_of_more_blocks_than_allowed_is_split():
    answer = "".join(f"- item {n}\n" for n in range(700))
    chunks = rich_chunks(answer)
    assert len(chunks) >= 2
    for chunk in chunks:
        assert sum(b.blocks for b in top_level_blocks(chunk)) <= BLOCK_LIMIT
    assert _words("".join(chunks)) == _words(answer)


def test_a_huge_code_block_is_cut_and_each_piece_stays_a_code_block():
    answer = "```\n" + "".join(f"line {n} " + "x" * 60 + "\n" for n in range(1000)) + "```\n"
    chunks = rich_chunks(answer)
    assert len(chunks) >= 2
    for chunk in chunks:
        assert len(chunk) <= TEXT_LIMIT
        assert chunk.startswith("```\n")
        assert chunk.rstrip().endswith("```")


def test_a_table_too_wide_for_telegram_becomes_a_code_block():
    header = "|" + "|".join(f"c{n}" for n in range(COLUMN_LIMIT + 5)) + "|\n"
    rule = "|" + "|".join("--" for _ in range(COLUMN_LIMIT + 5)) + "|\n"
    row = "|" + "|".join(str(n) for n in range(COLUMN_LIMIT + 5)) + "|\n"
    [chunk] = rich_chunks(header + rule + row)
    assert chunk.startswith("```\n|c0|c1|")
    assert top_level_blocks(chunk)[0].columns == 0


def test_a_long_table_repeats_its_header_in_each_piece():
    rows = "".join(f"| {n} | {'y' * 100} |\n" for n in range(600))
    chunks = rich_chunks("| n | text |\n|---|---|\n" + rows)
    assert len(chunks) >= 2
    assert all(chunk.startswith("| n | text |\n|---|---|\n") for chunk in chunks)
