"""Place a result's figures in its Markdown body, for any output format.

Authors write `![](chart.png)` where a declared figure goes; the front matter
gives its alt text, caption and source, so each language edition says them in
its own words while the file stays the same.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.content.load import IMAGE
from pipeline.content.model import Edition, Figure


def _attr(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")


def figure_markdown(figure: Figure, src: str, source_label: str) -> str:
    """Pandoc Markdown for a captioned figure with its alt text and source (`source_label` ends with its colon)."""
    caption = figure.caption
    if figure.source:
        caption += f" *{source_label} {figure.source}*"
    return f'![{caption}]({src}){{alt="{_attr(figure.alt)}"}}'


def place_figures(edition: Edition, src_for: Callable[[str], str], source_label: str) -> str:
    """The body with declared figures expanded (appended at the end if not placed) and image paths mapped."""
    placed: set[str] = set()

    def replace(match) -> str:
        src = match.group("src")
        figure = edition.figure(src)
        if figure is None:
            return match.group(0).replace(f"]({src}", f"]({src_for(src)}", 1) if not _remote(src) else match.group(0)
        placed.add(src)
        return figure_markdown(figure, src_for(src), source_label)

    body = IMAGE.sub(replace, edition.body)
    rest = [f for f in edition.figures if f.file not in placed]
    for figure in rest:
        body += "\n\n" + figure_markdown(figure, src_for(figure.file), source_label) + "\n"
    return body


def _remote(src: str) -> bool:
    return src.startswith(("http://", "https://"))


def image_files(edition: Edition) -> tuple[str, ...]:
    """Every local image an output of the edition embeds: its declared figures and the images of its body
    (a fingerprint input: replacing one rebuilds what shows it)."""
    body = [m.group("src") for m in IMAGE.finditer(edition.body) if not _remote(m.group("src"))]
    return tuple(sorted({f.file for f in edition.figures} | set(body)))
