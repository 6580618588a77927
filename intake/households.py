"""Ward household lists: every person-row of every sheet, with its ward, group and submission date.

Ward and group come from (first that exists): table columns; the title block; the sheet name;
the folder and file name (CONTRACT §1.2).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from intake.headers import HOUSEHOLD_ALIASES, build_lookup
from intake.registry import Registry
from intake.sheets import UnreadableFile, read_grids
from intake.tables import read_table, title_date
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
    rows: pd.DataFrame


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
        folder_ward = registry.resolve_ward(part) or registry.find_ward_in(part) or folder_ward
    file_ward = registry.find_ward_in(Path(parts[-1]).stem.replace("_", " ")) if parts else None
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
        frame = table.frame
        title_ward = next((w for w in map(registry.find_ward_in, table.title_lines) if w), None)
        title_group = next((g for g in map(group_in, table.title_lines) if g), None)
        sheet_ward = registry.find_ward_in(grid.sheet) if grid.sheet else None
        sheet_group = group_in(grid.sheet) if grid.sheet else None
        ward = title_ward or sheet_ward or folder_ward or file_ward
        group = title_group or sheet_group or path_group
        if "ward" in frame:
            row_ward = frame["ward"].map(registry.resolve_ward)
        else:
            row_ward = pd.Series(None, index=frame.index, dtype=object)
        if "group" in frame:
            row_group = frame["group"].map(_group_cell)
        else:
            row_group = pd.Series(None, index=frame.index, dtype=object)
        frame = frame.assign(ward_code=row_ward.fillna(ward or ""), group_no=row_group.fillna(group or ""))
        unknown = frame["ward_code"] == ""
        if unknown.all():
            raise UnreadableFile(
                "Không xác định được phường/xã của danh sách: hãy ghi tên phường/xã ở phần "
                "tiêu đề (ví dụ 'PHƯỜNG VĨNH THANH VÂN') hoặc thêm cột 'Phường/xã'."
            )
        if unknown.any():
            raise UnreadableFile(
                f"{int(unknown.sum())} dòng không xác định được phường/xã (cột 'Phường/xã' "
                "ghi sai hoặc để trống): hãy sửa cột này rồi gửi lại."
            )
        date = title_date(table.title_lines)
        for (ward_code, group_no), part in frame.groupby(["ward_code", "group_no"], sort=False):
            submissions.append(
                Submission(source, grid.sheet, ward_code, group_no, date, mtime, _raw_rows(part, source, grid.sheet, date))
            )
    if not submissions and last_error is not None:
        raise last_error
    if not submissions:
        raise UnreadableFile("Tệp không có danh sách nào (không có dòng người dân).")
    return submissions, notes


def _raw_rows(frame: pd.DataFrame, source: str, sheet: str, date: dt.date | None) -> pd.DataFrame:
    def col(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series("", index=frame.index, dtype=object)

    dob, gender = col("dob"), col("gender")
    if "dob_male" in frame or "dob_female" in frame:
        male, female = col("dob_male"), col("dob_female")
        has_male = male.map(lambda v: v not in ("", None))
        dob = male.where(has_male, female)
        gender = pd.Series(["Nam" if m else ("Nữ" if f not in ("", None) else "") for m, f in zip(has_male, female)],
                           index=frame.index, dtype=object)
    result = col("result")
    status_cols = [c for c in _STATUS_COLUMNS if c in frame]
    if status_cols:
        marked = pd.Series("", index=frame.index, dtype=object)
        for c in status_cols:
            ticked = frame[c].map(lambda v: str(v).strip() not in ("", "None", "0"))
            marked = marked.where(~(ticked & (marked == "")), _STATUS_COLUMNS[c])
        result = result.where(result.map(lambda v: v not in ("", None)), marked)
    return pd.DataFrame(
        {
            "source": source,
            "sheet": sheet,
            "row": frame["row"].astype(int),
            "ward_code": frame["ward_code"],
            "group_no": frame["group_no"],
            "submitted_on": date,
            "name": col("name").map(_str),
            "dob_raw": dob,
            "gender_raw": gender.map(_str),
            "id_raw": col("national_id"),
            "phone_raw": col("phone"),
            "relation": col("relation").map(_str),
            "address": col("address").map(_str),
            "result_raw": result.map(_str),
            "level_raw": col("level"),
            "case_raw": col("case").map(_str),
            "note": col("note").map(_str),
        },
        columns=RAW_COLUMNS,
    )


def _str(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


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
