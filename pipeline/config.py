"""`crebis.toml`: every option declared once, typed, with its default and its doc.

The loader walks these dataclasses, so adding an option is adding a field:
unknown keys, wrong types and bad values are all collected and reported
together, naming the file and the key (the MkDocs model).
"""

from __future__ import annotations

import dataclasses
import difflib
import ipaddress
import os
import re
import tomllib
import types
import typing
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.errors import ConfigError

CONFIG_FILE = "crebis.toml"
SUPPORTED_LANGUAGES = ("fr", "nl", "en")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
# System fonts only: MJML turns a font it knows (Roboto among them) into a Google Fonts stylesheet in every email.
_FONT_STACK = 'system-ui, "Segoe UI", "Helvetica Neue", Arial, sans-serif'


def option(default: Any, doc: str, check: typing.Callable[[Any], str | None] | None = None) -> Any:
    """Declare a config option with its default, one-line doc and an optional value check."""
    meta = {"doc": doc, "check": check}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


def section(cls: type, doc: str) -> Any:
    """Declare a nested table of options."""
    return field(default_factory=cls, metadata={"doc": doc, "check": None})


def _colour(value: str) -> str | None:
    return None if _COLOUR.match(value) else f"expected a colour like '#1d4e89', got {value!r}"


def _colours(value: list[str]) -> str | None:
    if not value:
        return "expected at least one colour, like [\"#1d4e89\", \"#c77700\"]"
    return next((problem for colour in value if (problem := _colour(colour))), None)


def _font_stack(value: str) -> str | None:
    # The stack goes into style sheets as is: no characters that could end a declaration or a tag.
    bad = sorted(set(value) & set("<>{};\\"))
    return f"a font stack like 'Arial, sans-serif', without {' '.join(bad)}" if bad else None


def _url(value: str) -> str | None:
    if value.startswith(("https://", "http://")):
        return None
    return f"expected an absolute http(s) URL, got {value!r}"


def _positive(value: int | float) -> str | None:
    return None if value > 0 else f"expected a number above 0, got {value!r}"


def _not_negative(value: int | float) -> str | None:
    return None if value >= 0 else f"expected 0 or more, got {value!r}"


def _unit_interval(value: float) -> str | None:
    return None if 0 < value <= 1 else f"expected a number above 0 and at most 1, got {value!r}"


def _timezone(value: str) -> str | None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"expected an IANA time zone such as 'Europe/Brussels', got {value!r}"
    return None


def _networks(value: list[str]) -> str | None:
    for network in value:
        try:
            ipaddress.ip_network(network.strip(), strict=False)
        except ValueError:
            return f"expected addresses or networks such as '127.0.0.1/32' or '10.0.0.0/8', got {network!r}"
    return None


def _names(value: str | dict[str, str]) -> str | None:
    if isinstance(value, str):
        return None if value.strip() else "give the organisation's name"
    unknown = sorted(set(value) - set(SUPPORTED_LANGUAGES))
    if unknown:
        return f"a table of names by language ({', '.join(SUPPORTED_LANGUAGES)}), got {', '.join(unknown)}"
    if not value or not all(v.strip() for v in value.values()):
        return "give a name for each language listed"
    return None


def _languages(value: list[str]) -> str | None:
    if not value:
        return "list at least one language"
    unknown = [lang for lang in value if lang not in SUPPORTED_LANGUAGES]
    if unknown:
        return f"unsupported language(s) {unknown}; choose among {list(SUPPORTED_LANGUAGES)}"
    if len(set(value)) != len(value):
        return "a language is listed twice"
    return None


@dataclass(frozen=True)
class Organisation:
    name: str | dict[str, str] = option(
        "Centre de recherche bruxellois sur les inégalités sociales",
        "Full name, shown in footers, briefs, summaries and emails: one text, or a table by language "
        "(fr = \"…\", nl = \"…\"; a language it lacks gets the first one given).", _names)
    short_name: str = option("CREBIS", "Short name or acronym, shown in headers.")
    website: str = option("https://crebis.example.org/", "Public website of the centre.", _url)
    contact: str = option("info@crebis.example.org", "Public contact address.")
    logo: str = option("layouts/assets/logo.svg", "Logo file, relative to the project root (SVG or PNG).")

    def name_in(self, lang: str) -> str:
        """The full name in `lang` (Brussels bodies have a French and a Dutch name)."""
        if isinstance(self.name, str):
            return self.name
        return self.name.get(lang) or next(iter(self.name.values()))


@dataclass(frozen=True)
class Brand:
    primary: str = option("#1d4e89", "Main brand colour: headings, title bars, links.", _colour)
    accent: str = option("#b3261e", "Accent colour: highlights and call-outs.", _colour)
    text: str = option("#1a1a1a", "Body text colour.", _colour)
    background: str = option("#ffffff", "Page background colour.", _colour)
    muted_background: str = option("#eef3f9", "Background of boxes such as key findings.", _colour)
    series: list[str] = option(["#1d4e89", "#c77700", "#1a1a1a"], "Colours of a chart's series, in order: each "
                               "3:1 against the background and told apart in greyscale and by colour-blind readers "
                               "(crebis check says which fails).", _colours)
    font_body: str = option(_FONT_STACK, "Body font stack (CSS syntax) for web pages; PDFs use the fonts that ship "
                            "with crebis.", _font_stack)
    font_heading: str = option(_FONT_STACK, "Heading font stack (CSS syntax) for web pages.", _font_stack)


def _shared_folders(value: list[str]) -> str | None:
    for folder in value:
        if not folder.strip():
            return "expected folder paths such as '../shared-figures', got an empty one"
    return None


@dataclass(frozen=True)
class BuildOptions:
    jobs: int = option(0, "Parallel workers; 0 means one per CPU core.", _not_negative)
    drafts: bool = option(False, "Also build results whose status is 'draft'.")
    shared_folders: list[str] = option(
        [], "Folders outside the project that content may take files from (figures shared by several "
        "projects), relative to the project root, e.g. [\"../shared-figures\"]; any other file outside the "
        "project is refused.", _shared_folders)


@dataclass(frozen=True)
class PageOptions:
    toc: bool = option(True, "Show a table of contents on result pages.")
    show_summary: bool = option(True, "Show the plain-language summary at the top of result pages.")


def _optional_url(value: str) -> str | None:
    return None if not value else _url(value)


@dataclass(frozen=True)
class SiteOptions:
    search: bool = option(True, "Build a Pagefind full-text search index and a search page per language.")
    social: bool = option(True, "Make a 1200×630 card image per result and language (its Open Graph image) and "
                          "post texts in outputs/social/.")


@dataclass(frozen=True)
class BriefOptions:
    max_pages: int = option(4, "Page budget of a policy brief; longer briefs get a warning.", _positive)
    csl: str = option("layouts/csl/apa.csl", "CSL citation style, relative to the project root.")
    bibliography: str = option("content/references.bib",
                               "Shared bibliography (BibTeX or CSL JSON), relative to the project root.")
    docx_font: str = option("Arial", "Font of DOCX briefs: one every Word installation has, since a DOCX is edited.")
    pdf: bool = option(True, "Build the PDF edition of each brief.")
    docx: bool = option(True, "Build the DOCX edition of each brief.")


@dataclass(frozen=True)
class DigestOptions:
    auto_top: int = option(0, "Publish the N best-scored items of a week whose worksheet nobody curated (marked as "
                           "uncurated); 0 publishes nothing until a curator keeps items.", _not_negative)


@dataclass(frozen=True)
class WatchOptions:
    feeds: str = option("content/watch/feeds.opml", "OPML file listing the watched feeds.")
    themes: str = option("content/themes.yaml", "Theme taxonomy (labels and keywords per language).")
    concurrency: int = option(100, "Feeds fetched at the same time, in all.", _positive)
    per_host: int = option(2, "Feeds fetched at the same time from one host.", _positive)
    connect_timeout: float = option(10.0, "Seconds to open a connection.", _positive)
    read_timeout: float = option(20.0, "Seconds to wait for data on an open connection.", _positive)
    total_timeout: float = option(60.0, "Seconds a whole feed download may take.", _positive)
    max_body_mb: float = option(10.0, "Largest feed body accepted, in MB, after decompression.", _positive)
    max_redirects: int = option(5, "Redirects followed for one feed before giving up.", _not_negative)
    allow_private: list[str] = option([], "Networks the watch may fetch from although they are loopback, private or "
                                      "link-local, e.g. [\"10.1.0.0/16\"]; by default public addresses only.",
                                      _networks)
    min_interval_minutes: float = option(60.0, "A feed is fetched again at the earliest this many minutes after its "
                                         "last fetch (or after the interval its own <ttl> or sy:updatePeriod "
                                         "declares, up to a day), unless `watch fetch --force`.", _not_negative)
    max_entries: int = option(500, "Entries kept of one feed body (the first ones); the rest are ignored, with a "
                              "warning.", _positive)
    max_title_chars: int = option(300, "Longest item title stored, in characters; longer ones are cut.", _positive)
    max_summary_chars: int = option(20_000, "Longest item summary kept, in characters; longer ones are cut.", _positive)
    parse_workers: int = option(0, "Processes parsing feeds; 0 means one per CPU core, 1 parses in the fetching "
                                "process.", _not_negative)
    cluster_threshold: float = option(0.6, "Title similarity (0-1) above which items from different feeds form one "
                                      "story.", _unit_interval)
    cluster_days: float = option(7.0, "Items published at most this many days apart can form one story.", _positive)
    recency_days: float = option(14.0, "Half-life of an item's recency in its score, in days.", _positive)
    timezone: str = option("Europe/Brussels", "Time zone of the centre: watch weeks are ISO weeks (2026-W48) from "
                           "Monday 00:00 there.", _timezone)
    digest: DigestOptions = section(DigestOptions, "The weekly digest built from the curation worksheets.")


def _utm_value(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9._{}\-]*", value):
        return None
    return f"use letters, digits, '.', '_', '-' and the placeholders {{issue}}, {{lang}}; got {value!r}"


@dataclass(frozen=True)
class NewsletterOptions:
    sender_name: str = option("CREBIS", "Name in the From line of newsletters.")
    sender_address: str = option("newsletter@crebis.example.org", "Address in the From line of newsletters.")
    reply_to: str = option("", "Reply-To address of newsletters; empty for none.")
    logo: str = option("layouts/newsletter/logo.png", "Logo in the email header, relative to the project root "
                       "(PNG or JPEG: mail clients do not show SVG).")
    logo_width: int = option(165, "Display width of the email logo in pixels (ship the file at twice that).",
                             _positive)
    utm_source: str = option("", "utm_source added to links to the centre's own site; empty adds no UTM "
                             "parameters.", _utm_value)
    utm_medium: str = option("email", "utm_medium of those links.", _utm_value)
    utm_campaign: str = option("newsletter-{issue}-{lang}", "utm_campaign of those links; {issue} and {lang} "
                               "are filled in.", _utm_value)


def _choice(*allowed: str) -> typing.Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else f"expected one of {', '.join(allowed)}, got {value!r}"
    return check


def _database(value: str) -> str | None:
    if not value.strip():
        return "give a file path (SQLite) or a postgresql:// URL"
    if "://" in value and not value.startswith(("postgresql://", "postgres://")):
        return f"only SQLite file paths and postgresql:// URLs are supported, got {value!r}"
    return None


def _env_name(value: str) -> str | None:
    return None if re.fullmatch(r"[A-Z_][A-Z0-9_]*", value) else f"expected an environment variable name, got {value!r}"


@dataclass(frozen=True)
class SubscriberOptions:
    database: str = option(".crebis/subscribers.sqlite", "Subscribers and send logs: a SQLite file (relative to the "
                           "project root) or a postgresql:// URL (its password may come from PGPASSWORD).", _database)
    consent_version: str = option("2026-01", "Version of the consent text shown on the subscribe form, recorded "
                                  "with each subscription.")
    pending_days: float = option(7.0, "Days an unconfirmed subscription waits for its confirmation before it "
                                 "expires.", _positive)
    soft_bounce_limit: int = option(3, "Soft bounces in a row after which an address is stopped.", _positive)


@dataclass(frozen=True)
class ListOptions:
    fr: str = option("", "Name of the list in French.")
    nl: str = option("", "Name of the list in Dutch.")
    en: str = option("", "Name of the list in English.")

    def label(self, lang: str) -> str:
        """The list's name in `lang`, else the first name given."""
        return getattr(self, lang, "") or self.fr or self.nl or self.en


_DEFAULT_LISTS = {
    "newsletter": ListOptions(fr="Lettre d'information mensuelle", nl="Maandelijkse nieuwsbrief",
                              en="Monthly newsletter"),
    "digest": ListOptions(fr="Veille hebdomadaire sur l'innovation sociale", nl="Wekelijkse innovatiewatch",
                          en="Weekly innovation watch"),
}


def _lists(value: dict[str, ListOptions]) -> str | None:
    missing = [name for name in ("newsletter", "digest") if name not in value]
    if missing:
        return f"declare the list(s) {', '.join(missing)} too (crebis sends them)"
    bad = [name for name in value if not re.fullmatch(r"[a-z][a-z0-9-]*", name)]
    if bad:
        return f"list names are lowercase letters, digits and '-': {', '.join(bad)}"
    return None


@dataclass(frozen=True)
class SmtpOptions:
    host: str = option("localhost", "SMTP server that sends newsletters (your provider's submission server).")
    port: int = option(587, "Its port: 587 for STARTTLS, 465 for implicit TLS.", _positive)
    security: str = option("starttls", "starttls, tls (implicit, port 465) or none (only for a relay on this "
                           "machine).", _choice("starttls", "tls", "none"))
    username: str = option("", "Login for SMTP AUTH; empty sends without logging in.")
    password_env: str = option("CREBIS_SMTP_PASSWORD", "Environment variable holding the SMTP password (never "
                               "written in crebis.toml).", _env_name)
    ca_file: str = option("", "Certificate authority file to trust for the server's certificate; empty uses the "
                          "system's.")
    connections: int = option(2, "SMTP connections sending at the same time.", _positive)
    rate: float = option(20.0, "Most messages per second, over all connections; 0 for no limit.", _not_negative)
    messages_per_connection: int = option(500, "Messages sent over one connection before it is renewed.", _positive)
    timeout: float = option(30.0, "Seconds to wait for the server at each step.", _positive)
    retries: int = option(4, "Times a recipient is retried after a temporary (4xx) refusal.", _not_negative)
    retry_delay: float = option(5.0, "Seconds before the first retry; each later one waits twice as long.",
                                _not_negative)


@dataclass(frozen=True)
class MailOptions:
    service_url: str = option("", "Public address of `crebis serve subscriptions` (behind your reverse proxy): the "
                              "links in every message point there, and the site's sign-up form posts there; empty "
                              "for none (no form on the site; sending asks for it).", _optional_url)
    unsubscribe_mailto: str = option("unsubscribe@crebis.example.org", "Address of the mailto: List-Unsubscribe "
                                     "link; empty for none.")
    postal_address: str = option("Rue Example 1, 1000 Bruxelles, Belgique", "Postal address of the organisation, "
                                 "shown in the footer of every message.")
    dkim_key: str = option("", "DKIM private key file (PEM for rsa-sha256, base64 seed for ed25519-sha256), "
                           "relative to the project root; empty sends unsigned.")
    dkim_selector: str = option("", "DKIM selector (the DNS name <selector>._domainkey.<domain>).")
    dkim_domain: str = option("", "DKIM signing domain; empty uses the sender address's domain.")
    dkim_algorithm: str = option("rsa-sha256", "rsa-sha256 or ed25519-sha256.",
                                 _choice("rsa-sha256", "ed25519-sha256"))


def _severity(value: str) -> str | None:
    return None if value in ("error", "warning", "info") else f"expected error, warning or info, got {value!r}"


# Readability targets, per language and output kind. Each scale is anchored where its author set a level, and
# carried to the other languages by the sample content's own translations (the same texts in French, Dutch and
# English; `python bench/check.py --calibrate` recomputes the table):
# - Flesch-scale score (Flesch Reading Ease, Kandel & Moles, Flesch–Douma): English anchored on Flesch (1949):
#   60 is the lower edge of "standard" (plain) English, for summaries; 30 the lower edge of "difficult"
#   (academic), for whole studies. On the parallel texts French Kandel & Moles runs 13.8 points above English
#   Flesch in summaries and 20.6 in whole studies, Dutch Flesch–Douma 1.1 above and 0.9 below.
# - LIX: anchored on French, where the former single targets (45 summaries, 62 studies) were set; on the parallel
#   texts English LIX runs 12.1 points below French in summaries and 6.3 in studies, Dutch 4.2 and 0.7 below.
# - Newsletters: anchored as summaries (English Flesch 60, French LIX 45), carried by the sample issue's three
#   editions: French Kandel & Moles 9.5 above English, Dutch Flesch–Douma 9.8 below; LIX English 15.1 and Dutch
#   2.7 below French.
# - Easy-to-read (profile "easy-to-read"): English Flesch 80, the lower edge of Flesch's "easy"; LIX 30 in French,
#   the edge Björnsson (1968) gives for very easy text, the level easy-to-read guidance aims at; other languages
#   by the summaries' offsets.


@dataclass(frozen=True)
class ReadabilityTargets:
    """One language's readability targets, per output kind."""

    summary_min_score: float = option(60.0, "Lowest Flesch-scale score (0–100, higher is easier) of a "
                                      "plain-language summary.")
    brief_min_score: float = option(30.0, "Lowest Flesch-scale score of a whole study (brief, web page).")
    newsletter_min_score: float = option(60.0, "Lowest Flesch-scale score of a newsletter.")
    easy_min_score: float = option(80.0, "Lowest Flesch-scale score of a text checked as easy-to-read.")
    summary_max_lix: float = option(33.0, "Highest LIX of a summary (Björnsson: below 30 very easy, 40 plain, "
                                    "above 50 hard).")
    brief_max_lix: float = option(56.0, "Highest LIX of a whole study.")
    newsletter_max_lix: float = option(30.0, "Highest LIX of a newsletter.")
    easy_max_lix: float = option(18.0, "Highest LIX of a text checked as easy-to-read.")


@dataclass(frozen=True)
class FrenchReadabilityTargets(ReadabilityTargets):
    """French: Kandel & Moles (1958) and LIX."""

    summary_min_score: float = option(74.0, "Lowest Kandel & Moles score of a plain-language summary.")
    brief_min_score: float = option(51.0, "Lowest Kandel & Moles score of a whole study.")
    newsletter_min_score: float = option(70.0, "Lowest Kandel & Moles score of a newsletter.")
    easy_min_score: float = option(94.0, "Lowest Kandel & Moles score of an easy-to-read text.")
    summary_max_lix: float = option(45.0, "Highest LIX of a summary.")
    brief_max_lix: float = option(62.0, "Highest LIX of a whole study.")
    newsletter_max_lix: float = option(45.0, "Highest LIX of a newsletter.")
    easy_max_lix: float = option(30.0, "Highest LIX of an easy-to-read text.")


@dataclass(frozen=True)
class DutchReadabilityTargets(ReadabilityTargets):
    """Dutch: Flesch–Douma (1960) and LIX."""

    summary_min_score: float = option(61.0, "Lowest Flesch–Douma score of a plain-language summary.")
    brief_min_score: float = option(29.0, "Lowest Flesch–Douma score of a whole study.")
    newsletter_min_score: float = option(50.0, "Lowest Flesch–Douma score of a newsletter.")
    easy_min_score: float = option(81.0, "Lowest Flesch–Douma score of an easy-to-read text.")
    summary_max_lix: float = option(41.0, "Highest LIX of a summary.")
    brief_max_lix: float = option(61.0, "Highest LIX of a whole study.")
    newsletter_max_lix: float = option(42.0, "Highest LIX of a newsletter.")
    easy_max_lix: float = option(26.0, "Highest LIX of an easy-to-read text.")


@dataclass(frozen=True)
class ReadabilityCheck:
    enabled: bool = option(True, "Score each text with its language's formulas (Kandel & Moles, Flesch–Douma, "
                           "Flesch Reading Ease and Flesch–Kincaid, LIX).")
    severity: str = option("warning", "Severity of a score that misses its target.", _severity)
    fr: FrenchReadabilityTargets = section(FrenchReadabilityTargets, "French targets (Kandel & Moles, LIX).")
    nl: DutchReadabilityTargets = section(DutchReadabilityTargets, "Dutch targets (Flesch–Douma, LIX).")
    en: ReadabilityTargets = section(ReadabilityTargets, "English targets (Flesch Reading Ease, LIX).")
    min_words: int = option(100, "Shortest text held to a target: Flesch (1948) and Björnsson (1968) score samples "
                            "of 100 words; a shorter text is scored but not judged.", _not_negative)
    hardest_sentences: int = option(3, "How many of the hardest sentences each text lists (in every report, "
                                    "whether or not the text meets its targets).", _not_negative)

    def targets(self, lang: str) -> ReadabilityTargets:
        """The targets of one language."""
        return getattr(self, lang)


@dataclass(frozen=True)
class LengthCheck:
    enabled: bool = option(True, "Flag long sentences and paragraphs.")
    severity: str = option("warning", "Severity of a sentence or paragraph over its limit.", _severity)
    summary_max_sentence_words: int = option(20, "Most words in one sentence of a summary.", _positive)
    brief_max_sentence_words: int = option(40, "Most words in one sentence of a whole study.", _positive)
    newsletter_max_sentence_words: int = option(25, "Most words in one sentence of a newsletter.", _positive)
    easy_max_sentence_words: int = option(15, "Most words in one sentence of an easy-to-read text (Inclusion "
                                          "Europe: short sentences, one idea each; 10 to 15 words).", _positive)
    summary_max_paragraph_words: int = option(90, "Most words in one paragraph of a summary.", _positive)
    brief_max_paragraph_words: int = option(160, "Most words in one paragraph of a whole study.", _positive)
    newsletter_max_paragraph_words: int = option(90, "Most words in one paragraph of a newsletter.", _positive)
    easy_max_paragraph_words: int = option(60, "Most words in one paragraph of an easy-to-read text.", _positive)


PROFILES = ("plain", "easy-to-read")


def _profile(value: str) -> str | None:
    return None if value in PROFILES else f"expected one of {', '.join(PROFILES)}, got {value!r}"


@dataclass(frozen=True)
class ProfileChoice:
    """Which profile each output kind is checked against.

    plain: plain language at CEFR level B1 (the Council of Europe's Common European Framework of Reference; the
    Taalunie's and Klare Taal's B1 guidance; the EU's "How to write clearly"). easy-to-read: Inclusion Europe
    (2009), Information for all: European standards for making information easy to read and understand (FALC in
    French, Klare Taal / Makkelijk Lezen in Dutch, Easy Read in English): sentences of 10 to 15 words, one idea
    each, frequent words, no passive, no negation piled on negation.
    """

    summary: str = option("plain", "Profile of plain-language summaries: plain or easy-to-read.", _profile)
    brief: str = option("plain", "Profile of whole studies (briefs, web pages).", _profile)
    newsletter: str = option("plain", "Profile of newsletters.", _profile)


@dataclass(frozen=True)
class JargonCheck:
    enabled: bool = option(True, "Suggest plain words for glossary terms found in summaries.")
    severity: str = option("warning", "Severity of a glossary term in a summary.", _severity)
    glossary: str = option("content/glossary", "Folder of <lang>.yaml glossaries (term: plain alternative), "
                           "relative to the project root.")


@dataclass(frozen=True)
class AcronymCheck:
    enabled: bool = option(True, "Flag acronyms not spelled out at their first use in a text.")
    severity: str = option("warning", "Severity of an acronym used before it is spelled out.", _severity)
    known: list[str] = option(["EU", "UE", "PDF", "OK"], "Acronyms every reader knows, never flagged.")


@dataclass(frozen=True)
class NumberCheck:
    enabled: bool = option(True, "In summaries, suggest saying a percentage as a proportion too "
                           "(\"one person in three\").")
    severity: str = option("info", "Severity of a bare percentage in a summary.", _severity)


def _kinds(value: list[str]) -> str | None:
    unknown = [k for k in value if k not in ("summary", "brief", "newsletter")]
    return f"unknown output kind(s) {unknown}; choose among summary, brief, newsletter" if unknown else None


@dataclass(frozen=True)
class PassiveCheck:
    enabled: bool = option(True, "Flag sentences in the passive voice (être/worden/be + past participle), with "
                           "the active sentence to write instead.")
    kinds: list[str] = option(["summary", "newsletter"], "Output kinds the rule reads (summary, brief, newsletter).",
                              _kinds)
    severity: str = option("info", "Severity in the plain profile (B1 guidance: prefer the active voice).",
                           _severity)
    easy_severity: str = option("warning", "Severity in the easy-to-read profile (Inclusion Europe: use the "
                                "active voice).", _severity)


@dataclass(frozen=True)
class NominalisationCheck:
    enabled: bool = option(True, "Flag sentences carrying many nouns made from verbs (-tion, -ment, -ing, "
                           "-heid, -ering…), with the verb to use instead.")
    kinds: list[str] = option(["summary", "newsletter"], "Output kinds the rule reads (summary, brief, newsletter).",
                              _kinds)
    severity: str = option("info", "Severity in the plain profile.", _severity)
    easy_severity: str = option("warning", "Severity in the easy-to-read profile.", _severity)
    plain_max: int = option(2, "Most nominalisations in one sentence of a plain-language text.", _not_negative)
    easy_max: int = option(1, "Most nominalisations in one sentence of an easy-to-read text.", _not_negative)


@dataclass(frozen=True)
class SubordinateCheck:
    enabled: bool = option(True, "Flag chains of subordinate clauses (that, which, because, qui, que, parce "
                           "que, die, omdat…) in one sentence.")
    kinds: list[str] = option(["summary", "brief", "newsletter"], "Output kinds the rule reads.",
                              _kinds)
    severity: str = option("warning", "Severity in the plain profile.", _severity)
    easy_severity: str = option("warning", "Severity in the easy-to-read profile.", _severity)
    plain_max: int = option(2, "Most subordinate clauses in one sentence of a plain-language text.",
                            _not_negative)
    easy_max: int = option(1, "Most subordinate clauses in one sentence of an easy-to-read text (one idea a "
                           "sentence).", _not_negative)


@dataclass(frozen=True)
class NegationCheck:
    enabled: bool = option(True, "Flag negations piled up in one sentence (ne… pas… aucun, niet… geen, not… "
                           "no…).")
    kinds: list[str] = option(["summary", "brief", "newsletter"], "Output kinds the rule reads.",
                              _kinds)
    severity: str = option("warning", "Severity in the plain profile.", _severity)
    easy_severity: str = option("warning", "Severity in the easy-to-read profile.", _severity)
    plain_max: int = option(1, "Most negations in one sentence of a plain-language text.", _not_negative)
    easy_max: int = option(0, "Most negations in one sentence of an easy-to-read text (Inclusion Europe: "
                           "say things positively).", _not_negative)


@dataclass(frozen=True)
class RareWordCheck:
    enabled: bool = option(True, "Flag rare words: below a frequency in the language's word-frequency list "
                           "(wordfreq, Zipf scale: 3 is once per million words).")
    kinds: list[str] = option(["summary", "newsletter"], "Output kinds the rule reads (summary, brief, newsletter).",
                              _kinds)
    severity: str = option("info", "Severity in the plain profile.", _severity)
    easy_severity: str = option("warning", "Severity in the easy-to-read profile.", _severity)
    plain_min_zipf: float = option(3.0, "Rarest word of a plain-language text (Zipf scale; B1 readers know "
                                   "the words of everyday use; below 3 is not in wordfreq's small list).",
                                   _not_negative)
    easy_min_zipf: float = option(3.5, "Rarest word of an easy-to-read text (Inclusion Europe: words people "
                                  "know well).", _not_negative)


@dataclass(frozen=True)
class TranslationCheck:
    enabled: bool = option(True, "Flag missing language editions and editions older than their siblings.")
    severity: str = option("warning", "Severity of a missing or possibly outdated edition.", _severity)
    stale_days: float = option(30.0, "An edition last changed this many days before all its siblings may be "
                               "out of date.", _not_negative)


@dataclass(frozen=True)
class AccessibilityCheck:
    enabled: bool = option(True, "Flag vague link text and brand colours below WCAG 2.1 AA contrast (missing alt "
                           "text and skipped headings are always errors: the build refuses them).")
    severity: str = option("error", "Severity of vague link text and insufficient contrast.", _severity)
    min_contrast: float = option(4.5, "Lowest contrast ratio of text colours (WCAG 2.1 AA: 4.5).", _positive)
    min_colour_difference: float = option(15.0, "Least CIEDE2000 difference between two series colours of a chart, "
                                          "in normal vision, greyscale and simulated protanopia, deuteranopia and "
                                          "tritanopia (Machado 2009).", _positive)
    min_chart_label: float = option(9.0, "Smallest text of a chart, in CSS pixels, where it is shown narrowest (a "
                                    "375 px phone, the brief's column).", _positive)


@dataclass(frozen=True)
class CheckOptions:
    profiles: ProfileChoice = section(ProfileChoice, "Plain language (B1) or easy-to-read, per output kind.")
    readability: ReadabilityCheck = section(ReadabilityCheck, "Readability scores against targets.")
    length: LengthCheck = section(LengthCheck, "Sentence and paragraph length.")
    jargon: JargonCheck = section(JargonCheck, "Jargon in summaries.")
    acronyms: AcronymCheck = section(AcronymCheck, "Acronyms at first use.")
    numbers: NumberCheck = section(NumberCheck, "Percentages in summaries.")
    passive: PassiveCheck = section(PassiveCheck, "Passive voice.")
    nominalisations: NominalisationCheck = section(NominalisationCheck, "Nouns made from verbs.")
    subordinates: SubordinateCheck = section(SubordinateCheck, "Chains of subordinate clauses.")
    negations: NegationCheck = section(NegationCheck, "Negations piled up.")
    rare_words: RareWordCheck = section(RareWordCheck, "Rare words.")
    translations: TranslationCheck = section(TranslationCheck, "Missing and outdated translations.")
    accessibility: AccessibilityCheck = section(AccessibilityCheck, "Link text and colour contrast.")


@dataclass(frozen=True)
class Config:
    languages: list[str] = option(list(SUPPORTED_LANGUAGES),
                                  "Languages of every public output, in order of precedence.", _languages)
    base_url: str = option("https://crebis.example.org/", "Absolute URL where outputs/site is published.", _url)
    organisation: Organisation = section(Organisation, "Who publishes.")
    brand: Brand = section(Brand, "Colours and fonts of every output.")
    build: BuildOptions = section(BuildOptions, "How `crebis build` runs.")
    page: PageOptions = section(PageOptions, "Web pages of results.")
    site: SiteOptions = section(SiteOptions, "The web site: search and social cards.")
    brief: BriefOptions = section(BriefOptions, "Policy briefs (PDF, DOCX).")
    watch: WatchOptions = section(WatchOptions, "Innovation watch: feeds, fetching, ranking.")
    newsletter: NewsletterOptions = section(NewsletterOptions, "Monthly newsletter: sender, logo, link tracking.")
    subscribers: SubscriberOptions = section(SubscriberOptions, "Subscribers: where they are stored, consent.")
    lists: dict[str, ListOptions] = option(_DEFAULT_LISTS, "Mailing lists subscribers choose from, each with its "
                                           "name per language ([lists.<name>] fr, nl, en).", _lists)
    smtp: SmtpOptions = section(SmtpOptions, "The SMTP server newsletters and digests are sent through.")
    mail: MailOptions = section(MailOptions, "Every message sent: links, footer, DKIM signature.")

    check: CheckOptions = section(CheckOptions, "What `crebis check` (and `crebis build` before it) reports.")

    def as_dict(self) -> dict[str, Any]:
        """The effective configuration as plain data."""
        return dataclasses.asdict(self)


def _type_name(tp: Any) -> str:
    if typing.get_origin(tp) is dict:
        return f"a table of {_type_name(typing.get_args(tp)[1])}"
    if typing.get_origin(tp) is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false"}.get(tp, str(tp))


def _coerce(value: Any, tp: Any) -> tuple[Any, str | None]:
    """Return (value, None) if `value` fits the declared type, else (None, problem)."""
    origin = typing.get_origin(tp)
    if origin is types.UnionType:  # the first type the value fits
        options = typing.get_args(tp)
        for option_type in options:
            coerced, problem = _coerce(value, option_type)
            if problem is None:
                return coerced, None
        return None, f"expected {' or '.join(_type_name(t) for t in options)}, got {value!r}"
    if origin is dict:
        key_type, value_type = typing.get_args(tp)
        if not isinstance(value, dict) or not all(isinstance(k, key_type) and isinstance(v, value_type)
                                                  for k, v in value.items()):
            return None, f"expected {_type_name(tp)}, got {value!r}"
        return dict(value), None
    if origin is list:
        (inner,) = typing.get_args(tp)
        if not isinstance(value, list):
            return None, f"expected {_type_name(tp)}, got {value!r}"
        items = []
        for item in value:
            coerced, problem = _coerce(item, inner)
            if problem:
                return None, problem
            items.append(coerced)
        return items, None
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value), None
    if tp is int and isinstance(value, bool):
        return None, f"expected {_type_name(tp)}, got {value!r}"
    if isinstance(value, tp):
        return value, None
    return None, f"expected {_type_name(tp)}, got {value!r}"


# Keys that were replaced: what to write instead.
_REPLACED = {
    "site.subscribe_url": "it was replaced by mail.service_url, the address of `crebis serve subscriptions`, which "
                          "the sign-up form now posts to (its <lang>/ page): put the service's address there, "
                          "e.g. service_url = \"https://crebis.example.org/subscriptions/\" under [mail]",
}


Problems = list[tuple[tuple[str, ...], str]]
"""Each problem with the key it is about (its path of table names), for the line that gets it."""


def _dotted(path: tuple[str, ...]) -> str:
    return ".".join(path)


def _build(cls: type, data: dict[str, Any], path: tuple[str, ...], problems: Problems) -> Any:
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        dotted = _dotted((*path, key))
        if dotted in _REPLACED:
            problems.append(((*path, key), f"'{dotted}': {_REPLACED[dotted]}"))
        elif key not in fields:
            # As the front matter's typos are told: the likely key, else every key of the table.
            close = difflib.get_close_matches(key, sorted(fields), n=1)
            hint = f": did you mean '{close[0]}'?" if close else f" (known keys here: {', '.join(sorted(fields))})"
            problems.append(((*path, key), f"unknown key '{dotted}'{hint}"))
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            continue
        tp, value, where = hints[name], data[name], (*path, name)
        dotted = _dotted(where)
        if dataclasses.is_dataclass(tp):
            if not isinstance(value, dict):
                problems.append((where, f"'{dotted}' must be a table ([{dotted}])"))
                continue
            kwargs[name] = _build(tp, value, where, problems)
            continue
        if typing.get_origin(tp) is dict:
            coerced, problem = _build_tables(typing.get_args(tp)[1], value, where, problems)
        else:
            coerced, problem = _coerce(value, tp)
        if problem is None and f.metadata.get("check"):
            problem = f.metadata["check"](coerced)
        if problem:
            problems.append((where, f"'{dotted}': {problem}"))
        else:
            kwargs[name] = coerced
    return cls(**kwargs)


def _build_tables(cls: type, value: Any, path: tuple[str, ...], problems: Problems) -> tuple[Any, str | None]:
    """A table of named tables, such as [lists.newsletter] and [lists.digest]."""
    if not isinstance(value, dict):
        return None, "expected a table of tables"
    tables = {}
    for name, inner in value.items():
        if not isinstance(inner, dict):
            dotted = _dotted((*path, name))
            problems.append(((*path, name), f"'{dotted}' must be a table ([{dotted}])"))
            continue
        tables[name] = _build(cls, inner, (*path, name), problems)
    return tables, None


# A key as TOML writes it: bare, "basic" or 'literal', dotted with optional spaces around the dots.
_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_KEY = rf"{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART})*"
_TABLE_LINE = re.compile(rf"^[ \t]*\[\[?[ \t]*(?P<key>{_KEY})[ \t]*\]\]?[ \t]*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^[ \t]*(?P<key>{_KEY})[ \t]*=")


def _key_path(key: str) -> tuple[str, ...]:
    """The names of a TOML key as written (`a."b.c"`: a, b.c), read by tomllib itself for its quoting."""
    node: Any = tomllib.loads(f"{key} = 0")
    names = []
    while isinstance(node, dict):
        ((name, node),) = node.items()
        names.append(name)
    return tuple(names)


def key_lines(text: str) -> list[tuple[tuple[str, ...], int, bool]]:
    """Where `text` (a TOML file) defines each key: (its path of names, its line, whether it is a table header).

    tomllib gives no positions, so the lines are found here: table headers set the table the keys below
    belong to, dotted keys count each name, and the lines of a multi-line string are skipped (they may hold
    anything). A key inside an inline table is found at the line of the table's own key (`_line_of`).
    """
    found: list[tuple[tuple[str, ...], int, bool]] = []
    table: tuple[str, ...] = ()
    open_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if open_string is not None:
            if open_string in line:
                open_string = None
            continue
        if header := _TABLE_LINE.match(line):
            table = _key_path(header["key"])
            found.append((table, number, True))
            continue
        if key := _KEY_LINE.match(line):
            found.append(((*table, *_key_path(key["key"])), number, False))
            value = line[key.end():]
            for quotes in ('"""', "'''"):
                if value.count(quotes) % 2:
                    open_string = quotes
                    break
    return found


def _line_of(path: tuple[str, ...], lines: list[tuple[tuple[str, ...], int, bool]]) -> int | None:
    """The line a problem with the key `path` is at: where that key is written; else the first table or key
    under it (`[brnad.pdf]` for 'brnad'); else the key whose value holds it (`brief = { max_page = 4 }`)."""
    for names, number, _header in lines:
        if names == path:
            return number
    for names, number, _header in lines:
        if names[:len(path)] == path:
            return number
    holders = [(len(names), -number) for names, number, header in lines
               if not header and path[:len(names)] == names]
    return -max(holders)[1] if holders else None


# Files the project must have for the build to work, by config key.
_REQUIRED_FILES = ("organisation.logo",)


def parse_config(data: dict[str, Any], path: Path | str = CONFIG_FILE, root: Path | None = None,
                 text: str | None = None) -> Config:
    """Validate raw TOML data into a `Config`, raising one `ConfigError` that lists every problem.

    With `root`, files the config names are checked to exist relative to it. With `text`, the file the data
    was read from, each problem starts with the file and line of its key (`crebis.toml:12: ...`).
    """
    problems: Problems = []
    config = _build(Config, data, (), problems)
    if root is not None:
        for dotted in _REQUIRED_FILES:
            section_name, key = dotted.split(".")
            value = getattr(getattr(config, section_name), key)
            if not (root / value).is_file():
                problems.append(((section_name, key), f"'{dotted}': file {value} not found in the project folder"))
        problems.extend((("build", "shared_folders"), problem)
                        for problem in _shared_folder_problems(config.build.shared_folders, root))
    if problems:
        lines = key_lines(text) if text is not None else []
        located = []
        for key, problem in problems:
            line = _line_of(key, lines)
            located.append(f"{path}:{line}: {problem}" if line else problem)
        raise ConfigError(path, located)
    return config


def _shared_folder_problems(folders: list[str], root: Path) -> list[str]:
    """Each `build.shared_folders` entry must be an existing folder outside the project, not around it."""
    problems = []
    for folder in folders:
        resolved = Path(os.path.normpath(root / folder))
        if not resolved.is_dir():
            problems.append(f"'build.shared_folders': {folder!r} is not a folder: create it or remove it "
                            "from the list")
        elif resolved.is_relative_to(root):
            problems.append(f"'build.shared_folders': {folder!r} is inside the project already: remove it "
                            "from the list")
        elif root.is_relative_to(resolved):
            problems.append(f"'build.shared_folders': {folder!r} holds the whole project and everything around "
                            "it: name the shared folder itself")
    return problems


def load_config(root: Path) -> Config:
    """Read and validate `crebis.toml` at the project root; paths in it are relative to that root."""
    path = root / CONFIG_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, [f"no {CONFIG_FILE} here: run crebis in a project folder, "
                                 "or create one with `crebis init DIR`"]) from None
    try:
        # a byte-order mark (Windows editors write one) is accepted, as in Markdown files
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = len(raw[raw.rfind(b"\n", 0, exc.start) + 1:exc.start].decode("utf-8", "replace")) + 1
        raise ConfigError(path, [f"line {line}, column {column}: not UTF-8 text; save the file as UTF-8"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from None
    return parse_config(data, path, root, text)


def describe(cls: type = Config, prefix: str = "") -> list[tuple[str, str, Any]]:
    """(dotted key, doc, default) for every option: the reference the README and `crebis config` show."""
    rows = []
    for f in dataclasses.fields(cls):
        hint = typing.get_type_hints(cls)[f.name]
        if dataclasses.is_dataclass(hint):
            rows.extend(describe(hint, f"{prefix}{f.name}."))
        elif typing.get_origin(hint) is dict:
            rows.append((f"{prefix}{f.name}", f.metadata["doc"], dataclasses.asdict(Config())[f.name]))
        else:
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            rows.append((f"{prefix}{f.name}", f.metadata["doc"], default))
    return rows


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _toml_tables(name: str, value: dict[str, Any], docs: dict[str, str]) -> list[str]:
    """A table's keys, then its nested tables ([check] then [check.readability])."""
    lines = [f"\n[{name}]"] + ([f"# {docs[name]}"] if name in docs else [])
    nested = []
    for key, inner in value.items():
        if isinstance(inner, dict) and f"{name}.{key}" not in docs:  # a section, not an option holding a table
            nested.extend(_toml_tables(f"{name}.{key}", inner, docs))
        else:
            doc = docs.get(f"{name}.{key}")
            if doc:
                lines.append(f"# {doc}")
            lines.append(f"{key} = {_toml_value(inner)}")
    return (["\n".join(lines)] if len(lines) > 1 else []) + nested


def dump_config(config: Config) -> str:
    """The effective configuration as commented TOML."""
    docs = {key: doc for key, doc, _ in describe()}
    top, tables = [], []
    for name, value in config.as_dict().items():
        if isinstance(value, dict):
            tables.extend(_toml_tables(name, value, docs))
        else:
            top.append(f"# {docs[name]}\n{name} = {_toml_value(value)}")
    return "\n".join(top) + "\n" + "\n".join(tables) + "\n"
