"""The font of Logis's PDFs, and text made safe for it.

ReportLab's built-in Helvetica knows WinAnsi only: « », é, ç, ’ and — are there, but the narrow no-break
space (U+202F) and any letter outside Western Europe would print as a black box. So the PDFs embed
Bitstream Vera, which ships inside the ReportLab wheel (``reportlab/fonts/Vera*.ttf``; no system font,
no apt package), and every text drawn goes through ``safe_text``: a character the font lacks becomes
its closest equivalent it has (U+202F → U+00A0, an accented letter → the letter), or « ? » — never a box.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import cache
from pathlib import Path

import reportlab
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT_DIR = Path(reportlab.__file__).resolve().parent / "fonts"
REGULAR = "LogisSans"
BOLD = "LogisSans-Bold"
ITALIC = "LogisSans-Italic"
BOLD_ITALIC = "LogisSans-BoldItalic"
_FILES = {REGULAR: "Vera.ttf", BOLD: "VeraBd.ttf", ITALIC: "VeraIt.ttf", BOLD_ITALIC: "VeraBI.ttf"}

# Characters Vera lacks that have a natural stand-in it has. Spaces first: French amounts and
# punctuation use no-break spaces (Logis writes U+00A0, which Vera has; translators may use U+202F).
_STAND_INS = {
    "\u202f": "\u00a0",  # narrow no-break space
    "\u2007": "\u00a0",  # figure space
    "\u2009": " ",  # thin space
    "\u200a": " ",  # hair space
    "\u2002": " ",
    "\u2003": " ",
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "–",  # figure dash
    "\u2015": "—",  # horizontal bar
    "\u2032": "’",  # prime
    "\u2033": "”",  # double prime
    "\u2212": "-",  # minus sign
    "\u00ad": "",  # soft hyphen
    "\u200b": "",  # zero-width space
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",  # word joiner
    "\ufeff": "",  # byte order mark
}
_lock = threading.Lock()
_registered = False


def register_fonts() -> None:
    """Register the Vera family with ReportLab once per process (bold, italic and both map to it)."""
    global _registered
    if _registered:
        return
    with _lock:
        if _registered:
            return
        for name, filename in _FILES.items():
            pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        addMapping(REGULAR, 0, 0, REGULAR)
        addMapping(REGULAR, 1, 0, BOLD)
        addMapping(REGULAR, 0, 1, ITALIC)
        addMapping(REGULAR, 1, 1, BOLD_ITALIC)
        _registered = True


@cache
def _covered() -> frozenset[int]:
    """Code points every face of the family can draw (the intersection: bold text uses them too)."""
    register_fonts()
    faces = [pdfmetrics.getFont(name).face for name in _FILES]
    covered = set(faces[0].charToGlyph)
    for face in faces[1:]:
        covered &= set(face.charToGlyph)
    # A soft hyphen is a hint to break a word, not a character to print (Vera would draw a hyphen).
    covered.discard(0x00AD)
    return frozenset(covered)


@cache
def _safe_char(char: str) -> str:
    if char in "\n\t":
        return char
    covered = _covered()
    if ord(char) in covered:
        return char
    if char in _STAND_INS:
        return _STAND_INS[char]
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Mn"):
        return ""  # control and format characters, and combining marks the font cannot place
    if category == "Zs":
        return " "
    # ``ł`` has no decomposition but ``ő`` does: keep the letters the font has, drop the rest.
    decomposed = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) in covered)
    return decomposed or "?"


def safe_text(text: str) -> str:
    """``text`` with every character the PDF font lacks replaced by one it has (see module doc)."""
    covered = _covered()
    if all(ord(c) in covered or c in "\n\t" for c in text):
        return text
    return "".join(_safe_char(c) for c in text)


def can_draw(text: str) -> bool:
    """True when the font has a glyph for every character of ``text`` (line breaks aside)."""
    covered = _covered()
    return all(ord(c) in covered or c in "\n\t" for c in text)
