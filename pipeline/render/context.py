"""What every renderer needs, loaded once per build: project, content, labels, templates."""

from __future__ import annotations

import dataclasses
import functools
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
    _slices: dict[tuple[str, ...], dict[str, Any]] = dataclasses.field(default_factory=dict, compare=False,
                                                                       repr=False)
    _label_files: dict[str, Path] = dataclasses.field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def create(cls, project: Project, results: list[Result], themes: dict[str, Theme]) -> RenderContext:
        layouts = project.layouts_dir
        env = make_environment(layouts)
        env.globals["logo_file"] = "logo" + Path(project.config.organisation.logo).suffix
        context = cls(project, tuple(results), themes, load_labels(layouts, project.config.languages), env)
        env.globals["has_newsletters"] = context.has_newsletters
        return context

    @functools.cached_property
    def has_newsletters(self) -> bool:
        """Whether the project has newsletter issues, so that the site links their archive (looked up once:
        every page asks)."""
        return any((self.project.content_dir / "newsletters").glob("*/*.md"))

    @property
    def languages(self) -> list[str]:
        return self.project.config.languages

    def layout_files(self, folder: str) -> tuple[Path, ...]:
        """Every file of a layout folder: a change to any of them rebuilds that folder's outputs."""
        root = self.project.layouts_dir / folder
        return tuple(sorted(p for p in root.rglob("*") if p.is_file()))

    def label_file(self, lang: str) -> Path:
        path = self._label_files.get(lang)  # thousands of targets ask: one Path per language
        if path is None:
            path = self._label_files[lang] = self.project.layouts_dir / "i18n" / f"{lang}.yaml"
        return path

    def config_slice(self, *sections: str) -> dict[str, Any]:
        """The parts of the config a target reads, for its fingerprint (made once per set of sections:
        thousands of targets ask for the same; treat it as read-only)."""
        cached = self._slices.get(sections)
        if cached is None:
            config = self.project.config
            cached = {"languages": config.languages, "base_url": config.base_url}
            for name in sections:
                cached[name] = dataclasses.asdict(getattr(config, name))
            self._slices[sections] = cached
        return cached
