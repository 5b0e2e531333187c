"""The fonts the PDF renderer needs, asked of fontconfig (which WeasyPrint's Pango uses)
before anything is rendered: with no font at all the renderer fails half-way, and Chinese
text without a CJK font comes out as empty boxes."""
from __future__ import annotations

import ctypes
import ctypes.util
import re
from functools import lru_cache

from .errors import InputError

__all__ = ["check_fonts", "font_count", "FONT_PACKAGES"]

#: Debian packages that provide what a report needs: any text font, and Chinese.
FONT_PACKAGES = {"text": "fonts-dejavu-core", "zh": "fonts-noto-cjk"}
#: Han ideographs (CJK Unified Ideographs, Extension A, compatibility ideographs).
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class _FontSet(ctypes.Structure):
    _fields_ = [("nfont", ctypes.c_int), ("sfont", ctypes.c_int), ("fonts", ctypes.c_void_p)]


@lru_cache(maxsize=1)
def _fontconfig():
    name = ctypes.util.find_library("fontconfig") or "libfontconfig.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError:
        return None
    vp = ctypes.c_void_p
    for fn, res, args in [("FcInitLoadConfigAndFonts", vp, []),
                          ("FcNameParse", vp, [ctypes.c_char_p]), ("FcObjectSetCreate", vp, []),
                          ("FcObjectSetAdd", ctypes.c_int, [vp, ctypes.c_char_p]),
                          ("FcFontList", ctypes.POINTER(_FontSet), [vp, vp, vp]),
                          ("FcFontSetDestroy", None, [ctypes.POINTER(_FontSet)]),
                          ("FcObjectSetDestroy", None, [vp]), ("FcPatternDestroy", None, [vp]),
                          ("FcConfigDestroy", None, [vp])]:
        f = getattr(lib, fn)
        f.restype, f.argtypes = res, args
    return lib


def font_count(pattern: str) -> int | None:
    """How many fonts fontconfig lists for ``pattern`` (fc-list syntax, e.g.
    ``":lang=zh-cn"``), read afresh (``FONTCONFIG_FILE`` is honoured); None when the
    fontconfig library cannot be loaded."""
    fc = _fontconfig()
    if fc is None:
        return None
    config = fc.FcInitLoadConfigAndFonts()
    if not config:
        return 0
    pat = fc.FcNameParse(pattern.encode())
    objects = fc.FcObjectSetCreate()
    fc.FcObjectSetAdd(objects, b"family")
    try:
        found = fc.FcFontList(config, pat, objects)
        n = found.contents.nfont if found else 0
        if found:
            fc.FcFontSetDestroy(found)
        return n
    finally:
        fc.FcObjectSetDestroy(objects)
        fc.FcPatternDestroy(pat)
        fc.FcConfigDestroy(config)


def check_fonts(text: str = "", lang: str | None = None) -> None:
    """InputError (exit 2, naming the Debian package to install) unless fontconfig has a
    font for Latin text and — when ``lang`` is Chinese or ``text`` holds Han characters —
    one for Chinese. Nothing is checked where fontconfig cannot be asked."""
    latin = font_count(":lang=en")
    if latin is None:
        return
    if latin == 0:
        raise InputError("no fonts are installed for the PDF renderer",
                         hint=f"install {FONT_PACKAGES['text']} (Debian/Ubuntu), or another "
                              f"font; {FONT_PACKAGES['zh']} for Chinese")
    chinese = (lang or "").lower().startswith("zh") or bool(_HAN.search(text))
    if chinese and not font_count(":lang=zh-cn"):
        raise InputError("no font for Chinese text is installed; the PDF would show boxes",
                         hint=f"install {FONT_PACKAGES['zh']} (Debian/Ubuntu), or another "
                              "font covering Chinese")
