"""Ward household lists: every person-row of every sheet, with its ward, group and submission date.

Ward and group come from (first that exists): table columns; the title block; the sheet name;
the folder and file name (CONTRACT §1.2).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from intake.headers import HOUSEHOLD_ALIASES, build_lookup
from intake.registry import Registry
from intake.sheets import UnreadableFile, read_grids
from intake.tables import cell_text, read_table, title_date
from matchers.text import fold

LOOKUP = build_lookup(HOUSEHOLD_ALIASES)
KEY_FIELDS = ("name", "national_id", "dob", "dob_male", "dob_female")
_GROUP = re.compile(r"\bto\s*(?:ndtq|nhan dan tu quan|dan pho)?\s*(?:so)?\s*[:.#-]?\s*0*(\d{1,3})\b")
_STATUS_COLUMNS = {
    "result_not_registered": "Chưa đăng ký",
    "result_registered": "Đã đăng ký",
    "result_approved": "Đã duyệt",
    "result_activated": "Đã kích hoạt",
}

# The columns every household person-row carries after reading (raw cell values).
RAW_COLUMNS = [
    "source", "sheet", "row", "ward_code", "group_no", "submitted_on",
    "name", "dob_raw", "gender_raw", "id_raw", "phone_raw", "relation", "address",
    "result_raw", "level_raw", "case_raw", "note",
]


@dataclass
class Submission:
    """One (ward, group) list inside one sheet of one file."""

    source: str
    sheet: str
    ward_code: str
    group_no: str
    submitted_on: dt.date | None
    mtime: float
    rows: list[tuple]   # RAW_COLUMNS order


def group_in(text: str) -> str | None:
    m = _GROUP.search(fold(text))
    return str(int(m.group(1))) if m else None


def _group_cell(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() and value > 0 else None
    s = str(value).strip()
    return str(int(s)) if s.isdigit() else group_in(s) or group_in("to " + s)


def read_household_file(path: Path, source: str, registry: Registry) -> tuple[list[Submission], list[str]]:
    """→ (submissions, notes about sheets skipped). Raises UnreadableFile for the whole file."""
    grids = read_grids(path)
    parts = source.split("/")[1:]  # below households/
    folder_ward = None
    for part in parts[:-1]:
        folder_ward = registry.resolve_ward(part) or registry.find_ward_in(part.replace("_", " ")) or folder_ward
    file_ward = (registry.find_ward_in(Path(parts[-1]).stem.replace("_", " "), hint=folder_ward)
                 if parts else None)
    path_group = None
    for part in parts:
        path_group = group_in(Path(part).stem.replace("_", " ")) or path_group
    mtime = path.stat().st_mtime

    submissions: list[Submission] = []
    notes: list[str] = []
    last_error: UnreadableFile | None = None
    for grid in grids:
        if sum(1 for r in grid.rows if any(c not in ("", None) for c in r)) < 2:
            continue  # an empty or near-empty sheet
        try:
            table = read_table(grid.sheet, grid.rows, LOOKUP, KEY_FIELDS)
        except UnreadableFile as exc:
            last_error = exc
            notes.append(f"Trang tính '{grid.sheet}': {exc}")
            continue
        title_ward = next((w for w in (registry.find_ward_in(t, hint=folder_ward) for t in table.title_lines)
                           if w), None)
        title_group = next((g for g in map(group_in, table.title_lines) if g), None)
        sheet_ward = registry.find_ward_in(grid.sheet, hint=folder_ward) if grid.sheet else None
        sheet_group = group_in(grid.sheet) if grid.sheet else None
        ward = title_ward or sheet_ward or folder_ward or file_ward or ""
        group = title_group or sheet_group or path_group or ""
        has_ward_col, has_group_col = "ward" in table.fields, "group" in table.fields
        ward_cache: dict = {}
        parts: dict[tuple[str, str], list] = {}
        unknown = 0
        date = title_date(table.title_lines)
        for rec in table.records:
            w = ward
            if has_ward_col:
                cell = rec.get("ward", "")
                key = str(cell)
                if key not in ward_cache:
                    ward_cache[key] = registry.resolve_ward(cell, hint=folder_ward or title_ward)
                w = ward_cache[key] or ward
            g = (_group_cell(rec.get("group", "")) or group) if has_group_col else group
            if not w:
                unknown += 1
                continue
            parts.setdefault((w, g), []).append(_raw_record(rec, source, grid.sheet, w, g, date))
        if unknown and not parts:
            raise UnreadableFile(
                "Không xác định được phường/xã của danh sách: hãy ghi tên phường/xã ở phần "
                "tiêu đề (ví dụ 'PHƯỜNG VĨNH THANH VÂN') hoặc thêm cột 'Phường/xã'."
            )
        if unknown:
            raise UnreadableFile(
                f"{unknown} dòng không xác định được phường/xã (cột 'Phường/xã' "
                "ghi sai hoặc để trống): hãy sửa cột này rồi gửi lại."
            )
        for (ward_code, group_no), records in parts.items():
            submissions.append(Submission(source, grid.sheet, ward_code, group_no, date, mtime, records))
    if not submissions and last_error is not None:
        raise last_error
    if not submissions:
        raise UnreadableFile("Tệp không có danh sách nào (không có dòng người dân).")
    return submissions, notes


def _filled(v) -> bool:
    return v not in ("", None) and str(v).strip() not in ("", "0")


def _raw_record(rec: dict, source: str, sheet: str, ward: str, group: str, date) -> tuple:
    """One person-row in RAW_COLUMNS order, cells as the file stored them."""
    dob, gender = rec.get("dob", ""), cell_text(rec.get("gender", ""))
    if "dob_male" in rec or "dob_female" in rec:  # the old form: the date sits in the column of the sex
        male, female = rec.get("dob_male", ""), rec.get("dob_female", "")
        dob, gender = (male, "Nam") if _filled(male) else ((female, "Nữ") if _filled(female) else ("", ""))
    result = cell_text(rec.get("result", ""))
    if not result:
        result = next((label for col, label in _STATUS_COLUMNS.items() if _filled(rec.get(col, ""))), "")
    return (source, sheet, rec["row"], ward, group, date, cell_text(rec.get("name", "")), dob, gender,
            rec.get("national_id", ""), rec.get("phone", ""), cell_text(rec.get("relation", "")),
            cell_text(rec.get("address", "")), result, rec.get("level", ""), cell_text(rec.get("case", "")),
            cell_text(rec.get("note", "")))


def current_submissions(subs: list[Submission]) -> tuple[list[Submission], list[dict]]:
    """The newest submission of each (ward, group) wins: later title date, then later file
    modification time, then later name. → (current, superseded entries for summary.json)."""
    def newest_key(s: Submission):
        return (s.submitted_on or dt.date.min, s.mtime, s.source, s.sheet)

    by_key: dict[tuple[str, str], list[Submission]] = {}
    for s in subs:
        # A list whose group could not be told apart replaces nothing.
        key = (s.ward_code, s.group_no) if s.group_no else (s.ward_code, "", s.source, s.sheet)
        by_key.setdefault(key, []).append(s)
    current, superseded = [], []
    for key, items in by_key.items():
        items.sort(key=newest_key)
        winner = items[-1]
        current.append(winner)
        for old in items[:-1]:
            superseded.append({"source": old.source, "sheet": old.sheet, "replaced_by": winner.source,
                               "ward_code": old.ward_code, "group_no": old.group_no})
    return current, superseded
