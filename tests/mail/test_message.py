"""Per-recipient messages: the parts are encoded once per edition and filled per recipient; what a reader's
mail program decodes is exactly the edition with their merge fields, whatever the text and the values."""

from __future__ import annotations

import email.policy
import html
from email import message_from_bytes

from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.config import parse_config
from pipeline.mail.message import NAME, PREFERENCES, UNSUBSCRIBE, Campaign, Edition, MessageFactory, Recipient

KEY = b"k" * 32
FIELDS = (NAME, UNSUBSCRIBE, PREFERENCES)

# Text around the fields: long lines, spaces and tabs before line ends, '=', dots, accents, emoji, CRLF or LF.
prose = st.lists(st.sampled_from([*"ab =.\t\n", "é", "€", "😀", "\r\n", "x" * 80, " \n", "=\n"]),
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
def test_decoded_parts_are_the_edition_with_the_fields_filled(text, page, name):
    factory = factory_for(text, page)
    _, data = factory.build(Recipient("reader@example.org", name, "fr"))
    body = data.split(b"\r\n\r\n", 1)[1]
    lines = body.split(b"\r\n")
    assert all(len(line) <= 76 for line in lines), [line for line in lines if len(line) > 76]
    assert b"\n" not in body.replace(b"\r\n", b""), "a bare line feed"
    message = message_from_bytes(data, policy=email.policy.default)
    plain, rich = (part.get_content() for part in message.iter_parts())
    assert plain.replace("\r\n", "\n") == expected(factory, text, name, escape=False)
    assert rich.replace("\r\n", "\n") == expected(factory, page, name, escape=True)
