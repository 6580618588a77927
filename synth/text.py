"""Vietnamese text helpers: folding, diacritic removal, tone placement, NFD, cp1258.

These helpers only *produce* surface variants; truth is always computed on `fold()`,
which is invariant under every variant produced here.
"""

from __future__ import annotations

import re
import unicodedata

# Combining marks: modifiers are part of the letter (â ê ô ă ơ ư), tones are not.
MODIFIERS = {"\u0302", "\u0306", "\u031b"}
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
ETH = "\u00d0"  # Ð, often typed for Đ (U+0110)


def fold(s: str) -> str:
    """Comparison key: no case, no diacritics, Đ/Ð -> d, single spaces."""
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("đ", "d").replace("Đ", "d").replace(ETH, "d").replace("\u00f0", "d")
    return " ".join(s.lower().split())


def strip_diacritics(s: str) -> str:
    """'Nguyễn Thị Đào' -> 'Nguyen Thi Dao' (case kept)."""
    s = unicodedata.normalize("NFD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return s.replace("đ", "d").replace("Đ", "D").replace(ETH, "D")


def nfd(s: str) -> str:
    return unicodedata.normalize("NFD", s)


def upper(s: str) -> str:
    return unicodedata.normalize("NFC", s).upper()


_TONE_CLASS = "[\u0300\u0301\u0303\u0309\u0323]"
_OLD_TONE = re.compile(r"(?<![qQ])(?:([oO])(" + _TONE_CLASS + r")([aAeE])|([uU])(" + _TONE_CLASS + r")([yY]))"
                       r"(?![\w\u0300-\u036f])")


def old_style_tones(s: str) -> str:
    """Move the tone of a final 'oa', 'oe', 'uy' to the second vowel: hòa -> hoà, thủy -> thuỷ."""
    d = unicodedata.normalize("NFD", s)
    d = _OLD_TONE.sub(lambda m: (m.group(1) + m.group(3) + m.group(2)) if m.group(1)
                      else (m.group(4) + m.group(6) + m.group(5)), d)
    return unicodedata.normalize("NFC", d)


def eth_for_d(s: str) -> str:
    """Type Ð (U+00D0) where Đ (U+0110) belongs."""
    return s.replace("Đ", ETH)


def title_case(s: str) -> str:
    return " ".join(w[:1].upper() + w[1:].lower() for w in s.split(" "))


def cp1258_text(s: str) -> str:
    """Rewrite `s` so that every character exists in Windows-1258.

    Python's cp1258 codec is a plain charmap: a letter such as 'ệ' has no code point of its own,
    the codepage writes it as 'ê' + combining dot below. Decompose (NFD), recompose only the
    base letter with its modifier (circumflex, breve, horn), keep tone marks combining.
    """
    out = []
    for ch in unicodedata.normalize("NFC", s):
        try:
            ch.encode("cp1258")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = parts[0] + "".join(c for c in parts[1:] if c in MODIFIERS)
        tones = "".join(c for c in parts[1:] if c in TONES)
        base = unicodedata.normalize("NFC", base)
        cand = base + tones
        try:
            cand.encode("cp1258")
        except UnicodeEncodeError:  # characters outside Vietnamese: transliterate
            cand = strip_diacritics(ch)
        out.append(cand)
    return "".join(out)


def encode_cp1258(s: str) -> bytes:
    return cp1258_text(s.replace(ETH, "Đ")).encode("cp1258")


# --- spelling errors that change the folded form -----------------------------------------

# (base letter, modifier) swaps that keep the tone but change the letter after folding.
_CONFUSE = {("u", "\u031b"): ("o", "\u031b"), ("o", "\u031b"): ("u", "\u031b"),
            ("a", "\u0302"): ("e", "\u0302"), ("e", "\u0302"): ("a", "\u0302"),
            ("i", ""): ("y", ""), ("y", ""): ("i", "")}


def confuse_vowel(word: str, pick: float) -> str | None:
    """Swap one vowel for a look-alike with another base letter (ư<->ơ, â<->ê, i<->y), tone kept.

    Returns None when the word has no such vowel.
    """
    chars = list(unicodedata.normalize("NFC", word))
    spots = []
    for i, ch in enumerate(chars):
        d = unicodedata.normalize("NFD", ch)
        base = d[0].lower()
        mod = "".join(c for c in d[1:] if c in MODIFIERS)
        if (base, mod) in _CONFUSE:
            spots.append(i)
    if not spots:
        return None
    i = spots[int(pick * len(spots)) % len(spots)]
    d = unicodedata.normalize("NFD", chars[i])
    base, rest = d[0], d[1:]
    mod = "".join(c for c in rest if c in MODIFIERS)
    tones = "".join(c for c in rest if c in TONES)
    nb, nm = _CONFUSE[(base.lower(), mod)]
    if base.isupper():
        nb = nb.upper()
    chars[i] = unicodedata.normalize("NFC", nb + nm + tones)
    return "".join(chars)
