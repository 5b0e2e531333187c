"""Decode survey text files strictly: never guess an encoding.

Survey exports are UTF-8, UTF-8 with a BOM, UTF-16 with a BOM, or GB18030/GBK (Excel
on Chinese Windows). Without an ``encoding`` given, the bytes are decoded in that order:

1. a BOM decides (UTF-8 or UTF-16);
2. UTF-8, strictly;
3. a file that is UTF-8 in some lines (a line with a character from U+0800 up, such as
   Chinese) but not in another is *mixed* and refused, naming the first line that does
   not decode;
4. otherwise GB18030 — a legacy encoding, so the cleaning log says it was used. GB18030
   decodes almost any bytes, so its text must also look like Chinese
   (:func:`implausible`), else the file is refused and the user names the encoding.

A given ``encoding`` (``--encoding``, ``encoding:`` in a study's data entry) is used
strictly instead. Text with NUL characters (UTF-16 without a BOM) is refused.
"""
from __future__ import annotations

import codecs
import re
import unicodedata

from ..errors import InputError

__all__ = ["decode_text", "implausible", "LEGACY"]

#: The legacy encoding tried when a file is not UTF-8.
LEGACY = "gb18030"
#: Letters around one ideograph inside a word: what an accented Latin letter and the
#: letter after it become when cp1252/Latin-1 bytes are read as GB18030 ("Müller" →
#: "M黮ler").
_SANDWICH = re.compile(r"[A-Za-z][\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff][A-Za-z]")
#: Characters outside GB2312 (the simplified-Chinese set) tolerated in GB18030 text before
#: it counts as implausible: at most this many distinct ones, or this share of the distinct
#: non-ASCII characters, whichever is larger.
RARE_DISTINCT = 2
RARE_SHARE = 0.10
_HINT = "name the file's encoding (--encoding, or encoding: in the study's data entry), " \
        "or save it as UTF-8"


def _line_of(text_before: str) -> int:
    return text_before.count("\n") + 1


def _strict(data: bytes, encoding: str, source: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = _line_of(data[:exc.start].decode(encoding, errors="replace"))
        raise InputError(f"line {line} does not decode as {encoding} "
                         f"(byte {data[exc.start]:#04x})", path=source, line=line,
                         hint=_HINT) from None


def implausible(text: str) -> str:
    """Why ``text`` decoded as GB18030 is not believable Chinese text, or "".

    The rule: refuse control, private-use or unassigned characters; an ideograph with
    Latin letters right on both sides ("M黮ler": cp1252 read as GB18030); or more distinct
    characters outside GB2312 than :data:`RARE_DISTINCT` and :data:`RARE_SHARE` allow (Big5
    and Shift-JIS text read as GB18030 turns into rare characters)."""
    distinct = {ch for ch in set(text) if ord(ch) > 127}
    odd = sorted(ch for ch in distinct if unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs"))
    if odd:
        return f"it would contain the character U+{ord(odd[0]):04X}"
    m = _SANDWICH.search(text)
    if m:
        return f"it would read {m.group()!r} inside a word"
    rare = []
    for ch in distinct:
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            rare.append(ch)
    if len(rare) > max(RARE_DISTINCT, RARE_SHARE * len(distinct)):
        return (f"{len(rare)} of its {len(distinct)} distinct non-ASCII characters would be "
                f"rare ones ({''.join(sorted(rare)[:6])} …)")
    return ""


def _first_utf8_line(data: bytes) -> int | None:
    """The number of a line that is valid UTF-8 with a character from U+0800 up (Chinese,
    say), or None."""
    for k, line in enumerate(data.split(b"\n"), start=1):
        if line.isascii():
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if any(ord(ch) >= 0x800 for ch in text):
            return k
    return None


def decode_text(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode bytes as described in the module notes. Returns (text, encoding name);
    anything that does not decode cleanly is an InputError naming the line."""
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise InputError(f"unknown text encoding {encoding!r}", path=source,
                             hint="e.g. utf-8, gb18030, utf-16, big5, cp1252") from None
        if name in ("utf-8", "utf-8-sig") and data.startswith(codecs.BOM_UTF8):
            data, name = data[3:], "utf-8-sig"  # sliced here: error offsets stay right
        text, enc = _strict(data, "utf-8" if name == "utf-8-sig" else name, source), name
    elif data.startswith(codecs.BOM_UTF8):
        text, enc = _strict(data[3:], "utf-8", source), "utf-8-sig"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text, enc = _strict(data, "utf-16", source), "utf-16"
    else:
        try:
            text, enc = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError as exc:
            bad = data.count(b"\n", 0, exc.start) + 1
            good = _first_utf8_line(data)
            if good is not None:
                raise InputError(f"mixed text encodings: line {bad} is not UTF-8, while line "
                                 f"{good} is", path=source, line=bad,
                                 hint="save the whole file in one encoding (UTF-8)") from None
            try:
                text, enc = data.decode(LEGACY), LEGACY
            except UnicodeDecodeError as exc2:
                line = data.count(b"\n", 0, exc2.start) + 1
                raise InputError(f"the text is neither UTF-8 (line {bad}) nor GB18030 "
                                 f"(line {line})", path=source, hint=_HINT) from None
            why = implausible(text)
            if why:
                raise InputError(f"the text is not UTF-8 (line {bad}), and read as GB18030 "
                                 f"{why}", path=source, hint=_HINT)
    if "\x00" in text:
        line = _line_of(text[:text.index("\x00")])
        raise InputError(f"line {line} contains a NUL character (UTF-16 without a BOM, or "
                         "not a text file)", path=source, line=line, hint=_HINT)
    return text, enc
