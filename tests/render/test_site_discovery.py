"""What search engines, scholars and feed readers find: sitemap, hreflang, canonical, meta, feeds, icons."""

from __future__ import annotations

import io
import json
import re
import struct
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pipeline.errors import RenderError
from pipeline.project import Project
from pipeline.render.context import RenderContext
from pipeline.render.site import render_not_found
from pipeline.render.sitemap import discovery_targets
from pipeline.scaffold import init_project

BASE = "https://crebis.example.org/"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"


class Head(HTMLParser):
    """The <head> facts of a page: links by rel, meta by name/property, JSON-LD blocks."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict] = []
        self.meta: list[tuple[str, str]] = []
        self.json_ld: list[str] = []
        self._in_ld = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link":
            self.links.append(a)
        elif tag == "meta" and ("name" in a or "property" in a):
            self.meta.append((a.get("name") or a["property"], a.get("content", "")))
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._in_ld = True

    def handle_endtag(self, tag):
        self._in_ld = False if tag == "script" else self._in_ld

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(data)

    def first(self, key: str) -> str | None:
        return next((v for k, v in self.meta if k == key), None)

    def all(self, key: str) -> list[str]:
        return [v for k, v in self.meta if k == key]

    def hreflang(self) -> dict[str, str]:
        return {x["hreflang"]: x["href"] for x in self.links if x.get("rel") == "alternate" and "hreflang" in x}


def head(path: Path) -> Head:
    h = Head()
    h.feed(path.read_text(encoding="utf-8"))
    return h


@pytest.fixture(scope="module")
def sitemap(sample_site) -> dict[str, dict[str, str]]:
    tree = ET.parse(sample_site / "sitemap.xml")
    return {url.find(f"{SM}loc").text: {link.get("hreflang"): link.get("href") for link in url.iter(f"{XHTML}link")}
            for url in tree.getroot().iter(f"{SM}url")}


def listed_pages(sample_site: Path) -> list[Path]:
    """The pages a sitemap must list: every index.html but the search pages."""
    return [p for p in sorted(sample_site.rglob("index.html"))
            if "/search/" not in p.as_posix() and "pagefind" not in p.parts]


def url_of(sample_site: Path, page: Path) -> str:
    return BASE + page.relative_to(sample_site).as_posix().removesuffix("index.html")


def test_sitemap_lists_every_page_with_the_alternates_of_its_head(sample_site, sitemap):
    pages = listed_pages(sample_site)
    assert len(pages) > 30
    assert sorted(sitemap) == sorted(url_of(sample_site, p) for p in pages)
    for page in pages:
        url = url_of(sample_site, page)
        alternates = sitemap[url]
        assert "x-default" in alternates
        assert url in alternates.values(), f"{url} does not list itself"
        assert head(page).hreflang() == alternates, f"{url}: <head> and sitemap disagree"
        canonical = [x["href"] for x in head(page).links if x.get("rel") == "canonical"]
        assert canonical == [url]
    assert sitemap[BASE + "en/"]["x-default"] == BASE  # the language chooser
    energy = "results/energy-poverty-brussels/"
    assert sitemap[BASE + "nl/" + energy]["x-default"] == BASE + "fr/" + energy


def test_robots_names_the_sitemap(sample_site):
    robots = (sample_site / "robots.txt").read_text()
    assert "User-agent: *" in robots and f"Sitemap: {BASE}sitemap.xml" in robots


def test_every_page_has_a_short_description_and_open_graph_tags(sample_site):
    for page in listed_pages(sample_site):
        h = head(page)
        description = h.first("description")
        assert description and len(description) <= 160, page
        if page.parent != sample_site:
            assert h.first("og:title") and h.first("og:url") == url_of(sample_site, page), page
            assert h.first("twitter:card") == "summary_large_image"
            # Open Graph's locales are language_TERRITORY
            assert all(re.fullmatch(r"[a-z]{2}_[A-Z]{2}", x) for x in [h.first("og:locale"),
                                                                        *h.all("og:locale:alternate")]), page


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_result_pages_carry_highwire_citation_meta_and_json_ld(sample_site, lang):
    page = sample_site / lang / "results/energy-poverty-brussels/index.html"
    h = head(page)
    assert h.first("citation_title")
    assert h.all("citation_author") == ["Sofia Marchal", "Bram Peeters"]
    assert h.first("citation_publication_date") == "2025/11/20"
    assert h.first("citation_language") == lang
    pdf = h.first("citation_pdf_url")
    assert pdf == f"{BASE}{lang}/results/energy-poverty-brussels/energy-poverty-brussels-{lang}.pdf"
    assert (sample_site / pdf[len(BASE):]).read_bytes().startswith(b"%PDF")
    (ld,) = [json.loads(block) for block in h.json_ld]
    assert ld["@type"] == ["Report", "ScholarlyArticle"]
    assert [a["name"] for a in ld["author"]] == ["Sofia Marchal", "Bram Peeters"]
    assert ld["inLanguage"].startswith(lang) and ld["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert ld["datePublished"] == "2025-11-20" and ld["url"] == f"{BASE}{lang}/results/energy-poverty-brussels/"
    image = h.first("og:image")
    assert image == f"{BASE}{lang}/results/energy-poverty-brussels/card.png"


def test_doi_reaches_citation_meta_and_json_ld(sample_site):
    for page in sorted(sample_site.glob("*/results/*/index.html")):
        h = head(page)
        doi = h.first("citation_doi")
        ld = json.loads(h.json_ld[0])
        assert (doi is None) == ("identifier" not in ld)
        if doi:
            assert ld["identifier"]["value"] == doi and re.match(r"10\.\d+/", doi)


@pytest.mark.parametrize("lang", ["fr", "nl", "en"])
def test_results_feed_per_language(sample_site, lang):
    feed = ET.parse(sample_site / lang / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 3
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert all(link.startswith(f"{BASE}{lang}/results/") for link in links)
    assert links[0].endswith("/non-take-up-social-rights/")  # newest first
    page = head(sample_site / lang / "index.html")
    assert any(x.get("type") == "application/atom+xml" and x["href"] == f"{BASE}{lang}/feed.xml" for x in page.links)


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return struct.unpack(">II", data[16:24])


def test_icons_are_made_from_the_logo(sample_site):
    for name, size in (("apple-touch-icon.png", 180), ("icon-192.png", 192), ("icon-512.png", 512)):
        assert png_size((sample_site / "assets" / name).read_bytes()) == (size, size)
    ico = (sample_site / "favicon.ico").read_bytes()
    assert ico[:4] == b"\0\0\1\0" and png_size(ico[22:]) == (32, 32)
    svg = (sample_site / "assets/icon.svg").read_text()
    assert 'viewBox="0 0 48 48"' in svg
    manifest = json.loads((sample_site / "site.webmanifest").read_text())
    assert {i["sizes"] for i in manifest["icons"]} == {"192x192", "512x512"}
    h = head(sample_site / "fr/index.html")
    assert {x["rel"] for x in h.links} >= {"icon", "apple-touch-icon", "manifest"}


def _raster_logo_project(tmp_path: Path, name: str, data: bytes | None = None) -> RenderContext:
    """A sample project whose logo is `layouts/assets/<name>`: a wide image, its left square red, the rest blue."""
    from PIL import Image

    root = tmp_path / "centre"
    init_project(root)
    logo = root / "layouts/assets" / name
    if data is None:
        image = Image.new("RGB", (300, 100), (20, 40, 200))
        image.paste((200, 20, 20), (0, 0, 100, 100))
        image.save(logo)
    else:
        logo.write_bytes(data)
    config = root / "crebis.toml"
    config.write_text(config.read_text().replace('logo = "layouts/assets/logo.svg"', f'logo = "layouts/assets/{name}"'))
    project = Project.open(root)
    return RenderContext.create(project, [], {})


@pytest.mark.parametrize("name", ["logo.png", "logo.jpg"])
def test_icons_are_made_from_a_png_or_jpeg_logo(tmp_path, name):
    from PIL import Image

    ctx = _raster_logo_project(tmp_path, name)
    targets = {t.output: t for t in discovery_targets(ctx, [], drafts=False)}
    assert "site/assets/icon.svg" not in targets  # an SVG icon only comes from an SVG logo
    for output, size in (("site/assets/apple-touch-icon.png", 180), ("site/assets/icon-512.png", 512)):
        icon = Image.open(io.BytesIO(targets[output].render()))
        assert icon.size == (size, size)
        red, _green, blue = icon.convert("RGB").getpixel((size // 2, size // 2))
        assert red > 150 and blue < 80, "the icon is the logo's left square (its mark), not the whole logo squashed"
        assert icon.convert("RGB").getpixel((1, 1)) == (255, 255, 255)  # the margin is the page background
    ico = targets["site/favicon.ico"].render()
    assert ico[:4] == b"\0\0\1\0" and png_size(ico[22:]) == (32, 32)
    page = render_not_found(ctx, "en").decode()
    assert "icon.svg" not in page and 'rel="apple-touch-icon"' in page


def test_a_logo_that_cannot_make_icons_is_an_error_naming_the_config_key(tmp_path):
    ctx = _raster_logo_project(tmp_path, "logo.png", data=b"\x89PNG\r\n\x1a\n not really a picture")
    icon = next(t for t in discovery_targets(ctx, [], drafts=False) if t.output == "site/assets/icon-192.png")
    with pytest.raises(RenderError) as caught:
        icon.render()
    message = str(caught.value)
    assert "organisation.logo = 'layouts/assets/logo.png'" in message and "SVG, PNG or JPEG" in message
