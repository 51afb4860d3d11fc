"""What crebis's own code is: its version and a digest of its package's files.

The version alone stays the same from one commit to the next, so outputs, drawn charts and cached
findings keyed on it outlived a change to the code that made them (a renderer, a pandoc filter, a
check rule): an upgrade left them stale until `--force`. Keyed on this, the first build after any
change to crebis's files makes everything again, once (the digest does not say which file a target
used), and a build on unchanged code trusts its fingerprints as before.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import pipeline
from pipeline import __version__


def package_digest(root: Path) -> str:
    """A digest of every file under `root` (its path and bytes), Python's compiled caches left out."""
    h = hashlib.blake2b(digest_size=16)
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        data = path.read_bytes()
        h.update(f"{path.relative_to(root).as_posix()}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()


@functools.cache
def code_version() -> str:
    """crebis's version and the digest of its installed package: what the outputs' fingerprints name."""
    return f"{__version__}+{package_digest(Path(pipeline.__file__).parent)}"
