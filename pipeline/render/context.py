"""What every renderer needs, loaded once per build: project, content, labels, templates."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from pipeline.content.model import Result, Theme
from pipeline.project import Project
from pipeline.render.templates import load_labels, make_environment


@dataclass(frozen=True)
class RenderContext:
    """The loaded project, shared read-only by all renderers (and all worker threads)."""

    project: Project
    results: tuple[Result, ...]
    themes: dict[str, Theme]
    labels: dict[str, dict[str, str]]
    env: jinja2.Environment

    @classmethod
    def create(cls, project: Project, results: list[Result], themes: dict[str, Theme]) -> RenderContext:
        layouts = project.layouts_dir
        env = make_environment(layouts)
        env.globals["logo_file"] = "logo" + Path(project.config.organisation.logo).suffix
        context = cls(project, tuple(results), themes, load_labels(layouts, project.config.languages), env)
        env.globals["has_newsletters"] = context.has_newsletters
        return context

    @property
    def has_newsletters(self) -> bool:
        """Whether the project has newsletter issues, so that the site links their archive."""
        return any((self.project.content_dir / "newsletters").glob("*/*.md"))

    @property
    def languages(self) -> list[str]:
        return self.project.config.languages

    def layout_files(self, folder: str) -> tuple[Path, ...]:
        """Every file of a layout folder: a change to any of them rebuilds that folder's outputs."""
        root = self.project.layouts_dir / folder
        return tuple(sorted(p for p in root.rglob("*") if p.is_file()))

    def label_file(self, lang: str) -> Path:
        return self.project.layouts_dir / "i18n" / f"{lang}.yaml"

    def config_slice(self, *sections: str) -> dict[str, Any]:
        """The parts of the config a target reads, for its fingerprint."""
        config = self.project.config
        out: dict[str, Any] = {"languages": config.languages, "base_url": config.base_url}
        for name in sections:
            out[name] = dataclasses.asdict(getattr(config, name))
        return out
