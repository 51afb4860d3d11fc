"""`crebis check --format html`: each text with its hard sentences and words marked, the rule explained in the
text's language, and the hardest sentences listed whether or not the text meets its targets."""

from html.parser import HTMLParser

from click.testing import CliRunner
from projects import write_result

from pipeline.cli import main


class Page(HTMLParser):
    """The parts of the report the tests read: sections with their lang, marks, list items."""

    def __init__(self):
        super().__init__()
        self.sections, self.marks, self.stack, self.text = [], [], [], []
        self.toc, self.in_badge = "", False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append({"lang": attrs.get("lang"), "text": "", "badges": []})
        if tag == "span" and attrs.get("class") == "badge":
            self.in_badge = True
        if tag == "mark":
            self.marks.append({"class": attrs.get("class"), "title": attrs.get("title"), "text": ""})
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if "table" in self.stack:
            self.toc += data
        if self.in_badge and self.sections:
            self.sections[-1]["badges"].append(data)
            self.in_badge = False
        if self.sections:
            self.sections[-1]["text"] += data
        if "mark" in self.stack and self.marks:
            self.marks[-1]["text"] += data


SUMMARY = ('"L\'allocation est versée chaque mois par la caisse. Les ménages impécunieux renoncent. '
           'Le loyer monte. Les gens attendent."')


def html_report(project_dir) -> Page:
    """`crebis check --format html --output report.html` run on the project, its page parsed."""
    output = project_dir / "report.html"
    result = CliRunner().invoke(main, ["-C", str(project_dir), "check", "--format", "html", "--output",
                                       str(output)])
    assert result.exit_code == 0, result.output
    page = Page()
    page.feed(output.read_text(encoding="utf-8"))
    return page


def test_the_html_report_marks_sentences_and_words_and_explains_in_the_texts_language(project_dir):
    write_result(project_dir, summary=SUMMARY)
    page = html_report(project_dir)
    summary = next(s for s in page.sections if s["lang"] == "fr" and "Résumé en langage clair" in s["text"])
    # The passive sentence is marked as a whole, the rare word on its own, each with its rule in French.
    assert {"class": "sentence", "title": "La forme passive cache qui agit : dites qui fait quoi (forme active).",
            "text": "L'allocation est versée chaque mois par la caisse. "} in page.marks
    assert any(m["class"] == "word" and m["text"] == "impécunieux" and m["title"].startswith("Un mot rare")
               for m in page.marks)
    # Each rule is explained in French for the French text, and the report speaks French around it.
    assert "La forme passive cache qui agit" in summary["text"]
    assert "Un mot rare" in summary["text"]
    assert "Conseil, ligne" in summary["text"] and "profil\u202f: langage clair (B1)" in summary["text"]
    # Three hardest sentences, although the text meets its targets, numbered in the text too.
    assert "Les phrases les plus difficiles" in summary["text"] and "[readability]" not in summary["text"]
    assert sorted(summary["badges"]) == ["1", "2", "3"]
    assert {s["lang"] for s in page.sections} == {"fr", "nl", "en"}
    # The table of contents links every text, with its verdict in its language.
    assert "Samenvatting in klare taal" in page.toc and "Résumé en langage clair" in page.toc


def test_the_html_report_shows_newsletter_texts(project_dir):
    write_result(project_dir, summary=SUMMARY)
    issue = project_dir / "content" / "newsletters" / "2026-05"
    issue.mkdir(parents=True)
    for lang in ("fr", "nl", "en"):
        (issue / f"{lang}.md").write_text(
            '---\nsubject: "Nouvelles"\npreheader: "Le mois en bref."\nstatus: draft\n---\n\n'
            "L'allocation est versée chaque mois par la caisse.\n", encoding="utf-8")
    page = html_report(project_dir)
    newsletter = next(s for s in page.sections if s["lang"] == "fr" and "Lettre d'information" in s["text"])
    # The newsletter's own text is shown, its passive sentence marked (it was listed without its text).
    assert "Le mois en bref." in newsletter["text"]
    assert any(m["class"] == "sentence" and m["text"].startswith("L'allocation est versée") for m in page.marks)


def test_the_html_report_goes_to_standard_output(project_dir):
    write_result(project_dir, summary=SUMMARY)
    runner = CliRunner()
    result = runner.invoke(main, ["-C", str(project_dir), "check", "--format", "html"])
    assert result.exit_code == 0 and result.output.startswith("<!DOCTYPE html>")
    assert not (project_dir / "outputs").exists()
