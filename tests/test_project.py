"""Project paths: how a path is named (relative to the project) and whether content may read it."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from pipeline.config import Config
from pipeline.project import Project


def _project(tmp_path: Path, *shared: str) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    config = Config()
    return Project(root, dataclasses.replace(config, build=dataclasses.replace(config.build, shared_folders=shared)))


def test_paths_are_named_relative_to_the_project(tmp_path):
    project = _project(tmp_path)
    root = project.root
    assert project.relative(root / "content/results/a/fr.md") == "content/results/a/fr.md"
    assert project.relative("content/results/a/../b/fr.md") == "content/results/b/fr.md"
    assert project.relative(str(root / "layouts")) == "layouts"
    assert project.relative(root) == "."
    # a sibling whose name starts like the project's is not inside it
    assert project.relative(tmp_path / "proj2/x.md") == str(tmp_path / "proj2/x.md")
    assert project.relative(root / "../outside.png") == str(tmp_path / "outside.png")


def test_a_symlinked_folder_inside_the_project_is_part_of_it_and_one_to_it_from_outside_is_resolved(tmp_path):
    project = _project(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project.root / "content").mkdir()
    os.symlink(elsewhere, project.root / "content/results")
    assert project.relative(project.root / "content/results/a/fr.md") == "content/results/a/fr.md"
    assert project.contains(project.root / "content/results/a/fr.md")
    os.symlink(project.root / "content", tmp_path / "link")
    assert project.relative(tmp_path / "link/x.md") == "content/x.md"


def test_content_may_read_the_project_and_its_shared_folders_only(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    project = _project(tmp_path, "../shared")
    root = project.root
    assert project.contains(root / "content/x.png") and project.contains(root) and project.contains("layouts/a")
    assert project.contains(shared / "logo.png") and project.contains(shared)
    assert not project.contains(root / "../../etc/passwd")
    assert not project.contains(root / "content/../../x.png")
    assert not project.contains(tmp_path / "proj2/x.png")  # a prefix of the name is not a folder
    assert not project.contains(tmp_path / "sharedx/logo.png")
    assert not project.contains("/etc/passwd")
