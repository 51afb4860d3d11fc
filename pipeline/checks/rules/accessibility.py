"""Accessibility rules: alt text and heading order (shared with the loader), link text, brand colour contrast."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from pipeline.checks.document import CheckedFile
from pipeline.checks.findings import Finding
from pipeline.config import CONFIG_FILE, CheckOptions, Config
from pipeline.content.load import BodyProblem, body_problems, declared_figures
from pipeline.render.palette import palette_problems

# Link text that says nothing out of context (WCAG 2.4.4), in the three languages.
VAGUE_LINKS = {
    "click here", "here", "click", "read more", "more", "this link", "link", "this page",
    "cliquez ici", "cliquer ici", "ici", "lire la suite", "en savoir plus", "plus", "ce lien", "lien", "cette page",
    "klik hier", "hier", "lees meer", "meer", "meer info", "deze link", "deze pagina",
}
_LINK = re.compile(r"(?<!!)\[(?P<text>[^\]\n]+)\]\((?P<url>[^)\s]+)[^)]*\)")


def body(file: CheckedFile, options: CheckOptions, problems: list[BodyProblem] | None = None) -> Iterator[Finding]:
    """Images without useful alt text and skipped heading levels (errors, as in the loader); vague link text.

    `problems`: the file's `body_problems` as the loader found them (found again here if not given)."""
    if problems is None:
        problems = body_problems(file.path, file.doc, declared_figures(file.doc.data))
    for problem in problems:
        yield Finding(file.relative, problem.line, problem.column, "error", problem.rule, problem.message,
                      _FIXES.get(problem.rule))
    rule = options.accessibility
    if not rule.enabled:
        return
    for match in _LINK.finditer(file.source):
        text = match.group("text").strip(" *_.!:")
        if text.startswith("@") or text.lower() not in VAGUE_LINKS:
            continue
        line, column = file.position(match.start())
        yield Finding(file.relative, line, column, rule.severity, "link-text",
                      f"link text “{text}” does not say where the link goes",
                      "Name the destination in the link text, e.g. “[the full study](…)”")


_FIXES = {
    "alt-text": "Describe what the image shows in a sentence: its subject, and for a chart its main finding",
    "heading-order": "Go down one level at a time: ## then ###",
    "heading-h1": "Start body sections at ##",
}


# --- colour contrast (WCAG 2.1, 1.4.3) ------------------------------------------------------------------------

# (foreground, background, where it is used) for every text colour the layouts put on a brand background.
PAIRS = (
    ("text", "background", "body text"),
    ("text", "muted_background", "text in summary and key-finding boxes"),
    ("primary", "background", "headings and links"),
    ("primary", "muted_background", "links in boxes"),
    ("#ffffff", "primary", "white text on title bars"),
)


def luminance(colour: str) -> float:
    """Relative luminance of a '#rrggbb' colour (WCAG 2.1 definition)."""
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _darken_until(colour: str, background: str, ratio: float) -> str:
    """The closest darker (or lighter, on a dark background) shade of `colour` that reaches `ratio`."""
    rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
    towards = 0 if luminance(background) > 0.18 else 255
    for step in range(1, 101):
        shade = "#" + "".join(f"{round(c + (towards - c) * step / 100):02x}" for c in rgb)
        if contrast(shade, background) >= ratio:
            return shade
    return "#000000" if towards == 0 else "#ffffff"


def _key_line(config_text: str, table: str, key: str) -> int | None:
    in_table = False
    for number, line in enumerate(config_text.split("\n"), start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            in_table = stripped == f"[{table}]"
        elif in_table and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


def brand_contrast(root: Path, config: Config) -> Iterator[Finding]:
    """Every text/background pair of the brand colours against WCAG 2.1 AA."""
    rule = config.check.accessibility
    if not rule.enabled:
        return
    path = root / CONFIG_FILE
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    brand = config.brand
    for fg_key, bg_key, usage in PAIRS:
        fg = fg_key if fg_key.startswith("#") else getattr(brand, fg_key)
        bg = getattr(brand, bg_key)
        ratio = contrast(fg, bg)
        if ratio >= rule.min_contrast:
            continue
        fg_name = fg if fg_key.startswith("#") else f"brand.{fg_key} {fg}"
        key = fg_key if not fg_key.startswith("#") else bg_key
        fix = (_darken_until(fg, bg, rule.min_contrast) if not fg_key.startswith("#")
               else _darken_until(bg, fg, rule.min_contrast))
        yield Finding(CONFIG_FILE, _key_line(text, "brand", key), None, rule.severity, "contrast",
                      f"{fg_name} on brand.{bg_key} {bg} ({usage}) has a contrast of {ratio:.2f}:1, below "
                      f"the {rule.min_contrast:g}:1 of WCAG 2.1 AA",
                      f"Use a shade such as {fix} for brand.{key}")
    # chart series: 3:1 against the background, told apart in greyscale and with colour-vision deficiencies
    for problem in palette_problems(brand.series, brand.background, rule.min_colour_difference):
        yield Finding(CONFIG_FILE, _key_line(text, "brand", "series"), None, rule.severity, "chart-colours",
                      f"brand.series: {problem.message}", f"Change {problem.colour} in brand.series")
