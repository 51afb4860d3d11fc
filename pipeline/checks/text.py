"""Plain text out of a content file, cut into paragraphs, sentences and words, each traceable to its line and column.

A `Segment` is one stretch of prose (a front matter text, a key finding, a body
paragraph, a list item) with its Markdown markup dropped; every character of its
plain text keeps the offset it came from, so a finding names the exact place.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass

from pipeline.content.scanning import matches_at_starts

# Markup dropped from prose: citations, images, link targets, emphasis, code ticks, HTML comments and tags.
_DROP = re.compile(
    r"<!--.*?-->"                      # HTML comments
    r"|\[-?@[^\]]*\]"                  # pandoc citations [@key, p. 3]
    r"|!\[[^\]]*\]\([^)]*\)(?:\{[^}]*\})?"  # images (their alt text is checked on its own)
    r"|\]\([^)]*\)"                    # the target half of a link: [text](url)
    r"|(?<!\\)\["                      # the opening bracket of a link
    r"|\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)|(?<=\S)_(?!\w)"  # emphasis markers
    r"|`|<[^>\n]+>",
    re.DOTALL,
)
# Where one of `_DROP`'s alternatives can start.
_MARKUP_START = re.compile(r"[<\[\]!*_`]")
# A word: letters, possibly joined by hyphens or apostrophes (non-recours, aujourd'hui, OCMW's).
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# A figure: digits with thousands separators, decimals and a percent sign (1 250, 12,5 %, 2026). Flesch's
# procedure counts each as a word (see `pipeline.checks.readability`).
FIGURE = re.compile(r"(?<![\w.,])\d+(?:[ \u00a0\u202f.,]\d{3})*(?:[.,]\d+)?(?:[ \u00a0\u202f]?%)?(?!\w)")
# Within a sentence, what else ends one of Flesch's units: a colon, a semicolon, a spaced dash (Flesch, R.
# (1949). The Art of Readable Writing, appendix: "a unit of thought marked off by a period, question mark,
# exclamation point, colon, semicolon or dash"); and LIX's (Björnsson 1968: full stop, colon, ! and ?).
_DIGIT = re.compile(r"\d")
_FLESCH_BREAK = re.compile(r"\s*[:;](?=\s)|\s[–—]\s")
_LIX_BREAK = re.compile(r"\s*:(?=\s)")
_BREAK_MARKS = {_FLESCH_BREAK: ":;–—", _LIX_BREAK: ":"}
"""A text without one of these characters has no break (a test far cheaper than the pattern's search)."""
_SENTENCE_END = re.compile(r"([.!?…]+)([\"'»”’)\]]*)(\s+|$)")
# Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = {
    "fr": {"p", "pp", "ex", "cf", "etc", "env", "m", "mm", "mme", "dr", "art", "av", "vol", "n°", "no", "éd", "coll"},
    "nl": {"bv", "bijv", "o.a", "a", "dhr", "mevr", "mw", "dr", "nr", "art", "enz", "etc", "vgl", "blz", "p", "pp",
           "e.a"},
    "en": {"e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "no", "vs", "cf", "p", "pp", "fig", "vol", "al"},
}
_HEADING = re.compile(r"^(#{1,6})\s+")
_FENCE = re.compile(r"^\s*(```|~~~)")
_NEWLINE = re.compile("\n")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


@dataclass(slots=True)
class Sentence:
    """One sentence of a segment, tokenised once for every rule (not frozen: a frozen dataclass's __init__ sets
    each field through object.__setattr__, several times slower, for the 47,000 sentences of 600 documents)."""

    text: str
    start: int
    """Offset of the sentence's first character in the file."""
    words: tuple[str, ...]
    figures: tuple[str, ...] = ()
    """Numbers written in figures: words in the formulas' counts, not in the length rules."""
    units: int = 1
    """Sentences in Flesch's sense: the sentence and every part after a colon, semicolon or spaced dash."""
    lix_units: int = 1
    """Sentences in Björnsson's sense (LIX): the sentence and every part after a colon."""
    lower: tuple[str, ...] = ()
    """`words` in lower case with straight apostrophes: what the style rules match, tokenised once for all."""


def units(text: str, breaks: re.Pattern[str]) -> int:
    """How many parts of `text` between `breaks` hold a word or a figure (at least one)."""
    marks = _BREAK_MARKS.get(breaks)
    if marks is not None and not any(mark in text for mark in marks):
        return 1  # most sentences: no need to split
    return max(1, sum(1 for part in breaks.split(text) if WORD.search(part) or FIGURE.search(part)))


@dataclass(slots=True)
class Segment:
    """One paragraph-like stretch of prose with its plain text and where each piece of it came from (slots and
    not frozen, as `Sentence`)."""

    text: str
    spans: tuple[tuple[int, int], ...]
    """(index in `text`, file offset) where each kept run of characters starts, in order."""
    part: str
    """Which part of the file: summary, key_findings, recommendations, body, heading."""

    def offset(self, index: int) -> int:
        """The file offset of the character at `index` of the plain text."""
        if not self.spans:
            return 0
        at = bisect.bisect_right(self.spans, (index, float("inf"))) - 1
        start, offset = self.spans[max(at, 0)]
        return offset + index - start


def strip_markup(raw: str, base: int) -> tuple[str, tuple[tuple[int, int], ...]]:
    """Drop Markdown markup from `raw` (found at file offset `base`); keep where each kept run came from."""
    chunks: list[str] = []
    spans: list[tuple[int, int]] = []
    position = length = 0
    for match in _markup(raw):
        if match.start() > position:
            spans.append((length, base + position))
            chunks.append(raw[position:match.start()])
            length += match.start() - position
        position = match.end()
    if position < len(raw):
        spans.append((length, base + position))
        chunks.append(raw[position:])
    return "".join(chunks), tuple(spans)


def _markup(raw: str) -> Iterator[re.Match[str]]:
    """`_DROP.finditer(raw)`, tried only where markup can start."""
    return matches_at_starts(_MARKUP_START, _DROP, raw)


def make_segment(raw: str, base: int, part: str) -> Segment:
    text, spans = strip_markup(raw, base)
    return Segment(text, spans, part)


def sentences(segment: Segment, lang: str) -> list[Sentence]:
    """The sentences of a segment; a segment without final punctuation is one sentence (a list item, a title)."""
    abbreviations = ABBREVIATIONS.get(lang, set())
    text, out, start = segment.text, [], 0
    # what no sentence of the segment has if the segment has none: most have no digit, colon or dash
    marks = (_DIGIT.search(text) is not None, any(mark in text for mark in _BREAK_MARKS[_FLESCH_BREAK]),
             ":" in text)
    for match in _SENTENCE_END.finditer(text):
        end = match.end(2)
        if match.group(1) == ".":
            before = text[start:match.start()].rsplit(None, 1)
            last = before[-1].lower().rstrip(".") if before else ""
            if last in abbreviations or (len(last) == 1 and last.isalpha()):
                continue  # "p. ex.", "M. Dupont", initials
        following = text[match.end():match.end() + 1]
        if match.group(3) and following and following.islower():
            continue  # "etc. et", a full stop inside a sentence
        _add(out, segment, text, start, end, marks)
        start = match.end()
    _add(out, segment, text, start, len(text), marks)
    return out


def _add(out: list[Sentence], segment: Segment, text: str, start: int, end: int,
         marks: tuple[bool, bool, bool]) -> None:
    chunk = text[start:end]
    stripped = chunk.lstrip(" \t\n\"'«“>")
    words = tuple(WORD.findall(chunk))
    if words:
        first = start + len(chunk) - len(stripped)
        digits, flesch_breaks, lix_breaks = marks
        figures = tuple(FIGURE.findall(chunk)) if digits else ()
        out.append(Sentence(" ".join(stripped.split()), segment.offset(first), words, figures,
                            units(chunk, _FLESCH_BREAK) if flesch_breaks else 1,
                            units(chunk, _LIX_BREAK) if lix_breaks else 1,
                            tuple("\0".join(words).lower().replace("’", "'").split("\0"))))


def body_segments(body: str, base: int) -> list[Segment]:
    """Paragraphs, list items and headings of a Markdown body starting at file offset `base`."""
    segments: list[Segment] = []
    block: list[tuple[str, int]] = []
    fenced = False
    offset = base

    def flush() -> None:
        if block:
            first = block[0][1]
            raw = body[first - base:block[-1][1] - base + len(block[-1][0])]
            segments.append(make_segment(raw, first, "body"))
            block.clear()

    for line in body.split("\n"):
        here, offset = offset, offset + len(line) + 1
        if _FENCE.match(line):
            flush()
            fenced = not fenced
            continue
        if fenced or line.lstrip().startswith(("|", "<!--", ":::")) or line.startswith("    "):
            flush()
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            cut = heading.end()
            segments.append(make_segment(line[cut:].rstrip("# "), here + cut, "heading"))
            continue
        item = _LIST_ITEM.match(line)
        if item:
            flush()
            block.append((line[item.end():], here + item.end()))
            continue
        if not line.strip():
            flush()
            continue
        if block:
            block.append((line, here))
        else:
            lead = len(line) - len(line.lstrip(" >"))
            block.append((line[lead:], here + lead))
    flush()
    return segments


class Lines:
    """Offsets to (line, column), both 1-based, for one file's text."""

    def __init__(self, text: str):
        self.starts = [0, *(match.end() for match in _NEWLINE.finditer(text))]

    def position(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1
