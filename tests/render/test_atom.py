"""The one Atom writer behind the results, newsletter and digest feeds: valid Atom, whatever the text."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET

import feedparser
import pytest

from pipeline.render import atom

A = "{http://www.w3.org/2005/Atom}"


def _feed(text: str) -> bytes:
    entry = atom.Entry(id="https://example.org/fr/a/", title=f"Titre {text}", link=f"https://example.org/?q={text}",
                       updated=atom.timestamp(datetime.date(2026, 3, 12)), authors=(f"Lea {text}",),
                       categories=((f"t{text}", f"Label {text}"),), summary=f"Résumé {text}",
                       content=f"<p>Contenu {text}</p>")
    return atom.feed("https://example.org/fr/", f"Flux {text}", "fr", atom.timestamp(datetime.date(2026, 3, 12)),
                     [entry], self_url="https://example.org/fr/feed.xml", alternate="https://example.org/fr/",
                     author=f"Centre {text}", author_uri="https://example.org/")


@pytest.mark.parametrize("bad", ["\ufffe", "\uffff", "\x01", "\x0b", "\x1f", "\ud800", "\x00"])
def test_a_character_xml_forbids_never_makes_the_feed_invalid(bad):
    data = _feed(f"a{bad}b")
    root = ET.fromstring(data)  # raises on invalid XML
    assert root.find(f"{A}title").text == "Flux ab"
    entry = root.find(f"{A}entry")
    assert entry.find(f"{A}title").text == "Titre ab"
    assert entry.find(f"{A}category").get("label") == "Label ab"
    assert entry.find(f"{A}link").get("href") == "https://example.org/?q=ab"
    parsed = feedparser.parse(data)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.entries[0].summary == "Résumé ab"


def test_feed_holds_what_atom_requires():
    parsed = feedparser.parse(_feed("x"))
    assert not parsed.bozo
    assert parsed.version == "atom10" and parsed.feed.language == "fr"
    assert parsed.feed.id == "https://example.org/fr/" and parsed.feed.updated == "2026-03-12T08:00:00Z"
    assert [link.rel for link in parsed.feed.links] == ["self", "alternate"]
    assert parsed.feed.author_detail.name == "Centre x" and parsed.feed.author_detail.href == "https://example.org/"
    (entry,) = parsed.entries
    assert entry.id == "https://example.org/fr/a/" and entry.link == "https://example.org/?q=x"
    assert entry.author == "Lea x" and entry.tags[0].term == "tx" and entry.content[0].type == "text/html"
    assert "<p>Contenu x</p>" in entry.content[0].value
    # a default namespace, no ns0: prefixes (whatever other writers registered)
    assert b"<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">" in _feed("x")


def test_every_feed_of_the_sample_site_is_valid_atom(sample_site):
    feeds = sorted(sample_site.rglob("feed.xml"))
    kinds = {path.parent.name for path in feeds}
    assert {"fr", "nl", "en", "newsletters"} <= kinds, feeds
    for path in feeds:
        ET.fromstring(path.read_bytes())
        parsed = feedparser.parse(path.read_bytes())
        assert not parsed.bozo, (path, parsed.bozo_exception)
        assert parsed.version == "atom10" and parsed.entries, path
        assert all(entry.id and entry.title and entry.updated and entry.link for entry in parsed.entries), path
