"""Rule findings kept per result folder, so that `crebis build` re-checks only what changed.

A folder's findings are reused while everything the rules read is the same: its edition files
(bytes and change times), whether each image its bodies name exists, the glossaries, themes and
bibliography, the whole configuration and the crebis version. Loading errors are not kept here:
they come from the build's own reading of the content, so a fixed file is never blocked by an
old finding. A cache file that cannot be read is treated as empty (and rewritten).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from pathlib import Path

from pipeline.checks.findings import DocumentStats, Finding
from pipeline.codeversion import code_version
from pipeline.content.frontmatter import Document
from pipeline.content.load import IMAGE
from pipeline.state import open_cache, unwritable


class CheckCache:
    """Findings and readability figures per result folder, in `.crebis/checks.sqlite`."""

    SCHEMA = 2

    def __init__(self, path: Path, shared_inputs: list[Path], settings: object, notices: list[str] | None = None):
        self.path = path
        self.db, rows = open_cache(path, self.SCHEMA, (
            "CREATE TABLE IF NOT EXISTS folders (folder TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
            "findings TEXT NOT NULL, documents TEXT NOT NULL)",), "SELECT folder, fingerprint, findings, documents "
            "FROM folders", notices)
        self.rows = {row[0]: row[1:] for row in rows}
        h = hashlib.blake2b(digest_size=16)
        h.update(f"crebis {code_version()}\0{json.dumps(settings, sort_keys=True, default=str)}\0".encode())
        for input_path in shared_inputs:
            h.update(f"{input_path.name}\0".encode())
            h.update(input_path.read_bytes() if input_path.is_file() else b"missing")
        self.shared = h.hexdigest()

    def fingerprint(self, directory: Path, documents: dict[Path, tuple[bytes, Document]],
                    times: dict[Path, float]) -> str:
        """What the rules read about one folder, from the bytes the loader read."""
        h = hashlib.blake2b(self.shared.encode(), digest_size=16)
        h.update("\0".join(sorted(p.name for p in directory.glob("*.md"))).encode())
        for md, (raw, doc) in sorted(documents.items()):
            h.update(f"\0{md.name}\0{times.get(md.resolve(), 0)}\0".encode())
            h.update(raw)
            # the rules report a body image that is missing or broken: which file is there is an input
            for image in IMAGE.finditer(doc.body):
                h.update(f"{image.group('src')}={_stamp(md.parent / image.group('src'))}\0".encode())
        return h.hexdigest()

    def get(self, directory: Path, fingerprint: str) -> tuple[list[Finding], list[DocumentStats]] | None:
        row = self.rows.get(directory.name)
        if row is None or row[0] != fingerprint:
            return None
        return ([Finding(**f) for f in json.loads(row[1])], [DocumentStats(**d) for d in json.loads(row[2])])

    def put(self, directory: Path, fingerprint: str, findings: list[Finding], documents: list[DocumentStats]) -> None:
        self.db.execute("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?)", (
            directory.name, fingerprint, json.dumps([dataclasses.asdict(f) for f in findings]),
            json.dumps([dataclasses.asdict(d) for d in documents])))

    def close(self) -> None:
        try:
            self.db.commit()
        except sqlite3.Error as exc:
            raise unwritable(self.path, exc) from None
        finally:
            self.db.close()


def _stamp(path: Path) -> str:
    """Which file is at `path` (size and time: cheap, and a replaced file gets a new time)."""
    try:
        stat = path.stat()
    except (OSError, ValueError):
        return "missing"
    return f"{stat.st_size}:{stat.st_mtime_ns}"
