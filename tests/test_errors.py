"""Messages name files relative to the project (pipeline.errors.in_project)."""

from pathlib import Path

from pipeline.errors import ContentError, in_project


def test_paths_under_the_project_become_relative(tmp_path):
    root = tmp_path / "centre"
    root.mkdir()
    error = ContentError(root / "content/themes.yaml", "not valid YAML", line=47)
    assert in_project(str(error), root) == "content/themes.yaml:47: not valid YAML"
    assert in_project(f"file logo.svg not found in {root}", root) == "file logo.svg not found in ."
    assert in_project(f"'{root}/crebis.toml'", root) == "'crebis.toml'"


def test_a_symlinked_project_is_recognised_by_either_path(tmp_path):
    real = tmp_path / "real"
    (real / "content").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    assert in_project(f"{link}/content/a.md and {real}/content/b.md", link) == "content/a.md and content/b.md"


def test_other_folders_are_left_as_they_are(tmp_path):
    root = tmp_path / "centre"
    text = f"{tmp_path}/centre2/x.md, {tmp_path}/centre.old/y.md, {tmp_path}/other/z.md, /etc/passwd"
    assert in_project(text, root) == text
    assert in_project("content/x.md", Path("/")) == "content/x.md"
