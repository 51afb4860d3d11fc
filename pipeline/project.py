"""A crebis project: its root folder, its configuration and where everything lives in it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipeline.config import Config, load_config


@dataclass(frozen=True)
class Project:
    """The folder `crebis build` runs in, with its validated configuration."""

    root: Path
    config: Config

    @classmethod
    def open(cls, root: Path | str = ".") -> Project:
        """Load the project at `root`, raising `ConfigError` if its `crebis.toml` is missing or wrong."""
        root = Path(root).resolve()
        return cls(root=root, config=load_config(root))

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
        path = self.root / ".crebis"
        path.mkdir(exist_ok=True)
        return path

    def path(self, relative: str) -> Path:
        """A path from the config, resolved against the project root."""
        return self.root / relative

    def relative(self, path: Path) -> str:
        """`path` as shown to the user: relative to the project root where possible."""
        try:
            return str(path.resolve().relative_to(self.root))
        except ValueError:
            return str(path)
