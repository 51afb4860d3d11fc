"""How to cite a result: one text for the web page, the PDF and the DOCX."""

from __future__ import annotations

from pipeline.content.model import Edition


def permalink(edition: Edition, page_url: str) -> str:
    """The lasting address of an edition: its DOI, else its declared URL, else its web page."""
    if edition.doi:
        return f"https://doi.org/{edition.doi}"
    return edition.url or page_url


def how_to_cite(edition: Edition, organisation: str, page_url: str) -> str:
    """`Names (year). Title. Organisation. Link` — close to APA for grey literature."""
    names = ", ".join(a.name for a in edition.authors)
    return f"{names} ({edition.date.year}). {edition.title}. {organisation}. {permalink(edition, page_url)}"
