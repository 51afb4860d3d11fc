"""The jinja2 environment over `layouts/`, and the interface labels per language."""

from __future__ import annotations

from pathlib import Path

import jinja2

from pipeline.content.load import read_yaml
from pipeline.errors import ContentError, RenderError
from pipeline.render.locale import format_date, format_number


def make_environment(layouts_dir: Path) -> jinja2.Environment:
    """Templates from `layouts/`, autoescaped for HTML and XML, failing on undefined names."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(layouts_dir),
        autoescape=jinja2.select_autoescape(["html", "xml", "mjml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = format_date
    env.filters["number"] = format_number
    env.filters["typst_str"] = typst_string
    return env


def render_template(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render `layouts/<name>`; a template mistake becomes a `RenderError` naming the template and line."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"layouts/{exc.name or name}:{exc.lineno}", f"template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise RenderError(f"layouts/{name}", f"template error: {exc}") from None


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
        labels[lang] = {str(k): str(v) for k, v in data.items()}
    reference_lang = languages[0]
    for lang in languages[1:]:
        missing = sorted(set(labels[reference_lang]) - set(labels[lang]))
        if missing:
            raise ContentError(layouts_dir / "i18n" / f"{lang}.yaml",
                               f"labels missing (present in {reference_lang}.yaml): {', '.join(missing)}")
    return labels
