"""Helpers to write real crebis projects and results in temp folders for tests."""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

CONFIG = """\
languages = ["fr", "nl", "en"]
base_url = "https://crebis.example.org/"

[organisation]
name = "Centre de test"
short_name = "TEST"
logo = "layouts/assets/logo.svg"
"""

_FRONT = {
    "fr": ("Le logement d'abord à Bruxelles", "Logement", "Gouvernement bruxellois", "Un graphique en barres."),
    "nl": ("Housing First in Brussel", "Huisvesting", "Brusselse regering", "Een staafdiagram."),
    "en": ("Housing First in Brussels", "Housing", "Brussels government", "A bar chart."),
}


def edition_text(lang: str, **overrides: str) -> str:
    """A valid edition of the fixture result, with front matter lines replaced by `overrides`."""
    title, section, addressee, alt = _FRONT[lang]
    fields = {
        "title": f'"{title}"',
        "date": "2026-03-12",
        "authors": '\n  - name: "Lea Janssens"\n    affiliation: "TEST"',
        "themes": "[housing]",
        "status": "published",
        "illustrative": "true",
        "summary": '"Une phrase simple. Deux phrases."',
        "key_findings": '\n  - "Finding **one** (34 %)."\n  - "Finding two."',
        "recommendations": f'\n  - text: "Do this."\n    addressee: "{addressee}"',
        "figures": (f'\n  - file: chart.png\n    alt: "{alt}"\n    caption: "Caption {lang}"'
                    '\n    source: "Illustrative"'),
    }
    fields.update(overrides)
    front = "\n".join(f"{k}: {v}" for k, v in fields.items() if v is not None)
    return f"---\n{front}\n---\n\n## {section}\n\nBody text of {lang}.\n\n![](chart.png)\n\n### Detail\n\nMore.\n"


def write_result(project: Path, slug: str = "housing-first", langs: tuple[str, ...] = ("fr", "nl", "en"),
                 **overrides: str) -> Path:
    """Write a valid result (with its chart) into a project and return its folder."""
    directory = project / "content" / "results" / slug
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / "chart.png", directory / "chart.png")
    for lang in langs:
        (directory / f"{lang}.md").write_text(edition_text(lang, **overrides), encoding="utf-8")
    return directory


_CHART_ALT = {"fr": "Barres : le non-recours va de 12 % à 41 %.",
              "nl": "Staven: het niet-gebruik gaat van 12 % tot 41 %.",
              "en": "Bars: non-take-up ranges from 12% to 41%."}


def chart_figures(lang: str) -> str:
    """The `figures:` value of `edition_text` with a chart from data after the picture (`write_chart` writes it)."""
    return (f'\n  - file: chart.png\n    alt: "{_FRONT[lang][3]}"\n    caption: "Caption {lang}"'
            f'\n  - data: take-up.csv\n    chart: take-up.vl.yaml\n    alt: "{_CHART_ALT[lang]}"'
            f'\n    caption: "Chart caption {lang}"\n    source: "Illustrative"')


def write_chart(directory: Path) -> None:
    """The fixture chart from data (CSV, spec, labels table in fr, nl and en) into a result folder."""
    for name in ("take-up.csv", "take-up.vl.yaml", "take-up.labels.csv"):
        shutil.copy(FIXTURES / "charts" / name, directory / name)


# ---- a newsletter issue that features the fixture result

SUBJECTS = {"fr": "Énergie, droits : ce qui a changé à Bruxelles", "nl": "Energie, rechten: wat er veranderde",
            "en": "Energy, rights: what changed in Brussels"}


def issue_text(lang: str, body: str = "", **overrides: str) -> str:
    fields = {
        "subject": f'"{SUBJECTS[lang]}"',
        "preheader": f'"Preheader in {lang}: one study, one event."',
        "date": "2026-04-16",
        "featured": "\n  - slug: housing-first\n    finding: 2",
        "events": ('\n  - title: "Lunch debate"\n    date: 2026-04-23\n    time: "12:30–14:00"'
                   '\n    place: "1000 Brussels"\n    link: https://crebis.example.org/events/lunch/'),
        "watch": ('\n  - title: "A single desk"\n    source: "Example city"\n    link: https://example.org/desk'
                  '\n    note: "Rights opened without an application."'),
        "cta": '\n  text: "Tell us what you see."\n  label: "Take the survey"\n  link: https://crebis.example.org/survey/',
    }
    fields.update(overrides)
    front = "\n".join(f"{k}: {v}" for k, v in fields.items() if v is not None)
    body = body or (f"Editorial in {lang} with a [link to a partner](https://example.org/partner) and **bold** "
                    "text, long enough to need wrapping at seventy-two columns in the text part.\n\n"
                    "## What is new\n\n- first point\n- second point: it matters\n")
    return f"---\n{front}\n---\n\n{body}"


def write_issue(project: Path, langs: tuple[str, ...] = ("fr", "nl", "en"), **overrides: str) -> Path:
    directory = project / "content" / "newsletters" / "2026-04"
    directory.mkdir(parents=True, exist_ok=True)
    for lang in langs:
        (directory / f"{lang}.md").write_text(issue_text(lang, **overrides), encoding="utf-8")
    return directory
