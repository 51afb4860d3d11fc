"""feeds.opml: reading attributes, editing in place without losing folders or comments."""

from __future__ import annotations

import pytest

from pipeline.errors import FeedError
from pipeline.watch.models import Feed
from pipeline.watch.opml import add_outlines, move_outline, read_opml, remove_outline, render_opml

NESTED = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Feeds</title></head>
  <body>
    <!-- keep me -->
    <outline text="Brussels">
      <outline type="rss" text="One" xmlUrl="https://one.example/feed" language="fr"
               themes="housing, health" weight="1.5"/>
      <outline type="rss" text="Two" title="Second" xmlUrl="https://two.example/rss" htmlUrl="https://two.example/"/>
    </outline>
    <outline type="rss" text="One again" xmlUrl="https://one.example/feed"/>
  </body>
</opml>
"""


@pytest.fixture
def opml(tmp_path):
    path = tmp_path / "feeds.opml"
    path.write_text(NESTED, encoding="utf-8")
    return path


def test_nested_outlines_and_crebis_attributes_are_read(opml):
    one, two = read_opml(opml)
    assert one == Feed("https://one.example/feed", "One", "", "fr", ("housing", "health"), 1.5)
    assert (two.title, two.html_url, two.weight, two.themes) == ("Second", "https://two.example/", 1.0, ())


def test_edits_keep_folders_and_comments(opml):
    add_outlines(opml, [Feed("https://three.example/atom", title="Three", language="nl", weight=2)])
    assert move_outline(opml, "https://two.example/rss", "https://two.example/feed")
    assert remove_outline(opml, "https://one.example/feed")
    assert not remove_outline(opml, "https://absent.example/")
    text = opml.read_text(encoding="utf-8")
    assert "<!-- keep me -->" in text and '<outline text="Brussels">' in text
    assert [f.url for f in read_opml(opml)] == ["https://two.example/feed", "https://three.example/atom"]
    assert read_opml(opml)[1] == Feed("https://three.example/atom", "Three", "", "nl", (), 2.0)


def test_a_new_file_is_created_and_rendered_as_opml_2(tmp_path):
    path = tmp_path / "sub" / "feeds.opml"
    add_outlines(path, [Feed("https://a.example/feed", themes=("housing",))])
    assert read_opml(path) == (Feed("https://a.example/feed", themes=("housing",)),)
    text = render_opml(read_opml(path), "Export")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert 'xmlUrl="https://a.example/feed"' in text and 'themes="housing"' in text


def test_invalid_xml_names_the_file_and_line(tmp_path):
    path = tmp_path / "broken.opml"
    path.write_text('<opml version="2.0">\n<body>\n<outline xmlUrl="x">\n</body></opml>', encoding="utf-8")
    with pytest.raises(FeedError, match=r"broken\.opml:4: not valid XML"):
        read_opml(path)


def test_bad_weight_is_reported_with_the_feed(tmp_path):
    path = tmp_path / "feeds.opml"
    path.write_text(NESTED.replace('weight="1.5"', 'weight="heavy"'), encoding="utf-8")
    with pytest.raises(FeedError, match=r"feed https://one.example/feed: weight must be a number above 0, got 'heavy'"):
        read_opml(path)


def test_missing_file_says_how_to_start(tmp_path):
    with pytest.raises(FeedError, match="crebis watch feeds add URL"):
        read_opml(tmp_path / "none.opml")


def test_not_opml_is_an_error(tmp_path):
    path = tmp_path / "rss.xml"
    path.write_text("<rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(FeedError, match="not an OPML file"):
        read_opml(path)
