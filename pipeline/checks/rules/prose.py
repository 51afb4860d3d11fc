"""Rules on the prose of a file: readability, sentence and paragraph length, jargon, acronyms, percentages."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from fractions import Fraction

from pipeline.checks.document import CheckedFile, Text
from pipeline.checks.findings import DocumentStats, Finding, HardSentence
from pipeline.checks.glossary import Glossary
from pipeline.checks.readability import FORMULAS, Counts, flesch_formula, scores, sentence_counts
from pipeline.config import CheckOptions
from pipeline.content.load import TODO_MARKER

LANGUAGE_NAMES = {"fr": "French", "nl": "Dutch", "en": "English"}


def finding(file: CheckedFile, offset: int | None, severity: str, rule: str, message: str,
            suggestion: str | None = None, length: int | None = None) -> Finding:
    line, column = file.position(offset) if offset is not None else (None, None)
    return Finding(file.relative, line, column, severity, rule, message, suggestion, length)


# A digest goes to the newsletter's subscribers by the same channel: it takes the newsletter's targets, limits and
# profile.
_SAME_AS = {"digest": "newsletter"}


def level(options: CheckOptions, kind: str) -> str:
    """The name targets and limits of a text go by: its kind, or "easy" when its kind's profile is easy-to-read."""
    kind = _SAME_AS.get(kind, kind)
    return "easy" if getattr(options.profiles, kind, "plain") == "easy-to-read" else kind


def hardest_sentences(file: CheckedFile, text: Text, how_many: int,
                      counted: list[Counts] | None = None) -> tuple[HardSentence, ...]:
    """The sentences that weigh most on the text's score, hardest first (`counted`: each sentence's counts).

    A sentence weighs by its words times how far its own Flesch-scale score falls below 100: a score alone would
    put a four-word sentence of long words ("These difficulties have consequences.") above a thirty-word one.
    """
    formula = FORMULAS[file.lang][flesch_formula(file.lang)].compute
    sentences = text.sentences
    counted = counted if counted is not None else sentence_counts(file.lang, sentences)
    scored = []
    for sentence, counts in zip(sentences, counted, strict=True):
        if counts.words and counts.sentences:  # what `scores` needs; only the Flesch-scale score is wanted here
            score = round(formula(counts), 1)
            scored.append((-len(sentence.words) * (100 - score), score, sentence))
    scored.sort(key=lambda item: (item[0], item[1]))
    out = []
    for _, score, sentence in scored[:how_many]:
        line, column = file.position(sentence.start)
        out.append(HardSentence(line, column, len(sentence.words), score, sentence.text))
    return tuple(out)


def document_stats(file: CheckedFile, text: Text, options: CheckOptions | None = None) -> tuple[DocumentStats, Counts]:
    counted = sentence_counts(file.lang, text.sentences)
    counts = Counts.total(counted)
    how_many = options.readability.hardest_sentences if options is not None else 3
    profile = getattr(options.profiles, _SAME_AS.get(text.kind, text.kind), "plain") if options is not None \
        else "plain"
    stats = DocumentStats(file.relative, file.lang, text.kind, counts.words, counts.sentences, counts.syllables,
                          scores(file.lang, counts), profile, hardest_sentences(file, text, how_many, counted))
    return stats, counts


def readability(file: CheckedFile, text: Text, stats: DocumentStats, options: CheckOptions) -> Iterator[Finding]:
    """The text's Flesch-scale score and LIX against the targets of its language, kind and profile."""
    rule = options.readability
    if not rule.enabled or not stats.readability or not text.paragraphs or stats.words < rule.min_words:
        return
    flesch = flesch_formula(file.lang)
    targets = rule.targets(file.lang)
    name = level(options, text.kind)
    minimum = getattr(targets, f"{name}_min_score")
    maximum_lix = getattr(targets, f"{name}_max_lix")
    what = "easy-to-read" if name == "easy" else text.kind
    score, lix = stats.readability[flesch], stats.readability["lix"]
    misses = []
    if score < minimum:
        misses.append(f"{FORMULAS[file.lang][flesch].name} score {score:g} is below the {what} target "
                      f"{minimum:g}")
    if lix > maximum_lix:
        misses.append(f"LIX {lix:g} is above the {what} target {maximum_lix:g}")
    if not misses:
        return
    named = [f"line {h.line} ({h.words} words: “{_clip(h.text)}”)" for h in stats.hardest]
    suggestion = "Use shorter sentences and shorter words"
    if named:
        suggestion += "; the hardest sentences are at " + "; ".join(named)
    yield finding(file, text.paragraphs[0][0].offset(0), rule.severity, "readability",
                  f"{LANGUAGE_NAMES[file.lang]} {text.kind}: " + " and ".join(misses)
                  + f" ({stats.words} words, {stats.sentences} sentences, {stats.syllables} syllables)",
                  suggestion)


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def length(file: CheckedFile, text: Text, options: CheckOptions) -> Iterator[Finding]:
    """Sentences and paragraphs over the word limits of the text's kind."""
    rule = options.length
    if not rule.enabled:
        return
    name = level(options, text.kind)
    max_sentence = getattr(rule, f"{name}_max_sentence_words")
    max_paragraph = getattr(rule, f"{name}_max_paragraph_words")
    for segment, sentences in text.paragraphs:
        words = sum(len(s.words) for s in sentences)
        if words > max_paragraph and len(sentences) > 1:
            yield finding(file, segment.offset(0), rule.severity, "paragraph-length",
                          f"paragraph of {words} words ({text.kind} limit {max_paragraph})",
                          "Cut it into shorter paragraphs, one idea each")
        for sentence in sentences:
            if len(sentence.words) > max_sentence:
                yield finding(file, sentence.start, rule.severity, "sentence-length",
                              f"sentence of {len(sentence.words)} words ({text.kind} limit {max_sentence}): "
                              f"“{_clip(sentence.text)}”", "Split it into shorter sentences")


# --- jargon ---------------------------------------------------------------------------------------------------


def jargon(file: CheckedFile, text: Text, glossary: Glossary, options: CheckOptions) -> Iterator[Finding]:
    """Glossary terms in a summary, each with its plain alternative (first use of each term)."""
    rule = options.jargon
    if not rule.enabled or text.kind not in ("summary", "newsletter"):
        return
    seen: set[str] = set()
    for segment, _ in text.paragraphs:
        for index, headword, alternative in glossary.find(segment.text):
            if headword in seen:
                continue
            seen.add(headword)
            yield finding(file, segment.offset(index), rule.severity, "jargon",
                          f"“{headword}” is jargon for a {text.kind}'s readers", f"Say: {alternative}")


# --- acronyms -------------------------------------------------------------------------------------------------

# A capital not after a letter, digit or hyphen (the look-behind placed after the first capital, so that the
# search jumps from capital to capital), more capitals or digits, a capital, perhaps a plural s.
_ACRONYM = re.compile(r"[A-Z](?<![\w-].)[A-Z0-9]*[A-Z](?:['’]?s)?(?![\w-])")
_ROMAN = re.compile(r"^[IVXLCDM]+$")


def acronyms(file: CheckedFile, text: Text, options: CheckOptions) -> Iterator[Finding]:
    """An acronym whose first use in the text is not spelled out: "Full name (ACR)" or "ACR (full name)"."""
    rule = options.acronyms
    if not rule.enabled:
        return
    known = {*rule.known, TODO_MARKER}  # a marker left to fill in, reported as unfinished, not as an acronym
    seen: set[str] = set()
    for segment, _ in text.paragraphs:
        for match in _ACRONYM.finditer(segment.text):
            acronym = re.sub(r"['’]?s$", "", match.group(0))
            if acronym in seen or acronym in known or _ROMAN.match(acronym) or len(acronym) < 2:
                continue
            seen.add(acronym)
            if _neighbour(segment.text, match.start(), -1) in ("(", "/") or _neighbour(
                    segment.text, match.end(), 1) == "(":
                continue
            yield finding(file, segment.offset(match.start()), rule.severity, "acronym",
                          f"acronym {acronym} is not spelled out at its first use in the {text.kind}",
                          f"Write the full name first, then “({acronym})”, or add {acronym} to "
                          "check.acronyms.known in crebis.toml if every reader knows it")


def _neighbour(text: str, index: int, step: int) -> str:
    """The first character that is not a space before `index` (step -1) or from it (step 1), "" if none."""
    if step < 0:
        index -= 1
    while 0 <= index < len(text) and text[index].isspace():
        index += step
    return text[index] if 0 <= index < len(text) else ""


# --- numbers --------------------------------------------------------------------------------------------------

_PERCENT = re.compile(r"(\d+(?:[.,]\d+)?)\s?(?:%|pour ?cent\b|procent\b|per ?cent\b)", re.IGNORECASE)
_NUMBER_WORDS = {
    "fr": "un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix",
    "nl": "een|één|twee|drie|vier|vijf|zes|zeven|acht|negen|tien",
    "en": "one|two|three|four|five|six|seven|eight|nine|ten",
}
_PROPORTION = {
    "fr": r"\b(?:\d+|{w})\b[^.;]{{0,40}}\bsur\s+(?:\d+|{w})\b|\bla moitié\b|\bun quart\b|\bun tiers\b",
    "nl": r"\b(?:\d+|{w})\s+op\s+(?:de\s+)?(?:\d+|{w})\b|\bde helft\b|\been kwart\b|\been derde\b",
    "en": r"\b(?:\d+|{w})\b[^.;]{{0,30}}\b(?:in|out of)\s+(?:\d+|{w})\b|\bhalf\b|\ba quarter\b|\ba third\b",
}
_SAY = {"fr": "environ {n} sur {d}", "nl": "ongeveer {n} op de {d}", "en": "about {n} in {d}"}


_FRACTIONS = sorted({(1, d) for d in range(2, 11)} | {(n, d) for d in (3, 4, 5, 10) for n in range(1, d)})


@functools.cache
def proportion(percent: float) -> tuple[int, int]:
    """The plainest "n in d" close to a percentage: 34 → (1, 3), 38 → (2, 5), 47 → (1, 2), 3 → (3, 100)."""
    value = Fraction(round(percent * 10), 1000)
    n, d = min(_FRACTIONS, key=lambda nd: (abs(Fraction(*nd) - value), nd[1]))
    if abs(Fraction(n, d) - value) > value / 8:
        return round(percent), 100  # no plain fraction is close: "3 in 100"
    return n, d


def numbers(file: CheckedFile, text: Text, options: CheckOptions) -> Iterator[Finding]:
    """A percentage in a summary sentence that does not also say it as a proportion."""
    rule = options.numbers
    if not rule.enabled or text.kind not in ("summary", "newsletter"):
        return
    said = re.compile(_PROPORTION[file.lang].format(w=_NUMBER_WORDS[file.lang]), re.IGNORECASE)
    for segment, sentences in text.paragraphs:
        for match in _PERCENT.finditer(segment.text):
            offset = segment.offset(match.start())
            sentence = next((s for s in reversed(sentences) if s.start <= offset), None)
            value = float(match.group(1).replace(",", "."))
            if (sentence and said.search(sentence.text)) or not 0 < value < 100:
                continue
            n, d = proportion(value)
            yield finding(file, offset, rule.severity, "percentage",
                          f"{match.group(0)} in a summary: not every reader pictures a percentage",
                          f"Say it as a proportion too: “{_SAY[file.lang].format(n=n, d=d)}”")
