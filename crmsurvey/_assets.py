"""Image assets a study may bring into its report (a logo): accepted by content, not by
name — PNG, JPEG or an SVG that references nothing outside itself — within a size limit."""
from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from . import _defaults as D

__all__ = ["image_kind", "read_image"]

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_REFERENCE = re.compile(rb"""(?:href|src)\s*=\s*["'](?!#|data:)""", re.I)


def image_kind(path: str | Path, *, max_bytes: int = D.MAX_LOGO_BYTES) -> str:
    """The file ending for the image at ``path`` (``.png``, ``.jpg``, ``.svg``), or
    ValueError saying why it is not accepted.

    SVG is parsed without a document type (no entities, no external DTD) and may not
    reference other files or URLs (``href``/``src`` other than ``#id`` and ``data:``).
    """
    return read_image(path, max_bytes=max_bytes)[0]


def read_image(path: str | Path, *, max_bytes: int = D.MAX_LOGO_BYTES,
               follow_links: bool = True) -> tuple[str, bytes]:
    """The file ending and the bytes of the image at ``path``, checked as
    :func:`image_kind` checks it, from one open file (what is checked is what is read);
    with ``follow_links=False`` a symbolic link is refused too. Opening never blocks: a
    pipe or device is refused as not a regular file."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    if not follow_links:
        flags |= os.O_NOFOLLOW
        if Path(path).is_symlink():
            raise ValueError("it is a symbolic link, not a file")
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ValueError(f"cannot read it ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise ValueError("it is not a regular file")
    with os.fdopen(fd, "rb") as fh:
        head = fh.read(max_bytes + 1)
    if len(head) > max_bytes:
        raise ValueError(f"it is larger than {max_bytes:,} bytes")
    if head.startswith(_PNG):
        return ".png", head
    if head.startswith(_JPEG):
        return ".jpg", head
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<?xml") or text.startswith(b"<svg") or text.startswith(b"<!--"):
        _check_svg(head)
        return ".svg", head
    raise ValueError("it is not a PNG, JPEG or SVG image")


def _check_svg(data: bytes) -> None:
    import xml.etree.ElementTree as ET

    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise ValueError("an SVG with a document type or entities is not accepted")
    if _REFERENCE.search(data):
        raise ValueError("the SVG refers to another file or URL")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ValueError(f"the SVG is not well-formed XML ({exc})") from None
    if not root.tag.endswith("svg"):
        raise ValueError("the XML file is not an SVG image")
