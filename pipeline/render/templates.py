"""The jinja2 environment over `layouts/`, and the interface labels per language."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import jinja2
import markupsafe

from pipeline.content.load import read_yaml
from pipeline.errors import ContentError, RenderError
from pipeline.render.locale import format_date, format_number
from pipeline.render.typography import typeset


class _LayoutTemplate(jinja2.Template):
    """A layout whose every failure names the layout file and line, never the content file."""

    def render(self, *args: object, **kwargs: object) -> str:
        try:
            return super().render(*args, **kwargs)
        except RenderError:
            raise
        except Exception as exc:  # a template mistake (or a filter failing on its value) is the layout's
            roots = getattr(self.environment.loader, "searchpath", [])
            raise layout_error(exc, self.name or "?", roots) from None


class _Layouts(jinja2.Environment):
    template_class = _LayoutTemplate

    def get_template(self, name, parent=None, globals=None):  # type: ignore[no-untyped-def, override]
        try:
            return super().get_template(name, parent, globals)
        except jinja2.TemplateError as exc:
            raise layout_error(exc, str(name)) from None


def layout_error(exc: BaseException, name: str, roots: list[str] | tuple[str, ...] = ()) -> RenderError:
    """`layouts/<file>:<line>: template error: …` for a failure in a layout, from jinja2's own line or the
    traceback frame of the template."""
    if isinstance(exc, jinja2.TemplateNotFound):
        return RenderError(f"layouts/{exc.name or name}", "layout not found: restore it (see `crebis init`)")
    where, line = name, None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where, line = exc.name or name, exc.lineno
    else:  # the innermost frame in a layout file (jinja2 maps template frames to their lines)
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            root = next((r for r in roots if frame.filename.startswith(str(Path(r)) + os.sep)), None)
            if root:
                where, line = Path(frame.filename).relative_to(root).as_posix(), frame.lineno
                break
    message = exc.message if isinstance(exc, jinja2.TemplateError) and exc.message else str(exc)
    if not isinstance(exc, jinja2.TemplateError):
        message = f"{type(exc).__name__}: {message}"
    return RenderError(f"layouts/{where}" + (f":{line}" if line else ""), f"template error: {message}")


def make_environment(layouts_dir: Path) -> jinja2.Environment:
    """Templates from `layouts/`, autoescaped for HTML and XML, failing on undefined names.

    Every failure of a layout is a `RenderError` naming `layouts/<file>:<line>`.
    """
    env = _Layouts(
        loader=jinja2.FileSystemLoader(layouts_dir),
        autoescape=jinja2.select_autoescape(["html", "xml", "mjml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = format_date
    env.filters["number"] = format_number
    env.filters["typst_str"] = typst_string
    env.filters["typeset"] = _typeset
    return env


@jinja2.pass_context
def _typeset(context: jinja2.runtime.Context, value: object, lang: str | None = None) -> object:
    """`{{ text|typeset }}`: a plain text of the content (a title, a summary, a description) in the
    typography of the page's language (pipeline/render/typography.py); HTML made by pandoc already is."""
    if isinstance(value, markupsafe.Markup) or not isinstance(value, str):
        return value
    return typeset(value, lang or str(context.get("lang") or ""))


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render `layouts/<name>`; a template mistake is a `RenderError` naming the template and line."""
    return env.get_template(name).render(**context)


def typst_string(value: object) -> str:
    """A Typst string literal (code mode): only backslash and double quote need escaping."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
    return f'"{text}"'



def load_labels(layouts_dir: Path, languages: list[str]) -> dict[str, dict[str, str]]:
    """Interface labels (`layouts/i18n/<lang>.yaml`); every language must define the same keys."""
    labels: dict[str, dict[str, str]] = {}
    for lang in languages:
        path = layouts_dir / "i18n" / f"{lang}.yaml"
        try:
            data = read_yaml(path)
        except FileNotFoundError:
            raise ContentError(path, f"interface labels for '{lang}' not found: copy another language's "
                               "file and translate it") from None
        if not isinstance(data, dict):
            raise ContentError(path, "expected 'key: text' lines")
        # labels are printed as they are, outside pandoc: they get their language's typography here
        labels[lang] = {str(k): typeset(str(v), lang) for k, v in data.items()}
    reference_lang = languages[0]
    for lang in languages[1:]:
        missing = sorted(set(labels[reference_lang]) - set(labels[lang]))
        if missing:
            raise ContentError(layouts_dir / "i18n" / f"{lang}.yaml",
                               f"labels missing (present in {reference_lang}.yaml): {', '.join(missing)}")
    return labels
