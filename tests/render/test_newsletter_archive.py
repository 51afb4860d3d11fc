"""The newsletter's web archive: a page per issue and language, an index, and a valid Atom feed."""

import datetime
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from projects import write_result

from pipeline.project import Project
from pipeline.publish import build

A = "{http://www.w3.org/2005/Atom}"
ISSUE = """---
subject: "{subject}"
preheader: "What is in issue {issue}."
date: {date}
status: {status}
featured:
  - housing-first
---

Editorial of {issue} with a [partner link](https://example.org/p) and ![A bar chart](chart.png).
"""


def write_issue(project: Path, issue: str, date: str, status: str = "published",
                langs: tuple[str, ...] = ("fr", "nl", "en")) -> None:
    directory = project / "content" / "newsletters" / issue
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "chart.png").write_bytes((project / "content/results/housing-first/chart.png").read_bytes())
    for lang in langs:
        text = ISSUE.format(subject=f"Issue {issue} <{lang}> & co", issue=issue, date=date, status=status)
        (directory / f"{lang}.md").write_text(text, encoding="utf-8")


@pytest.fixture
def archive(project_dir: Path) -> Path:
    write_result(project_dir)
    write_issue(project_dir, "2026-03", "2026-03-12")
    write_issue(project_dir, "2026-04", "2026-04-16")
    write_issue(project_dir, "2026-05", "2026-05-14", status="draft")
    outcome = build(Project.open(project_dir))
    assert outcome.ok, [f.message for f in outcome.report.failed]
    return project_dir / "outputs" / "site"


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang, self.h1, self.links, self.images, self._in_h1 = None, [], [], [], False
        self.headings: list[int] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang")
        if tag in ("h1", "h2", "h3"):
            self.headings.append(int(tag[1]))
            self._in_h1 = tag == "h1"
        if tag in ("a", "link"):
            self.links.append(a)
        if tag == "img":
            self.images.append(a)

    def handle_endtag(self, tag):
        self._in_h1 = self._in_h1 and tag != "h1"

    def handle_data(self, data):
        if self._in_h1:
            self.h1.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def test_issue_page_uses_the_site_layout_in_its_language(archive):
    page = parse(archive / "nl/newsletters/2026-04/index.html")
    assert page.lang == "nl"
    assert "".join(page.h1) == "Issue 2026-04 <nl> & co"
    assert page.headings[0] == 1 and all(b - a <= 1 for a, b in zip(page.headings, page.headings[1:], strict=False))
    hrefs = [link.get("href") for link in page.links]
    assert "../../../assets/site.css" in hrefs  # the site's base layout
    assert "../../../nl/results/housing-first/" in hrefs  # the featured result, on the site
    assert "https://crebis.example.org/fr/newsletters/2026-04/" in hrefs  # hreflang alternate
    assert "https://example.org/p" in hrefs
    assert "[[unsubscribe_url]]" not in (archive / "nl/newsletters/2026-04/index.html").read_text()
    (image,) = page.images[1:]  # after the site logo
    assert image == {"src": "https://crebis.example.org/media/newsletters/2026-04/chart.png", "alt": "A bar chart"}
    assert (archive / "media/newsletters/2026-04/chart.png").is_file()


def test_index_lists_published_issues_newest_first(archive):
    text = (archive / "en/newsletters/index.html").read_text(encoding="utf-8")
    assert text.index("Issue 2026-04") < text.index("Issue 2026-03")
    assert "2026-05" not in text  # a draft
    assert not (archive / "en/newsletters/2026-05").exists()
    assert 'type="application/atom+xml"' in text and 'href="feed.xml"' in text
    assert "&lt;en&gt; &amp; co" in text


def test_atom_feed_has_every_required_element(archive):
    for lang in ("fr", "nl", "en"):
        root = ET.parse(archive / lang / "newsletters/feed.xml").getroot()
        assert root.tag == f"{A}feed"
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang
        assert root.findtext(f"{A}id") == f"https://crebis.example.org/{lang}/newsletters/"
        assert root.findtext(f"{A}title")
        assert datetime.datetime.fromisoformat(root.findtext(f"{A}updated")) == \
            datetime.datetime(2026, 4, 16, 8, tzinfo=datetime.UTC)
        links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
        assert links == {"self": f"https://crebis.example.org/{lang}/newsletters/feed.xml",
                         "alternate": f"https://crebis.example.org/{lang}/newsletters/"}
        assert root.find(f"{A}author/{A}name").text
        entries = root.findall(f"{A}entry")
        assert [e.findtext(f"{A}id") for e in entries] == [
            f"https://crebis.example.org/{lang}/newsletters/2026-04/",
            f"https://crebis.example.org/{lang}/newsletters/2026-03/"]
        for entry in entries:
            assert entry.findtext(f"{A}title").startswith("Issue 2026-0")
            datetime.datetime.fromisoformat(entry.findtext(f"{A}updated"))
            assert entry.find(f"{A}link[@rel='alternate']").get("href") == entry.findtext(f"{A}id")
            content = entry.find(f"{A}content")
            assert content.get("type") == "html"
            assert 'href="https://crebis.example.org/' in content.text  # links in feeds are absolute
            assert 'href="../' not in content.text


def test_atom_feed_reads_cleanly_in_feedparser(archive):
    feed = feedparser.parse((archive / "fr/newsletters/feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert [e.title for e in feed.entries] == ["Issue 2026-04 <fr> & co", "Issue 2026-03 <fr> & co"]
    assert feed.entries[0].link == "https://crebis.example.org/fr/newsletters/2026-04/"
    assert "housing-first" in feed.entries[0].content[0].value


def test_drafts_are_built_on_request(project_dir):
    write_result(project_dir)
    write_issue(project_dir, "2026-05", "2026-05-14", status="draft", langs=("fr",))
    assert build(Project.open(project_dir), drafts=True).ok
    preview = project_dir / ".crebis/preview/outputs"  # drafts are previewed, never published
    page = (preview / "site/fr/newsletters/2026-05/index.html").read_text(encoding="utf-8")
    assert "notice-draft" in page
    assert (preview / "newsletters/2026-05/fr.eml").is_file()
    assert not (project_dir / "outputs/site/fr/newsletters/2026-05").exists()
