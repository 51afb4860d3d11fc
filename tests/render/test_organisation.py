"""The organisation's name per language, in every output of that language."""

from pathlib import Path

import docx
import pypdf
from projects import write_result

from pipeline.project import Project
from pipeline.publish import build

NAMES = {"fr": "Centre bruxellois de test", "nl": "Brussels Testcentrum", "en": "Brussels Test Centre"}
ISSUE = """---
subject: "Nieuwsbrief"
preheader: "Een studie."
date: 2026-04-16
featured:
  - housing-first
---

Het edito.
"""


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_each_language_gets_its_own_name_everywhere(project_dir: Path):
    config = project_dir / "crebis.toml"
    table = ", ".join(f'{lang} = "{name}"' for lang, name in NAMES.items())
    config.write_text(config.read_text(encoding="utf-8").replace('name = "Centre de test"', f"name = {{ {table} }}"),
                      encoding="utf-8")
    write_result(project_dir)
    issue = project_dir / "content/newsletters/2026-04"
    issue.mkdir(parents=True)
    (issue / "nl.md").write_text(ISSUE, encoding="utf-8")
    outcome = build(Project.open(project_dir), langs={"nl"})
    assert outcome.ok, [f.message for f in outcome.report.failed] + [f.message for f in outcome.content_errors]
    out = project_dir / "outputs"
    texts = {
        "page": (out / "site/nl/results/housing-first/index.html").read_text(encoding="utf-8"),
        "summary html": (out / "summaries/housing-first-nl.html").read_text(encoding="utf-8"),
        "summary text": (out / "summaries/housing-first-nl.txt").read_text(encoding="utf-8"),
        "summary pdf": pdf_text(out / "summaries/housing-first-nl.pdf"),
        "brief pdf": pdf_text(out / "briefs/housing-first/housing-first-nl.pdf"),
        "brief docx": "\n".join(p.text for p in docx.Document(out / "briefs/housing-first/housing-first-nl.docx")
                                .paragraphs),
        "email": (out / "newsletters/2026-04/nl.html").read_text(encoding="utf-8"),
        "email text": (out / "newsletters/2026-04/nl.txt").read_text(encoding="utf-8"),
        "feed": (out / "site/nl/newsletters/feed.xml").read_text(encoding="utf-8"),
    }
    for kind, text in texts.items():
        flat = " ".join(text.split())
        assert NAMES["nl"] in flat, kind
        assert NAMES["fr"] not in flat, kind


def test_a_plain_name_is_still_accepted(project_dir: Path):
    config = Project.open(project_dir).config
    assert config.organisation.name_in("nl") == config.organisation.name_in("fr") == "Centre de test"
