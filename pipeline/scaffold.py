"""`crebis init` and `crebis new`: create a project, or a new result's language stubs."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pipeline
from pipeline.config import CONFIG_FILE
from pipeline.content.load import SLUG
from pipeline.errors import CrebisError
from pipeline.project import Project

PROJECT_PARTS = (CONFIG_FILE, "content", "layouts")

_STUB = """---
title: "TODO: {title}"
date: {date}
authors:
  - name: "TODO: author name"
    affiliation: "{organisation}"
themes: []
status: draft
licence: CC-BY-4.0
summary: >
  TODO: three to five short sentences in plain language.
key_findings:
  - "TODO: the main finding, in one sentence."
recommendations:
  - text: "TODO: what should be done."
    addressee: "TODO: who should do it"
figures: []
# In the body, cite sources as [@key], with the keys of content/references.bib.
# Every TODO must be written before status: published.
---

## {section}

TODO: the text of the result.
"""

_STUB_WORDS = {
    "fr": ("titre du résultat", "Contexte"),
    "nl": ("titel van het resultaat", "Context"),
    "en": ("title of the result", "Context"),
}


def skeleton_dir() -> Path:
    """The sample project that `crebis init` copies: inside the wheel, or the repository itself."""
    package = Path(pipeline.__file__).parent
    for candidate in (package / "skeleton", package.parent):
        if all((candidate / part).exists() for part in PROJECT_PARTS):
            return candidate
    raise CrebisError("the sample project is missing from this installation: reinstall crebis")


def init_project(dest: Path) -> list[Path]:
    """Create a working project (config, sample content, layouts) in `dest`; returns what was created."""
    if (dest / CONFIG_FILE).exists():
        raise CrebisError(f"{dest / CONFIG_FILE} already exists: {dest} is already a crebis project")
    clashes = [part for part in PROJECT_PARTS if (dest / part).exists()]
    if clashes:
        raise CrebisError(f"{dest} already has {', '.join(clashes)}: choose an empty or new folder")
    source = skeleton_dir()
    dest.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".*")
    created = []
    for part in PROJECT_PARTS:
        target = dest / part
        if (source / part).is_dir():
            shutil.copytree(source / part, target, ignore=ignore)
        else:
            shutil.copy2(source / part, target)
        created.append(target)
    (dest / ".gitignore").write_text("outputs/\n.crebis/\n", encoding="utf-8")
    return created


def new_result(project: Project, slug: str, today: datetime.date | None = None) -> list[Path]:
    """Create `content/results/<slug>/` with one draft stub per configured language."""
    if not SLUG.match(slug):
        raise CrebisError(f"'{slug}' is not a valid slug: use lower-case letters, digits and hyphens, "
                          "e.g. 'housing-first-evaluation'")
    directory = project.results_dir / slug
    if directory.exists():
        raise CrebisError(f"{project.relative(directory)} already exists: choose another slug")
    directory.mkdir(parents=True)
    date = (today or datetime.date.today()).isoformat()
    paths = []
    for lang in project.config.languages:
        title, section = _STUB_WORDS[lang]
        path = directory / f"{lang}.md"
        path.write_text(_STUB.format(title=title, section=section, date=date,
                                     organisation=project.config.organisation.short_name), encoding="utf-8")
        paths.append(path)
    return paths
