"""`crebis check --format html`: a report a writer can use. Each checked text is shown with its hard sentences and
words highlighted, each finding under its paragraph with the rule explained in the text's language, the scores
against their targets, and the text's hardest sentences (always, whether or not it meets its targets).

One self-contained page (no external files, no scripts); every text carries its own `lang`.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from markupsafe import Markup, escape

from pipeline.checks.document import CheckedFile, Text, read_file
from pipeline.checks.explanations import explanation
from pipeline.checks.findings import CheckReport, DocumentStats, Finding
from pipeline.checks.readability import FORMULAS, flesch_formula
from pipeline.checks.text import Segment
from pipeline.config import CheckOptions
from pipeline.content.frontmatter import split

_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; color: #1a1a1a; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; border-top: 2px solid #1d4e89; padding-top: 1rem; }
.scores { color: #333; } .miss { color: #b3261e; font-weight: bold; }
.text p { background: #f7f7f7; padding: .5rem .75rem; border-left: 4px solid #ccc; }
mark.sentence { background: #fff1b8; } mark.word { background: #ffd6d1; text-decoration: underline; }
.error { border-left-color: #b3261e; } .notes { margin-top: -.5rem; font-size: .95rem; }
.rule { font-family: monospace; color: #1d4e89; } .why { color: #333; font-style: italic; }
"""
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _index_of(segment: Segment, offset: int) -> int | None:
    """The index in `segment.text` of the character at file `offset`, or None if it is not in the segment."""
    spans = segment.spans
    for n, (index, start) in enumerate(spans):
        end_index = spans[n + 1][0] if n + 1 < len(spans) else len(segment.text)
        if start <= offset < start + (end_index - index):
            return index + offset - start
    return None


def _offset(file: CheckedFile, finding: Finding) -> int | None:
    if finding.line is None or finding.line > len(file.lines.starts):
        return None
    return file.lines.starts[finding.line - 1] + (finding.column or 1) - 1


def _paragraph(segment: Segment, sentences, findings: list[Finding], file: CheckedFile) -> Markup:
    """One paragraph with its flagged sentences and words marked."""
    text = segment.text
    words: list[tuple[int, int, Finding]] = []
    sentence_hits: dict[int, list[Finding]] = defaultdict(list)
    starts = {s.start: s for s in sentences}
    for f in findings:
        offset = _offset(file, f)
        if offset in starts and not f.length:
            sentence_hits[offset].append(f)
        elif offset is not None and f.length:
            index = _index_of(segment, offset)
            if index is not None:
                words.append((index, index + f.length, f))
    bounds = []
    for s in sentences:
        index = _index_of(segment, s.start)
        if index is not None:
            bounds.append((index, s.start))
    out: list[str] = []
    position = 0
    for n, (begin, start) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(text)
        out.append(str(escape(text[position:begin])))
        out.append(_marked(text, begin, end, words, sentence_hits.get(start, [])))
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


def _marked(text: str, begin: int, end: int, words, hits: list[Finding]) -> str:
    pieces, position = [], begin
    for start, stop, f in sorted(w for w in words if begin <= w[0] < end):
        if start < position:
            continue
        pieces.append(str(escape(text[position:start])))
        pieces.append(f'<mark class="word" title="{escape(f.message)}">{escape(text[start:stop])}</mark>')
        position = stop
    pieces.append(str(escape(text[position:end])))
    body = "".join(pieces)
    if not hits:
        return body
    title = "; ".join(f.rule for f in hits)
    return f'<mark class="sentence" title="{escape(title)}">{body}</mark>'


def _note(f: Finding, lang: str) -> str:
    why = explanation(f.rule, lang)
    where = f"{f.line}:{f.column}" if f.line else "–"
    parts = [f'<li class="{f.severity}"><span class="rule">[{escape(f.rule)}]</span> {escape(f.severity)} '
             f"({where}): {escape(f.message)}"]
    if f.suggestion:
        parts.append(f" → {escape(f.suggestion)}")
    if why:
        parts.append(f'<br><span class="why" lang="{lang}">{escape(why)}</span>')
    return "".join(parts) + "</li>"


def _scores(stats: DocumentStats, options: CheckOptions) -> str:
    from pipeline.checks.rules.prose import level

    if not stats.readability:
        return ""
    targets = options.readability.targets(stats.language)
    name = level(options, stats.kind)
    flesch = flesch_formula(stats.language)
    minimum, maximum = getattr(targets, f"{name}_min_score"), getattr(targets, f"{name}_max_lix")
    score, lix = stats.readability[flesch], stats.readability["lix"]
    score_class = ' class="miss"' if score < minimum else ""
    lix_class = ' class="miss"' if lix > maximum else ""
    return (f'<p class="scores"><span{score_class}>{escape(FORMULAS[stats.language][flesch].name)} {score:g} '
            f"(target at least {minimum:g})</span> · <span{lix_class}>LIX {lix:g} (target at most {maximum:g})"
            f"</span> · {stats.words} words, {stats.sentences} sentences, {stats.syllables} syllables · "
            f"profile: {escape(stats.profile)}</p>")


def _document(stats: DocumentStats, text: Text | None, file: CheckedFile | None, findings: list[Finding],
              options: CheckOptions) -> str:
    lang = stats.language
    out = [f'<section lang="{lang}"><h2 lang="en">{escape(stats.path)} — {escape(stats.kind)}</h2>',
           _scores(stats, options)]
    if stats.hardest:
        out.append('<h3 lang="en">Hardest sentences</h3><ol>')
        for h in stats.hardest:
            out.append(f"<li>line {h.line} ({h.words} words, score {h.score:g}): “{escape(h.text)}”</li>")
        out.append("</ol>")
    placed: set[int] = set()
    if text is not None and file is not None:
        out.append('<div class="text">')
        for segment, sentences in text.paragraphs:
            mine = [f for f in findings if (o := _offset(file, f)) is not None and _index_of(segment, o) is not None]
            placed.update(id(f) for f in mine)
            css = ' class="error"' if any(f.severity == "error" for f in mine) else ""
            out.append(f"<p{css}>{_paragraph(segment, sentences, mine, file)}</p>")
            if mine:
                out.append('<ul class="notes">' + "".join(_note(f, lang) for f in mine) + "</ul>")
        out.append("</div>")
    rest = [f for f in findings if id(f) not in placed]
    if rest:
        out.append('<ul class="notes">' + "".join(_note(f, lang) for f in rest) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def _read(root: Path, relative: str, lang: str) -> CheckedFile | None:
    path = root / relative
    try:
        source = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        return read_file(path, relative, lang, source, split(source, str(path)))
    except Exception:
        return None


def render_html(report: CheckReport, root: Path, options: CheckOptions) -> str:
    """The whole report as one HTML page."""
    report = report.sorted()
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for f in report.findings:
        by_file[f.file].append(f)
    counts = {s: report.count(s) for s in ("error", "warning", "info")}
    parts = ['<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>crebis check: {counts['error']} error(s), {counts['warning']} warning(s)</title>",
             f"<style>{_STYLE}</style></head><body><main>",
             f"<h1>crebis check</h1><p>{counts['error']} error(s), {counts['warning']} warning(s), "
             f"{counts['info']} info in {len({d.path for d in report.documents})} file(s).</p>"]
    documents = {d.path for d in report.documents}
    others = [f for f in report.findings if f.file not in documents]
    if others:
        parts.append('<h2>Other files</h2><ul class="notes">' + "".join(_note(f, "en") for f in others) + "</ul>")
    files: dict[str, CheckedFile | None] = {}
    for stats in report.documents:
        if stats.path not in files:
            files[stats.path] = _read(root, stats.path, stats.language)
        file = files[stats.path]
        text = file.texts.get(stats.kind) if file is not None else None
        if text is not None and file is not None:
            findings = [f for f in by_file[stats.path] if _in_kind(file, text, f)]
        else:
            findings = list(by_file[stats.path])
        findings.sort(key=lambda f: (f.line or 0, f.column or 0, _SEVERITY_ORDER[f.severity]))
        parts.append(_document(stats, text, file, findings, options))
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def _in_kind(file: CheckedFile, text: Text, f: Finding) -> bool:
    offset = _offset(file, f)
    return offset is not None and any(_index_of(segment, offset) is not None for segment, _ in text.paragraphs)
