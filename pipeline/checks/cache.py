"""Check results kept per result folder, so that `crebis build` checks only what changed.

A folder's findings are reused while its Markdown files (bytes and change
times), the glossaries, the theme list and the `[check]` config are the same.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sqlite3
from pathlib import Path

from pipeline import __version__
from pipeline.checks.findings import DocumentStats, Finding


class CheckCache:
    """Findings and readability figures per result folder, in `.crebis/checks.sqlite`."""

    def __init__(self, path: Path, shared_inputs: list[Path], settings: object):
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS folders (folder TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
                        "findings TEXT NOT NULL, documents TEXT NOT NULL)")
        h = hashlib.blake2b(digest_size=16)
        h.update(f"crebis {__version__}\0{json.dumps(settings, sort_keys=True, default=str)}\0".encode())
        for path in shared_inputs:
            h.update(path.read_bytes() if path.is_file() else b"missing")
        self.shared = h.hexdigest()

    def fingerprint(self, directory: Path, times: dict[Path, float]) -> str:
        h = hashlib.blake2b(self.shared.encode(), digest_size=16)
        for md in sorted(directory.glob("*.md")):
            h.update(f"{md.name}\0{times.get(md.resolve(), 0)}\0".encode())
            h.update(md.read_bytes())
        return h.hexdigest()

    def get(self, directory: Path, fingerprint: str) -> tuple[list[Finding], list[DocumentStats]] | None:
        row = self.db.execute("SELECT fingerprint, findings, documents FROM folders WHERE folder = ?",
                              (str(directory),)).fetchone()
        if row is None or row[0] != fingerprint:
            return None
        return ([Finding(**f) for f in json.loads(row[1])], [DocumentStats(**d) for d in json.loads(row[2])])

    def put(self, directory: Path, fingerprint: str, findings: list[Finding], documents: list[DocumentStats]) -> None:
        self.db.execute("INSERT OR REPLACE INTO folders VALUES (?, ?, ?, ?)", (
            str(directory), fingerprint, json.dumps([dataclasses.asdict(f) for f in findings]),
            json.dumps([dataclasses.asdict(d) for d in documents])))

    def close(self) -> None:
        self.db.commit()
        self.db.close()
