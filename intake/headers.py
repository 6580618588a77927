"""Column headers read by meaning: which field of a list a header cell names.

People write the same header many ways: other word orders ("Tên, họ"), abbreviations ("SĐT",
"Số ĐDCN/CCCD", "Tổ PT"), extra words ("Tổ NDTQ được phân công", "Năm sinh (Nam/Nữ)"), line
breaks, capitals, no diacritics. A fixed alias list misses most of them, so a header is read as a
set of words:

1. ``header_key``: folded (no diacritics, lower case), punctuation and line breaks made spaces;
2. each word is expanded if it is a known abbreviation (``ABBREVIATIONS``: "sdt" → "so dien thoai");
3. the first ``Concept`` of the table's vocabulary whose words are all present (in any order),
   and none of whose excluding words are, names the field. Concepts are ordered most specific
   first: "Ghi chú trường hợp" is the case column, not the note; "Ngày cấp CCCD" is no ID.

The vocabularies cover CONTRACT §1.2 (household lists) and §1.3 (assignments, staff rosters);
``tests/test_headers.py`` holds every spelling the contract names and those seen since.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from matchers.text import fold

_NON_WORD = re.compile(r"[^a-z0-9/]+")


@lru_cache(maxsize=8192)
def header_key(text: str) -> str:
    return _NON_WORD.sub(" ", fold(text)).strip()


# Abbreviations in headers (folded word → its words). "TT" stays itself: it is "số thứ tự" alone
# in a cell, "tình trạng" or "thị trấn" elsewhere.
ABBREVIATIONS: dict[str, str] = {
    "stt": "so thu tu", "sdt": "so dien thoai", "dt": "dien thoai", "dtdd": "dien thoai di dong",
    "dttm": "dien thoai thong minh", "ddcn": "dinh danh ca nhan", "dd": "dinh danh",
    "cccd": "can cuoc cong dan", "cmnd": "chung minh nhan dan", "cmt": "chung minh nhan dan",
    "cmtnd": "chung minh nhan dan", "qh": "quan he", "ch": "chu ho", "tk": "tai khoan",
    "ndtq": "nhan dan tu quan", "pt": "phu trach", "kp": "khu pho", "dvhc": "don vi hanh chinh",
    "dv": "don vi", "cb": "can bo", "kq": "ket qua", "gt": "gioi tinh", "ns": "ngay sinh",
    "ht": "ho ten", "dc": "dia chi", "dk": "dang ky", "sn": "so nha",
}
MAX_HEADER_WORDS = 14   # a longer cell is a sentence (a title), not a header


@lru_cache(maxsize=8192)
def header_words(text: str) -> tuple[str, ...]:
    words: list[str] = []
    for w in header_key(text).replace("/", " ").split():
        words.extend(ABBREVIATIONS.get(w, w).split())
    return tuple(words)


@dataclass(frozen=True)
class Concept:
    """A field and the word sets that name it: any one of ``any_of`` wholly present, none of
    ``none_of`` wholly present; or the cell is exactly one of ``whole``."""

    field: str
    any_of: tuple[frozenset, ...] = ()
    none_of: tuple[frozenset, ...] = ()
    whole: tuple[str, ...] = ()

    def rank(self, words: tuple[str, ...]) -> int | None:
        """None if the words do not name this field, else how well (0 best: the first of
        ``any_of`` that matched), so that "Số CCCD" beats "Số CMND" when a list has both."""
        if " ".join(words) in self.whole:
            return 0
        have = set(words)
        if any(s <= have for s in self.none_of):
            return None
        return next((k for k, s in enumerate(self.any_of) if s <= have), None)


def _sets(*phrases: str) -> tuple[frozenset, ...]:
    return tuple(frozenset(p.split()) for p in phrases)


def concept(field: str, any_of=(), none_of=(), whole=()) -> Concept:
    return Concept(field, _sets(*any_of), _sets(*none_of), tuple(whole))


class Vocabulary:
    """An ordered list of concepts: ``field_of(cell)`` is the first that names the cell."""

    def __init__(self, concepts: list[Concept]):
        self.concepts = concepts
        self.fields = tuple(dict.fromkeys(c.field for c in concepts))
        self._cache: dict[str, tuple[str | None, int]] = {}

    def rank_of(self, text: str) -> tuple[str | None, int]:
        """(field the header cell names or None, its rank: 0 is the plainest wording)."""
        if text not in self._cache:
            words = header_words(text)
            found: tuple[str | None, int] = (None, 0)
            if words and len(words) <= MAX_HEADER_WORDS:
                for c in self.concepts:
                    r = c.rank(words)
                    if r is not None:
                        found = (c.field, r)
                        break
            self._cache[text] = found
        return self._cache[text]

    def field_of(self, text: str) -> str | None:
        return self.rank_of(text)[0]


# Concepts shared by the three kinds of list, most specific first.
STT = concept("stt", whole=("so thu tu", "tt", "so tt", "tt so", "thu tu"))
NATIONAL_ID = concept("national_id", any_of=("dinh danh", "can cuoc", "chung minh"),  # CMND last
                      none_of=("cap",))                       # "Ngày cấp CCCD", "Nơi cấp"
PHONE = concept("phone", any_of=("dien thoai", "di dong"), none_of=("thong minh",))
DOB = concept("dob", any_of=("sinh",), none_of=("noi sinh", "que"))
WARD = concept("ward", any_of=("phuong", "xa", "thi tran", "don vi hanh chinh"),
               none_of=("dia chi", "noi o", "cho o", "so nha", "cu tru", "thuong tru", "tam tru"))
NAME = concept("name", any_of=("ho ten", "ten"),
               none_of=("chu ho", "don vi", "co quan", "to", "phuong", "xa", "khu", "duong", "ap"))
# A name split in two columns: "Họ và tên đệm" | "Tên" (the list's name is both, in order).
NAME_FIRST = concept("name_first", any_of=("ten dem", "ho dem", "ho lot", "chu dem"))
GROUP_WORDS = dict(any_of=("to",), none_of=("to truong", "to chuc", "to pho"))


def _group_number(field: str, n: int, ordinal: str) -> Concept:
    return concept(field, any_of=(f"to {n}", f"dot {n}", f"to thu {ordinal}"), none_of=("to truong",))


HOUSEHOLD = Vocabulary([
    STT,
    concept("case", any_of=("truong hop",)),
    concept("level", any_of=("muc",)),
    concept("result", any_of=("ket qua", "tinh trang", "trang thai"),
            none_of=("cu tru", "hon nhan", "suc khoe", "nha o", "viec lam")),
    concept("relation", any_of=("quan he",)),
    NATIONAL_ID,
    PHONE,
    DOB,
    concept("gender", any_of=("gioi", "phai", "nam nu")),
    concept("address", any_of=("dia chi", "noi o", "cho o", "cu tru", "thuong tru", "tam tru", "so nha"),
            none_of=("tinh trang",)),
    concept("group", **GROUP_WORDS),
    WARD,
    NAME_FIRST,
    NAME,
    concept("note", any_of=("ghi chu",)),
])

ASSIGNMENT = Vocabulary([
    STT,
    NATIONAL_ID,
    PHONE,
    DOB,
    WARD,
    _group_number("group_1", 1, "nhat"),
    _group_number("group_2", 2, "hai"),
    _group_number("group_3", 3, "ba"),
    concept("groups", any_of=("to", "dia ban"), none_of=GROUP_WORDS["none_of"]),
    concept("unit", any_of=("don vi", "co quan", "cong tac")),
    concept("name", any_of=("ho ten", "ten", "can bo"),
            none_of=("don vi", "co quan", "to", "phuong", "xa", "khu", "ap")),
])

STAFF = Vocabulary([
    STT,
    NATIONAL_ID,
    PHONE,
    DOB,
    concept("position", any_of=("chuc vu", "chuc danh")),
    concept("category", any_of=("doi tuong", "loai", "thanh phan")),
    concept("unit", any_of=("don vi", "co quan", "noi cong tac")),
    NAME_FIRST,
    NAME,
])

# Sub-header cells under a merged parent (the old Nam/Nữ birth-date form; per-status columns).
# "Nam" and "Năm" fold alike: under "Ngày sinh" beside "Ngày" and "Tháng" it is the year, under
# "Giới tính" a tick for the sex, under "Năm sinh" the old form's column of men's birth dates
# (``tables.locate_table`` decides by the parent header).
SUBHEADER = Vocabulary([
    concept("dob_male", whole=("nam",)),
    concept("dob_female", whole=("nu",)),
    concept("dob_day", whole=("ngay",)),
    concept("dob_month", whole=("thang",)),
    concept("result_not_registered", whole=("chua dang ky", "chua dang ki", "chua co tai khoan")),
    concept("result_registered", whole=("da dang ky", "da dang ki", "cho duyet", "dang cho duyet")),
    concept("result_approved", whole=("da duyet", "chua kich hoat", "da phe duyet")),
    concept("result_activated", whole=("da kich hoat",)),
])

# What each kind of list cannot do without (CONTRACT §1.2–1.3): a file whose header lacks one is
# rejected whole, naming the column, so that nothing is concluded from a list we did not read.
REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "households": (("name",),),
    "assignments": (("name",), ("groups", "group_1", "group_2", "group_3")),
    "staff": (("name",), ("national_id",)),
}
FIELD_LABELS = {  # how the Vietnamese template heads each field (for reasons shown to people)
    "stt": "STT", "name": "Họ và tên", "dob": "Ngày sinh", "gender": "Giới tính",
    "national_id": "Số định danh cá nhân", "phone": "Số điện thoại", "relation": "Quan hệ với chủ hộ",
    "address": "Địa chỉ", "result": "Kết quả", "level": "Mức tài khoản", "case": "Trường hợp",
    "note": "Ghi chú", "ward": "Phường/xã", "group": "Tổ NDTQ", "groups": "Tổ NDTQ phụ trách",
    "group_1": "Tổ 1", "group_2": "Tổ 2", "group_3": "Tổ 3", "unit": "Đơn vị",
    "position": "Chức vụ", "category": "Đối tượng",
}
