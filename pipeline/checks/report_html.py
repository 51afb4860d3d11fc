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
body { font: 16px/1.55 system-ui, sans-serif; color: #1a1a1a; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h3 { font-size: 1.05rem; margin-bottom: .25rem; }
h2 { font-size: 1.25rem; border-top: 2px solid #1d4e89; padding-top: 1rem; margin-top: 2.5rem; }
h2 .file { display: block; font: .85rem monospace; color: #555; font-weight: normal; }
table.toc { border-collapse: collapse; width: 100%; font-size: .95rem; }
.toc th, .toc td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #ddd; vertical-align: top; }
.toc code { font-size: .85rem; word-break: break-all; }
@media (max-width: 40rem) { .toc th:nth-child(2), .toc td:nth-child(2) { display: none; } }
.ok { color: #1b6e20; } .miss { color: #b3261e; font-weight: bold; }
.scores { background: #eef3f9; padding: .5rem .75rem; border-radius: 4px; }
.legend { font-size: .9rem; color: #444; }
.text p { background: #f7f7f7; padding: .5rem .75rem; border-left: 4px solid #ccc; margin-bottom: .25rem; }
.text p.error { border-left-color: #b3261e; } .text p.warning { border-left-color: #c77700; }
mark.sentence { background: #fff1b8; } mark.word { background: #ffd6d1; text-decoration: underline; }
.hard { outline: 2px dotted #1d4e89; outline-offset: 1px; }
.badge { display: inline-block; min-width: 1.3em; text-align: center; font-size: .8rem; font-weight: bold;
         color: #fff; background: #1d4e89; border-radius: 1em; margin-right: .2em; text-decoration: none; }
ul.notes { margin: .25rem 0 1rem; font-size: .95rem; padding-left: 1.25rem; }
ul.notes li { margin-bottom: .4rem; }
.where { font-weight: bold; } li.error .where { color: #b3261e; } li.warning .where { color: #8a5300; }
.detail { display: block; color: #444; font-size: .88rem; }
.rule { font: .8rem monospace; color: #555; }
"""
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

# The report's words in the language of the text it shows: a writer reads the report of a French text in French.
# (The findings' own messages stay English, as crebis's messages do; each rule's explanation is in the language.)
_LABELS: dict[str, dict[str, str]] = {
    "fr": {"summary": "Résumé en langage clair", "brief": "Étude complète (note de synthèse)",
           "newsletter": "Lettre d'information", "digest": "Veille\u202f: texte du digest",
           "hardest": "Les phrases les plus difficiles", "line": "ligne", "column": "colonne", "words": "mots",
           "sentences": "phrases", "score": "score", "at_least": "cible\u202f: au moins",
           "at_most": "cible\u202f: au plus",
           "meets": "atteint", "misses": "manqué", "plain": "langage clair (B1)", "easy-to-read": "facile à lire",
           "profile": "profil", "error": "Erreur", "warning": "À revoir", "info": "Conseil",
           "errors": "Erreurs", "warnings": "À revoir", "infos": "Conseils",
           "short": "trop court pour un score de lisibilité", "unscored": "trop court",
           "legend": "Surligné en jaune\u202f: une phrase signalée. Sur fond rose\u202f: un mot signalé. "
                     "Numéros\u202f: les phrases les plus difficiles, de la plus difficile à la moins difficile. "
                     "Survolez une marque pour la règle.", "elsewhere": "Hors du texte"},
    "nl": {"summary": "Samenvatting in klare taal", "brief": "Volledige studie (beleidsnota)",
           "newsletter": "Nieuwsbrief", "digest": "Monitoring: tekst van de digest",
           "hardest": "De moeilijkste zinnen", "line": "regel", "column": "kolom", "words": "woorden",
           "sentences": "zinnen", "score": "score", "at_least": "doel: minstens", "at_most": "doel: hoogstens",
           "meets": "gehaald", "misses": "niet gehaald", "plain": "klare taal (B1)", "easy-to-read": "makkelijk lezen",
           "profile": "profiel", "error": "Fout", "warning": "Nakijken", "info": "Tip",
           "errors": "Fouten", "warnings": "Nakijken", "infos": "Tips",
           "short": "te kort voor een leesbaarheidsscore", "unscored": "te kort",
           "legend": "Geel: een gemarkeerde zin. Roze: een gemarkeerd woord. Nummers: de moeilijkste zinnen, de "
                     "moeilijkste eerst. Beweeg over een markering voor de regel.", "elsewhere": "Buiten de tekst"},
    "en": {"summary": "Plain-language summary", "brief": "Full study (policy brief)", "newsletter": "Newsletter",
           "digest": "Watch digest text", "hardest": "Hardest sentences", "line": "line", "column": "column",
           "words": "words", "sentences": "sentences", "score": "score", "at_least": "target: at least",
           "at_most": "target: at most", "meets": "met", "misses": "missed", "plain": "plain language (B1)",
           "easy-to-read": "easy to read", "profile": "profile", "error": "Error", "warning": "To review",
           "info": "Tip", "errors": "Errors", "warnings": "To review", "infos": "Tips",
           "short": "too short for a readability score", "unscored": "too short",
           "legend": "Yellow: a flagged sentence. Pink: a flagged word. Numbers: the hardest sentences, hardest "
                     "first. Hover over a mark for its rule.",
           "elsewhere": "Outside the text"},
}


def _label(lang: str, key: str) -> str:
    return _LABELS.get(lang, _LABELS["en"]).get(key, _LABELS["en"].get(key, key))


def _colon(lang: str) -> str:
    """A colon and its spaces as the language writes them (French: a narrow no-break space before it)."""
    return "\u202f: " if lang == "fr" else ": "


def _quoted(text: str, lang: str) -> str:
    """`text` escaped, between the language's quotation marks."""
    return f"«\u202f{escape(text)}\u202f»" if lang == "fr" else f"“{escape(text)}”"


def _number(value: float, lang: str) -> str:
    """A score as the language writes it: 71,9 in French and Dutch."""
    text = f"{value:g}"
    return text.replace(".", ",") if lang in ("fr", "nl") else text


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


def _paragraph(segment: Segment, sentences, findings: list[Finding], file: CheckedFile,
               hardest: dict[int, tuple[int, str]]) -> Markup:
    """One paragraph with its flagged sentences and words marked, and its hardest sentences numbered
    (`hardest`: file offset of a sentence → its rank and anchor)."""
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
        sentence = _marked(text, begin, end, words, sentence_hits.get(start, []), file.lang)
        if start in hardest:
            rank, anchor = hardest[start]
            sentence = f'<span class="hard" id="{anchor}"><span class="badge">{rank}</span>{sentence}</span>'
        out.append(sentence)
        position = end
    out.append(str(escape(text[position:])))
    return Markup("".join(out))


def _marked(text: str, begin: int, end: int, words, hits: list[Finding], lang: str) -> str:
    pieces, position = [], begin
    for start, stop, f in sorted(w for w in words if begin <= w[0] < end):
        if start < position:
            continue
        pieces.append(str(escape(text[position:start])))
        pieces.append(f'<mark class="word" title="{escape(explanation(f.rule, lang) or f.message)}">'
                      f"{escape(text[start:stop])}</mark>")
        position = stop
    pieces.append(str(escape(text[position:end])))
    body = "".join(pieces)
    if not hits:
        return body
    title = " ".join(dict.fromkeys(explanation(f.rule, lang) or f.message for f in hits))
    return f'<mark class="sentence" title="{escape(title)}">{body}</mark>'


def _note(f: Finding, lang: str) -> str:
    """One finding: where and how serious, what the rule asks in the text's language, then the details."""
    where = _label(lang, f.severity)
    if f.line:
        where += f", {_label(lang, 'line')} {f.line}"
        if f.column:
            where += f", {_label(lang, 'column')} {f.column}"
    why = explanation(f.rule, lang)
    detail = str(escape(f.message)) + (f" → {escape(f.suggestion)}" if f.suggestion else "")
    head = f'<span class="where">{escape(where)}</span>{_colon(lang)}'
    lead = escape(why) if why else Markup(f'<span lang="en">{detail}</span>')
    rest = f'<span class="detail" lang="en">{detail} <span class="rule">[{escape(f.rule)}]</span></span>' if why \
        else f' <span class="rule">[{escape(f.rule)}]</span>'
    return f'<li class="{f.severity}">{head}{lead}{rest}</li>'


def _verdict(stats: DocumentStats, options: CheckOptions) -> tuple[bool, bool] | None:
    """Whether the text meets its Flesch-scale and its LIX targets (None: no score)."""
    from pipeline.checks.rules.prose import level

    if not stats.readability or not options.readability.enabled or stats.words < options.readability.min_words:
        return None  # not judged: the readability rule needs a text of some length
    targets = options.readability.targets(stats.language)
    name = level(options, stats.kind)
    minimum, maximum = getattr(targets, f"{name}_min_score"), getattr(targets, f"{name}_max_lix")
    return (stats.readability[flesch_formula(stats.language)] >= minimum, stats.readability["lix"] <= maximum)


def _scores(stats: DocumentStats, options: CheckOptions) -> str:
    from pipeline.checks.rules.prose import level

    lang = stats.language
    verdict = _verdict(stats, options)
    if verdict is None:
        return (f'<p class="scores">{stats.words} {_label(lang, "words")}, {stats.sentences} '
                f'{_label(lang, "sentences")}{_colon(lang)}{escape(_label(lang, "short"))} · '
                f"{_label(lang, 'profile')}{_colon(lang)}{escape(_label(lang, stats.profile))}</p>")
    targets = options.readability.targets(lang)
    name = level(options, stats.kind)
    flesch = flesch_formula(lang)
    minimum, maximum = getattr(targets, f"{name}_min_score"), getattr(targets, f"{name}_max_lix")
    score, lix = stats.readability[flesch], stats.readability["lix"]

    def part(title: str, value: float, bound: str, target: float, ok: bool) -> str:
        mark = f'<span class="ok">✔ {_label(lang, "meets")}</span>' if ok else \
            f'<span class="miss">✘ {_label(lang, "misses")}</span>'
        return f"<strong>{escape(title)} {_number(value, lang)}</strong> ({_label(lang, bound)} " \
               f"{_number(target, lang)}) {mark}"

    return (f'<p class="scores">{part(FORMULAS[lang][flesch].name, score, "at_least", minimum, verdict[0])}'
            f' · {part("LIX", lix, "at_most", maximum, verdict[1])}<br>{stats.words} {_label(lang, "words")}, '
            f"{stats.sentences} {_label(lang, 'sentences')} · {_label(lang, 'profile')}{_colon(lang)}"
            f"{escape(_label(lang, stats.profile))}</p>")


def _anchor(number: int) -> str:
    return f"text-{number}"


def _document(number: int, stats: DocumentStats, text: Text | None, file: CheckedFile | None,
              findings: list[Finding], options: CheckOptions) -> str:
    lang = stats.language
    anchor = _anchor(number)
    out = [f'<section lang="{lang}" id="{anchor}"><h2>{escape(_label(lang, stats.kind))}'
           f'<span class="file">{escape(stats.path)}</span></h2>', _scores(stats, options)]
    hardest: dict[int, tuple[int, str]] = {}
    if stats.hardest:
        out.append(f"<h3>{escape(_label(lang, 'hardest'))}</h3><ol>")
        for rank, h in enumerate(stats.hardest, start=1):
            link = f"{anchor}-hard-{rank}"
            if file is not None and h.line <= len(file.lines.starts):
                hardest[file.lines.starts[h.line - 1] + h.column - 1] = (rank, link)
            out.append(f'<li><a href="#{link}">{_label(lang, "line")} {h.line}</a> ({h.words} '
                       f"{_label(lang, 'words')}, {_label(lang, 'score')} {_number(h.score, lang)}){_colon(lang)}"
                       f"{_quoted(h.text, lang)}</li>")
        out.append("</ol>")
    placed: set[int] = set()
    if text is not None and file is not None:
        out.append(f'<p class="legend">{escape(_label(lang, "legend"))}</p><div class="text">')
        for segment, sentences in text.paragraphs:
            mine = [f for f in findings if (o := _offset(file, f)) is not None and _index_of(segment, o) is not None]
            placed.update(id(f) for f in mine)
            worst = min((f.severity for f in mine), key=_SEVERITY_ORDER.__getitem__, default=None)
            css = f' class="{worst}"' if worst in ("error", "warning") else ""
            out.append(f"<p{css}>{_paragraph(segment, sentences, mine, file, hardest)}</p>")
            if mine:
                out.append('<ul class="notes">' + "".join(_note(f, lang) for f in mine) + "</ul>")
        out.append("</div>")
    rest = [f for f in findings if id(f) not in placed]
    if rest:
        out.append(f"<h3>{escape(_label(lang, 'elsewhere'))}</h3>"
                   '<ul class="notes">' + "".join(_note(f, lang) for f in rest) + "</ul>")
    out.append("</section>")
    return "\n".join(out)


def _read(root: Path, stats: DocumentStats, languages: list[str]) -> CheckedFile | None:
    """The file of a checked text, cut as the check cut it (a result edition, a newsletter, a worksheet)."""
    from pipeline.checks.newsletters import DIGEST, KIND, read_digest, read_newsletter

    path = root / stats.path
    try:
        source = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        if stats.kind == KIND:
            return read_newsletter(path, stats.path, stats.language, source)
        if stats.kind == DIGEST:
            return next((f for f in read_digest(path, stats.path, source, languages) if f.lang == stats.language),
                        None)
        return read_file(path, stats.path, stats.language, source, split(source, str(path)))
    except Exception:  # the check reported what is wrong with the file; the report lists its findings
        return None


def _toc(rows: list[tuple[int, DocumentStats, list[Finding]]], options: CheckOptions) -> str:
    """Every checked text with its verdict and its findings by severity, linked to its section."""
    out = ['<table class="toc"><thead><tr><th>text</th><th>file</th><th>readability</th><th>findings</th></tr>'
           "</thead><tbody>"]
    for number, stats, findings in rows:
        lang = stats.language
        verdict = _verdict(stats, options)
        if verdict is None:
            state = escape(_label(lang, "unscored"))
        elif all(verdict):
            state = f'<span class="ok">✔ {_label(lang, "meets")}</span>'
        else:
            state = f'<span class="miss">✘ {_label(lang, "misses")}</span>'
        counts = ", ".join(f"{n} {_label(lang, severity if n == 1 else severity + 's').lower()}"
                           for severity in ("error", "warning", "info")
                           if (n := sum(1 for f in findings if f.severity == severity)))
        out.append(f'<tr lang="{lang}"><td><a href="#{_anchor(number)}">{escape(_label(lang, stats.kind))}</a></td>'
                   f"<td><code>{escape(stats.path)}</code></td><td>{state}</td><td>{counts or '–'}</td></tr>")
    out.append("</tbody></table>")
    return "".join(out)


def render_html(report: CheckReport, root: Path, options: CheckOptions, languages: list[str] | None = None) -> str:
    """The whole report as one HTML page (`languages`: the project's, in order, to read digest worksheets)."""
    report = report.sorted()
    languages = languages or [d.language for d in report.documents]
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
    files: dict[tuple[str, str], CheckedFile | None] = {}
    rows, sections = [], []
    for number, stats in enumerate(report.documents, start=1):
        if (stats.path, stats.language) not in files:
            files[stats.path, stats.language] = _read(root, stats, list(dict.fromkeys(languages)))
        file = files[stats.path, stats.language]
        text = file.texts.get(stats.kind) if file is not None else None
        if text is not None and file is not None:
            findings = [f for f in by_file[stats.path] if _in_kind(file, text, f)]
        else:
            findings = list(by_file[stats.path])
        findings.sort(key=lambda f: (f.line or 0, f.column or 0, _SEVERITY_ORDER[f.severity]))
        rows.append((number, stats, findings))
        sections.append(_document(number, stats, text, file, findings, options))
    parts.append(_toc(rows, options))
    parts.extend(sections)
    parts.append("</main></body></html>\n")
    return "\n".join(parts)


def _in_kind(file: CheckedFile, text: Text, f: Finding) -> bool:
    offset = _offset(file, f)
    return offset is not None and any(_index_of(segment, offset) is not None for segment, _ in text.paragraphs)
