"""Find the table inside a people-made sheet: title block, header row(s), person-rows.

Works the same for household lists, assignments and staff rosters; only the alias table differs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from intake.headers import SUBHEADER_ALIASES, build_lookup, header_key
from intake.sheets import UnreadableFile
from matchers.text import fold

HEADER_SCAN_ROWS = 40
_SUB_LOOKUP = build_lookup(SUBHEADER_ALIASES)
# Lines that close a list: totals and the signature block.
# Full-cell phrases only, so that a person called "Tô Trường Giang" is never taken for one.
_FOOTER = re.compile(
    r"^(?:tong cong\b.*|tong so\b.*|cong\s*:.*|nguoi lap(?: bieu| danh sach)?|"
    r"to truong(?: to ndtq| to)?|truong khu pho|truong ap|xac nhan\b.*|ky ten|\(?ky,? ghi ro.*|"
    r"ghi ro ho ten|tm\. .*|t/m .*|chu tich\b.*|pho chu tich\b.*|truong cong an\b.*|"
    r"can bo (?:lap|thong ke|phu trach)\b.*|.*ngay \.+ thang.*|rach gia, ngay.*|\.{3,})$"
)


@dataclass
class Table:
    sheet: str
    title_lines: list[str]          # text of the rows above the header, top to bottom
    fields: list[str]               # the fields found in the header
    records: list[dict]             # one per person-row: 'row' (1-based) + one value per field

    @property
    def frame(self) -> pd.DataFrame:
        columns = ["row", *self.fields]
        return pd.DataFrame.from_records(self.records, columns=columns) if self.records else pd.DataFrame(columns=columns)


def cell_text(cell) -> str:
    """A cell as trimmed text: '' for empty, 5.0 → '5' (Excel stores whole numbers as floats)."""
    if cell is None or cell == "":
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _match_header(row: list, lookup: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        if not isinstance(cell, str) or not cell.strip():
            continue
        field = lookup.get(header_key(cell))
        if field and field not in found:
            found[field] = i
    return found


def _sub_header(row: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            field = _SUB_LOOKUP.get(header_key(cell))
            if field and field not in found:
                found[field] = i
    return found


def locate_table(rows: list[list], lookup: dict[str, str]) -> tuple[int, dict[str, int], int]:
    """→ (header row index, field → column, first data row index). Raises UnreadableFile."""
    for idx, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = _match_header(row, lookup)
        if "name" in fields and len(fields) >= 3:
            start = idx + 1
            if start < len(rows) and _only_sub_header(rows[start], fields):
                sub = _sub_header(rows[start])
                if len(sub) >= 2:
                    fields.update(sub)
                    if "dob_male" in sub or "dob_female" in sub:
                        fields.pop("gender", None)  # the sex is the column the date is in
                        fields.pop("dob", None)
                    if any(k.startswith("result_") for k in sub):
                        fields.pop("result", None)  # the status is the ticked column
                    start += 1
            # Skip a row of column numbers (1, 2, 3, ...) that some templates carry.
            if start < len(rows) and _is_numbering_row(rows[start]):
                start += 1
            return idx, fields, start
    raise UnreadableFile(
        "Không tìm thấy dòng tiêu đề cột (cần có cột 'Họ và tên' cùng các cột như "
        "'Ngày sinh', 'Số định danh cá nhân'): hãy dùng mẫu danh sách của thành phố."
    )


def _only_sub_header(row: list, fields: dict[str, int]) -> bool:
    """A second header row: nothing under 'Họ và tên', every filled cell a sub-header word."""
    name_col = fields["name"]
    if name_col < len(row) and cell_text(row[name_col]):
        return False
    cells = [c for c in row if cell_text(c)]
    return bool(cells) and all(isinstance(c, str) and header_key(c) in _SUB_LOOKUP for c in cells)


def _is_numbering_row(row: list) -> bool:
    cells = [c for c in row if c not in ("", None)]
    if len(cells) < 3:
        return False
    try:
        nums = [int(float(c)) for c in cells]
    except (TypeError, ValueError):
        return False
    return nums == list(range(nums[0], nums[0] + len(nums)))


_DIGITS = re.compile(r"\d")
_DETAIL_FIELDS = ("gender", "phone", "relation", "address", "result", "level", "case")
_NUMBERISH = re.compile(r"[\d\s./\-+'’,eE]+")


def _names_a_person(field: str, value) -> bool:
    """A key cell that could belong to a person: a name that is not a closing phrase, an ID or a
    birth date with digits in it."""
    text = cell_text(value)
    if not text:
        return False
    if field == "name":
        return not is_footer([text])
    if not isinstance(value, str):
        return True  # a number or a date cell
    return bool(_DIGITS.search(text)) and bool(_NUMBERISH.fullmatch(text))


def is_footer(cells: list[str]) -> bool:
    first = fold(cells[0]) if cells else ""
    return bool(_FOOTER.match(first))


def read_table(sheet: str, rows: list[list], lookup: dict[str, str], key_fields: tuple[str, ...]) -> Table:
    """Person-rows: rows below the header with a value in any of ``key_fields`` that are not
    totals or signatures. Every other row is blank or part of the layout."""
    header, fields, start = locate_table(rows, lookup)
    title_lines = [" ".join(cell_text(c) for c in r if cell_text(c)) for r in rows[:header]]
    title_lines = [t for t in title_lines if t]
    records = []
    closing = False  # below a total or signature line only numbered or ID/date rows are people
    items = list(fields.items())
    stt_col = fields.get("stt")
    other_keys = [k for k in key_fields if k != "name"]
    for idx in range(start, len(rows)):
        row = rows[idx]
        if not any(row):
            continue  # blank ('' / None everywhere)
        width = len(row)
        values = {f: (row[c] if c < width else "") for f, c in items}
        stt = row[stt_col] if stt_col is not None and stt_col < width else ""
        numbered = (isinstance(stt, (int, float)) and not isinstance(stt, bool) and stt == stt) or (
            isinstance(stt, str) and stt.strip().isdigit())
        if numbered:  # the common case: a numbered row is a person-row if it names anyone,
            # or carries a person's details without a name (an INVALID row, still accounted for)
            if any(_names_a_person(k, values.get(k, "")) for k in key_fields) or sum(
                    1 for k in _DETAIL_FIELDS if cell_text(values.get(k, ""))) >= 2:
                values["row"] = idx + 1
                records.append(values)
            continue
        nonempty = [t for t in map(cell_text, row) if t]
        if not nonempty:
            continue
        if any(is_footer([c]) for c in nonempty):
            closing = True
            if all(is_footer([c]) for c in nonempty) or not any(
                    _names_a_person(k, values.get(k, "")) for k in other_keys):
                continue
        if not any(_names_a_person(k, values.get(k, "")) for k in key_fields):
            continue
        if closing and not any(_names_a_person(k, values.get(k, "")) for k in other_keys):
            continue  # the signers' names under "NGƯỜI LẬP DANH SÁCH"
        values["row"] = idx + 1
        records.append(values)
    return Table(sheet=sheet, title_lines=title_lines, fields=list(fields), records=records)


_DATE_IN_TITLE = re.compile(r"ngay\s*(\d{1,2})\s*(?:/|-|\.|thang)\s*(\d{1,2})\s*(?:/|-|\.|nam)\s*(\d{4})")


def title_date(title_lines: list[str]) -> dt.date | None:
    """The submission date written in the title block ("Ngày 20/10/2023", "ngày 20 tháng 10 năm 2023")."""
    for line in title_lines:
        folded = fold(line)
        if any(w in folded for w in ("cong van", "kem theo", "quyet dinh", "ke hoach so")):
            continue  # "(Kèm theo Công văn số 969/UBND-CATP ngày 16/10/2023)" is not the list's date
        m = _DATE_IN_TITLE.search(folded)
        if m:
            try:
                return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
            except ValueError:
                continue
    return None
