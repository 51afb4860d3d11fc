"""A crebis project: its root folder, its configuration and where everything lives in it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from pipeline.config import CONFIG_FILE, Config, load_config
from pipeline.state import state_dir


@dataclass(frozen=True)
class Project:
    """The folder `crebis build` runs in, with its validated configuration."""

    root: Path
    config: Config

    @classmethod
    def open(cls, root: Path | str = ".") -> Project:
        """Load the project at `root` or the nearest folder above it holding a `crebis.toml` (as git finds
        its repository); raises `ConfigError` if there is none, or it is wrong."""
        found = find_root(root)
        return cls(root=found, config=load_config(found))

    @property
    def content_dir(self) -> Path:
        return self.root / "content"

    @property
    def results_dir(self) -> Path:
        return self.content_dir / "results"

    @property
    def layouts_dir(self) -> Path:
        return self.root / "layouts"

    @property
    def outputs_dir(self) -> Path:
        return self.root / "outputs"

    @property
    def state_dir(self) -> Path:
        """Where state that is not content lives (SQLite files); created on first use."""
        return state_dir(self.root)

    def path(self, relative: str) -> Path:
        """A path from the config, resolved against the project root."""
        return self.root / relative

    def relative(self, path: Path | str) -> str:
        """`path` as shown to the user (and hashed in fingerprints): relative to the project root where possible.

        Paths under the root are taken as they are, not resolved: a symlinked folder inside the project
        (content/ or a result pointing elsewhere) is part of the project like any folder.
        """
        # String arithmetic on the normalised name: a build asks this of every input of ~15k targets,
        # and pathlib's parsing (Path(), relative_to) cost more than the rest of a no-op build's planning.
        name = os.path.normpath(os.path.join(self._root_name, path))
        if name.startswith(self._root_prefix):
            return name[len(self._root_prefix):].replace(os.sep, "/")
        if name == self._root_name:
            return "."
        try:
            return Path(name).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return name

    @cached_property
    def shared_folders(self) -> tuple[Path, ...]:
        """The folders outside the project that content may take files from (`build.shared_folders`)."""
        return tuple(Path(os.path.normpath(self.root / folder)) for folder in self.config.build.shared_folders)

    def contains(self, path: Path | str) -> bool:
        """Whether content may read `path`: it lies in the project or in one of its shared folders, judged by
        its name (`..` cannot climb out; a symlink inside the project is inside it)."""
        name = os.path.normpath(os.path.join(self._root_name, path))
        return any(name == folder or name.startswith(prefix) for folder, prefix in self._allowed)

    @cached_property
    def _root_name(self) -> str:
        return os.fspath(self.root)

    @cached_property
    def _root_prefix(self) -> str:
        return _prefix(self._root_name)

    @cached_property
    def _allowed(self) -> tuple[tuple[str, str], ...]:
        """Each folder content may read from, as a name and the prefix of the names inside it."""
        names = [self._root_name, *(os.fspath(folder) for folder in self.shared_folders)]
        return tuple((name, _prefix(name)) for name in names)


def _prefix(folder: str) -> str:
    return folder if folder.endswith(os.sep) else folder + os.sep


def find_root(start: Path | str = ".") -> Path:
    """The project folder of `start`: itself or the nearest folder above it holding a `crebis.toml`
    (`start` itself when there is none), resolved."""
    start = Path(start).absolute()
    return next((folder for folder in (start, *start.parents) if (folder / CONFIG_FILE).is_file()), start).resolve()
