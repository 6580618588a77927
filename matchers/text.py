"""Vietnamese text folding shared by the reader (header aliases) and the matcher (names).

Every function here is pure. The vectorised entry points work on the *unique* values of a
column and map back, because people's lists repeat the same names and words many times.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

# Ð (U+00D0, Icelandic eth) and ð are typed for Đ/đ by some keyboard layouts.
_ETH = str.maketrans({"\u00d0": "\u0110", "\u00f0": "\u0111"})
_SPACES = re.compile(r"\s+")

# Tone marks as combining characters (NFD).
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}

# Old-style tone placement (hòa, thủy) is what the identity system stores; new-style typing
# puts the mark on the second vowel (hoà, thuỷ). Only open syllables ending in oa/oe/uy differ.
_NEW_STYLE = re.compile(
    r"(?<![qQ])([oOuU])([aAeEyY])([\u0300\u0301\u0303\u0309\u0323])(?=$|[^\w\u0300-\u036f])"
)


def _move_tone(nfd: str) -> str:
    # For "oa","oe","uy" the pair may be written with tone after the 2nd vowel; move it to the 1st.
    def fix(m: re.Match) -> str:
        first, second, tone = m.group(1), m.group(2), m.group(3)
        if first in "oO" and second in "yY":
            return m.group(0)
        if first in "uU" and second not in "yY":
            return m.group(0)
        return first + tone + second

    return _NEW_STYLE.sub(fix, nfd)


@lru_cache(maxsize=1 << 18)
def clean_text(value: str) -> str:
    """NFC, Đ for Ð, one canonical tone placement, single spaces, trimmed."""
    s = unicodedata.normalize("NFD", value.translate(_ETH))
    s = _move_tone(s)
    s = unicodedata.normalize("NFC", s)
    return _SPACES.sub(" ", s).strip()


def _fold_table() -> dict[int, str | None]:
    # One str.translate does the work of NFD + dropping marks + đ→d: 10x faster than per-char
    # unicodedata, and this runs over every name of a province-sized export.
    table: dict[int, str | None] = {cp: None for cp in range(0x300, 0x370)}  # combining marks
    for cp in list(range(0xC0, 0x250)) + list(range(0x1E00, 0x1F00)):
        ch = chr(cp)
        base = unicodedata.normalize("NFD", ch)[0]
        if base != ch and base.isascii():
            table[cp] = base.lower()
    for ch in "ĐđÐð":
        table[ord(ch)] = "d"
    return table


_FOLD = _fold_table()


@lru_cache(maxsize=1 << 18)
def fold(value: str) -> str:
    """Lower-case ASCII key: no diacritics, đ→d, single spaces (for blocking and comparison)."""
    return _SPACES.sub(" ", value.translate(_FOLD).lower()).strip()


def display_name(value: str) -> str:
    """A person's name for display: clean text, each word capitalised (ALL CAPS lists too)."""
    s = clean_text(value)
    if not s:
        return s
    return " ".join(w[:1].upper() + w[1:].lower() for w in s.split(" "))


def map_unique(series: pd.Series, func) -> pd.Series:
    """Apply ``func`` once per distinct value (names repeat; this is what makes it fast) →
    str Series, same index; a missing value is taken as ''. One factorize, then the results
    taken by code: a dict and ``Series.map`` would hash every value twice more."""
    codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
    results = np.empty(len(uniques) + 1, dtype=object)
    results[:-1] = [func(u if type(u) is str else str(u)) for u in uniques]
    results[-1] = func("")   # code -1: missing
    return pd.Series(results[codes], index=series.index, dtype=str)
