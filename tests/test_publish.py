"""The build end to end on a real project: incremental, parallel, atomic, with real pandoc."""

import os
import shutil
import signal
import subprocess
import sys
import time

import yaml
from projects import REPO, chart_figures, edition_text, write_chart, write_result

from pipeline.project import Project
from pipeline.publish import build

PAGES = {f"site/{lang}/results/housing-first/index.html" for lang in ("fr", "nl", "en")}
# The home, results index and theme pages list every edition of their language.
THEME_PAGES = tuple(f"themes/{theme}/" for theme in yaml.safe_load((REPO / "content/themes.yaml").read_text("utf-8")))


def site_copies(lang: str, slug: str = "housing-first") -> set[str]:
    """The briefs, summaries and social card also published beside the edition's web page."""
    return {f"site/{lang}/results/{slug}/{slug}-{lang}.{ext}" for ext in ("pdf", "docx")} | {
        f"site/{lang}/results/{slug}/{slug}-{lang}-summary.{ext}" for ext in ("html", "pdf")} | {
        f"site/{lang}/results/{slug}/card.png"}


def edition_outputs(lang: str, slug: str = "housing-first") -> set[str]:
    """Everything made from one edition's text: its page, its PDF and DOCX briefs and its summaries."""
    return {f"site/{lang}/results/{slug}/index.html", f"briefs/{slug}/{slug}-{lang}.pdf",
            f"briefs/{slug}/{slug}-{lang}.docx",
            *(f"summaries/{slug}-{lang}.{ext}" for ext in ("html", "pdf", "txt"))}


def social_outputs(lang: str, slug: str = "housing-first") -> set[str]:
    """The social kit of one edition (made from its title and findings, not its body)."""
    return {f"social/{slug}/{lang}.{ext}" for ext in ("md", "png")}


def built(outcome) -> set[str]:
    return {t.output for t in outcome.report.built}


def test_first_build_writes_every_target_and_second_does_nothing(project_dir):
    write_result(project_dir)
    first = build(Project.open(project_dir))
    assert first.ok
    assert PAGES <= built(first)
    assert {"site/index.html", "site/assets/site.css", "site/assets/logo.svg",
            "site/media/housing-first/chart.png", "site/fr/index.html"} <= built(first)
    for output in built(first):
        assert (project_dir / "outputs" / output).is_file()
    second = build(Project.open(project_dir))
    assert second.ok and built(second) == set()
    assert len(second.report.fresh) == len(first.report.built)


def test_editing_one_body_rebuilds_only_that_page(project_dir):
    directory = write_result(project_dir)
    build(Project.open(project_dir))
    (directory / "nl.md").write_text(edition_text("nl") + "\nEen extra zin.\n", encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert built(outcome) == edition_outputs("nl")
    assert "Een extra zin." in (project_dir / "outputs/site/nl/results/housing-first/index.html").read_text()


def test_editing_a_title_also_rebuilds_the_pages_that_show_it(project_dir):
    directory = write_result(project_dir)
    build(Project.open(project_dir))
    (directory / "en.md").write_text(edition_text("en", title='"Housing First, revisited"'), encoding="utf-8")
    outcome = build(Project.open(project_dir))
    # the English page, home, index, theme page and feed show the title; the other editions name it in their
    # language links
    assert built(outcome) == PAGES | edition_outputs("en") | social_outputs("en") | {
        "site/en/index.html", "site/en/results/index.html", "site/en/themes/housing/index.html", "site/en/feed.xml"}


def test_layout_change_rebuilds_the_site(project_dir):
    write_result(project_dir)
    build(Project.open(project_dir))
    template = project_dir / "layouts/site/result.html"
    template.write_text(template.read_text().replace("<article", "<article data-v=2"), encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert PAGES <= built(outcome)
    assert "site/media/housing-first/chart.png" not in built(outcome)  # a copied figure uses no layout
    assert 'data-v=2' in (project_dir / "outputs/site/fr/results/housing-first/index.html").read_text()


def test_label_change_rebuilds_only_that_language(project_dir):
    write_result(project_dir)
    build(Project.open(project_dir))
    labels = project_dir / "layouts/i18n/nl.yaml"
    labels.write_text(labels.read_text().replace("Aanbevelingen", "Wat moet er gebeuren"), encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert edition_outputs("nl") <= built(outcome)
    # every other output rebuilt is a Dutch page, or a root page that shows every language's labels
    others = {o for o in built(outcome) if not (o.startswith("site/nl/") or "-nl." in o or "/nl." in o)}
    assert others == {"site/index.html", "site/404.html"}


def test_config_change_rebuilds_what_reads_it(project_dir):
    write_result(project_dir)
    build(Project.open(project_dir))
    config = project_dir / "crebis.toml"
    config.write_text(config.read_text() + '\n[brand]\nprimary = "#004466"\n', encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert "site/assets/site.css" in built(outcome) and PAGES <= built(outcome)
    assert "site/media/housing-first/chart.png" not in built(outcome)
    assert "--primary: #004466" in (project_dir / "outputs/site/assets/site.css").read_text()


def test_force_rebuilds_everything(project_dir):
    write_result(project_dir)
    first = build(Project.open(project_dir))
    again = build(Project.open(project_dir), force=True)
    assert built(again) == built(first)


def test_deleting_a_result_removes_its_outputs(project_dir):
    write_result(project_dir)
    directory = write_result(project_dir, slug="second-study")
    build(Project.open(project_dir))
    assert (project_dir / "outputs/site/fr/results/second-study/index.html").exists()
    shutil.rmtree(directory)
    outcome = build(Project.open(project_dir))
    copies = {c for lang in ("fr", "nl", "en") for c in site_copies(lang, "second-study")}
    assert set(outcome.report.removed) == {
        "site/media/second-study/chart.png", *copies,
        *(o for lang in ("fr", "nl", "en")
          for o in edition_outputs(lang, "second-study") | social_outputs(lang, "second-study")),
    }
    assert not (project_dir / "outputs/briefs/second-study").exists()
    assert not (project_dir / "outputs/site/fr/results/second-study").exists()
    assert not (project_dir / "outputs/site/media/second-study").exists()
    assert (project_dir / "outputs/site/fr/results/housing-first/index.html").exists()


def test_deleting_one_language_removes_that_page(project_dir):
    directory = write_result(project_dir)
    build(Project.open(project_dir))
    (directory / "en.md").unlink()
    outcome = build(Project.open(project_dir))
    assert set(outcome.report.removed) == edition_outputs("en") | social_outputs("en") | site_copies("en")


def test_a_broken_result_keeps_its_previous_outputs_and_the_others_build(project_dir):
    broken = write_result(project_dir, slug="broken-study")
    write_result(project_dir)
    build(Project.open(project_dir))
    page = project_dir / "outputs/site/fr/results/broken-study/index.html"
    before = page.read_bytes()
    (broken / "fr.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    (project_dir / "content/results/housing-first/fr.md").write_text(
        edition_text("fr") + "\nNouveau.\n", encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert not outcome.ok
    assert [(e.file, e.line) for e in outcome.content_errors] == [("content/results/broken-study/fr.md", 2)]
    assert outcome.report.removed == []
    assert page.read_bytes() == before
    assert "site/fr/results/housing-first/index.html" in built(outcome)
    # the broken file stops only its own outputs and those that show it: the study's other languages
    # still build, but their pages (which link the broken edition by its title) and the French index
    # are kept as they were, and the build says so
    siblings = {f"site/{lang}/results/broken-study/index.html" for lang in ("nl", "en")}
    assert edition_outputs("nl", "broken-study") - siblings <= built(outcome) | {t.output for t in outcome.report.fresh}
    indexes = {f"site/fr/{page}index.html" for page in ("", "results/", *THEME_PAGES)}
    assert set(outcome.report.kept) == siblings | indexes | {"site/fr/feed.xml", "site/sitemap.xml"}
    assert (project_dir / "outputs/briefs/broken-study/broken-study-fr.pdf").exists()


def outputs_of(project_dir) -> dict[str, bytes]:
    root = project_dir / "outputs"
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and ".crebis" not in p.parts}


def test_an_edition_left_out_for_an_error_in_another_file_keeps_everything_it_showed(project_dir):
    directory = write_result(project_dir, langs=())
    write_chart(directory)
    for lang in ("fr", "en"):
        (directory / f"{lang}.md").write_text(edition_text(lang, figures=chart_figures(lang)), encoding="utf-8")
    shutil.copy(directory / "chart.png", directory / "nl-map.png")  # a picture of the Dutch edition alone
    (directory / "nl.md").write_text(
        edition_text("nl", figures=chart_figures("nl")) + "\n![Een kaart van de scholen.](nl-map.png)\n",
        encoding="utf-8")
    assert build(Project.open(project_dir)).ok
    before = outputs_of(project_dir)
    assert "site/media/housing-first/nl-map.png" in before
    labels = directory / "take-up.labels.csv"  # one Dutch label missing: the error names the labels table
    lines = labels.read_text(encoding="utf-8").splitlines()
    key, fr, _nl, en = lines[1].split(",")
    labels.write_text("\n".join([lines[0], f"{key},{fr},,{en}", *lines[2:]]) + "\n", encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert not outcome.ok
    assert [e.file for e in outcome.content_errors] == ["content/results/housing-first/take-up.labels.csv"]
    assert outcome.report.removed == []
    after = outputs_of(project_dir)
    dutch = {o for o in before if "/nl/" in o or "-nl" in o or o.endswith("nl-map.png")}
    assert dutch and {o for o in dutch if after.get(o) != before[o]} == set()
    # ... and so are the pages that link it, the feed and the sitemap that list it
    for shown in ("site/fr/results/housing-first/index.html", "site/nl/feed.xml", "site/sitemap.xml"):
        assert after[shown] == before[shown], shown


def test_a_result_that_fails_whole_keeps_its_feed_entry_and_sitemap_lines(project_dir):
    broken = write_result(project_dir, slug="broken-study")
    write_result(project_dir)
    build(Project.open(project_dir))
    before = outputs_of(project_dir)
    for lang in ("fr", "nl", "en"):
        (broken / f"{lang}.md").write_text("---\ntitle: [unclosed\n---\n", encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert not outcome.ok and outcome.report.removed == []
    after = outputs_of(project_dir)
    for shown in ("site/sitemap.xml", *(f"site/{lang}/feed.xml" for lang in ("fr", "nl", "en"))):
        assert after[shown] == before[shown] and b"broken-study" in after[shown], shown


def test_a_check_error_blocks_only_the_outputs_of_its_file(project_dir):
    directory = write_result(project_dir)
    build(Project.open(project_dir))
    en_page = project_dir / "outputs/site/en/results/housing-first/index.html"
    before = en_page.read_bytes()
    # link text that says nothing is an accessibility error of `crebis check`, not of the loader
    (directory / "en.md").write_text(edition_text("en") + "\nFor the data, [click here](https://example.org/d).\n",
                                     encoding="utf-8")
    (directory / "nl.md").write_text(edition_text("nl") + "\nNieuw.\n", encoding="utf-8")
    outcome = build(Project.open(project_dir))
    assert not outcome.ok
    assert [(f.file, f.rule) for f in outcome.content_errors] == [("content/results/housing-first/en.md",
                                                                      "link-text")]
    assert not [t for t in outcome.report.built if t.lang == "en"]
    assert en_page.read_bytes() == before and outcome.report.removed == []
    # the Dutch brief and summary build; the pages that link the English edition wait for it
    assert edition_outputs("nl") - PAGES <= built(outcome)
    assert set(outcome.report.kept) == PAGES - {"site/en/results/housing-first/index.html"} | {
        f"site/en/{page}index.html" for page in ("", "results/", *THEME_PAGES)} | {"site/en/feed.xml",
                                                                                   "site/sitemap.xml"}


def test_check_warnings_reach_the_build_and_are_cached(project_dir):
    long = " ".join(["word"] * 30) + "."
    write_result(project_dir, langs=("en",), summary=f'"{long}"')
    first = build(Project.open(project_dir))
    assert first.ok
    assert [(f.rule, f.severity) for f in first.warnings if f.rule == "sentence-length"] == [
        ("sentence-length", "warning")]
    second = build(Project.open(project_dir))
    assert [f.message for f in second.warnings] == [f.message for f in first.warnings]


def test_an_edition_with_an_unknown_citation_leaves_the_others_built(project_dir):
    write_result(project_dir)
    bad = write_result(project_dir, slug="bad-citation", langs=("fr",))
    (bad / "fr.md").write_text(edition_text("fr") + "\nAs shown by [@nobody2020].\n", encoding="utf-8")
    (project_dir / "content/references.bib").write_text(
        "@book{real2020, author={Doe, Jane}, title={Real}, year={2020}, publisher={P}}\n", encoding="utf-8")
    outcome = build(Project.open(project_dir))
    # the check finds the unknown key at its line, before any renderer: that edition builds nothing
    assert [(f.file, f.line, f.rule) for f in outcome.content_errors] == [
        ("content/results/bad-citation/fr.md", 34, "citation")]
    assert outcome.report.failed == []
    assert not edition_outputs("fr", "bad-citation") & built(outcome)
    assert PAGES <= built(outcome)
    # the next build says it again
    again = build(Project.open(project_dir))
    assert [f.message for f in again.content_errors] == [f.message for f in outcome.content_errors]


def test_only_and_lang_narrow_the_build_without_removing_the_rest(project_dir):
    write_result(project_dir)
    build(Project.open(project_dir))
    outcome = build(Project.open(project_dir), only={"site"}, langs={"nl"}, force=True)
    assert {t.lang for t in outcome.report.built} <= {"nl", None}
    assert "site/fr/results/housing-first/index.html" not in built(outcome)
    assert outcome.report.removed == []
    assert (project_dir / "outputs/site/fr/results/housing-first/index.html").exists()


def test_drafts_are_left_out_unless_asked(project_dir):
    write_result(project_dir, status="draft")
    outcome = build(Project.open(project_dir))
    assert not PAGES & built(outcome)
    outcome = build(Project.open(project_dir), drafts=True)
    assert PAGES <= built(outcome)
    assert outcome.outputs_dir == project_dir / ".crebis/preview/outputs"
    assert "Brouillon" in (outcome.outputs_dir / "site/fr/results/housing-first/index.html").read_text()
    # the published tree and its feeds never see a draft
    assert not (project_dir / "outputs/site/fr/results/housing-first").exists()
    assert "housing-first" not in (project_dir / "outputs/site/fr/feed.xml").read_text()


_KILLABLE_BUILD = """
import builtins, sys, time
from pipeline.project import Project
from pipeline.publish import build
import pipeline.build as engine

class HalfThenPause:
    # each output is written in two halves with a pause between: a kill then hits a half-written file
    def __init__(self, *args):
        self.fh = builtins.open(*args)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.fh.close()
    def write(self, data):
        self.fh.write(data[: len(data) // 2]); self.fh.flush(); time.sleep(0.05)
        self.fh.write(data[len(data) // 2 :])

engine.open = HalfThenPause
build(Project.open(sys.argv[1]), force=True, jobs=2)
"""


def test_an_interrupted_build_leaves_no_half_written_file(project_dir):
    for i in range(12):
        write_result(project_dir, slug=f"study-{i:02d}")
    assert build(Project.open(project_dir)).ok
    outputs = project_dir / "outputs"
    proc = subprocess.Popen([sys.executable, "-c", _KILLABLE_BUILD, str(project_dir)])
    deadline = time.monotonic() + 120  # generous: on a loaded machine the rebuild takes a while to start writing
    # wait until the forced rebuild is under way, then kill it without warning
    while time.monotonic() < deadline and not any(outputs.rglob("*.crebis-tmp")):
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    half_written = list(outputs.rglob("*.crebis-tmp"))
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert half_written, "the build was not caught mid-write"
    for page in outputs.rglob("index.html"):
        text = page.read_text(encoding="utf-8")
        assert text.rstrip().endswith("</html>"), f"{page} is half-written"
    # the next build cleans up after the killed one and completes
    outcome = build(Project.open(project_dir))
    assert outcome.ok
    assert not list(outputs.rglob("*.crebis-tmp"))


def test_warnings_are_reported_and_kept_for_up_to_date_targets(tmp_path):
    from pipeline.build import Rendered, Target, run_build

    source = tmp_path / "source.md"
    source.write_text("x")

    def targets():
        return [Target(output="a.txt", kind="site", source=source, inputs=(source,),
                       render=lambda: Rendered(b"a", ("a.txt is long",)),
                       copies=("site/a-copy.txt",))]

    first = run_build(targets(), tmp_path / "out", tmp_path, {})
    assert [w for _, w in first.warnings] == ["a.txt is long"]
    assert (tmp_path / "out/site/a-copy.txt").read_bytes() == b"a"
    second = run_build(targets(), tmp_path / "out", tmp_path, {})
    assert second.built == [] and [w for _, w in second.warnings] == ["a.txt is long"]
    (tmp_path / "out/site/a-copy.txt").unlink()  # a missing copy makes the target out of date
    assert [t.output for t in run_build(targets(), tmp_path / "out", tmp_path, {}).built] == ["a.txt"]


def _children() -> list[str]:
    """The names of this process's child processes (from /proc)."""
    names = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                head, tail = fh.read().rsplit(")", 1)
        except (OSError, ValueError):
            continue
        if entry.isdigit() and int(tail.split()[1]) == os.getpid():
            names.append(head.split("(", 1)[1])
    return names


def test_the_renderers_workers_are_stopped_before_pagefind_indexes_the_site(project_dir, monkeypatch):
    # Pagefind holds the whole site's index: idle pandoc and typst workers beside it were the build's peak memory
    import pipeline.publish as publish

    seen: list[list[str]] = []
    index_site = publish.index_site
    monkeypatch.setattr(publish, "index_site", lambda site: (seen.append(_children()), index_site(site))[1])
    write_result(project_dir, langs=("en",))
    outcome = build(Project.open(project_dir), only={"site", "brief"})
    assert outcome.ok and outcome.search is not None and len(seen) == 1
    assert not [name for name in seen[0] if name == "pandoc" or name.startswith("python")], seen[0]
