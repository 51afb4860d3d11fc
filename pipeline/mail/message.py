"""Per-recipient messages: an edition's HTML and text parts with the merge fields filled, and every header.

A `Campaign` is what one send delivers to one list: a newsletter issue or a watch
digest, one `Edition` per language. `MessageFactory.build` gives each recipient
their own message: their name, their own unsubscribe and preferences links, a
unique Message-ID, List-Id, List-Unsubscribe (https and mailto) with RFC 8058
one-click, Content-Language, multipart/alternative, and a DKIM signature. Each part
is encoded once per edition: the text quoted-printable, the HTML 7bit where it can be
(`_SevenBit`), and the recipient's values are put in between.
"""

from __future__ import annotations

import binascii
import datetime
import email.policy
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from urllib.parse import quote, urlsplit

from pipeline.config import Config
from pipeline.errors import MailError
from pipeline.mail import tokens
from pipeline.mail.dkim import Signer
from pipeline.mail.store import one_line

# Placeholders the editions leave for the sending step (see pipeline/render/newsletter.py).
NAME, UNSUBSCRIBE, PREFERENCES = "[[recipient_name]]", "[[unsubscribe_url]]", "[[preferences_url]]"


@dataclass(frozen=True)
class Edition:
    """One language edition of what is sent: its subject, HTML and plain-text parts with merge fields."""

    lang: str
    subject: str
    html: str
    text: str
    anonymous_name: str = ""
    """What fills the name field for a subscriber without a name ("Hello reader,")."""


@dataclass(frozen=True)
class Campaign:
    """What one send delivers to one list: `id` keys the send log (e.g. newsletter/2026-05, digest/2026-W19)."""

    id: str
    list: str
    editions: dict[str, Edition]

    def edition_for(self, lang: str, languages: tuple[str, ...]) -> Edition:
        """The edition in `lang`, else the first configured language that has one."""
        if lang in self.editions:
            return self.editions[lang]
        for other in languages:
            if other in self.editions:
                return self.editions[other]
        return next(iter(self.editions.values()))


@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    language: str


_FIELD = re.compile(r"(\[\[recipient_name\]\]|\[\[unsubscribe_url\]\]|\[\[preferences_url\]\])")
_SOFT_BREAK = b"=\r\n"  # a quoted-printable line break that decoding removes


def _qp(text: str) -> bytes:
    """`text` quoted-printable (RFC 2045) with CRLF line ends, by binascii (C) rather than the email package's Python.

    A piece without a line end would get bare-LF soft breaks, so a CRLF is added for the
    encoder and taken off again. binascii ends a line with white space encoded ("=20") after
    counting it: such a line can have 77 or 78 characters, and is broken once more. `_Part.fill`
    puts a soft break after each piece, so its last line must also leave room for that "=".
    """
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")
    encoded = binascii.b2a_qp(data + b"\r\n", istext=True)[:-2]
    lines = encoded.split(b"\r\n")
    if len(lines[-1]) < 76 and all(len(line) <= 76 for line in lines[:-1]):
        return encoded
    return b"\r\n".join(_fit(line, 76 if i < len(lines) - 1 else 75) for i, line in enumerate(lines))


def _fit(line: bytes, longest: int) -> bytes:
    """A line of quoted-printable with soft breaks, so that none is longer than `longest`."""
    out = []
    while len(line) > longest:
        cut = 75
        escape = line.rfind(b"=", cut - 2, cut)  # never cut inside an =XX escape
        if escape != -1:
            cut = escape
        out.append(line[:cut] + b"=")
        line = line[cut:]
    return b"\r\n".join([*out, line])


@dataclass(frozen=True)
class _Part:
    """One part of an edition, quoted-printable once for all its recipients: pieces between the merge fields.

    A recipient's part is the pieces with their own values between, each value encoded alone
    and set off by soft line breaks, which decode to nothing: the decoded text is exactly the
    edition's with the fields replaced, and no line passes 76 characters.
    """

    pieces: tuple[bytes, ...]
    fields: tuple[str, ...]

    @classmethod
    def of(cls, text: str) -> _Part:
        split = _FIELD.split(text)
        return cls(tuple(_qp(piece) for piece in split[0::2]), tuple(split[1::2]))

    def fill(self, values: dict[str, str]) -> bytes:
        out = [self.pieces[0]]
        for field_name, piece in zip(self.fields, self.pieces[1:], strict=True):
            out += (_SOFT_BREAK, _qp(values[field_name]), _SOFT_BREAK, piece)
        return b"".join(out)


_LINE = 998  # RFC 5322: the longest line a message may have, CRLF excluded
_FIELD_ROOM = 300  # what a line of a 7bit part keeps free for each merge field's value on it
# A start tag as MRML and the layouts write it (attribute values in double quotes), and each of its attributes
# with the white space before it: the only place a line of HTML can be broken without changing the page.
_TAG = re.compile(r'<[A-Za-z][^\s/>]*((?:\s+[^\s"\'<>/=]+(?:="[^"]*")?)*)\s*/?>')
_ATTRIBUTE = re.compile(r'(\s)[^\s"\'<>/=]+(?:="[^"]*")?')
# Where HTML reads no character reference: a non-ASCII character there keeps the part quoted-printable.
_RAW_TEXT = re.compile(r"<!--.*?-->|<(style|script)\b.*?</\1\s*>", re.S | re.I)
# 7bit data has no NUL and no CR or LF but as line ends; and HTML reads a reference to U+0080-U+009F as the
# Windows-1252 character of that number (&#145; is a quotation mark), and one to a noncharacter as an error:
# such characters keep the part quoted-printable.
_NOT_7BIT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufdd0-\ufdef"
                       + "".join(chr(plane << 16 | low) for plane in range(17) for low in (0xFFFE, 0xFFFF)) + "]")


def _weight(line: str) -> int:
    return len(line) + sum(_FIELD_ROOM - len(field) for field in _FIELD.findall(line))


def _seven_bit_lines(line: str) -> list[str] | None:
    """`line` cut into lines of at most `_LINE` characters (each merge field counted as `_FIELD_ROOM`), each
    cut a white space between two attributes of a tag made a line end; None where no such cut is near enough."""
    if _weight(line) <= _LINE:
        return [line]
    cuts = [a.start(1) for tag in _TAG.finditer(line) for a in _ATTRIBUTE.finditer(line, tag.start(1), tag.end(1))]
    lines, start, last = [], 0, None
    for cut in [*cuts, len(line)]:
        if _weight(line[start:cut]) > _LINE:
            if last is None or last <= start:
                return None
            lines.append(line[start:last])
            start = last + 1  # the white space itself becomes the line end
            if _weight(line[start:cut]) > _LINE:
                return None
        last = cut
    return [*lines, line[start:]]


@dataclass(frozen=True)
class _SevenBit:
    """An HTML part sent as it is (7bit), not quoted-printable: every character past ASCII a character
    reference, lines cut between a tag's attributes, and the values of the merge fields put in as they are.

    A 50 KB newsletter's HTML is one line of ~30,000 characters: quoted-printable made it ~500 lines of 76
    (with "=3D" for each "=" and a soft break on each line, ~12 % more bytes), that every server on its way
    reads one at a time; as 7bit it is ~40 lines, byte for byte the page a browser reads (a line end
    between two attributes is the white space that was there). RFC 5322 allows lines up to 998
    characters; 7bit is never converted by a relay, so the DKIM signature holds.
    """

    pieces: tuple[bytes, ...]
    fields: tuple[str, ...]

    @classmethod
    def of(cls, page: str) -> _SevenBit | None:
        """The part, or None when it must stay quoted-printable: a control character, a character past ASCII
        where HTML reads no reference (a comment, a style sheet, a script), or a run of text too long."""
        page = page.replace("\r\n", "\n")
        if _NOT_7BIT.search(page) or any(not raw.group(0).isascii() for raw in _RAW_TEXT.finditer(page)):
            return None
        lines = []
        for line in page.encode("ascii", "xmlcharrefreplace").decode("ascii").split("\n"):
            cut = _seven_bit_lines(line)
            if cut is None:
                return None
            lines += cut
        split = _FIELD.split("\r\n".join(lines))
        return cls(tuple(piece.encode("ascii") for piece in split[0::2]), tuple(split[1::2]))

    def fill(self, values: dict[str, str]) -> bytes | None:
        """The recipient's part, or None if a value would not fit (too long, or a control character in it)."""
        out = [self.pieces[0]]
        for field_name, piece in zip(self.fields, self.pieces[1:], strict=True):
            if _NOT_7BIT.search(values[field_name]) or "\n" in values[field_name]:
                return None
            value = values[field_name].encode("ascii", "xmlcharrefreplace")
            if len(value) > _FIELD_ROOM:
                return None
            out += (value, piece)
        return b"".join(out)


def service_url(config: Config) -> str:
    """`mail.service_url` ending in /, or a clear error when it is empty (no link could reach the service)."""
    url = config.mail.service_url
    if not url:
        raise MailError("mail.service_url is empty: set it in crebis.toml to the public address of `crebis serve "
                        "subscriptions` (e.g. https://crebis.example.org/subscriptions/); the unsubscribe, "
                        "preferences and confirmation links point there")
    return url.rstrip("/") + "/"


class MessageFactory:
    """Builds the message of each recipient of one campaign."""

    def __init__(self, config: Config, campaign: Campaign, signer: Signer | None, key: bytes | None = None):
        self.config, self.campaign, self.signer = config, campaign, signer
        self.key = key or tokens.secret()
        self.service = service_url(config)
        self.host = urlsplit(config.base_url).hostname or "crebis.example.org"
        options = config.newsletter
        self.sender = formataddr((options.sender_name, options.sender_address))
        self.languages = tuple(config.languages)
        label = config.lists[campaign.list].label(self.languages[0]) if campaign.list in config.lists else ""
        list_host = f"{campaign.list}.{self.host}"
        self.list_id = f"{label} <{list_host}>" if label else f"<{list_host}>"
        self._headers: dict[str, bytes] = {}
        self._parts: dict[str, tuple[_Part, _Part, _SevenBit | None]] = {}
        self._campaign_tag = hashlib.blake2b(campaign.id.encode(), digest_size=4).hexdigest()

    def _shared_headers(self, edition: Edition) -> bytes:
        cached = self._headers.get(edition.lang)
        if cached is None:
            headers = EmailMessage(policy=email.policy.SMTP)
            headers["From"] = self.sender
            if self.config.newsletter.reply_to:
                headers["Reply-To"] = self.config.newsletter.reply_to
            headers["Subject"] = edition.subject
            headers["List-Id"] = self.list_id
            headers["Content-Language"] = edition.lang
            cached = self._headers[edition.lang] = headers.as_bytes().split(b"\r\n\r\n", 1)[0] + b"\r\n"
        return cached

    def links(self, address: str) -> tuple[str, str]:
        """The recipient's unsubscribe (also the RFC 8058 one-click target) and preferences links."""
        unsubscribe = f"{self.service}unsubscribe/{tokens.make_token('unsubscribe', address, key=self.key, issued=0)}"
        preferences = f"{self.service}preferences/{tokens.make_token('preferences', address, key=self.key, issued=0)}"
        return unsubscribe, preferences

    def message_id(self, address: str) -> str:
        digest = hashlib.blake2b(address.encode(), digest_size=6).hexdigest()
        return f"<{self._campaign_tag}.{digest}.{secrets.token_hex(6)}@{self.host}>"

    def build(self, recipient: Recipient, message_id: str | None = None, now: datetime.datetime | None = None
              ) -> tuple[str, bytes]:
        """(Message-ID, the whole message as bytes with CRLF line ends, signed if DKIM is configured)."""
        if not recipient.address.isascii():
            # Stored before addresses were normalised to ASCII; without SMTPUTF8 it cannot be sent to.
            raise MailError(f"{recipient.address}: not an ASCII address, which crebis cannot send to: remove it "
                            "and add it again (its domain is then kept in ASCII form)")
        edition = self.campaign.edition_for(recipient.language, self.languages)
        message_id = message_id or self.message_id(recipient.address)
        unsubscribe, preferences = self.links(recipient.address)
        name = recipient.name or edition.anonymous_name
        parts = self._parts.get(edition.lang)
        if parts is None:
            parts = self._parts[edition.lang] = (_Part.of(edition.text), _Part.of(edition.html),
                                                 _SevenBit.of(edition.html))
        text = parts[0].fill({NAME: name, UNSUBSCRIBE: unsubscribe, PREFERENCES: preferences})
        escaped = {NAME: html.escape(name), UNSUBSCRIBE: html.escape(unsubscribe),
                   PREFERENCES: html.escape(preferences)}
        page = parts[2].fill(escaped) if parts[2] is not None else None
        page_encoding = b"7bit"
        if page is None:
            page, page_encoding = parts[1].fill(escaped), b"quoted-printable"

        # Headers shared by every recipient of an edition are folded by the email package once; the
        # recipient's own (To, Date, Message-ID, List-Unsubscribe) are written here.
        clean = one_line(recipient.name)  # no CR/LF (a name stored before names were cleaned): never a header
        to = formataddr((clean, recipient.address), charset="utf-8") if clean else recipient.address
        stamp = format_datetime(now or datetime.datetime.now(datetime.UTC))
        own = f"To: {to}\r\nDate: {stamp}\r\nMessage-ID: {message_id}\r\n".encode()
        # The email package would turn these long, space-less values into encoded words, which no client
        # reads as links: they are written as is, folded after the comma.
        mailto = self.config.mail.unsubscribe_mailto
        targets = [f"<{unsubscribe}>"]
        if mailto:
            targets.append(f"<mailto:{mailto}?subject={quote('unsubscribe ' + unsubscribe.rsplit('/', 1)[1])}>")
        boundary = f"=_crebis_{secrets.token_hex(12)}"
        head = self._shared_headers(edition) + own + (
            "List-Unsubscribe: " + ",\r\n ".join(targets)
            + "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n').encode("ascii")
        b = boundary.encode()
        body = b"".join((
            b"\r\n--", b, b"\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n", text,
            b"\r\n--", b, b"\r\nContent-Type: text/html; charset=\"utf-8\"\r\n"
            b"Content-Transfer-Encoding: ", page_encoding, b"\r\n\r\n", page,
            b"\r\n--", b, b"--\r\n",
        ))
        message = head + body
        if self.signer is not None:
            message = self.signer.sign(message) + message
        return message_id, message
