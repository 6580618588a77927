"""Header aliases: the spellings people use for each column, mapped to the field the code uses.

Aliases are compared after ``header_key``: folded (no diacritics, lower case), punctuation
and line breaks turned into spaces, so "Họ và\\ntên", "HO VA TEN" and "họ  và tên" are one key.
"""

from __future__ import annotations

import re
from functools import lru_cache

from matchers.text import fold

_NON_WORD = re.compile(r"[^a-z0-9/]+")


@lru_cache(maxsize=8192)
def header_key(text: str) -> str:
    return _NON_WORD.sub(" ", fold(text)).strip()


def _keys(*aliases: str) -> tuple[str, ...]:
    return tuple(header_key(a) for a in aliases)


# field → spellings (CONTRACT §1.2–1.3). First match wins, so longer phrases come first.
HOUSEHOLD_ALIASES: dict[str, tuple[str, ...]] = {
    "stt": _keys("STT", "TT", "Số TT", "Số thứ tự"),
    "name": _keys("Họ và tên", "Họ tên", "Họ và tên công dân", "Họ và tên người dân"),
    "dob": _keys("Ngày sinh", "Ngày, tháng, năm sinh", "Ngày tháng năm sinh", "Năm sinh"),
    "gender": _keys("Giới tính", "Nam/Nữ", "Phái"),
    "national_id": _keys(
        "Số định danh cá nhân", "Số CCCD", "Số ĐDCN", "CCCD/CMND", "Số CMND/CCCD",
        "Số định danh", "CCCD", "Số CCCD/CMND", "CMND/CCCD", "Số ĐDCN/CCCD",
    ),
    "phone": _keys("Số điện thoại", "SĐT", "Điện thoại", "Số ĐT", "ĐT"),
    "relation": _keys("Quan hệ với chủ hộ", "Quan hệ với CH", "QH với chủ hộ", "Quan hệ"),
    "address": _keys("Địa chỉ", "Nơi ở hiện tại", "Chỗ ở hiện nay", "Nơi cư trú"),
    "result": _keys("Kết quả", "Tình trạng", "Kết quả kích hoạt"),
    "level": _keys("Mức tài khoản", "Mức", "Mức TK"),
    "case": _keys("Trường hợp", "Ghi chú trường hợp"),
    "note": _keys("Ghi chú"),
    "ward": _keys("Phường/xã", "Phường, xã", "Phường", "Xã", "Đơn vị hành chính"),
    "group": _keys("Tổ NDTQ", "Tổ", "Tổ nhân dân tự quản", "Số tổ", "Tổ NDTQ số", "Tổ số", "Số tổ NDTQ"),
}

ASSIGNMENT_ALIASES: dict[str, tuple[str, ...]] = {
    "stt": HOUSEHOLD_ALIASES["stt"],
    "name": HOUSEHOLD_ALIASES["name"] + _keys("Họ và tên cán bộ"),
    "national_id": HOUSEHOLD_ALIASES["national_id"],
    "unit": _keys("Đơn vị công tác", "Đơn vị", "Cơ quan"),
    "phone": HOUSEHOLD_ALIASES["phone"],
    "ward": HOUSEHOLD_ALIASES["ward"],
    "groups": _keys("Tổ NDTQ phụ trách", "Tổ phụ trách", "Tổ NDTQ"),
    "group_1": _keys("Tổ 1"),
    "group_2": _keys("Tổ 2"),
    "group_3": _keys("Tổ 3"),
}

STAFF_ALIASES: dict[str, tuple[str, ...]] = {
    "stt": HOUSEHOLD_ALIASES["stt"],
    "name": HOUSEHOLD_ALIASES["name"],
    "dob": HOUSEHOLD_ALIASES["dob"],
    "national_id": HOUSEHOLD_ALIASES["national_id"],
    "position": _keys("Chức vụ", "Chức danh"),
    "category": _keys("Đối tượng", "Loại"),
    "unit": _keys("Đơn vị", "Đơn vị công tác", "Cơ quan"),
    "phone": HOUSEHOLD_ALIASES["phone"],
}

# Sub-header cells under a merged parent (the old Nam/Nữ birth-date form; per-status columns).
SUBHEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "dob_male": _keys("Nam"),
    "dob_female": _keys("Nữ"),
    "result_not_registered": _keys("Chưa đăng ký"),
    "result_registered": _keys("Đã đăng ký", "Chờ duyệt"),
    "result_approved": _keys("Đã duyệt", "Chưa kích hoạt"),
    "result_activated": _keys("Đã kích hoạt"),
}


def build_lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for field, keys in aliases.items():
        for key in keys:
            lookup.setdefault(key, field)
    return lookup
