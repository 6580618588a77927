"""Every word a user reads, in one place: sheet names, headers, labels, actions, and how numbers
and dates are written in Vietnamese. Reviewed as a whole; the report code only looks words up.
"""

from __future__ import annotations

import math
import re

from matchers.text import fold

CODE_LABELS = {
    "INVALID": "Dòng không xử lý được",
    "ID_MALFORMED": "Số định danh sai định dạng",
    "ID_INCONSISTENT": "Số định danh không khớp giới tính/năm sinh",
    "ID_MISSING": "Thiếu số định danh",
    "ID_MISMATCH": "Số định danh khác hệ thống",
    "NOT_FOUND": "Không tìm thấy trong hệ thống",
    "NAME_MISMATCH": "Họ tên khác hệ thống",
    "DOB_MISMATCH": "Ngày sinh khác hệ thống",
    "GENDER_MISMATCH": "Giới tính khác hệ thống",
    "PHONE_MISMATCH": "Số điện thoại khác số đăng ký",
    "STATUS_OVERSTATED": "Báo cáo kết quả cao hơn thực tế",
    "STATUS_OUTDATED": "Báo cáo kết quả chưa cập nhật",
    "DUPLICATE": "Trùng người trên nhiều dòng",
    "OUT_OF_AREA": "Cư trú ở đơn vị khác",
    "NOT_LISTED": "Chưa có trong danh sách",
    "GROUP_UNASSIGNED": "Tổ chưa có cán bộ phụ trách",
    "CADRE_OVERLOADED": "Cán bộ phụ trách quá 2 tổ",
    "CADRE_NOT_ACTIVATED": "Cán bộ phụ trách chưa kích hoạt",
    "STAFF_NOT_ACTIVATED": "Cán bộ, nhân viên chưa kích hoạt",
}
# Sheet names (Excel: at most 31 characters, no []:*?/\) for each finding kind's sheet.
CODE_SHEETS = {
    "INVALID": "Dòng không hợp lệ", "ID_MALFORMED": "Số ĐD sai định dạng", "ID_INCONSISTENT": "Số ĐD không khớp",
    "ID_MISSING": "Thiếu số ĐD", "ID_MISMATCH": "Số ĐD khác HT", "NOT_FOUND": "Không tìm thấy",
    "NAME_MISMATCH": "Họ tên khác HT", "DOB_MISMATCH": "Ngày sinh khác HT", "GENDER_MISMATCH": "Giới tính khác HT",
    "PHONE_MISMATCH": "SĐT khác số đăng ký", "STATUS_OVERSTATED": "Báo cáo cao hơn", "STATUS_OUTDATED": "Báo cáo chưa cập nhật",
    "DUPLICATE": "Trùng người", "OUT_OF_AREA": "Cư trú nơi khác", "NOT_LISTED": "Chưa có trong DS",
}
STATUS_LABELS = {"matched": "Khớp", "review": "Cần xem xét", "unmatched": "Không tìm thấy", "invalid": "Không hợp lệ"}
ACCOUNT_LABELS = {"activated": "Đã kích hoạt", "approved": "Đã duyệt, chưa kích hoạt", "registered": "Chờ duyệt",
                  "not_registered": "Chưa đăng ký", "": "Không tìm thấy"}
GENDER_LABELS = {"M": "Nam", "F": "Nữ", "": ""}
STATE_LABELS = {"open": "Đang thực hiện", "finished": "Đã hoàn thành", "late": "Quá hạn chưa hoàn thành",
                "no_list": "Chưa có danh sách"}
MET_LABELS = {True: "Đúng hạn", False: "Không đạt"}
DECISIONS = ["Đúng người", "Không phải", "Cần xác minh"]
SHEET_STATUS = {"read": "Đã đọc", "skipped": "Bỏ qua", "rejected": "Bị từ chối", "superseded": "Bị thay thế"}
RULE_LABELS = {"title_date": "Ngày ghi trên danh sách mới hơn",
               "modified_time": "Tệp sửa sau (không so được ngày ghi)",
               "file_name": "Tên tệp (ngày và giờ sửa như nhau)"}
LAYOUT_LABELS = [("person", "Dòng người dân"), ("superseded", "Dòng của danh sách cũ"), ("title", "Dòng tiêu đề"),
                 ("header", "Dòng tên cột"), ("closing", "Dòng tổng cộng, ký tên"), ("blank", "Dòng trống"),
                 ("other", "Dòng khác")]

# What a visiting team does, by the person's situation (dispatch 969: guide activation, register
# level 1, fix the phone that blocks activation; a resident missing from the lists is added).
ACTIONS = {
    "not_registered": "Hướng dẫn đăng ký tài khoản định danh điện tử mức 1",
    "registered": "Đôn đốc phê duyệt hồ sơ, hướng dẫn kích hoạt",
    "approved": "Hướng dẫn kích hoạt tài khoản",
    "phone": "Sửa số điện thoại đăng ký (số trong danh sách khác số đã đăng ký)",
    "not_listed": "Bổ sung vào danh sách của tổ",
    "not_found": "Xác minh thông tin (không tìm thấy trong dữ liệu định danh)",
}


def vi_int(n) -> str:
    """1791 → '1.791' (Vietnamese groups thousands with a dot)."""
    return f"{int(n):,}".replace(",", ".")


def vi_pct(rate, digits: int = 2) -> str:
    """0.6555 → '65,55 %' (decimal comma, a space before the sign); '' for NaN."""
    if rate is None or (isinstance(rate, float) and math.isnan(rate)):
        return ""
    return f"{rate * 100:.{digits}f}".replace(".", ",") + " %"


def vi_date(iso: str) -> str:
    """'2023-10-25' → '25/10/2023'; 'YYYY-00-00' → 'YYYY'; anything else as given."""
    if not iso:
        return ""
    if iso[5:] == "00-00":
        return iso[:4]
    return f"{iso[8:10]}/{iso[5:7]}/{iso[:4]}" if len(iso) >= 10 else iso


def slug(text: str) -> str:
    """A name for a file people open: 'Phường Vĩnh Thanh Vân' → 'phuong_vinh_thanh_van'."""
    return re.sub(r"[^a-z0-9]+", "_", fold(text)).strip("_")


def natural(text) -> str:
    """A sort key that orders as people count: 'Khu phố 9' before 'Khu phố 10'."""
    return re.sub(r"\d+", lambda m: m.group().zfill(6), str(text))


# Excel number formats that read the Vietnamese way in any regional setting: thousands with a
# dot for counts up to 999.999.999 (two conditions are all a format may hold), and percentages.
XL_INT = '[>=1000000]#"."###"."###;[>=1000]#"."###;0'
XL_PCT = "0.00%"
