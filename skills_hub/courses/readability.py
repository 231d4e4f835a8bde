"""Plain-English measures for lesson Markdown: word count and average sentence length.

Stdlib only, so a writer can run it on a draft: `python3 skills_hub/courses/readability.py content/courses`.
Every heading, list item and paragraph ends a sentence, as do `.`, `!` and `?` followed by a space.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

MAX_LESSON_WORDS = 400
MIN_LESSON_WORDS = 150
MAX_AVERAGE_SENTENCE_WORDS = 15.0

_WORD = re.compile(r"[^\W_]+(?:['\u2019-][^\W_]+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?:\s+|$)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_BLOCK_MARKER = re.compile(r"^\s*(?:#{1,6}\s+|[-*+]\s+|\d+[.)]\s+|>\s*)")


@dataclass(frozen=True)
class Readability:
    words: int
    sentences: int

    @property
    def average_sentence_words(self) -> float:
        return self.words / self.sentences if self.sentences else 0.0


def measure(markdown: str) -> Readability:
    """Count the words and sentences a reader meets in a lesson (image alt text excluded)."""
    words = sentences = 0
    for block in _blocks(markdown):
        parts = [p for p in _SENTENCE_END.split(block) if _WORD.search(p)]
        sentences += len(parts)
        words += sum(len(_WORD.findall(p)) for p in parts)
    return Readability(words=words, sentences=sentences)


def _blocks(markdown: str) -> list[str]:
    blocks: list[str] = []
    current: list[str] = []
    for raw in markdown.splitlines():
        line = _LINK.sub(r"\1", _IMAGE.sub("", raw))
        starts_block = _BLOCK_MARKER.match(line) is not None
        if (not line.strip() or starts_block) and current:
            blocks.append(" ".join(current))
            current = []
        if line.strip():
            current.append(_BLOCK_MARKER.sub("", line).replace("*", "").replace("`", ""))
            if line.lstrip().startswith("#"):
                blocks.append(" ".join(current))
                current = []
    if current:
        blocks.append(" ".join(current))
    return blocks


def main(paths: list[str]) -> int:
    failed = False
    files = sorted(f for p in paths for f in ([Path(p)] if p.endswith(".md") else Path(p).rglob("lessons/*.md")))
    for path in files:
        result = measure(path.read_text(encoding="utf-8"))
        problems = []
        if result.words > MAX_LESSON_WORDS:
            problems.append(f"over {MAX_LESSON_WORDS} words")
        if result.words < MIN_LESSON_WORDS:
            problems.append(f"under {MIN_LESSON_WORDS} words")
        if result.average_sentence_words > MAX_AVERAGE_SENTENCE_WORDS:
            problems.append(f"sentences average over {MAX_AVERAGE_SENTENCE_WORDS:g} words")
        failed = failed or bool(problems)
        print(f"{path}: {result.words} words, {result.average_sentence_words:.1f} words a sentence"
              + (f"  <-- {'; '.join(problems)}" if problems else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["content/courses"]))
