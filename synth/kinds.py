"""Files as people really save them: the surface kinds added on top of `layouts.py`.

Pure helpers used by the plan (`layouts.py`) and the writers (`writers.py`, `units.py`):

    invisible characters   zero-width spaces, direction marks, soft hyphens, no-break spaces
                           pasted from chat apps and web pages (`sprinkle`)
    legacy fonts           TCVN3 (ABC) and VNI-Windows text, as the cp1252 reading of the
                           font's bytes (`legacy_text`); only text the reader can convert back
                           exactly is written that way, anything else in capitals (where
                           TCVN3 cannot carry a toned capital) or without diacritics
    dates                  the list's date written many ways, above or below the table
                           (`date_line`, DATE_FORMS)
    headers by meaning     other words, orders and abbreviations for every column (MEANING_*)
    ward abbreviations     "P. An Hòa", "X.Phi Thông", "TT. Hòn Đất", "P.5", "F5" (`ward_abbrev`)

Everything here is truth-preserving: the reader must read each of these back as the plain form.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

import numpy as np

from .text import strip_diacritics, upper

# --------------------------------------------------------------------------------------------
# Invisible characters (K1)
ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060", "\ufeff")
DIRECTION_MARKS = ("\u200e", "\u200f")
EMBEDDINGS = ("\u202a", "\u202b", "\u202d", "\u202e")     # each closed by U+202C (PDF)
POP_DIRECTION = "\u202c"
SOFT_HYPHEN = "\u00ad"
NO_BREAK_SPACES = ("\u00a0", "\u202f")
INVISIBLE = frozenset(ZERO_WIDTH + DIRECTION_MARKS + EMBEDDINGS + (POP_DIRECTION, SOFT_HYPHEN))


def strip_invisible(s: str) -> str:
    """What the reader makes of a cell: invisible characters removed, no-break spaces as spaces."""
    s = "".join(c for c in s if c not in INVISIBLE)
    for c in NO_BREAK_SPACES:
        s = s.replace(c, " ")
    return s


def sprinkle(s: str, kind: str, u: np.ndarray) -> str:
    """`s` with the invisible characters a paste would bring, by cell kind; u: 4 uniforms.

    kind: id | name | phone | header | text. The text stays the same once the reader strips
    invisible characters and reads no-break spaces as spaces (names and addresses compare by
    fold(), which splits on any white space).
    """
    if not s:
        return s
    zw = ZERO_WIDTH[int(u[1] * len(ZERO_WIDTH)) % len(ZERO_WIDTH)]
    if kind == "phone":
        if u[0] < 0.55:           # "\u202a0321.815.378\u202c": an embedding around the number
            e = EMBEDDINGS[int(u[1] * len(EMBEDDINGS)) % len(EMBEDDINGS)]
            return f"{e}{s}{POP_DIRECTION}"
        if u[0] < 0.75:
            return DIRECTION_MARKS[int(u[2] * 2) % 2] + s
        if u[0] < 0.9 or " " not in s:
            return s + zw
        return s.replace(" ", NO_BREAK_SPACES[0])
    if kind == "id":
        if u[0] < 0.6:
            return s + zw
        if u[0] < 0.75:
            return zw + s
        if u[0] < 0.9 and len(s) > 4:
            k = 3 + int(u[2] * (len(s) - 4))
            return s[:k] + zw + s[k:]
        return s.replace(" ", NO_BREAK_SPACES[0]) if " " in s else s + NO_BREAK_SPACES[0]
    if kind == "name":
        if u[0] < 0.45:
            return s + zw
        if u[0] < 0.65 and " " in s.strip():
            words = s.split(" ")
            k = 1 + int(u[2] * (len(words) - 1)) % max(1, len(words) - 1)
            nb = NO_BREAK_SPACES[int(u[3] * 2) % 2]
            return " ".join(words[:k]) + nb + " ".join(words[k:])
        if u[0] < 0.8:
            words = s.split(" ")
            j = int(u[2] * len(words)) % len(words)
            w = words[j]
            if len(w) > 3:
                words[j] = w[:2] + SOFT_HYPHEN + w[2:]
                return " ".join(words)
            return s + zw
        if u[0] < 0.9:
            return "\ufeff" + s
        return s + NO_BREAK_SPACES[0]
    if kind == "header":
        if u[0] < 0.6:
            return s + zw
        return s.replace(" ", NO_BREAK_SPACES[0], 1) if " " in s else zw + s
    # text: addresses, relations, statuses, ward/group cells, title lines
    if u[0] < 0.5:
        return s + zw
    if u[0] < 0.8 and " " in s:
        return s.replace(" ", NO_BREAK_SPACES[int(u[3] * 2) % 2], 1)
    return s + NO_BREAK_SPACES[0]


# --------------------------------------------------------------------------------------------
# Legacy fonts (K4). Written from the fonts' code tables (TCVN 5712:1993 VN3; VNI-Windows);
# tests/test_synth_kinds.py checks them against the reader's tables in intake/legacy.py.

# TCVN3: one byte per letter; per base vowel the five toned forms in the order
# huyền, hỏi, ngã, sắc, nặng (à ả ã á ạ).
_TCVN3_ROWS = {
    "a": "\xb5\xb6\xb7\xb8\xb9", "ă": "\xbb\xbc\xbd\xbe\xc6", "â": "\xc7\xc8\xc9\xca\xcb",
    "e": "\xcc\xce\xcf\xd0\xd1", "ê": "\xd2\xd3\xd4\xd5\xd6", "i": "\xd7\xd8\xdc\xdd\xde",
    "o": "\xdf\xe1\xe2\xe3\xe4", "ô": "\xe5\xe6\xe7\xe8\xe9", "ơ": "\xea\xeb\xec\xed\xee",
    "u": "\xef\xf1\xf2\xf3\xf4", "ư": "\xf5\xf6\xf7\xf8\xf9", "y": "\xfa\xfb\xfc\xfd\xfe",
}
_TONES = "\u0300\u0309\u0303\u0301\u0323"          # huyền, hỏi, ngã, sắc, nặng
_TCVN3_BASE = {"ă": "\xa8", "â": "\xa9", "ê": "\xaa", "ô": "\xab", "ơ": "\xac", "ư": "\xad",
               "đ": "\xae", "Ă": "\xa1", "Â": "\xa2", "Ê": "\xa3", "Ô": "\xa4", "Ơ": "\xa5",
               "Ư": "\xa6", "Đ": "\xa7"}
TCVN3_ENCODE: dict[str, str] = dict(_TCVN3_BASE)
for _b, _codes in _TCVN3_ROWS.items():
    for _t, _c in zip(_TONES, _codes):
        TCVN3_ENCODE[unicodedata.normalize("NFC", _b + _t)] = _c
# upper-case toned vowels have no code of their own: .VnTimeH draws the lower-case codes as capitals
_TCVN3_CAPITAL_TONED = {unicodedata.normalize("NFC", b.upper() + t): c
                        for b, codes in _TCVN3_ROWS.items() for t, c in zip(_TONES, codes)}
_TCVN3_UPPER_CODED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ") | set("ĂÂÊÔƠƯĐ")

# VNI-Windows: ASCII base + one mark character; a few one-character letters.
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRC = {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}
_VNI_BREVE = {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}
_VNI_I = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def _vni_letter(ch: str) -> str | None:
    """VNI-Windows text of one lower-case NFC letter, or None when it has none."""
    if ch.isascii():
        return ch
    if ch == "đ":
        return "ñ"
    d = unicodedata.normalize("NFD", ch)
    base, marks = d[0], d[1:]
    shape = "".join(m for m in marks if m in "\u0302\u0306\u031b")
    tone = "".join(m for m in marks if m in _TONES)
    if len(tone) > 1 or len(marks) != len(shape) + len(tone):
        return None
    if base == "i" and not shape:
        return _VNI_I.get(tone)
    if base == "y" and not shape and tone == "\u0323":
        return "î"
    if shape == "\u0302" and base in "aeo":
        return base + _VNI_CIRC[tone]
    if shape == "\u0306" and base == "a":
        return base + _VNI_BREVE[tone]
    if shape == "\u031b" and base in "ou":
        return {"o": "ô", "u": "ö"}[base] + (_VNI_TONE[tone] if tone else "")
    if not shape and base in "aeouy" and tone:
        return base + _VNI_TONE[tone]
    return None


def vni_encode(s: str) -> str | None:
    """`s` as typed with a VNI font (the cp1252 characters of its bytes), or None."""
    out = []
    for ch in unicodedata.normalize("NFC", s):
        low = ch.lower()
        enc = _vni_letter(low) if (low.isalpha() or low.isascii()) else None
        if enc is None:
            return None
        out.append(enc.upper() if ch != low else enc)
    return "".join(out)


def _tcvn3_char(ch: str) -> str | None:
    if ch.isascii():
        return ch
    return TCVN3_ENCODE.get(ch) or _TCVN3_CAPITAL_TONED.get(ch)


_TCVN3_LOWER_CODED = set("abcdefghijklmnopqrstuvwxyz") | set("ăâêôơưđ")
_MODIFIED_CAPITALS = set("ĂÂÊÔƠƯĐ")


def _tcvn3_reads_as(s: str) -> str:
    """What a reader following the fonts' case convention makes of `s` typed in TCVN3.

    Only some letters carry case in the bytes: ASCII letters and Ă Â Ê Ô Ơ Ư Đ (upper-case
    codes) / ă â ê ô ơ ư đ (lower-case codes); a toned vowel has one code for both cases. A
    cell with two or more upper-case codes and no lower-case code is ALL CAPS (.VnTimeH);
    otherwise a word with two or more cased codes, all upper-case, is ALL CAPS, a word that
    starts with a toned vowel and has no upper-case code is capitalised where every other
    word of the cell starts with a capital, and a capital Ă..Đ inside a lower-case word is
    lower-case.
    """
    def cls(c):
        if c in _TCVN3_UPPER_CODED:
            return "U"
        if c in _TCVN3_LOWER_CODED:
            return "L"
        return "T" if c.isalpha() else "O"

    cells = [cls(c) for c in s]
    if cells.count("U") >= 2 and cells.count("L") == 0:
        return "".join(c.upper() if k == "T" else c for c, k in zip(s, cells))
    words = [(m.start(), m.group()) for m in re.finditer(r"[^\W\d_]+", s)]
    out = list(s)
    for i, (start, w) in enumerate(words):
        ks = [cls(c) for c in w]
        plain = "".join(c.lower() if k == "T" else c for c, k in zip(w, ks))
        cased = [k for k in ks if k in "UL"]
        if len(cased) >= 2 and all(k == "U" for k in cased):
            new = "".join(c.upper() if k == "T" else c for c, k in zip(w, ks))
        elif ks[0] == "T" and "U" not in cased:
            others = [cls(v[0]) for j, (_, v) in enumerate(words) if j != i and cls(v[0]) in "UL"]
            new = plain[0].upper() + plain[1:] if others and all(k == "U" for k in others) else plain
        elif "L" in cased:
            new = plain[0] + "".join(c.lower() if c in _MODIFIED_CAPITALS else c for c in plain[1:])
        else:
            new = plain
        out[start:start + len(w)] = list(new)
    return "".join(out)


def tcvn3_encode(s: str) -> str | None:
    """`s` as typed with a TCVN3 font (.VnTime; .VnTimeH for capitals), or None."""
    s = unicodedata.normalize("NFC", s)
    out = []
    for ch in s:
        enc = _tcvn3_char(ch)
        if enc is None:
            return None
        out.append(enc)
    return "".join(out) if _tcvn3_reads_as(s) == s else None


def legacy_text(s: str, encoding: str) -> tuple[str, bool]:
    """(text as typed in the legacy font, exact) for one cell, NFC first, Ð (U+00D0) typed as Đ.

    Only text the reader converts back exactly is written in the font: where TCVN3's bytes
    cannot carry the case of a toned capital ("Lý Vũ" reads back as "LÝ VŨ"), the cell is
    typed in capitals (`exact` False, the text changes only by case), else without diacritics.
    """
    s = unicodedata.normalize("NFC", s.replace("\u00d0", "Đ"))
    enc = tcvn3_encode(s) if encoding == "tcvn3" else vni_encode(s)
    if enc is not None:
        return enc, True
    enc = tcvn3_encode(upper(s)) if encoding == "tcvn3" else vni_encode(upper(s))
    if enc is not None:
        return enc, False
    plain = strip_diacritics(s)
    return "".join(c if ord(c) < 128 else "?" for c in plain), False


# --------------------------------------------------------------------------------------------
# Dates written many ways (K8): the list's date above the table or in the signature block.
DATE_FORMS = {
    0: "Ngày {dd}/{mm}/{yyyy}",
    1: "{place}, ngày {d} tháng {m} năm {yyyy}",
    2: "Ngày lập: {dd}/{mm}/{yyyy}",
    3: "Ngày báo cáo: {dd}/{mm}/{yyyy}",
    4: "Cập nhật đến ngày {d}-{m}-{yyyy}",
    5: "{place}, ngày {dd} tháng {mm} năm {yyyy}",
    6: "Ngày {d}/{m}/{yyyy}",
    7: "Tính đến {hh} giờ ngày {dd}.{mm}.{yyyy}",
    8: "(đến ngày {d}/{m})",
    9: "{dd}/{mm}/{yy}",
}
NEW_DATE_FORMS = (3, 4, 5, 6, 7, 8, 9)
BELOW_FORMS = (1, 5)             # the "<place>, ngày ... tháng ... năm ..." line of a signature block
DATE_FORM_KEYS = {3: "title_date_report", 4: "title_date_updated", 5: "title_date_long_padded",
                  6: "title_date_no_pad", 7: "title_date_hour", 8: "title_date_no_year",
                  9: "title_date_short_year"}


def date_line(form: int, day: date, place: str, hour: int = 17) -> str:
    return DATE_FORMS[form].format(d=day.day, m=day.month, dd=f"{day.day:02d}",
                                   mm=f"{day.month:02d}", yyyy=day.year, yy=f"{day.year % 100:02d}",
                                   place=place, hh=hour)


DISPATCH_LINE = "(Kèm theo Công văn số 969/UBND-CATP ngày 16/10/2023)"

# --------------------------------------------------------------------------------------------
# Headers by meaning (K9): other words, orders, abbreviations.
MEANING_HOUSEHOLD = {
    "stt": ["Số thứ tự", "TT"],
    "name": ["Họ, tên", "Họ tên công dân", "Họ và tên người dân", "HỌ, TÊN"],
    "dob": ["Ngày tháng năm sinh", "Ngày/tháng/năm sinh", "Sinh ngày"],
    "dob_parent": ["Năm sinh (Nam/Nữ)", "Ngày sinh (Nam, Nữ)", "Năm sinh"],
    "sex": ["Giới tính (Nam/Nữ)", "Giới"],
    "id": ["Số ĐDCN/CCCD", "Số CCCD/ĐDCN", "Số định danh (CCCD)", "Số CCCD/CMND/ĐDCN",
           "Mã số định danh cá nhân"],
    "phone": ["SĐT liên hệ", "Số điện thoại di động", "Điện thoại liên hệ", "ĐT di động"],
    "rel": ["Quan hệ với chủ hộ (CH)", "Quan hệ với CH", "QH chủ hộ"],
    "addr": ["Địa chỉ thường trú", "Nơi thường trú", "Địa chỉ (số nhà, đường)"],
    "status": ["Kết quả kích hoạt TK", "Kết quả đăng ký, kích hoạt", "Tình trạng tài khoản"],
    "level": ["Mức TK định danh", "Mức tài khoản ĐDĐT"],
    "case": ["Trường hợp chưa kích hoạt", "Trường hợp (vắng mặt, không ĐTTM...)"],
    "note": ["Ghi chú khác"],
    "ward": ["Tên phường/xã", "Xã/phường", "Phường, xã"],
    "group": ["Tên tổ NDTQ", "Tổ nhân dân tự quản", "Tổ số"],
}
MEANING_ASSIGNMENT = {
    "name": ["Họ tên CB", "Họ, tên", "Họ và tên cán bộ"],
    "id": ["Số CCCD/ĐDCN", "Số ĐDCN/CCCD", "Số định danh (CCCD)"],
    "unit": ["Đơn vị", "Cơ quan, đơn vị", "Đơn vị công tác (cơ quan)"],
    "phone": ["SĐT liên hệ", "Số điện thoại di động"],
    "ward": ["Phường, xã", "Tên phường/xã"],
    "groups": ["Tổ NDTQ được phân công", "Tổ PT", "Tổ NDTQ phụ trách số"],
    "two": [("Tổ PT 1", "Tổ PT 2"), ("Tổ phụ trách 1", "Tổ phụ trách 2")],
}
MEANING_STAFF = {
    "name": ["Họ tên CB", "Họ, tên"],
    "dob": ["Ngày tháng năm sinh", "Ngày, tháng, năm sinh", "Sinh ngày"],
    "id": ["Số CCCD/ĐDCN", "Số ĐDCN/CCCD"],
    "position": ["Chức vụ/Chức danh", "Chức danh", "Chức vụ, chức danh"],
    "category": ["Đối tượng (CB, CC, VC, NLĐ)", "Thành phần"],
    "unit": ["Đơn vị", "Cơ quan, đơn vị", "Đơn vị công tác"],
}

# a cadre-assignment file whose group column cannot be found (K11)
MEANINGLESS_GROUP_HEADERS = ["Ghi chú 2", "Cột 7", "Nội dung"]


# --------------------------------------------------------------------------------------------
# Ward names as people abbreviate them (K10)
_ABBREV = {"Phường": ("P. ", "P.", "Ph. "), "Xã": ("X. ", "X.", "X. "),
           "Thị trấn": ("TT. ", "TT.", "T.T ")}
_NUMBERED = {"Phường": ("P.{n}", "Phường {n:02d}", "F{n}", "P{n}", "P.{n:02d}", "F.{n}"),
             "Xã": ("X.{n}", "Xã {n:02d}", "X{n}", "X.{n:02d}", "X.{n}", "Xã {n:02d}"),
             "Thị trấn": ("TT.{n}", "TT {n:02d}", "TT{n}", "TT.{n:02d}", "TT.{n}", "TT {n:02d}")}
N_ABBREV = 6


def ward_abbrev(kind: str, name: str, k: int) -> str:
    """Form k (0..5) of a ward's name as people abbreviate it: "P. An Hòa", "X.Phi Thong",
    "TT. Hòn Đất", numbered wards "P.5", "Phường 05", "F5", "P5"."""
    if name.isdigit():
        return _NUMBERED[kind][k % N_ABBREV].format(n=int(name))
    pre = _ABBREV[kind][k % 3]
    return pre + (name if k < 3 else strip_diacritics(name))


def abbrev_title(kind: str, name: str, k: int, form: int) -> str:
    """A title block's ward line with an abbreviated name."""
    a = ward_abbrev(kind, name, k)
    return [f"UBND {a}", upper(a), a, f"Công an {a}"][form % 4]
