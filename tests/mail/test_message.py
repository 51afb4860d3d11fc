"""Per-recipient messages: the parts are encoded once per edition and filled per recipient; what a reader's
mail program decodes is exactly the edition with their merge fields, whatever the text and the values."""

from __future__ import annotations

import email.message
import email.policy
import html
from email import message_from_bytes
from html.parser import HTMLParser

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.config import parse_config
from pipeline.mail.message import NAME, PREFERENCES, UNSUBSCRIBE, Campaign, Edition, MessageFactory, Recipient

KEY = b"k" * 32
ISSUE = "2026-04"
FIELDS = (NAME, UNSUBSCRIBE, PREFERENCES)

# Text around the fields: long lines, spaces and tabs before line ends, '=', dots, accents, emoji, CRLF or LF,
# and tags (an HTML part's long lines are cut between their attributes).
prose = st.lists(st.sampled_from([*"ab =.\t\n", "é", "€", "😀", "\r\n", "x" * 80, " \n", "=\n",
                                  '<td style="padding:0 28px;" align="left">', '<a href="https://e.org/" id="é">']),
                 max_size=60).map("".join)
edition_text = st.lists(st.one_of(prose, st.sampled_from(FIELDS)), max_size=12).map("".join)
names = st.text(st.characters(blacklist_categories=("Cs",)), max_size=120)


def factory_for(text: str, page: str) -> MessageFactory:
    edition = Edition("fr", "Lettre", page, text, anonymous_name="lectrice, lecteur")
    config = parse_config({"languages": ["fr"], "mail": {"service_url": "https://crebis.example.org/subscriptions/"}})
    return MessageFactory(config, Campaign("newsletter/2026-04", "newsletter", {"fr": edition}), None, key=KEY)


def expected(factory: MessageFactory, template: str, name: str, escape: bool) -> str:
    unsubscribe, preferences = factory.links("reader@example.org")
    values = {NAME: name or "lectrice, lecteur", UNSUBSCRIBE: unsubscribe, PREFERENCES: preferences}
    for placeholder, value in values.items():
        template = template.replace(placeholder, html.escape(value) if escape else value)
    return template.replace("\r\n", "\n")


@settings(max_examples=300, deadline=None)
@given(text=edition_text, page=edition_text, name=names)
# Found by hypothesis: the value's only line came out 76 characters long, ending in "=20", and
# the soft break after it made it 77.
@example(text="", page=NAME, name="0\x1f\x1f\x1f\x1f" + "\x80" * 6 + "\U00010000\U00010000 ")
# and such a line after a line end, which must stay
@example(text="\n" + "a" * 74 + " " + NAME, page="", name="")
# binascii ends a line with an encoded space after counting it: 77 characters
@example(text='aaaé😀😀<a href="https://e.org/" id="é"> \n', page="", name="")
# HTML reads &#145; as a quotation mark (Windows-1252): that name keeps the HTML part quoted-printable
@example(text="", page=NAME, name="\x91")
def test_decoded_parts_are_the_edition_with_the_fields_filled(text, page, name):
    factory = factory_for(text, page)
    _, data = factory.build(Recipient("reader@example.org", name, "fr"))
    body = data.split(b"\r\n\r\n", 1)[1]
    assert b"\n" not in body.replace(b"\r\n", b""), "a bare line feed"
    message = message_from_bytes(data, policy=email.policy.default)
    plain, rich = message.iter_parts()
    for part, longest in ((plain, 76), (rich, 998 if rich["Content-Transfer-Encoding"] == "7bit" else 76)):
        lines = part.get_payload().split("\r\n")
        assert all(len(line) <= longest for line in lines), [line for line in lines if len(line) > longest]
    assert plain.get_content().replace("\r\n", "\n") == expected(factory, text, name, escape=False)
    page_sent = rich.get_content().replace("\r\n", "\n")
    if rich["Content-Transfer-Encoding"] == "7bit":
        # what a browser reads: characters past ASCII as references, a line end between two attributes
        assert page_sent.isascii() and _read(page_sent) == _read(expected(factory, page, name, escape=True))
    else:
        assert rich["Content-Transfer-Encoding"] == "quoted-printable"
        assert page_sent == expected(factory, page, name, escape=True)


class _Events(HTMLParser):
    """What a browser makes of a page: its tags with their attributes, its text and its comments."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.events.append(("start", tag, attrs))

    def handle_endtag(self, tag):
        self.events.append(("end", tag))

    def handle_data(self, data):
        self.events.append(("data", data))

    def handle_comment(self, data):  # Outlook's conditional comments hold tags, whose lines may be cut too
        self.events.append(("comment", " ".join(data.split())))

    def handle_decl(self, decl):
        self.events.append(("decl", decl))


def _read(page: str) -> list[tuple]:
    parser = _Events()
    parser.feed(page.replace("\r\n", "\n"))
    parser.close()
    return parser.events


def _html_part(factory: MessageFactory, name: str = "Réa") -> email.message.EmailMessage:
    _, data = factory.build(Recipient("reader@example.org", name, "fr"))
    return list(message_from_bytes(data, policy=email.policy.default).iter_parts())[1]


def test_a_newsletter_html_part_is_sent_as_7bit_the_page_unchanged(built_sample):
    page = (built_sample / f"outputs/newsletters/{ISSUE}/fr.html").read_text(encoding="utf-8")
    factory = factory_for("Bonjour [[recipient_name]]", page)
    part = _html_part(factory)
    assert part["Content-Transfer-Encoding"] == "7bit"
    payload = part.get_payload()
    lines = payload.split("\r\n")
    assert payload.isascii() and max(map(len, lines)) <= 998
    assert len(lines) < len(page.encode()) / 76 / 5  # quoted-printable: a line each 76 characters
    assert _read(part.get_content()) == _read(expected(factory, page, "Réa", escape=True))


@pytest.mark.parametrize("page", [
    "<style>p::before { content: 'é' }</style><p>Bonjour [[recipient_name]]</p>",  # a style sheet reads no reference
    "<!-- é --><p>[[recipient_name]]</p>",
    "<p>" + "mot " * 300 + "</p>",  # no tag to cut the line in
    "<p>a\x0cb</p>",
])
def test_a_page_that_cannot_be_7bit_stays_quoted_printable(page):
    part = _html_part(factory_for("", page))
    assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert part.get_content().replace("\r\n", "\n") == page.replace("[[recipient_name]]", "Réa")


def test_a_value_too_long_for_a_7bit_line_sends_that_reader_quoted_printable():
    factory = factory_for("", '<p class="greeting" id="hello">Bonjour [[recipient_name]]</p>')
    assert _html_part(factory)["Content-Transfer-Encoding"] == "7bit"
    for name in ("é" * 60, "Ana\nBel"):  # 60 references of 6 characters; a line feed
        part = _html_part(factory, name)
        assert part["Content-Transfer-Encoding"] == "quoted-printable"
        page = part.get_content().replace("\r\n", "\n")
        assert page == f'<p class="greeting" id="hello">Bonjour {html.escape(name)}</p>'

