"""Any text a writer may type goes through every prose rule without an internal error."""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.checks.findings import Finding
from pipeline.checks.glossary import make_glossary
from pipeline.checks.newsletters import KIND, read_newsletter
from pipeline.checks.rules import prose
from pipeline.checks.rules.texts import text_findings
from pipeline.config import Config

OPTIONS = Config().check
GLOSSARY = make_glossary({"non-recours": ((), "ne pas recevoir une aide")})
# Letters, digits, punctuation the rules look at (: ; – % ' ’ « »), Markdown marks and line breaks.
ALPHABET = st.sampled_from(list("aeéiouyàçnlrstdqpmgbvfzAEOCPMS0123456789 .,:;!?–—-%'’«»\"()*_#\n"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=st.text(ALPHABET, max_size=300), subject=st.text(ALPHABET.filter(lambda c: c not in '"\n\\'),
                                                               max_size=60),
       lang=st.sampled_from(["fr", "nl", "en"]))
def test_every_rule_reads_any_newsletter_text(body, subject, lang):
    source = f'---\nsubject: "{subject}"\npreheader: "x"\n---\n\n{body}\n'
    file = read_newsletter(Path(f"content/newsletters/2026-04/{lang}.md"), f"content/newsletters/2026-04/{lang}.md",
                           lang, source)
    text = file.texts[KIND]
    stats, _ = prose.document_stats(file, text, OPTIONS)
    findings = list(text_findings(file, text, stats, GLOSSARY, OPTIONS))
    assert all(isinstance(f, Finding) and (f.line is None or 1 <= f.line <= source.count("\n") + 1)
               for f in findings)
    assert len(stats.hardest) <= 3
