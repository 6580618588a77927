"""Cadre assignments ("danh sách lực lượng") and agency staff rosters (CONTRACT §1.3)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from dataclasses import dataclass

from intake.headers import ASSIGNMENT, REQUIRED, STAFF
from intake.households import group_in, path_wards
from intake.registry import Registry
from intake.sheets import UnreadableFile, read_grids
from intake.tables import SheetAccount, read_table
from matchers.normalize import normalize_ids
from matchers.text import clean_text, fold

# dob_raw and phone_raw as written: the linkage finds the person by them when the ID is wrong
ASSIGNMENT_COLUMNS = ["source", "sheet", "row", "name", "national_id", "id_state", "dob_raw", "phone_raw", "unit",
                      "ward_code", "group_no", "group_order"]
STAFF_COLUMNS = ["source", "sheet", "row", "name", "national_id", "id_state", "dob_raw", "phone_raw", "position",
                 "category", "unit_code", "unit_name"]


@dataclass
class UnitFile:
    """What an assignment or staff file gave: its rows, and what became of each sheet."""

    frame: pd.DataFrame                   # ASSIGNMENT_COLUMNS or STAFF_COLUMNS
    sheets: list[SheetAccount]
    covers: tuple[str, ...] = ()          # wards an assignment file is about


def _tables(grids, vocab, required, sheets: list[SheetAccount]):
    """(grid, its account, its table) for each sheet that holds a list; every sheet gets an
    account in ``sheets``, a rejected one with its reason."""
    for grid in grids:
        account = SheetAccount(grid.sheet, notes=list(grid.notes))
        sheets.append(account)
        if grid.skip_reason:
            account.skip(grid.skip_reason)
        elif sum(1 for r in grid.rows if any(c not in ("", None) for c in r)) < 2:
            account.skip("Trang tính trống.")
        else:
            try:
                yield grid, account, read_table(grid, vocab, ("name", "national_id"), required)
            except UnreadableFile as exc:
                account.reject(str(exc))


def _raw(f: pd.DataFrame, column: str) -> pd.Series:
    """A column's cells as read (dates may be datetimes or serials), or empty strings."""
    return f[column].where(f[column].notna(), "") if column in f else pd.Series("", index=f.index, dtype=object)


def _first_rejection(sheets: list[SheetAccount]) -> UnreadableFile | None:
    """Why a file none of whose sheets could be read is rejected: its last rejected sheet's reason."""
    reasons = [a.reason for a in sheets if a.status == "rejected"]
    return UnreadableFile(reasons[-1]) if reasons else None


def _groups_in_cell(value) -> list[str]:
    """ "5; 7", "5, 7", "5+7", "Tổ 5 và Tổ 7", 5.0 → ['5', '7']; "Tổ 7 đến Tổ 9", "1-3" → every
    group of the range; a quarter named beside a group ("Tổ 5 - KP 2", "Tổ 5 (ấp 3)") is not a group."""
    if value is None or value == "":
        return []
    if isinstance(value, (int, float)):
        return [str(int(value))] if float(value).is_integer() and value > 0 else []
    text = _QUARTER.sub(" ", fold(str(value)))
    groups: list[int] = []
    for a, b in _RANGE.findall(text):  # "Tổ 7 đến Tổ 9", "Tổ 1-3": every group of the range
        if 0 < int(a) < int(b) <= int(a) + 20:
            groups += range(int(a), int(b) + 1)
    text = _RANGE.sub(" ", text)
    groups += [int(n) for n in re.findall(r"\d+", text) if int(n) > 0]
    return list(dict.fromkeys(str(g) for g in groups))


_RANGE = re.compile(r"(\d+)\s*(?:-|–|den|toi)\s*(?:to\s*)?(\d+)")
_QUARTER = re.compile(r"\b(?:khu pho|kp|k\.p|ap|khom|khu)\s*[.:]?\s*\d+")


def read_assignment_file(path: Path, source: str, registry: Registry) -> UnitFile:
    """One row per (cadre row, group). A cadre is identified by his national ID. A sheet without
    a name or group column is rejected whole (CONTRACT §1.3; nothing is concluded from it)."""
    frames, sheets = [], []
    folder_ward, file_ward = path_wards(source, registry)
    file_ward = file_ward or registry.resolve_ward(Path(source).stem, hint=folder_ward)
    covers = [w for w in (folder_ward, file_ward) if w]
    try:
        grids = read_grids(path)
    except UnreadableFile as exc:
        exc.covers = tuple(covers) or exc.covers
        raise
    for grid, account, table in _tables(grids, ASSIGNMENT, REQUIRED["assignments"], sheets):
        f = table.frame
        hint = folder_ward or file_ward
        title_ward = next((w for w in (registry.find_ward_in(t, hint=hint) for t in table.title_lines) if w), None)
        default_ward = (title_ward or registry.find_ward_in(grid.sheet or "", hint=hint) or folder_ward
                        or file_ward or "")
        resolve = {v: registry.resolve_ward(v, hint=default_ward or None)
                   or (registry.find_ward_in(v, hint=default_ward or None) if isinstance(v, str) else None)
                   for v in f["ward"].unique()} if "ward" in f else {}
        ward = f["ward"].map(resolve).fillna(default_ward).replace("", default_ward) if "ward" in f else default_ward
        ids = normalize_ids(f["national_id"] if "national_id" in f else pd.Series("", index=f.index))
        base = pd.DataFrame({
            "source": source, "sheet": grid.sheet, "row": f["row"].astype(int),
            "name": f["name"].map(lambda v: clean_text(str(v))) if "name" in f else "",
            "national_id": ids["national_id"], "id_state": ids["id_state"],
            "dob_raw": _raw(f, "dob"), "phone_raw": _raw(f, "phone"),
            "unit": f["unit"].map(lambda v: clean_text(str(v))) if "unit" in f else "",
            "ward_code": ward,
        })
        unknown = int((base["ward_code"] == "").sum())
        if unknown:
            account.reject(f"{unknown} dòng không xác định được phường/xã của tổ được phân công: hãy ghi "
                           "tên phường/xã ở tiêu đề hoặc ở cột 'Phường/xã' (ví dụ 'Phường Vĩnh Thanh Vân') "
                           "rồi gửi lại.")
            continue
        account.read(table.layout)
        covers += [w for w in pd.unique(base["ward_code"]) if w]
        group_cols = [c for c in ("groups", "group_1", "group_2", "group_3") if c in f]
        lists = [
            [g for c in group_cols for g in _groups_in_cell(f.at[i, c])] for i in f.index
        ]
        base["group_no"] = lists
        base["group_order"] = [list(range(len(g))) for g in lists]   # the first group written is phase 1's
        frames.append(base.explode(["group_no", "group_order"]))
    covers = tuple(dict.fromkeys(covers))
    if not frames:
        err = _first_rejection(sheets) or UnreadableFile("Tệp không có danh sách lực lượng nào.")
        err.covers = covers or err.covers
        raise err
    out = pd.concat(frames, ignore_index=True)
    out["group_no"] = out["group_no"].fillna("")
    out["group_order"] = pd.to_numeric(out["group_order"], errors="coerce").fillna(0).astype(int)
    return UnitFile(out[ASSIGNMENT_COLUMNS], sheets, covers)


def read_staff_file(path: Path, source: str, registry: Registry) -> UnitFile:
    """Roster members; the unit from a 'Đơn vị' column, the title block, or the file name."""
    agencies = registry.agencies
    by_code = dict(zip(agencies["unit_code"], agencies["unit_name"]))
    by_name = {fold(n): c for c, n in by_code.items()}

    def resolve_unit(text: str) -> str | None:
        s = str(text).strip()
        if s in by_code:
            return s
        key = fold(s)
        if key in by_name:
            return by_name[key]
        for name_key, code in by_name.items():
            if name_key and name_key in key:
                return code
        # "DV0002_THCS_Vinh_Thanh_Van": a code among the words
        codes = [w for w in re.split(r"[^0-9A-Za-z]+", s) if w in by_code]
        if len(codes) == 1:
            return codes[0]
        # "PHÒNG VĂN HÓA VÀ THÔNG TIN" for "Phòng Văn hóa và Thông tin thành phố Rạch Giá": the
        # start of exactly one unit's name, three words at least
        if len(key.split()) >= 3:
            starts = [code for name_key, code in by_name.items() if name_key.startswith(key)]
            if len(starts) == 1:
                return starts[0]
        return None

    file_unit = resolve_unit(Path(source).stem) or resolve_unit(Path(source).stem.replace("_", " "))
    frames, sheets = [], []
    for grid, account, table in _tables(read_grids(path), STAFF, REQUIRED["staff"], sheets):
        f = table.frame
        title_unit = next((u for u in map(resolve_unit, table.title_lines) if u), None)
        default = title_unit or file_unit
        unit = f["unit"].map(resolve_unit).fillna(default or "") if "unit" in f else pd.Series(default or "", index=f.index)
        if (unit == "").any():
            account.reject("Không xác định được cơ quan, đơn vị của danh sách cán bộ: hãy ghi tên đơn vị ở "
                           "tiêu đề, thêm cột 'Đơn vị', hoặc đặt tên tệp theo mã đơn vị.")
            continue
        account.read(table.layout)
        ids = normalize_ids(f["national_id"] if "national_id" in f else pd.Series("", index=f.index))
        frames.append(pd.DataFrame({
            "source": source, "sheet": grid.sheet, "row": f["row"].astype(int),
            "name": f["name"].map(lambda v: clean_text(str(v))) if "name" in f else "",
            "national_id": ids["national_id"], "id_state": ids["id_state"],
            "dob_raw": _raw(f, "dob"), "phone_raw": _raw(f, "phone"),
            "position": f["position"].map(lambda v: clean_text(str(v))) if "position" in f else "",
            "category": f["category"].map(lambda v: clean_text(str(v))) if "category" in f else "",
            "unit_code": unit, "unit_name": unit.map(by_code).fillna(""),
        }))
    if not frames:
        raise _first_rejection(sheets) or UnreadableFile("Tệp không có danh sách cán bộ nào.")
    return UnitFile(pd.concat(frames, ignore_index=True)[STAFF_COLUMNS], sheets)


__all__ = ["UnitFile", "read_assignment_file", "read_staff_file", "group_in"]
