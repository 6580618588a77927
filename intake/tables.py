"""Find the table inside a people-made sheet: title block, header row(s), person-rows, closing block.

Works the same for household lists, assignments and staff rosters; only the vocabulary of
headers (``intake.headers``) differs. Every non-blank row of a sheet ends in one of the
``Layout`` counts, so a sheet is accounted for row by row (summary.json ``files.sheets``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from intake.headers import FIELD_LABELS, SUBHEADER, Vocabulary
from intake.sheets import Grid, UnreadableFile
from matchers.text import fold

HEADER_SCAN_ROWS = 40
# Lines that close a list: totals and the signature block.
# Full-cell phrases only, so that a person called "Tô Trường Giang" is never taken for one.
_FOOTER = re.compile(
    r"^(?:tong cong\b.*|tong so\b.*|cong\s*:.*|nguoi lap(?: bieu| danh sach)?|"
    r"to truong(?: to ndtq| to)?|truong khu pho|truong ap|xac nhan\b.*|ky ten|\(?ky,? ghi ro.*|"
    r"ghi ro ho ten|tm\. .*|t/m .*|chu tich\b.*|pho chu tich\b.*|truong cong an\b.*|"
    r"can bo (?:lap|thong ke|phu trach)\b.*|.*ngay \.+ thang.*|.*, ngay \d{1,2}\b.*|"
    r"rach gia, ngay.*|\.{3,})$"
)


@dataclass
class Layout:
    """How the rows of one sheet were read (counts of spreadsheet rows)."""

    title: int = 0        # non-blank rows above the header
    header: int = 0       # header row(s), with a row of column numbers under them
    person: int = 0       # person-rows (the list itself)
    closing: int = 0      # totals, signatures and the signers' names below them
    other: int = 0        # rows below the header that name nobody (group captions, notes)
    blank: int = 0        # empty rows between the header and the last non-blank row
    superseded: int = 0   # person-rows of lists replaced by a newer submission (set by the inbox)

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class SheetAccount:
    """What became of one sheet of a people-made file (summary.json ``files.sheets``)."""

    sheet: str
    status: str = "read"            # read | skipped | rejected (superseded is set by the inbox)
    reason: str = ""                # Vietnamese, for skipped and rejected sheets
    layout: Layout | None = None
    notes: list[str] = field(default_factory=list)   # what was set aside (stray cells ...)

    def read(self, layout: Layout) -> None:
        self.status, self.layout = "read", layout

    def skip(self, reason: str) -> None:
        self.status, self.reason = "skipped", reason

    def reject(self, reason: str) -> None:
        self.status, self.reason = "rejected", reason

    def as_dict(self, source: str) -> dict:
        return {"source": source, "sheet": self.sheet, "status": self.status, "reason": self.reason,
                "rows": self.layout.as_dict() if self.layout else {}, "notes": list(self.notes)}


@dataclass
class Table:
    sheet: str
    title_lines: list[str]          # text of the rows above the header, top to bottom
    fields: list[str]               # the fields found in the header
    records: list[dict]             # one per person-row: 'row' (1-based) + one value per field
    closing_lines: list[str] = field(default_factory=list)  # text of the totals/signature rows
    layout: Layout = field(default_factory=Layout)
    headers: dict[str, str] = field(default_factory=dict)    # field → the header cell as written

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


# A household's caption row in the name column: "HỘ SỐ 012", "Hộ ông Nguyễn Văn A" (Hộ with its
# dot below: "Hồ" is a surname).
_HOUSEHOLD_CAPTION = re.compile(r"(?i)hộ(?:\s+(?:số|gia đình|thứ|ông|bà|anh|chị)\b|\s*\d|\s*[:.\-])")
# A group's or quarter's caption in the name column: "TỔ NDTQ SỐ 02", "Tổ 5", "KHU PHỐ 1".
_GROUP_CAPTION = re.compile(r"(?:to\s*(?:ndtq|nhan dan tu quan|dan pho)?\s*(?:so|thu)?|khu pho|ap|khom)"
                            r"\s*[:.#-]?\s*\d+\b")
_LABELLED = re.compile(r":\s*\S")  # "Cán bộ phụ trách: Lê Văn Tâm" is a value, not a column's name


def _match_header(row: list, vocab: Vocabulary) -> dict[str, int]:
    """field → column of a header row. Where two columns name one field, the plainer wording
    wins ("Số CCCD" over "Số CMND"), the other is kept as ``old_id`` for the ID."""
    found: dict[str, tuple[int, int]] = {}
    extra: dict[str, int] = {}
    for i, cell in enumerate(row):
        if not isinstance(cell, str) or not cell.strip() or _LABELLED.search(cell):
            continue
        f, rank = vocab.rank_of(cell)
        if not f:
            continue
        if f not in found:
            found[f] = (rank, i)
        elif rank < found[f][0]:
            extra.setdefault(f, found[f][1])
            found[f] = (rank, i)
        else:
            extra.setdefault(f, i)
    fields = {f: i for f, (_, i) in found.items()}
    if "national_id" in extra:
        fields["old_id"] = extra["national_id"]
    if "name_first" in fields and "name" not in fields:
        fields["name"] = fields.pop("name_first")
    return fields


def _sub_header(row: list) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, cell in enumerate(row):
        if isinstance(cell, str) and cell.strip():
            f = SUBHEADER.field_of(cell)
            if f and f not in found:
                found[f] = i
    return found


_NO_HEADER = ("Không tìm thấy dòng tiêu đề cột (cần có cột 'Họ và tên' cùng các cột như "
              "'Ngày sinh', 'Số định danh cá nhân'): hãy dùng mẫu danh sách của thành phố.")


def _parent(row: list, col: int, merged, idx: int, vocab: Vocabulary) -> str | None:
    """The field of the header cell above a sub-header column: its own cell, the anchor of a
    range merged across it, or the nearest filled cell to its left."""
    for r0, c0, r1, c1 in merged:
        if r0 <= idx <= r1 and c0 <= col <= c1:
            col = c0
            break
    for c in range(min(col, len(row) - 1), -1, -1):
        if cell_text(row[c]):
            return vocab.field_of(str(row[c]))
    return None


def locate_table(rows: list[list], vocab: Vocabulary, merged=()) -> tuple[int, int, dict[str, int], int]:
    """→ (first header row index, the header row naming 'Họ và tên', field → column, first data
    row index). Raises UnreadableFile.

    The header is the first row naming 'Họ và tên' and two more columns, or one of the three rows
    below it that names more (a row of labelled values above the table can look like one). A
    header in two rows (a parent over several columns, the others merged down) takes the parent
    row's fields in the columns its own row leaves empty. A sub-header row under merged parents
    is read by its parent: Nam/Nữ under "Năm sinh" (the old form's date columns), Nam/Nữ ticks
    under "Giới tính", Ngày/Tháng/Năm under "Ngày sinh", status ticks under "Kết quả"."""
    for idx, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = _match_header(row, vocab)
        if "name" in fields and len(fields) >= 3:
            for j in range(idx + 1, min(idx + 4, len(rows))):
                first = next((c for c in rows[j] if c not in ("", None)), "")
                if not isinstance(first, str) or first.strip().isdigit():
                    break  # the data has begun (a numbered row): no header below
                below = _match_header(rows[j], vocab)
                if "name" in below and len(below) > len(fields):
                    idx, fields = j, below
            break
    else:
        raise UnreadableFile(_NO_HEADER)
    header_rows = 1
    if idx > 0:
        above = _match_header(rows[idx - 1], vocab)
        row = rows[idx]
        added = {f: c for f, c in above.items()
                 if f not in fields and f != "name" and (c >= len(row) or not cell_text(row[c]))}
        if len(above) >= 2 and added:
            fields.update(added)
            header_rows = 2
    start = idx + 1
    if start < len(rows) and _only_sub_header(rows[start], fields):
        sub = _sub_header(rows[start])
        if len(sub) >= 2:
            if "dob_day" in sub or "dob_month" in sub:       # Ngày | Tháng | Năm
                if "dob_male" in sub:
                    sub["dob_year"] = sub.pop("dob_male")
                fields.pop("dob", None)
            elif "dob_male" in sub and _parent(rows[idx], sub["dob_male"], merged, idx, vocab) == "gender":
                sub["sex_male"] = sub.pop("dob_male")          # Nam | Nữ ticks for the sex
                if "dob_female" in sub:
                    sub["sex_female"] = sub.pop("dob_female")
                fields.pop("gender", None)
            elif "dob_male" in sub or "dob_female" in sub:     # the old form: the date in the sex's column
                fields.pop("gender", None)
                fields.pop("dob", None)
            if any(k.startswith("result_") for k in sub):
                fields.pop("result", None)  # the status is the ticked column
            fields.update(sub)
            start += 1
    # Skip a row of column numbers (1, 2, 3, ...) that some templates carry.
    if start < len(rows) and _is_numbering_row(rows[start]):
        start += 1
    return idx - (header_rows - 1), idx, fields, start


def _only_sub_header(row: list, fields: dict[str, int]) -> bool:
    """A second header row: nothing under 'Họ và tên', every filled cell a sub-header word."""
    name_col = fields["name"]
    if name_col < len(row) and cell_text(row[name_col]):
        return False
    cells = [c for c in row if cell_text(c)]
    return bool(cells) and all(isinstance(c, str) and SUBHEADER.field_of(c) for c in cells)


def _is_numbering_row(row: list) -> bool:
    cells = [c for c in row if c not in ("", None)]
    if len(cells) < 3:
        return False
    try:
        nums = [int(float(str(c).strip("() "))) for c in cells]
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


def _fill_merged(rows: list[list], merged: list[tuple[int, int, int, int]], start: int) -> list[list]:
    """Each cell of a range merged down one column below the header takes its anchor's value
    (CONTRACT §1.2). A range merged across columns is a caption ("Hộ ông …", "TỔ 2"), never a
    person's cells, and keeps its text in its first cell only."""
    todo = [m for m in merged if m[0] >= start and m[1] == m[3] and m[2] > m[0]]
    if not todo:
        return rows
    rows = list(rows)
    for r0, c0, r1, c1 in todo:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        if value in ("", None):
            continue
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r] = list(rows[r])
            if len(row) <= c1:
                row.extend([""] * (c1 + 1 - len(row)))
            for c in range(c0, c1 + 1):
                if row[c] in ("", None):
                    row[c] = value
    return rows


def _title_line(row: list) -> str:
    cells = [cell_text(c) for c in row]
    return " ".join(dict.fromkeys(c for c in cells if c))  # a merged title repeats its text


_UNTRUSTED = ("Cột '{label}' có {n} ô là công thức chưa được tính giá trị (ví dụ ô {ref}): tệp được tạo bằng "
              "phần mềm và chưa từng mở bằng Excel. Hãy mở tệp bằng Excel, bấm Lưu, rồi gửi lại.")
_MISSING = ("Không tìm thấy cột '{label}' trong dòng tiêu đề (các cột đọc được: {found}): hãy thêm cột này "
            "hoặc đặt lại tiêu đề theo mẫu của thành phố rồi gửi lại.")


def read_table(grid: Grid, vocab: Vocabulary, key_fields: tuple[str, ...],
               required: tuple[tuple[str, ...], ...] = ()) -> Table:
    """Person-rows: rows below the header with a value in any of ``key_fields`` that are not
    totals or signatures. Every other row is blank or part of the layout.

    Raises UnreadableFile when no header is found, when a ``required`` field (one of each tuple)
    is missing from it, or when a person-row's cell in a read column is a formula whose result
    was never computed (``Grid.untrusted``)."""
    header, main, fields, start = locate_table(grid.rows, vocab, grid.merged)
    for need in required:
        if not any(f in fields for f in need):
            found = ", ".join(f"'{cell_text(grid.rows[main][c])}'".replace("\n", " ")
                              for c in sorted(fields.values()) if c < len(grid.rows[main]))
            raise UnreadableFile(_MISSING.format(label=FIELD_LABELS.get(need[0], need[0]), found=found))
    rows = _fill_merged(grid.rows, grid.merged, start)
    layout = Layout(header=start - header)
    title_lines = [t for t in map(_title_line, rows[:header]) if t]
    layout.title = len(title_lines)
    records: list[dict] = []
    closing_lines: list[str] = []
    closing = False  # below a total or signature line only numbered or ID/date rows are people
    items = list(fields.items())
    stt_col = fields.get("stt")
    name_col = fields["name"]
    header_name = fold(cell_text(grid.rows[main][name_col]))
    other_keys = [k for k in key_fields if k != "name"]
    pending_blank = 0
    caption = ""  # the last caption row above a person-row ("TỔ NDTQ SỐ 02" between tables)

    for idx in range(start, len(rows)):
        row = rows[idx]
        if not any(row):  # '' / None everywhere (a row of zeros is no person either)
            pending_blank += 1
            continue
        layout.blank += pending_blank
        pending_blank = 0
        width = len(row)
        values = {f: (row[c] if c < width else "") for f, c in items}
        name = values["name"]
        stt = row[stt_col] if stt_col is not None and stt_col < width else ""
        numbered = (isinstance(stt, (int, float)) and not isinstance(stt, bool) and stt == stt) or (
            isinstance(stt, str) and stt.strip().isdigit())
        if numbered:  # the common case: a numbered row is a person-row if it names anyone,
            # or carries a person's details without a name (an INVALID row, still accounted for)
            if not isinstance(name, str) and _is_numbering_row(row):
                layout.header += 1  # the column numbers under a header repeated on a new page
            elif any(_names_a_person(k, values.get(k, "")) for k in key_fields) or sum(
                    1 for k in _DETAIL_FIELDS if cell_text(values.get(k, ""))) >= 2:
                values["row"] = idx + 1
                if caption:
                    values["_caption"] = caption
                records.append(values)
            else:
                layout.other += 1
            continue
        nonempty = [t for t in map(cell_text, row) if t]
        if not nonempty:
            layout.blank += 1
            continue
        if isinstance(name, str) and name and fold(name.strip()) == header_name:
            layout.header += 1  # the header repeated (printed on every page, or a second table)
            closing = False
            continue
        if len(nonempty) == 1 and _GROUP_CAPTION.match(fold(nonempty[0])):
            layout.other += 1  # "TỔ NDTQ SỐ 02": the next table's caption, after the last one's total
            caption, closing = nonempty[0], False
            continue
        if any(is_footer([c]) for c in nonempty):
            closing = True
            if all(is_footer([c]) for c in nonempty) or not any(
                    _names_a_person(k, values.get(k, "")) for k in other_keys):
                layout.closing += 1
                closing_lines.append(" ".join(dict.fromkeys(nonempty)))
                continue
        household_caption = isinstance(name, str) and (
            bool(_HOUSEHOLD_CAPTION.match(name.strip())) or bool(_GROUP_CAPTION.match(fold(name)))) and not any(
            _names_a_person(k, values.get(k, "")) for k in other_keys)
        if household_caption or not any(_names_a_person(k, values.get(k, "")) for k in key_fields):
            if closing:
                layout.closing += 1
                closing_lines.append(" ".join(dict.fromkeys(nonempty)))
            else:
                layout.other += 1
                caption = " ".join(dict.fromkeys(nonempty))
            continue
        if closing and not any(_names_a_person(k, values.get(k, "")) for k in other_keys):
            layout.closing += 1  # the signers' names under "NGƯỜI LẬP DANH SÁCH"
            closing_lines.append(" ".join(nonempty))
            continue
        values["row"] = idx + 1
        if caption:
            values["_caption"] = caption
        records.append(values)
    layout.person = len(records)
    if grid.untrusted and records:
        _refuse_uncomputed(grid, fields, records)
    headers = {f: cell_text(grid.rows[main][c]) if c < len(grid.rows[main]) else "" for f, c in fields.items()}
    return Table(sheet=grid.sheet, title_lines=title_lines, fields=list(fields), records=records,
                 closing_lines=closing_lines, layout=layout, headers=headers)


def _refuse_uncomputed(grid: Grid, fields: dict[str, int], records: list[dict]) -> None:
    """A person-row's value that is a formula never computed must not be read as empty."""
    col_field = {c: f for f, c in fields.items() if f != "stt"}
    person_rows = {r["row"] - 1 for r in records}
    hits: dict[str, list[str]] = {}
    for (r, c), ref in sorted(grid.untrusted.items()):
        if r in person_rows and c in col_field:
            hits.setdefault(col_field[c], []).append(ref)
    if hits:
        f, refs = max(hits.items(), key=lambda kv: len(kv[1]))
        raise UnreadableFile(_UNTRUSTED.format(label=FIELD_LABELS.get(f, f), n=len(refs), ref=refs[0]))
