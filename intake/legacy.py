"""Text typed with legacy Vietnamese fonts: TCVN3 (ABC, .VnTime) and VNI-Windows (VNI-Times).

Older ward offices still send lists typed with these fonts. Excel keeps the font's bytes as the
Latin-1/cp1252 characters of those bytes, so "Nguyễn Văn Hùng" arrives as "NguyÔn V¨n Hïng"
(TCVN3) or "Nguyeãn Vaên Huøng" (VNI). A CSV gives the same characters once decoded as
cp1252/latin-1.

* ``detect(texts)`` reads a sample of a sheet's text cells and says "tcvn3", "vni" or None.
* ``to_unicode(text, encoding)`` converts one cell to NFC Unicode.
* ``is_ambiguous(texts)`` is True where the text is legacy-looking but cannot be read safely
  one way; the caller then rejects the file with ``AMBIGUOUS_REASON``.

The evidence is the share of words that are valid Vietnamese syllables (onset + rhyme + tone
rules of the orthography, ``is_syllable``) as typed versus after each conversion: real names in
a legacy font are almost never valid as typed ("Hïng", "V¨n") and almost always valid after the
right conversion, while the wrong conversion gives non-words ("Huứng", "Vaờn").

No maintained PyPI package converts TCVN3/VNI to Unicode, so the tables below are written by
hand and were checked entry by entry against the public tables named beside them.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import lru_cache

__all__ = ["AMBIGUOUS_REASON", "ENCODINGS", "detect", "is_ambiguous", "is_syllable", "to_unicode"]

ENCODINGS = ("tcvn3", "vni")

AMBIGUOUS_REASON = (
    "Tệp được gõ bằng bảng mã tiếng Việt cũ (TCVN3/ABC hoặc VNI) và không đọc chắc chắn được "
    "sang Unicode. Hãy chuyển mã sang Unicode (ví dụ bằng công cụ chuyển mã của Unikey) rồi gửi lại."
)

# --------------------------------------------------------------------------------------------
# TCVN3 (TCVN 5712:1993, VN3 "ABC"): one byte per letter. Cross-checked with Unikey's VnConv
# table (ukengine/data.cpp, TCVN3), XFree86 lib/X11/lcUniConv/tcvn.h (TCVN-5712, VN1) and
# bogoengine src/charset.hpp (utf8ToTCVN3).
# VN3 has no code for upper-case toned vowels: the upper-case fonts (.VnTimeH) draw the
# lower-case codes as capitals, so "HÙNG" is stored as "HïNG" (see _restore_case).
TCVN3_TO_UNICODE: dict[str, str] = {
    "\xa1": "Ă", "\xa2": "Â", "\xa3": "Ê", "\xa4": "Ô", "\xa5": "Ơ", "\xa6": "Ư", "\xa7": "Đ",
    "\xa8": "ă", "\xa9": "â", "\xaa": "ê", "\xab": "ô", "\xac": "ơ", "\xad": "ư", "\xae": "đ",
    # a: à ả ã á ạ
    "\xb5": "à", "\xb6": "ả", "\xb7": "ã", "\xb8": "á", "\xb9": "ạ",
    # ă: ằ ẳ ẵ ắ ặ
    "\xbb": "ằ", "\xbc": "ẳ", "\xbd": "ẵ", "\xbe": "ắ", "\xc6": "ặ",
    # â: ầ ẩ ẫ ấ ậ
    "\xc7": "ầ", "\xc8": "ẩ", "\xc9": "ẫ", "\xca": "ấ", "\xcb": "ậ",
    # e: è ẻ ẽ é ẹ
    "\xcc": "è", "\xce": "ẻ", "\xcf": "ẽ", "\xd0": "é", "\xd1": "ẹ",
    # ê: ề ể ễ ế ệ
    "\xd2": "ề", "\xd3": "ể", "\xd4": "ễ", "\xd5": "ế", "\xd6": "ệ",
    # i: ì ỉ ĩ í ị
    "\xd7": "ì", "\xd8": "ỉ", "\xdc": "ĩ", "\xdd": "í", "\xde": "ị",
    # o: ò ỏ õ ó ọ
    "\xdf": "ò", "\xe1": "ỏ", "\xe2": "õ", "\xe3": "ó", "\xe4": "ọ",
    # ô: ồ ổ ỗ ố ộ
    "\xe5": "ồ", "\xe6": "ổ", "\xe7": "ỗ", "\xe8": "ố", "\xe9": "ộ",
    # ơ: ờ ở ỡ ớ ợ
    "\xea": "ờ", "\xeb": "ở", "\xec": "ỡ", "\xed": "ớ", "\xee": "ợ",
    # u: ù ủ ũ ú ụ
    "\xef": "ù", "\xf1": "ủ", "\xf2": "ũ", "\xf3": "ú", "\xf4": "ụ",
    # ư: ừ ử ữ ứ ự
    "\xf5": "ừ", "\xf6": "ử", "\xf7": "ữ", "\xf8": "ứ", "\xf9": "ự",
    # y: ỳ ỷ ỹ ý ỵ
    "\xfa": "ỳ", "\xfb": "ỷ", "\xfc": "ỹ", "\xfd": "ý", "\xfe": "ỵ",
}

# --------------------------------------------------------------------------------------------
# VNI-Windows: an ASCII base letter followed by one mark character (lower-case marks after
# lower-case bases, upper-case marks after upper-case bases), plus a few one-character letters.
# Cross-checked with Unikey's VnConv table (ukengine/data.cpp, VNI-WIN), xvnkb vni.h
# (Dao Hai Lam) and duydev/vietnamese-conversion src/charsets.ts (VNI).
VNI_LETTERS: dict[str, str] = {
    "Ñ": "Đ", "ñ": "đ",
    "Ô": "Ơ", "ô": "ơ", "Ö": "Ư", "ö": "ư",
    "Í": "Í", "í": "í", "Ì": "Ì", "ì": "ì", "Æ": "Ỉ", "æ": "ỉ", "Ó": "Ĩ", "ó": "ĩ", "Ò": "Ị", "ò": "ị",
    "Î": "Ỵ", "î": "ỵ",
}
# Mark character (lower-case form) → (bases it follows, combining marks it adds).
VNI_MARKS: dict[str, tuple[str, str]] = {
    # tone only: sắc, huyền, hỏi, ngã, nặng (ỵ is the one-character "î" above)
    "ù": ("aeouyơư", "\u0301"), "ø": ("aeouyơư", "\u0300"), "û": ("aeouyơư", "\u0309"),
    "õ": ("aeouyơư", "\u0303"), "ï": ("aeouơư", "\u0323"),
    # circumflex (â ê ô), alone or with a tone
    "â": ("aeo", "\u0302"), "á": ("aeo", "\u0302\u0301"), "à": ("aeo", "\u0302\u0300"),
    "å": ("aeo", "\u0302\u0309"), "ã": ("aeo", "\u0302\u0303"), "ä": ("aeo", "\u0302\u0323"),
    # breve (ă), alone or with a tone
    "ê": ("a", "\u0306"), "é": ("a", "\u0306\u0301"), "è": ("a", "\u0306\u0300"),
    "ú": ("a", "\u0306\u0309"), "ü": ("a", "\u0306\u0303"), "ë": ("a", "\u0306\u0323"),
}


def _vni_pairs() -> dict[str, str]:
    """Two-character VNI sequences; the case of the letter is the case of the base."""
    bases = {"a": "a", "e": "e", "o": "o", "u": "u", "y": "y", "ơ": "ô", "ư": "ö"}  # letter → VNI char
    pairs: dict[str, str] = {}
    for mark, (letters, combining) in VNI_MARKS.items():
        for letter in letters:
            lower = unicodedata.normalize("NFC", letter + combining)
            base = bases[letter]
            for b, out in ((base, lower), (base.upper(), lower.upper())):
                for m in (mark, mark.upper()):  # "aù" and, typed with Caps Lock, "aÙ"
                    pairs[b + m] = out
    return pairs


VNI_TO_UNICODE: dict[str, str] = {**VNI_LETTERS, **_vni_pairs()}

# --------------------------------------------------------------------------------------------
# Characters.

# Letters Unicode Vietnamese has and neither legacy font can produce (Ă ă Đ đ Ĩ ĩ Ũ ũ Ơ ơ Ư ư,
# the precomposed block, combining marks): a cell with one of them is already Unicode.
_UNICODE_ONLY = re.compile("[\u0102\u0103\u0110\u0111\u0128\u0129\u0168\u0169\u01a0\u01a1\u01af\u01b0"
                           "\u1ea0-\u1ef9\u0300-\u0323]")
# Latin-1 letters that Unicode Vietnamese uses; every other character from U+00A1 to U+00FF
# (¨ © ª « ¬ ® µ ¸ Æ Ç Ñ Ö ï ö ø …) never occurs in Unicode Vietnamese text.
_VIET_LATIN1 = set("ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý")
# A word: letters, combining marks and the U+00A1–U+00FF characters the fonts use as letters.
_WORD = re.compile(r"(?:[^\W\d_]|[\u00a1-\u00ff\u0300-\u036f])+")

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_SHAPE_MARKS = {"\u0302", "\u0306", "\u031b"}  # circumflex, breve, horn
_LETTERS = set("aăâbcdđeêghiklmnoôơpqrstuưvxy")
_VOWELS = set("aeiouy")

# TCVN3 case: ASCII letters and the seven upper/lower base letters carry case; the toned
# vowels are caseless codes.
_TCVN3_UPPER = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ\xa1\xa2\xa3\xa4\xa5\xa6\xa7")
_TCVN3_LOWER = set("abcdefghijklmnopqrstuvwxyz\xa8\xa9\xaa\xab\xac\xad\xae")
_TCVN3_CASELESS = set(TCVN3_TO_UNICODE) - _TCVN3_UPPER - _TCVN3_LOWER

# --------------------------------------------------------------------------------------------
# Vietnamese syllables: onset + rhyme (medial, nucleus, coda) + at most one tone.

_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "th", "tr", "qu",
           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", "")
_RHYMES = frozenset("""
    a ac ach ai am an ang anh ao ap at au ay
    ăc ăm ăn ăng ăp ăt
    âc âm ân âng âp ât âu ây
    e ec em en eng eo ep et
    ê êch êm ên ênh êp êt êu
    i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
    y yêm yên yêt yêu
    o oc oi om on ong op ot ooc oong
    ô ôc ôi ôm ôn ông ôp ôt
    ơ ơi ơm ơn ơp ơt
    u ua uc ui um un ung up ut uôc uôi uôm uôn uông uôt
    ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
    oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăt oe oen oeo oet
    uân uâng uât uây uê uêch uênh uơ uy uya uych uyên uyêt uynh uyt uyu
""".split())
_STOP_CODAS = ("c", "ch", "p", "t")
# Rhymes with a medial o/u (hoa, hoe, huy, huế): after /k/ the medial is spelled "qu", never "c".
_MEDIAL_RHYMES = frozenset(r for r in _RHYMES if r[:2] in ("oa", "oă", "oe", "uâ", "uê", "uơ", "uy"))


def _rhyme_ok(onset: str, rhyme: str, tone: str | None) -> bool:
    if onset == "qu":  # qu + the rhyme of hoa/huy without its medial: qua, quê, quốc, quyết
        ok = bool(rhyme) and ("u" + rhyme in _RHYMES or "o" + rhyme in _RHYMES
                              or (rhyme in _RHYMES and rhyme[0] in "aăâeêơiy"))  # quới, quít
    elif onset == "gi":  # gì, gia, giường, giêng (gi + iêng), gìn (gi + in)
        ok = rhyme == "" or rhyme in _RHYMES or "i" + rhyme in _RHYMES
    else:
        ok = rhyme in _RHYMES
        if ok and onset:
            first = rhyme[0]
            if onset in ("k", "gh", "ngh") and first not in "ieêy":
                ok = False
            elif onset in ("c", "g", "ng") and first in "ieêy":
                ok = False
            elif onset == "c" and rhyme in _MEDIAL_RHYMES:
                ok = False
            elif rhyme.startswith("yê"):
                ok = False
    if ok and rhyme.endswith(_STOP_CODAS) and tone not in ("\u0301", "\u0323"):
        ok = False  # a syllable closed by c, ch, p, t takes only sắc or nặng: "các", "học"
    return ok


@lru_cache(maxsize=1 << 16)
def is_syllable(word: str) -> bool:
    """Whether ``word`` is one well-formed Vietnamese syllable (any case, NFC or NFD, any
    tone placement). "Nguyễn", "hoà", "QUỐC", "gì" are; "Hïng", "vaờn", "nguyôn", "cat" are not."""
    nfd = unicodedata.normalize("NFD", word.lower())
    tone = None
    prev = ""
    for ch in nfd:
        if ch in _TONE_MARKS:
            if tone is not None or prev not in _VOWELS:
                return False
            tone = ch
        elif ch in _SHAPE_MARKS:
            if prev not in _VOWELS:
                return False
        else:
            prev = ch
    base = unicodedata.normalize("NFC", "".join(ch for ch in nfd if ch not in _TONE_MARKS))
    if not base or len(base) > 7 or not set(base) <= _LETTERS:
        return False
    return any(base.startswith(onset) and _rhyme_ok(onset, base[len(onset):], tone)
               for onset in _ONSETS)


# --------------------------------------------------------------------------------------------
# Conversion.

def _tcvn3_chars(text: str, upper: bool = False) -> str:
    if upper:  # upper-case the converted letters only, never the other characters
        return "".join(TCVN3_TO_UNICODE[ch].upper() if ch in TCVN3_TO_UNICODE else ch for ch in text)
    return "".join(TCVN3_TO_UNICODE.get(ch, ch) for ch in text)


def _vni_chars(text: str) -> str:
    out = []
    i, n = 0, len(text)
    while i < n:
        pair = VNI_TO_UNICODE.get(text[i:i + 2]) if i + 1 < n else None
        if pair is not None:
            out.append(pair)
            i += 2
        else:
            out.append(VNI_TO_UNICODE.get(text[i], text[i]))
            i += 1
    return "".join(out)


def _restore_case(text: str) -> str:
    """TCVN3 with case put back: the toned vowels have only lower-case codes."""
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    upper = sum(ch in _TCVN3_UPPER for ch in text)
    lower = sum(ch in _TCVN3_LOWER for ch in text)
    if upper >= 2 and lower == 0:  # an ALL CAPS cell (.VnTimeH): "NGUYÔN V¡N HïNG"
        return _tcvn3_chars(text, upper=True)
    out, last = [], 0
    for k, (start, end, word) in enumerate(words):
        out.append(_tcvn3_chars(text[last:start]))
        converted = _tcvn3_chars(word)
        cased = [ch for ch in word if ch in _TCVN3_UPPER or ch in _TCVN3_LOWER]
        if len(cased) >= 2 and all(ch in _TCVN3_UPPER for ch in cased):
            converted = _tcvn3_chars(word, upper=True)  # one ALL CAPS word: "HïNG"
        elif word[0] in _TCVN3_CASELESS and not any(ch in _TCVN3_UPPER for ch in cased):
            # Other words that start with a cased letter ("¸i ót Phóc": only Phóc) decide.
            others = [w for j, (_, _, w) in enumerate(words)
                      if j != k and (w[0] in _TCVN3_UPPER or w[0] in _TCVN3_LOWER)]
            if others and all(w[0] in _TCVN3_UPPER for w in others):
                converted = converted[0].upper() + converted[1:]  # "Huúnh Ngäc Èn" → Ẩn
        elif cased and any(ch in _TCVN3_LOWER for ch in cased):
            # "Tr¦êng": an upper-case base letter inside a lower-case word is lower-case.
            converted = converted[0] + "".join(
                c.lower() if w in "\xa1\xa2\xa3\xa4\xa5\xa6\xa7" else c
                for c, w in zip(converted[1:], word[1:]))
        out.append(converted)
        last = end
    out.append(_tcvn3_chars(text[last:]))
    return "".join(out)


def to_unicode(text: str, encoding: str | None) -> str:
    """``text`` typed in ``encoding`` ("tcvn3", "vni"; None or "unicode" = as it is) in NFC.

    Digits, punctuation and spaces are kept. A text that holds letters neither legacy font can
    produce (ư, ạ, Đ, combining marks…) is already Unicode and only normalised, so a Unicode
    header in a legacy file is not garbled. TCVN3 case is restored as far as the bytes allow:
    ALL CAPS cells and words are upper-cased, and a word whose first letter is an upper-case
    toned vowel is capitalised where every other word of the cell is ("Huỳnh Ngọc Ẩn").
    """
    if not isinstance(text, str):
        raise TypeError("text must be a str")
    if encoding in (None, "unicode"):
        return unicodedata.normalize("NFC", text)
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding!r}; expected one of {ENCODINGS}")
    if _UNICODE_ONLY.search(text):
        return unicodedata.normalize("NFC", text)
    converted = _restore_case(text) if encoding == "tcvn3" else _vni_chars(text)
    return unicodedata.normalize("NFC", converted)


# --------------------------------------------------------------------------------------------
# Detection.

_SAMPLE_TEXTS = 600
_SAMPLE_WORDS = 4000


@lru_cache(maxsize=1 << 16)
def _readings(word: str) -> tuple[bool, bool, bool, bool, bool]:
    """(valid as typed, valid as TCVN3, valid as VNI, Unicode-only letters, foreign chars)."""
    raw = is_syllable(word)
    if _UNICODE_ONLY.search(word):
        return raw, False, False, True, False
    foreign = any("\u00a1" <= ch <= "\u00ff" and ch not in _VIET_LATIN1 for ch in word)
    return raw, is_syllable(_tcvn3_chars(word)), is_syllable(_vni_chars(word)), False, foreign


def _analyse(texts) -> tuple[str | None, float, bool]:
    counts = {"n": 0, "unicode": 0, "foreign": 0}
    gain = {e: 0 for e in ENCODINGS}      # valid read as e, not as typed
    loss = {e: 0 for e in ENCODINGS}      # valid as typed, not read as e
    only = {e: 0 for e in ENCODINGS}      # valid read as e, not read as the other encoding
    # The sample: the first _SAMPLE_TEXTS texts, ending after the one that passes _SAMPLE_WORDS
    # words. One search over them joined (a line break is no letter) where they hold fewer words
    # than that, as most sheets do: a search per text cost ~40 % of the check.
    kept: list[str] = []
    for text in texts:
        if isinstance(text, str) and text.strip():
            kept.append(text)
            if len(kept) == _SAMPLE_TEXTS:
                break
    sample = _WORD.findall("\n".join(kept))
    if len(sample) > _SAMPLE_WORDS:
        sample, seen_words = [], 0
        for text in kept:
            if seen_words > _SAMPLE_WORDS:
                break
            words = _WORD.findall(text)
            seen_words += len(words)
            sample += words
    # Each distinct word once, weighted by how often it occurs: lists repeat names and labels.
    for word, times in Counter(w for w in sample if not w.isascii()).items():
        raw, t, v, uni, foreign = _readings(word)
        counts["n"] += times
        counts["unicode"] += uni * times
        counts["foreign"] += foreign * times
        for e, ok, other in (("tcvn3", t, v), ("vni", v, t)):
            gain[e] += (ok and not raw) * times
            loss[e] += (raw and not ok) * times
            only[e] += (ok and not other) * times
    n = counts["n"]
    if n == 0:
        return None, 1.0, False
    best = max(ENCODINGS, key=lambda e: (gain[e] - loss[e], only[e]))
    other = "vni" if best == "tcvn3" else "tcvn3"
    g, lo = gain[best], loss[best]
    vs_typed = g / (g + lo) if g + lo else 0.0
    vs_other = only[best] / (only[best] + only[other]) if only[best] + only[other] else 0.0
    if g > 0 and vs_typed >= 0.75 and vs_other >= 0.75:
        confidence = min(vs_typed, vs_other) * g / (g + 1)
        return best, round(confidence, 3), False
    legacy_looking = (
        (g >= 2 and g >= lo)                       # as good a reading as Unicode, yet undecided
        or (g >= 3 and g >= 0.05 * n)              # legacy words mixed into Unicode ones
        or (counts["foreign"] >= 3 and counts["foreign"] >= 0.25 * n
            and counts["unicode"] < counts["foreign"]))  # characters no reading explains
    if legacy_looking:
        return None, 0.0, True
    doubt = g / (g + lo) if g + lo else 0.0
    return None, round(1.0 - doubt, 3), False


def assess(texts: list[str]) -> tuple[str | None, bool]:
    """(encoding or None, ambiguous) in one pass: what a reader needs per sheet."""
    encoding, _, ambiguous = _analyse(texts)
    return encoding, ambiguous


def detect(texts: list[str]) -> tuple[str | None, float]:
    """("tcvn3" | "vni" | None, confidence 0–1) for a sample of a sheet's text cells.

    None means plain Unicode or ASCII (or unsure: see ``is_ambiguous``); its confidence is
    how sure the text is not legacy. A legacy answer's confidence grows with the number of
    words that only that reading makes valid (one word: 0.5, three: 0.75, ten: 0.9).
    """
    encoding, confidence, _ = _analyse(texts)
    return encoding, confidence


def is_ambiguous(texts: list[str]) -> bool:
    """True where the text looks legacy but cannot be read safely one way (TCVN3 and VNI
    readings equally good, legacy and Unicode words mixed, or characters no reading explains).
    The caller rejects such a file with ``AMBIGUOUS_REASON``."""
    return _analyse(texts)[2]
