"""Ward household lists: every person-row of every sheet, with its ward, group and list date.

Ward and group come from (first that exists): table columns; the title block; the sheet name;
the folder and file name (CONTRACT §1.2). Every sheet of the file is accounted for
(``SheetAccount``): read, skipped (hidden, empty) or rejected, with its rows by kind.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from intake.dates import list_date
from intake.headers import HOUSEHOLD, REQUIRED
from intake.registry import Registry
from intake.sheets import UnreadableFile, read_grids
from intake.tables import SheetAccount, Table, cell_text, read_table
from matchers.text import fold

KEY_FIELDS = ("name", "national_id", "dob", "dob_male", "dob_female")
# "Tổ NDTQ số 05", "TỔ 5", "Tổ thứ 5", "to_05", and the short "T5" / "KP1/T5" ("T10/2023" is a month)
_GROUP = re.compile(r"\bto\s*(?:ndtq|nhan dan tu quan|dan pho|thu)?\s*(?:so)?\s*[:.#-]?\s*0*(\d{1,3})\b"
                    r"|\bt\s*\.?\s*0*(\d{1,3})\b(?!\s*/)")
_PLACE = re.compile(r"\b(?:phuong|xa|thi tran)\b")
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
    rows: list[tuple] | range   # RAW_COLUMNS order; or their positions in ``prepared``
    # the rows as the reader's worker prepared them (intake.inbox.read_inbox's ``prepare``), with
    # those of the other lists of its batch of files: ``rows`` are then positions in it
    prepared: pd.DataFrame | None = None


@dataclass
class HouseholdFile:
    submissions: list[Submission]
    sheets: list[SheetAccount]
    covers: tuple[str, ...] = ()                  # wards the file is about (read or not)
    rejected: list[str] = field(default_factory=list)  # reasons of sheets that could not be read


def group_in(text: str) -> str | None:
    m = _GROUP.search(fold(text))
    return str(int(m.group(1) or m.group(2))) if m else None


def _sheet_group(name: str) -> str | None:
    """A sheet named for its group: "Tổ 5", "TO 05", "T5", "KP1-T4", or the bare number "03"."""
    s = name.strip()
    return str(int(s)) if s.isdigit() and 0 < int(s) < 1000 else group_in(s)


def _group_cell(value) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() and value > 0 else None
    s = str(value).strip()
    return str(int(s)) if s.isdigit() else group_in(s) or group_in("to " + s)


def path_wards(source: str, registry: Registry) -> tuple[str | None, str | None]:
    """(ward of the folders, ward named in the file name) of an inbox path, each or None."""
    parts = source.split("/")[1:]  # below the kind's folder
    folder_ward = None
    for part in parts[:-1]:
        folder_ward = registry.resolve_ward(part) or registry.find_ward_in(part.replace("_", " ")) or folder_ward
    file_ward = (registry.find_ward_in(Path(parts[-1]).stem.replace("_", " "), hint=folder_ward)
                 if parts else None)
    return folder_ward, file_ward


_UNKNOWN_WARD = ("Không xác định được phường/xã của danh sách: hãy ghi tên phường/xã ở phần "
                 "tiêu đề (ví dụ 'PHƯỜNG VĨNH THANH VÂN') hoặc thêm cột 'Phường/xã'.")


def read_household_file(path: Path, source: str, registry: Registry,
                        reference: dt.date | None = None) -> HouseholdFile:
    """Every list in the file. ``reference`` (the identity export's date) dates a list whose date
    has no year. Raises UnreadableFile for the whole file (with the wards it covers, if known)."""
    folder_ward, file_ward = path_wards(source, registry)
    known = tuple(w for w in (folder_ward, file_ward) if w)
    try:
        grids = read_grids(path)
        mtime = path.stat().st_mtime
    except UnreadableFile as exc:
        exc.covers = known or exc.covers
        raise
    path_group = None
    for part in source.split("/")[1:]:
        path_group = group_in(Path(part).stem.replace("_", " ")) or path_group

    out = HouseholdFile([], [], covers=known)
    covers = list(known)
    last_error: UnreadableFile | None = None
    for grid in grids:
        account = SheetAccount(grid.sheet, notes=list(grid.notes))
        out.sheets.append(account)
        if grid.skip_reason:
            account.skip(grid.skip_reason)
            continue
        if sum(1 for r in grid.rows if any(c not in ("", None) for c in r)) < 2:
            account.skip("Trang tính trống.")
            continue
        try:
            table = read_table(grid, HOUSEHOLD, KEY_FIELDS, REQUIRED["households"])
            subs, wards = _submissions(table, grid.sheet, source, registry, folder_ward, file_ward,
                                       path_group, mtime, reference)
        except UnreadableFile as exc:
            last_error = exc
            account.reject(str(exc))
            out.rejected.append(f"Trang tính '{grid.sheet}': {exc}" if grid.sheet else str(exc))
            covers.extend(exc.covers or ())
            continue
        account.read(table.layout)
        covers.extend(wards)
        out.submissions.extend(subs)
    out.covers = tuple(dict.fromkeys(covers))
    if not out.submissions:
        err = last_error or UnreadableFile("Tệp không có danh sách nào (không có dòng người dân).")
        err.covers = out.covers or err.covers
        raise err
    return out


def _submissions(table: Table, sheet: str, source: str, registry: Registry, folder_ward, file_ward,
                 path_group, mtime: float, reference) -> tuple[list[Submission], list[str]]:
    title_ward = next((w for w in (registry.find_ward_in(t, hint=folder_ward) for t in table.title_lines)
                       if w), None)
    title_group = next((g for g in map(group_in, table.title_lines) if g), None)
    sheet_ward = registry.find_ward_in(sheet, hint=folder_ward) if sheet else None
    sheet_group = _sheet_group(sheet) if sheet else None
    ward = title_ward or sheet_ward or folder_ward or file_ward or ""
    group = title_group or sheet_group or path_group or ""
    has_ward_col, has_group_col = "ward" in table.fields, "group" in table.fields
    ward_cache: dict = {}
    parts: dict[tuple[str, str], list] = {}
    unknown = 0
    unread_groups: list[str] = []
    caption_groups: dict[str, str | None] = {}
    date = list_date(table.title_lines, table.closing_lines, reference)
    for rec in table.records:
        w = ward
        if has_ward_col:
            cell = rec.get("ward", "")
            key = str(cell)
            if key not in ward_cache:
                hint = folder_ward or title_ward
                # "Vĩnh Thanh Vân, Rạch Giá": the ward named inside a longer cell
                ward_cache[key] = registry.resolve_ward(cell, hint=hint) or (
                    registry.find_ward_in(str(cell), hint=hint) if isinstance(cell, str) else None)
            w = ward_cache[key] or ward
        g = group
        cap = rec.get("_caption")
        if cap:  # tables one below another, each under its caption ("TỔ NDTQ SỐ 02")
            if cap not in caption_groups:
                caption_groups[cap] = group_in(cap)
            g = caption_groups[cap] or group
        if has_group_col:
            cell = rec.get("group", "")
            g = _group_cell(cell) or group
            if not g and cell not in ("", None):
                unread_groups.append(cell_text(cell))
        if not w:
            unknown += 1
            continue
        parts.setdefault((w, g), []).append(_raw_record(rec, source, sheet, w, g, date))
    # A title that names no ward of the registry is about another place: it covers no ward here.
    names_a_place = any(_PLACE.search(fold(t)) for t in table.title_lines)
    covers = () if (not parts and names_a_place and not (folder_ward or file_ward)) else None
    if unknown and not parts:
        raise UnreadableFile(_UNKNOWN_WARD, covers=covers)
    if unknown:
        raise UnreadableFile(
            f"{unknown} dòng không xác định được phường/xã (cột 'Phường/xã' "
            "ghi sai hoặc để trống): hãy sửa cột này rồi gửi lại.", covers=tuple({w for w, _ in parts}))
    if unread_groups:
        # A list whose group we cannot tell would replace no older list and be replaced by none.
        raise UnreadableFile(
            f"{len(unread_groups)} dòng có cột 'Tổ NDTQ' không đọc được (ví dụ '{unread_groups[0]}'): hãy ghi "
            "số tổ (ví dụ 'Tổ 5' hoặc '5') rồi gửi lại.", covers=tuple({w for w, _ in parts}))
    subs = [Submission(source, sheet, w, g, date, mtime, records) for (w, g), records in parts.items()]
    return subs, [w for w, _ in parts]


def _filled(v) -> bool:
    return v not in ("", None) and str(v).strip() not in ("", "0")


def _raw_record(rec: dict, source: str, sheet: str, ward: str, group: str, date) -> tuple:
    """One person-row in RAW_COLUMNS order, cells as the file stored them."""
    dob, gender = rec.get("dob", ""), cell_text(rec.get("gender", ""))
    if "dob_male" in rec or "dob_female" in rec:  # the old form: the date sits in the column of the sex
        male, female = rec.get("dob_male", ""), rec.get("dob_female", "")
        dob, gender = (male, "Nam") if _filled(male) else ((female, "Nữ") if _filled(female) else ("", ""))
    if "sex_male" in rec or "sex_female" in rec:  # Nam | Nữ ticked under "Giới tính"
        gender = "Nam" if _filled(rec.get("sex_male", "")) else ("Nữ" if _filled(rec.get("sex_female", "")) else "")
    if "dob_year" in rec:  # Ngày | Tháng | Năm in three columns
        parts = [cell_text(rec.get(k, "")) for k in ("dob_day", "dob_month", "dob_year")]
        dob = "/".join(parts) if all(parts) else parts[2]
    name = cell_text(rec.get("name", ""))
    if "name_first" in rec:  # "Họ và tên đệm" | "Tên"
        name = " ".join(p for p in (cell_text(rec["name_first"]), name) if p)
    national_id = rec.get("national_id", "")
    if cell_text(national_id) == "" and "old_id" in rec:  # only the CMND column is filled
        national_id = rec["old_id"]
    result = cell_text(rec.get("result", ""))
    if not result:
        result = next((label for col, label in _STATUS_COLUMNS.items() if _filled(rec.get(col, ""))), "")
    return (source, sheet, rec["row"], ward, group, date, name, dob, gender,
            national_id, rec.get("phone", ""), cell_text(rec.get("relation", "")),
            cell_text(rec.get("address", "")), result, rec.get("level", ""), cell_text(rec.get("case", "")),
            cell_text(rec.get("note", "")))


def raw_frame(records: list[tuple]) -> pd.DataFrame:
    """Person-rows (tuples in RAW_COLUMNS order) → a frame of those columns. The cells keep the
    objects the file stored (an ID typed as a number stays a number here, normalised later), in
    object columns whatever the rows hold, so that any batch of files gives the same frame as the
    whole inbox would (intake.inbox reads a big inbox in batches); ``row`` is int64."""
    columns = list(zip(*records)) if records else [()] * len(RAW_COLUMNS)
    frame = {}
    for name, values in zip(RAW_COLUMNS, columns):
        cells = np.empty(len(values), dtype=object)
        cells[:] = values
        frame[name] = cells
    out = pd.DataFrame(frame, columns=RAW_COLUMNS)
    out["row"] = out["row"].astype(np.int64)
    return out


# --------------------------------------------------------------------------------------------
# Resubmissions (CONTRACT §1.2): which submission of a (ward, group) is the newest.

def newer(a: Submission, b: Submission) -> tuple[bool, str]:
    """(a is newer than b, the rule that decided). Dates are compared only when both lists carry
    one: a list whose date could not be read is never taken for older because of it (nor newer);
    then the file modification time decides, then the path and sheet name."""
    if a.submitted_on and b.submitted_on and a.submitted_on != b.submitted_on:
        return a.submitted_on > b.submitted_on, "title_date"
    if a.mtime != b.mtime:
        return a.mtime > b.mtime, "modified_time"
    return (a.source, a.sheet) > (b.source, b.sheet), "file_name"


def current_submissions(subs: list[Submission]) -> tuple[list[Submission], list[dict]]:
    """The newest submission of each (ward, group) wins (``newer``). With three or more versions
    the pairwise rule may not give one that is newer than all the others (dates and mtimes
    disagree); the latest modification time then decides among all of them.
    → (current, superseded entries for summary.json, each naming the rule that decided)."""
    by_key: dict[tuple, list[Submission]] = {}
    for s in subs:
        # A list whose group could not be told apart replaces nothing.
        key = (s.ward_code, s.group_no) if s.group_no else (s.ward_code, "", s.source, s.sheet)
        by_key.setdefault(key, []).append(s)
    current, superseded = [], []
    for items in by_key.values():
        if len(items) == 1:
            current.append(items[0])
            continue
        winner = next((w for w in items if all(newer(w, o)[0] for o in items if o is not w)), None)
        tie_break = winner is None
        if tie_break:
            winner = max(items, key=lambda s: (s.mtime, s.source, s.sheet))
        current.append(winner)
        for old in items:
            if old is winner:
                continue
            rule = "modified_time" if tie_break else newer(winner, old)[1]
            superseded.append({
                "source": old.source, "sheet": old.sheet, "replaced_by": winner.source,
                "replaced_by_sheet": winner.sheet, "ward_code": old.ward_code, "group_no": old.group_no,
                "rule": rule, "rows": len(old.rows),
                "dates": {"replaced": old.submitted_on.isoformat() if old.submitted_on else None,
                          "replaced_by": winner.submitted_on.isoformat() if winner.submitted_on else None},
            })
    return current, superseded
