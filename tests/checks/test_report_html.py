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

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections.append({"lang": attrs.get("lang"), "text": ""})
        if tag == "mark":
            self.marks.append({"class": attrs.get("class"), "title": attrs.get("title"), "text": ""})
        self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack and self.stack.pop() != tag:
            pass

    def handle_data(self, data):
        if self.sections:
            self.sections[-1]["text"] += data
        if "mark" in self.stack and self.marks:
            self.marks[-1]["text"] += data


SUMMARY = ('"L\'allocation est versée chaque mois par la caisse. Les ménages impécunieux renoncent. '
           'Le loyer monte. Les gens attendent."')


def test_the_html_report_marks_sentences_and_words_and_explains_in_the_texts_language(project_dir):
    write_result(project_dir, summary=SUMMARY)
    output = project_dir / "report.html"
    result = CliRunner().invoke(main, ["-C", str(project_dir), "check", "--format", "html", "--output",
                                       str(output)])
    assert result.exit_code == 0, result.output
    page = Page()
    page.feed(output.read_text(encoding="utf-8"))
    summary = next(s for s in page.sections if s["lang"] == "fr" and "— summary" in s["text"])
    # The passive sentence is marked as a whole, the rare word on its own.
    assert {"class": "sentence", "title": "passive",
            "text": "L'allocation est versée chaque mois par la caisse. "} in page.marks
    assert any(m["class"] == "word" and m["text"] == "impécunieux" for m in page.marks)
    # Each rule is explained in French for the French text.
    assert "La forme passive cache qui agit" in summary["text"]
    assert "Un mot rare" in summary["text"]
    # Three hardest sentences, although the text meets its targets.
    assert "Hardest sentences" in summary["text"] and "readability" not in summary["text"]
    assert {s["lang"] for s in page.sections} == {"fr", "nl", "en"}


def test_the_html_report_goes_to_standard_output(project_dir):
    write_result(project_dir, summary=SUMMARY)
    runner = CliRunner()
    result = runner.invoke(main, ["-C", str(project_dir), "check", "--format", "html"])
    assert result.exit_code == 0 and result.output.startswith("<!DOCTYPE html>")
    assert not (project_dir / "outputs").exists()
