"""The newsletter email: golden MJML, the quality rules on the real HTML (each one broken once), the text
part, the .eml preview, and how content errors reach the build report."""

import email
import email.policy
import json
import re
from pathlib import Path

import pytest
from projects import SUBJECTS, issue_text, write_issue, write_result

from pipeline.content.load import load_results, load_themes
from pipeline.content.newsletter import load_newsletters
from pipeline.project import Project
from pipeline.publish import build
from pipeline.render.context import RenderContext
from pipeline.render.email_quality import EmailRules, check_email
from pipeline.render.newsletter import MERGE_FIELDS, convert, render_mjml_source
from pipeline.render.pandoc import convert as pandoc_convert
from pipeline.render.plaintext import LinkRefs, TextWriter, wrap
from pipeline.render.typography import typeset

LANGS = ("fr", "nl", "en")
def out(project_dir: Path, path: str) -> str:
    return (project_dir / "outputs" / path).read_text(encoding="utf-8")


@pytest.fixture
def built(project_dir: Path) -> Path:
    write_result(project_dir)
    write_issue(project_dir)
    outcome = build(Project.open(project_dir), only={"newsletter"})
    assert outcome.ok, [f.message for f in outcome.report.failed]
    return project_dir


def rules(lang: str = "fr", **kwargs) -> EmailRules:
    # the preheader as the email shows it
    kwargs.setdefault("preheader", typeset(f"Preheader in {lang}: one study, one event.", lang))
    return EmailRules(lang=lang, merge_fields=tuple(MERGE_FIELDS.values()), **kwargs)


# ---------------------------------------------------------------- outputs and golden MJML


def test_every_output_of_an_issue(built):
    outputs = {p.relative_to(built / "outputs").as_posix() for p in (built / "outputs").rglob("*") if p.is_file()}
    for lang in LANGS:
        assert {f"newsletters/2026-04/{lang}.{ext}" for ext in ("html", "txt", "eml")} <= outputs
        assert {f"site/{lang}/newsletters/2026-04/index.html", f"site/{lang}/newsletters/index.html",
                f"site/{lang}/newsletters/feed.xml"} <= outputs
    assert "site/assets/newsletter/logo.png" in outputs


def test_second_build_does_nothing_and_a_result_title_rebuilds_its_emails(built):
    project = Project.open(built)
    assert not build(project, only={"newsletter"}).report.built
    en = built / "content/results/housing-first/en.md"
    en.write_text(en.read_text().replace("Housing First in Brussels", "Housing First, one year on"), encoding="utf-8")
    rebuilt = {t.output for t in build(project, only={"newsletter"}).report.built}
    assert {"newsletters/2026-04/en.html", "newsletters/2026-04/en.txt", "newsletters/2026-04/en.eml",
            "site/en/newsletters/2026-04/index.html", "site/en/newsletters/feed.xml"} == rebuilt
    assert "Housing First, one year on" in out(built, "newsletters/2026-04/en.html")


@pytest.mark.parametrize("lang", LANGS)
def test_mjml_matches_golden(project_dir, golden, lang):
    write_result(project_dir)
    write_issue(project_dir)
    project = Project.open(project_dir)
    themes = load_themes(project_dir / "content/themes.yaml")
    results = load_results(project.results_dir, project.config.languages, themes).results
    ctx = RenderContext.create(project, results, themes)
    loaded = load_newsletters(project.content_dir / "newsletters", ctx.languages, results, project.results_dir)
    edition = loaded.newsletters[0].edition(lang)
    golden(f"newsletter/issue-{lang}.mjml", render_mjml_source(ctx, edition, convert(ctx, edition)))


@pytest.mark.parametrize("dropped", [(), ("events",), ("events", "watch"), ("featured", "cta"),
                                     ("featured", "events", "watch", "cta")])
def test_blocks_on_one_background_share_a_section(project_dir, dropped):
    # each section is ~1.3 KB of tables in every message sent: the events, the watch and the call to action
    # (white, one after the other) are one section, the editorial and the featured heading another
    write_result(project_dir)
    write_issue(project_dir, **dict.fromkeys(dropped))
    assert build(Project.open(project_dir), only={"newsletter"}).ok
    html = out(project_dir, "newsletters/2026-04/fr.html")
    assert check_email(html, out(project_dir, "newsletters/2026-04/fr.txt"), rules()) == []
    after_featured = {"events", "watch", "cta"} - set(dropped)
    # view online, logo, title, editorial, a box per featured result, the rest, footer
    sections = 4 + ("featured" not in dropped) + bool(after_featured) + 1
    assert html.count("margin:0px auto;max-width:600px;") == sections
    assert ("Nouvelles publications" in html) == ("featured" not in dropped)
    for part, shown in (("events", "Lunch debate"), ("watch", "A single desk"), ("cta", "Take the survey")):
        assert (shown in html) == (part not in dropped)


# ---------------------------------------------------------------- the quality rules, on the real HTML


def test_the_built_email_passes_every_rule_and_shows_the_content(built):
    html = out(built, "newsletters/2026-04/fr.html")
    text = out(built, "newsletters/2026-04/fr.txt")
    assert check_email(html, text, rules()) == []
    assert '<html lang="fr"' in html
    assert "Le logement d’abord à Bruxelles" in html  # the featured result's French title, from the model
    assert "Finding two." in html and "Une phrase simple. Deux phrases." in html
    assert 'href="https://crebis.example.org/fr/results/housing-first/"' in html
    assert 'src="https://crebis.example.org/assets/newsletter/logo.png"' in html
    assert "[[recipient_name]]" in html and 'href="[[unsubscribe_url]]"' in html
    assert "Énergie, droits\u202f: ce qui a changé à Bruxelles" in html  # French spacing in the title
    assert "jeudi 23 avril 2026" in html


def break_rule(html: str, rule: str) -> str:
    """The real email with exactly one rule broken."""
    body_tag = re.search(r"<body[^>]*>", html).group(0)
    edits = {
        "lang": lambda h: h.replace('<html lang="fr"', "<html", 1),
        "alt": lambda h: re.sub(r'<img alt="[^"]*"', '<img alt=""', h, count=1),
        "image url": lambda h: h.replace("https://crebis.example.org/assets/newsletter/logo.png", "assets/logo.png"),
        "presentation": lambda h: h.replace('role="presentation"', ""),
        "preheader": lambda h: h.replace("Preheader in fr\u202f: one study, one event.", ""),
        "size": lambda h: h.replace("</body>", f"<!-- {'x' * 110_000} --></body>"),
        "link": lambda h: h.replace('href="https://example.org/partner"', 'href="/partner"'),
        "dark mode": lambda h: h.replace(body_tag, body_tag + '<div style="color:#333333">Hi</div>'),
        "merge field": lambda h: h.replace('href="[[unsubscribe_url]]"', 'href="https://example.org/unsubscribe"'),
    }
    return edits[rule](html)


@pytest.mark.parametrize(("rule", "message"), [
    ("lang", "<html> has no lang attribute"),
    ("alt", "has no alt text"),
    ("image url", "image src 'assets/logo.png' is not an absolute URL"),
    ("presentation", 'a layout <table> lacks role="presentation"'),
    ("preheader", "the preheader is missing"),
    ("size", "Gmail clips messages above 102 KB"),
    ("link", "link '/partner' is not absolute"),
    ("dark mode", "text colour without a background colour in <div style=\"color:#333333\">"),
    ("merge field", "the merge field [[unsubscribe_url]] is missing from the HTML part"),
])
def test_each_rule_catches_its_breakage(built, rule, message):
    html = out(built, "newsletters/2026-04/fr.html")
    text = out(built, "newsletters/2026-04/fr.txt")
    problems = check_email(break_rule(html, rule), text, rules())
    assert len(problems) >= 1 and all(message in p for p in problems), problems


def test_rules_on_lang_mismatch_missing_preheader_and_text_part():
    html = ('<html lang="nl"><body style="background:#fff"><div style="background-color:#fff">'
            '<p style="color:#111">Hi [[recipient_name]] <a href="[[unsubscribe_url]]">x</a> '
            '<a href="[[preferences_url]]">y</a></p></div></body></html>')
    problems = check_email(html, "Hi [[recipient_name]] [[preferences_url]]", rules(preheader=""))
    assert problems == [
        "<html lang=\"nl\"> but this edition is in 'fr'",
        "the preheader is empty: inboxes would show the first words of the body instead",
        "the merge field [[unsubscribe_url]] is missing from the text part",
    ]


def test_utm_parameters_from_config_on_own_links_only(project_dir):
    write_result(project_dir)
    write_issue(project_dir, langs=("en",))
    config = project_dir / "crebis.toml"
    config.write_text(config.read_text() + '\n[newsletter]\nutm_source = "newsletter"\n', encoding="utf-8")
    assert build(Project.open(project_dir), only={"newsletter"}).ok
    html = out(project_dir, "newsletters/2026-04/en.html")
    utm = "utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=newsletter-2026-04-en"
    assert f'href="https://crebis.example.org/en/results/housing-first/?{utm}"' in html
    assert f'href="https://crebis.example.org/survey/?{utm}"' in html
    assert 'href="https://example.org/partner"' in html  # other sites are not tagged
    assert 'href="[[unsubscribe_url]]"' in html
    text = out(project_dir, "newsletters/2026-04/en.txt")
    assert "https://crebis.example.org/survey/?utm_source=newsletter&utm_medium=email" in text
    # and the rule notices an own link that lost its tags
    broken = html.replace(f"https://crebis.example.org/survey/?{utm}", "https://crebis.example.org/survey/")
    problems = check_email(broken, text, rules("en", utm={"utm_source": "newsletter", "utm_medium": "email",
                                                         "utm_campaign": "newsletter-2026-04-en"},
                                               own_hosts=("crebis.example.org",)))
    assert problems == ["link https://crebis.example.org/survey/ lacks the UTM parameters {'utm_source': "
                        "'newsletter', 'utm_medium': 'email', 'utm_campaign': 'newsletter-2026-04-en'}"]


def test_an_email_over_the_gmail_limit_fails_the_build_and_writes_nothing(project_dir):
    write_result(project_dir)
    directory = write_issue(project_dir, langs=("fr", "en"))
    long_body = "\n\n".join(f"Paragraphe {i} : " + "du texte " * 60 for i in range(250))
    (directory / "fr.md").write_text(issue_text("fr", body=long_body), encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"newsletter"})
    failures = {f.target.output: f.message for f in outcome.report.failed}
    assert set(failures) == {"newsletters/2026-04/fr.html", "newsletters/2026-04/fr.txt",
                             "newsletters/2026-04/fr.eml"}
    message = failures["newsletters/2026-04/fr.html"]
    assert message.startswith("content/newsletters/2026-04/fr.md: the email breaks 1 rule(s):")
    assert "Gmail clips messages above 102 KB" in message
    assert failures["newsletters/2026-04/fr.eml"] == ("content/newsletters/2026-04/fr.md: not built: the email has "
                                                      "problems (reported for its .html)")
    assert not (project_dir / "outputs/newsletters/2026-04/fr.html").exists()
    assert (project_dir / "outputs/newsletters/2026-04/en.html").exists()


def test_a_broken_layout_rule_fails_the_build(project_dir):
    write_result(project_dir)
    write_issue(project_dir, langs=("en",))
    layout = project_dir / "layouts/newsletter/parts.mjml"  # the header that issue.mjml imports
    source = layout.read_text()
    alt = re.search(r'alt="\{\{ logo_alt[^"]*"', source).group(0)
    layout.write_text(source.replace(alt, 'alt=""'), encoding="utf-8")
    outcome = build(Project.open(project_dir), only={"newsletter"})
    failures = {f.target.output: f.message for f in outcome.report.failed}
    assert "has no alt text" in failures["newsletters/2026-04/en.html"]


# ---------------------------------------------------------------- content errors reach the build report


def test_a_content_error_fails_that_edition_keeps_its_outputs_and_builds_the_others(built):
    before = out(built, "newsletters/2026-04/fr.html")
    fr = built / "content/newsletters/2026-04/fr.md"
    fr.write_text(issue_text("fr", featured="\n  - slug: no-such-study"), encoding="utf-8")
    en = built / "content/newsletters/2026-04/en.md"
    en.write_text(issue_text("en", cta='\n  text: "Changed."\n  label: "Go"\n  link: https://example.org/x'),
                  encoding="utf-8")
    outcome = build(Project.open(built), only={"newsletter"})
    # crebis check (run by the build) reports the error at its line, and that file builds nothing
    assert [(f.file, f.line, f.message) for f in outcome.content_errors] == [
        ("content/newsletters/2026-04/fr.md", 6, "unknown result 'no-such-study'; known results: housing-first")]
    assert not [t for t in outcome.report.built if t.source == fr]
    assert out(built, "newsletters/2026-04/fr.html") == before  # the earlier email is kept
    assert "Changed." in out(built, "newsletters/2026-04/en.html")


def test_no_newsletter_no_newsletter_outputs(project_dir):
    write_result(project_dir)
    outcome = build(Project.open(project_dir), only={"newsletter"})
    assert outcome.ok and outcome.report.built == []


# ---------------------------------------------------------------- text part and .eml


def test_text_part_is_72_columns_with_numbered_references(built):
    text = out(built, "newsletters/2026-04/en.txt")
    lines = text.splitlines()
    for line in lines:
        assert len(line) <= 72 or re.fullmatch(r"\[\d+\] https?://\S+", line), line
    used = [int(n) for n in re.findall(r"\[(\d+)\](?!\s*https?://)", text)]
    listed = [int(m) for m in re.findall(r"^\[(\d+)\] https?://", text, re.M)]
    assert listed == list(range(1, len(listed) + 1)) and set(used) == set(listed)
    assert "link to a partner [2]" in text and "[2] https://example.org/partner" in lines
    assert "[3] https://crebis.example.org/en/results/housing-first/" in lines
    assert "Hello [[recipient_name]]," in lines and "Unsubscribe: [[unsubscribe_url]]" in lines
    assert "-- " in lines  # the signature separator mail clients recognise
    assert "* Housing First in Brussels [3]" in lines
    assert "WHAT IS NEW" not in text and "What is new" in lines  # body headings keep their case
    assert "**" not in text and "<" not in text


def test_text_part_in_french_has_french_quotes_and_spacing(built):
    text = out(built, "newsletters/2026-04/fr.txt")
    assert "Énergie, droits\u202f: ce qui a changé à Bruxelles" in text
    assert "À retenir\u202f: Finding two." in text


def test_plaintext_helpers():
    assert wrap("see https://example.org/" + "a" * 80 + " now", width=20) == [
        "see", "https://example.org/" + "a" * 80, "now"]
    refs = LinkRefs()
    writer = TextWriter("fr", refs, lambda url: url)
    # the AST as pandoc gives it, its typography filter run: the writer adds no spacing of its own
    ast = json.loads(pandoc_convert('[ici](https://example.org/) ? "oui" l\'aide [ici](https://example.org/)', "json",
                                    metadata={"lang": "fr"}))
    (para,) = ast["blocks"]
    assert writer.inlines(para["c"]) == "ici [1]\u202f? «\u202foui\u202f» l’aide ici [1]"
    assert refs.lines() == ["[1] https://example.org/"]


def test_eml_parses_back_with_both_parts_in_utf8(built):
    raw = (built / "outputs/newsletters/2026-04/fr.eml").read_bytes()
    raw.decode("ascii")  # every header and part is 7-bit safe
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["Subject"] == typeset(SUBJECTS["fr"], "fr")  # as the email and the sending step show it
    assert re.search(rb"^Subject: .*=\?utf-8\?", raw, re.M)  # RFC 2047 encoded accents
    assert message["From"] == "CREBIS <newsletter@crebis.example.org>"
    assert message["Content-Language"] == "fr" and message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    plain, html = message.iter_parts()
    assert (plain.get_content_type(), html.get_content_type()) == ("text/plain", "text/html")
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"
    # the message has the CRLF line ends of mail; the parts are the .txt and .html files
    assert plain.get_content().replace("\r\n", "\n") == out(built, "newsletters/2026-04/fr.txt")
    assert html.get_content().replace("\r\n", "\n").rstrip("\n") == out(built, "newsletters/2026-04/fr.html")
    assert "Preheader in fr\u202f: one study, one event." in html.get_content()
    for part in (plain, html):
        assert all(field in part.get_content() for field in MERGE_FIELDS.values())


def test_eml_is_byte_identical_across_forced_rebuilds(built):
    first = (built / "outputs/newsletters/2026-04/nl.eml").read_bytes()
    assert build(Project.open(built), only={"newsletter"}, force=True).ok
    assert (built / "outputs/newsletters/2026-04/nl.eml").read_bytes() == first


# ---------------------------------------------------------------- privacy by default


def test_no_remote_font_and_only_own_resources(built):
    for lang in ("fr", "nl", "en"):
        html = out(built, f"newsletters/2026-04/{lang}.html")
        assert "googleapis" not in html and "Roboto" not in html
        assert check_email(html, out(built, f"newsletters/2026-04/{lang}.txt"),
                           rules(lang, resource_hosts=("crebis.example.org",))) == []


@pytest.mark.parametrize("injected", [
    '<link href="https://fonts.googleapis.com/css?family=Roboto" rel="stylesheet">',
    '<img src="https://tracker.example.net/pixel.gif" alt="">',
    '<div style="background-image:url(\'https://cdn.example.net/bg.png\');background-color:#fff">x</div>',
    '<style>@import "https://cdn.example.net/x.css";</style>',
])
def test_a_remote_resource_from_another_host_breaks_the_rule(built, injected):
    html = out(built, "newsletters/2026-04/fr.html").replace("</body>", injected + "</body>")
    problems = check_email(html, out(built, "newsletters/2026-04/fr.txt"),
                           rules(resource_hosts=("crebis.example.org",)))
    assert any((p.startswith("remote resource ") and "example.net" in p) or "googleapis" in p for p in problems)


def test_footer_has_the_postal_address_the_reason_and_the_logo_alt_in_each_language(built):
    alts = {"fr": "accueil du site", "nl": "startpagina van de website", "en": "website home page"}
    for lang, alt in alts.items():
        html = out(built, f"newsletters/2026-04/{lang}.html")
        text = out(built, f"newsletters/2026-04/{lang}.txt")
        assert "Rue Example 1, 1000 Bruxelles" in html and "Rue Example 1, 1000 Bruxelles" in text
        assert re.search(rf'<img alt="[^"]*{alt}"', html)
        assert 'href="[[preferences_url]]"' in html and "[[preferences_url]]" in text
