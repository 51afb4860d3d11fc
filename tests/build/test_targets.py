"""What a build holds per target for its whole length: one object per file named, the data as its digest."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.build import FileDigests, Target, fingerprint, target_inputs
from pipeline.project import Project
from pipeline.publish import plan
from pipeline.scaffold import init_project


def test_the_targets_of_a_plan_share_one_path_object_per_file(tmp_path: Path):
    init_project(tmp_path / "centre")
    planned = plan(Project.open(tmp_path / "centre"))
    first: dict[Path, Path] = {}
    named = [p for t in planned.targets for p in (t.source, *t.inputs, *t.depends)]
    assert len(named) > 3 * len(set(named))  # the sample names each file many times
    assert all(first.setdefault(p, p) is p for p in named)


def _fingerprint(target: Target, digests: FileDigests) -> str:
    return fingerprint(target, target_inputs(target, digests, {}, str))


def test_a_targets_data_is_kept_as_its_digest_once_fingerprinted(tmp_path: Path):
    source = tmp_path / "fr.md"
    source.write_text("text", encoding="utf-8")
    data = {"menu": [["about", "À propos"]], "languages": ["fr", "nl"]}
    target = Target(output="site/a.html", kind="site", source=source, render=lambda: b"", inputs=(source,),
                    data=data)
    digests = FileDigests()
    before = _fingerprint(target, digests)
    assert target.data is not data and not isinstance(target.data, dict)
    assert _fingerprint(target, digests) == before
    # a copy made after (the preview swaps renders) has the same fingerprint, and so has the same data anew
    assert _fingerprint(dataclasses.replace(target, render=lambda: b"x"), digests) == before
    assert _fingerprint(dataclasses.replace(target, data=dict(data)), digests) == before
    assert _fingerprint(dataclasses.replace(target, data={**data, "languages": ["fr"]}), digests) != before
