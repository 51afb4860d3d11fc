"""Benchmark of the newsletter: one issue in three languages and its web archive, and mjml-python
against the official `mjml` npm package on the same MJML.

    python bench/newsletter.py [--repeat 20] [--no-npm]

On a copy of the repository's sample project (content/newsletters/2026-04), in one run:

  (a) per edition (fr, nl, en): pandoc to AST, jinja2 MJML, mjml-python, text part,
      build-time email checks, .eml; the median of REPEAT runs, by stage;
  (b) the web archive: issue pages, indexes and Atom feeds of all languages;
  (c) a forced `build --only newsletter` (every newsletter target, through the build graph);
  (d) the same three MJML documents through mjml-python (in-process) and through the npm
      `mjml` package (installed into a temp folder; in-process in node, and one node process per
      document as a CLI would run it);
  (e) what a reader receives: one recipient's message as `crebis newsletter send` writes it, by
      part (raw and as encoded in the message), and the chart PNGs the email links to.

Target: <= 50 ms per edition, jinja2 and the text part included; an HTML part under Gmail's 102 KB
clipping limit. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pipeline.content.load import load_results, load_themes
from pipeline.content.newsletter import load_newsletters
from pipeline.project import Project
from pipeline.publish import build
from pipeline.render.context import RenderContext
from pipeline.render.email_quality import check_email
from pipeline.render.mjml import mjml_version, render_mjml
from pipeline.render.newsletter import (
    _Edition,
    build_eml,
    convert,
    email_rules,
    render_archive_index,
    render_archive_page,
    render_feed,
    render_mjml_source,
    render_text,
)

REPO = Path(__file__).resolve().parent.parent
TARGET_MS = 50.0
_NODE_BENCH = """
// mjml 5 returns a promise, mjml 4 the result itself: `await` handles both.
const fs = require("fs");
const mjml2html = require("mjml");
(async () => {
  const [repeat, ...files] = process.argv.slice(2);
  const out = {};
  for (const file of files) {
    const src = fs.readFileSync(file, "utf8");
    await mjml2html(src);  // warm-up
    const times = [];
    let size = 0;
    for (let i = 0; i < Number(repeat); i++) {
      const start = process.hrtime.bigint();
      const result = await mjml2html(src, {validationLevel: "soft"});
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
      size = Buffer.byteLength(result.html, "utf8");
    }
    times.sort((a, b) => a - b);
    out[file] = {median_ms: times[Math.floor(times.length / 2)], bytes: size};
  }
  console.log(JSON.stringify(out));
})();
"""
_NODE_ONE = """
const fs = require("fs");
const mjml2html = require("mjml");
(async () => process.stdout.write((await mjml2html(fs.readFileSync(process.argv[2], "utf8"))).html))();
"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:7.1f} ms"


def median_time(func, repeat: int) -> tuple[float, object]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def copy_sample(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for part in ("crebis.toml", "content", "layouts"):
        source = REPO / part
        (shutil.copytree if source.is_dir() else shutil.copy)(source, dest / part)
    return dest


def editions(root: Path):
    project = Project.open(root)
    themes = load_themes(project.path(project.config.watch.themes))
    results = load_results(project.results_dir, project.config.languages, themes).results
    ctx = RenderContext.create(project, results, themes)
    loaded = load_newsletters(project.content_dir / "newsletters", ctx.languages, results, project.results_dir)
    if loaded.errors:
        sys.exit("the sample newsletter has errors:\n" + "\n".join(str(e) for e in loaded.errors))
    newsletter = next(n for n in loaded.newsletters if n.issue == "2026-04")
    return ctx, newsletter


def bench_editions(ctx, newsletter, repeat: int) -> dict[str, str]:
    print(f"(a) one edition, median of {repeat} runs (mjml-python {mjml_version()})")
    header = ("lang", "pandoc", "jinja2", "mjml", "text", "checks", "eml", "total")
    print("    " + "".join(f"{h:>10}" for h in header))
    sources = {}
    for edition in newsletter.editions:
        t_convert, converted = median_time(lambda e=edition: convert(ctx, e), repeat)
        t_jinja, source = median_time(lambda e=edition, c=converted: render_mjml_source(ctx, e, c), repeat)
        t_mjml, html = median_time(lambda s=source: render_mjml(s), repeat)
        t_text, text = median_time(lambda e=edition, c=converted: render_text(ctx, e, c), repeat)
        t_check, problems = median_time(lambda h=html, t=text, e=edition: check_email(h, t, email_rules(ctx, e)),
                                        repeat)
        t_eml, _ = median_time(lambda e=edition, h=html, t=text: build_eml(ctx, e, h, t), repeat)
        assert not problems, problems
        total = t_convert + t_jinja + t_mjml + t_text + t_check + t_eml
        verdict = "ok" if total * 1000 <= TARGET_MS else f"OVER the {TARGET_MS:.0f} ms target"
        row = [edition.lang, *(ms(t) for t in (t_convert, t_jinja, t_mjml, t_text, t_check, t_eml, total))]
        print("    " + "".join(f"{c:>10}" for c in row) + f"   {verdict}  ({len(html.encode()) / 1000:.1f} KB HTML)")
        sources[edition.lang] = source
    return sources


def bench_archive(ctx, newsletter, repeat: int) -> None:
    memos = {e.lang: _Edition(ctx, e) for e in newsletter.editions}

    def archive() -> None:
        for edition in newsletter.editions:
            converted = convert(ctx, edition)
            render_archive_page(ctx, newsletter, edition, converted)
        for lang in ctx.languages:
            editions = [e for e in newsletter.editions if e.lang == lang]
            render_archive_index(ctx, lang, editions)
            render_feed(ctx, lang, [(e, memos[lang]) for e in editions])

    t_archive, _ = median_time(archive, repeat)
    print(f"(b) web archive, {len(newsletter.editions)} issue pages + {len(ctx.languages)} indexes + "
          f"{len(ctx.languages)} Atom feeds: {ms(t_archive)} (pandoc included)")


def bench_build(root: Path) -> None:
    project = Project.open(root)
    build(project, only={"newsletter"})
    start = time.perf_counter()
    outcome = build(project, only={"newsletter"}, force=True)
    elapsed = time.perf_counter() - start
    print(f"(c) forced build --only newsletter: {len(outcome.report.built)} targets in {ms(elapsed)} "
          f"({'ok' if outcome.ok else 'FAILED'})")


def weigh(root: Path) -> None:
    """(e) one recipient's message by part, and the chart images its HTML links to (fetched by the reader)."""
    import email
    import email.policy
    import re

    from pipeline.mail.editions import newsletter_campaign
    from pipeline.mail.message import MessageFactory, Recipient

    project = Project.open(root)
    campaign = newsletter_campaign(project, "2026-04")
    factory = MessageFactory(project.config, campaign, None, key=b"bench-key-0123456789abcdef")
    site = project.outputs_dir / "site"
    base = project.config.base_url
    print("(e) one recipient's message, by part (KB raw -> as encoded in the message), and the images it links to")
    print("    " + "".join(f"{h:>14}" for h in ("lang", "headers", "text", "html", "message", "images")))
    for lang, edition in campaign.editions.items():
        _, data = factory.build(Recipient(f"reader-{lang}@example.org", "Reader", lang))
        head = data.split(b"\r\n\r\n", 1)[0]
        message = email.message_from_bytes(data, policy=email.policy.SMTP)
        sent = {part.get_content_type(): len(part.get_payload().encode("ascii")) for part in message.walk()
                if not part.is_multipart()}
        images = [site / url[len(base):] for url in re.findall(r'<img src="([^"]+)"', edition.html)
                  if url.startswith(base)]
        row = (lang, f"{len(head) / 1000:.1f}",
               f"{len(edition.text.encode()) / 1000:.1f} -> {sent['text/plain'] / 1000:.1f}",
               f"{len(edition.html.encode()) / 1000:.1f} -> {sent['text/html'] / 1000:.1f}",
               f"{len(data) / 1000:.1f}", f"{sum(p.stat().st_size for p in images) / 1000:.1f} ({len(images)})")
        print("    " + "".join(f"{c:>14}" for c in row))
        if len(edition.html.encode()) > 102_000:
            print(f"    {lang}: the HTML part is over 102 KB: Gmail clips it")


def bench_npm(sources: dict[str, str], repeat: int, workdir: Path) -> None:
    print("(d) the same MJML: mjml-python (Rust, in-process) against npm mjml (node)")
    files = []
    for lang, source in sources.items():
        path = workdir / f"issue-{lang}.mjml"
        path.write_text(source, encoding="utf-8")
        files.append(path)
    python = {path: median_time(lambda s=source: render_mjml(s), repeat)
              for path, source in zip(files, sources.values(), strict=True)}
    node_dir = workdir / "node"
    node_dir.mkdir()
    npm = shutil.which("npm")
    node = shutil.which("node")
    if not npm or not node:
        print("    npm or node not found: comparison skipped")
        return
    start = time.perf_counter()
    install = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(node_dir),
                              "mjml"], capture_output=True, text=True, timeout=300, check=False)
    if install.returncode != 0:
        print(f"    `npm install mjml` failed, comparison skipped: {install.stderr.strip()[:300]}")
        return
    version = json.loads((node_dir / "node_modules/mjml/package.json").read_text())["version"]
    print(f"    npm mjml {version} installed in {time.perf_counter() - start:.1f} s")
    (node_dir / "bench.js").write_text(_NODE_BENCH, encoding="utf-8")
    (node_dir / "one.js").write_text(_NODE_ONE, encoding="utf-8")
    run = subprocess.run([node, str(node_dir / "bench.js"), str(repeat), *map(str, files)], capture_output=True,
                         text=True, cwd=node_dir, check=False)
    if run.returncode != 0:
        print(f"    node failed, comparison skipped: {run.stderr.strip()[:300]}")
        return
    in_node = json.loads(run.stdout)
    print("    " + "".join(f"{h:>16}" for h in ("document", "mjml-python", "mjml (node)", "node + startup",
                                                   "python HTML", "node HTML")))
    for path in files:
        start = time.perf_counter()
        subprocess.run([node, str(node_dir / "one.js"), str(path)], capture_output=True, cwd=node_dir, check=True)
        cold = time.perf_counter() - start
        t_python, html = python[path]
        row = (path.name, ms(t_python), f"{in_node[str(path)]['median_ms']:7.1f} ms", ms(cold),
               f"{len(html.encode()) / 1000:.1f} KB", f"{in_node[str(path)]['bytes'] / 1000:.1f} KB")
        print("    " + "".join(f"{c:>16}" for c in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="runs per measurement (median reported)")
    parser.add_argument("--no-npm", action="store_true", help="skip the comparison with npm mjml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="crebis-bench-newsletter-") as tmp:
        root = copy_sample(Path(tmp) / "project")
        ctx, newsletter = editions(root)
        sources = bench_editions(ctx, newsletter, args.repeat)
        bench_archive(ctx, newsletter, max(3, args.repeat // 4))
        bench_build(root)
        weigh(root)
        if args.no_npm:
            print("(d) skipped (--no-npm)")
        else:
            bench_npm(sources, args.repeat, Path(tmp))


if __name__ == "__main__":
    main()
