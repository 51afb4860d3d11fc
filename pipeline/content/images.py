"""Whether an image file is what its name says, checked when the content is loaded.

A corrupt picture (random bytes, a truncated download, a renamed Word file) fails the
PDF but is embedded as is in the DOCX and copied to the site: the loader refuses it
instead, naming the file. The check reads the file's head and tail only (signature,
header, end marker), so a build that reads hundreds of images stays fast.
"""

from __future__ import annotations

import struct
from pathlib import Path

_PNG = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_HEAD = 64
_TAIL = 1024
FORMATS = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".gif": "GIF", ".webp": "WebP", ".svg": "SVG"}


def image_problem(path: Path) -> str | None:
    """What is wrong with the image at `path` (None if it looks whole); unknown extensions are not judged."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        return None
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(_HEAD)
            fh.seek(max(0, size - _TAIL))
            tail = fh.read(_TAIL)
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if size == 0:
        return "is empty"
    problem = _CHECKS[kind](head, tail, size)
    return f"is not a valid {kind} image ({problem}): export it again from its source" if problem else None


def _png(head: bytes, tail: bytes, size: int) -> str | None:
    if not head.startswith(_PNG):
        return "no PNG signature"
    if head[12:16] != b"IHDR":
        return "no image header"
    width, height = struct.unpack(">II", head[16:24])
    if not width or not height:
        return "zero width or height"
    if not tail.endswith(_PNG_END):
        return "truncated: the file stops before its end marker"
    return None


def _jpeg(head: bytes, tail: bytes, size: int) -> str | None:
    if not head.startswith(b"\xff\xd8\xff"):
        return "no JPEG signature"
    if b"\xff\xd9" not in tail[-32:]:
        return "truncated: the file stops before its end marker"
    return None


def _gif(head: bytes, tail: bytes, size: int) -> str | None:
    if not head.startswith((b"GIF87a", b"GIF89a")):
        return "no GIF signature"
    if not tail.rstrip(b"\x00").endswith(b";"):
        return "truncated: the file stops before its end marker"
    return None


def _webp(head: bytes, tail: bytes, size: int) -> str | None:
    if head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return "no WebP signature"
    if struct.unpack("<I", head[4:8])[0] + 8 > size:
        return "truncated: shorter than its header says"
    return None


def _svg(head: bytes, tail: bytes, size: int) -> str | None:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text.startswith(b"<"):
        return "not XML"
    if not tail.rstrip().endswith((b"</svg>", b"/>")):
        return "truncated: no closing </svg>"
    return None


_CHECKS = {"PNG": _png, "JPEG": _jpeg, "GIF": _gif, "WebP": _webp, "SVG": _svg}
