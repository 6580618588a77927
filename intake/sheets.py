"""Turn any people-made file (xlsx/xlsm/xls/xlsb/ods, or delimited text) into grids of cell values.

A grid is a list of rows as a spreadsheet shows them: ``grid.rows[i]`` is spreadsheet row
``i + 1``. Cells keep the type the file stored (str, float, int, date, datetime) or '' when empty.
Every file goes through the same steps, whatever program saved it:

1. bytes → cells: calamine for workbooks, after ``intake.ooxml`` has bounded each sheet's used
   range and found formulas without a computed value; ``intake.text_files`` for text (encoding
   and delimiter detected, not assumed);
2. hidden and very hidden sheets are set aside (never lists, CONTRACT §1.2), with the reason;
3. text typed in legacy Vietnamese fonts (TCVN3, VNI) is converted to Unicode;
4. every text cell is cleaned of invisible characters (``clean_invisible``).

Merged cells are not filled here: only the table reader knows where the data starts (a header
merged over two rows must stay blank below, CONTRACT §1.2's Nam/Nữ form); ``Grid.merged`` carries
the ranges.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from intake import legacy, ooxml
from intake.text_files import TEXT_SUFFIXES, TextFileError, read_text_table

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TABLE_SUFFIXES = SPREADSHEET_SUFFIXES | TEXT_SUFFIXES
_OOXML = {".xlsx", ".xlsm"}


class UnreadableFile(Exception):
    """The file (or one sheet of it) cannot be used; the message is shown to the ward (Vietnamese).

    ``covers`` names the wards the file was about when the reader got that far (() when it could
    tell the file is about no ward of the registry; None when it could not tell): findings that the
    file's rows could have refuted are withheld for those wards (``findings.withheld``)."""

    def __init__(self, message: str, covers: tuple[str, ...] | None = None):
        super().__init__(message)
        self.covers = covers


@dataclass
class Grid:
    sheet: str                                    # sheet name, "" for a text file
    rows: list[list]
    state: str = "visible"                        # visible | hidden | very_hidden | chart
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1) inclusive
    untrusted: dict[tuple[int, int], str] = field(default_factory=dict)    # formula cells without a result
    notes: list[str] = field(default_factory=list)  # what was set aside while reading (Vietnamese)
    invisible: bool = True                        # may hold invisible characters (False: known not to)

    @property
    def skip_reason(self) -> str:
        """Why this sheet is not a list ('' when it may be one)."""
        return {
            "hidden": "Trang tính bị ẩn: không phải danh sách (bản cũ hoặc bản nháp), không đọc.",
            "very_hidden": "Trang tính bị ẩn hoàn toàn (very hidden): không phải danh sách, không đọc.",
            "chart": "Trang biểu đồ: không có danh sách.",
        }.get(self.state, "")


def read_grids(path: Path) -> list[Grid]:
    """Every sheet of the file, cleaned as the module docstring says. Raises UnreadableFile."""
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size > ooxml.LIMITS.max_file_bytes:   # checked before any parse (issue 14)
        raise UnreadableFile(f"Tệp quá lớn ({size / 2**20:.0f} MB, giới hạn {ooxml.LIMITS.max_file_bytes / 2**20:.0f} MB): "
                             "hãy tách danh sách thành nhiều tệp (mỗi tổ một tệp) rồi gửi lại.")
    if suffix in TEXT_SUFFIXES:
        try:
            rows, encoding = read_text_table(path.read_bytes())
        except TextFileError as exc:
            raise UnreadableFile(str(exc)) from None
        grids = [_to_unicode(Grid("", rows), encoding)]
    elif suffix in SPREADSHEET_SUFFIXES:
        grids = [_to_unicode(g) if g.state == "visible" else g for g in _read_workbook(path, suffix)]
    else:
        raise UnreadableFile(f"Không phải tệp bảng tính (đuôi tệp '{path.suffix}').")
    for g in grids:
        if g.invisible:
            g.rows = clean_invisible(g.rows)
    return grids


def _to_unicode(grid: Grid, encoding: str | None = None) -> Grid:
    if encoding is None:
        # Distinct text cells of the first rows: enough evidence, and lists repeat "Nam", "Chủ hộ"...
        # (distinct cells first, then the text ones: the test per cell was most of this line's cost)
        texts = [c for c in dict.fromkeys(itertools.chain.from_iterable(grid.rows[:150]))
                 if isinstance(c, str) and c.strip()]
        encoding, ambiguous = legacy.assess(texts)
        if ambiguous:
            raise UnreadableFile(legacy.AMBIGUOUS_REASON)
        if encoding is None:
            return grid
    grid.rows = [[legacy.to_unicode(c, encoding) if isinstance(c, str) else c for c in row] for row in grid.rows]
    return grid


_CANNOT_OPEN = ("Không mở được tệp Excel (tệp hỏng, có mật khẩu hoặc không đúng định dạng): "
                "hãy lưu lại tệp bằng Excel dưới dạng .xlsx, không đặt mật khẩu, rồi gửi lại.")
_STATES = (("visible", SheetVisibleEnum.Visible), ("hidden", SheetVisibleEnum.Hidden),
           ("very_hidden", SheetVisibleEnum.VeryHidden))  # the enum is not hashable


def _read_workbook(path: Path, suffix: str) -> list[Grid]:
    scans: dict[str, ooxml.SheetScan] = {}
    invisible = True
    try:
        if suffix in _OOXML:
            raw = path.read_bytes()
            package = ooxml.scan_package(raw)
            scans, invisible = package.sheets, package.invisible
            # calamine reads a path faster than a buffer; a buffer only for a bounded copy
            wb = (CalamineWorkbook.from_path(str(path)) if package.data is raw
                  else CalamineWorkbook.from_filelike(io.BytesIO(package.data)))
        else:
            wb = CalamineWorkbook.from_path(str(path))
    except ooxml.PackageError as exc:
        raise UnreadableFile(str(exc)) from None
    except Exception:  # zipfile and calamine raise many types for corrupt or encrypted files
        raise UnreadableFile(_CANNOT_OPEN) from None
    grids = []
    for meta in wb.sheets_metadata:
        name = meta.name
        state = "chart" if meta.typ != SheetTypeEnum.WorkSheet else next((k for k, v in _STATES if meta.visible == v), "hidden")
        if state != "visible":
            grids.append(Grid(name, [], state=state))
            continue
        scan = scans.get(name)
        if scan is not None and scan.too_large:
            raise UnreadableFile(scan.too_large)
        try:
            sheet = wb.get_sheet_by_name(name)
            # skip_empty_area=False keeps row 1 at index 0 so row numbers match Excel's.
            rows = sheet.to_python(skip_empty_area=False)
            merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
        except Exception:
            raise UnreadableFile(f"Không đọc được trang tính '{name}'.") from None
        grid = Grid(name, rows, merged=merged, invisible=invisible)
        if scan is not None:
            grid.untrusted = scan.untrusted
            if scan.stray:
                shown = ", ".join(scan.stray[:3]) + (" …" if len(scan.stray) > 3 else "")
                grid.notes.append(f"Bỏ qua {len(scan.stray)} ô có dữ liệu nằm xa ngoài vùng danh sách ({shown}).")
        grids.append(grid)
    return grids


# Invisible characters people paste from chat apps, web pages and PDF copies: removed outright.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff\u00ad\u180e"
                                    "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), None)
# Spaces other than U+0020: one ordinary space each (the normalisers collapse runs of spaces).
_INVISIBLE.update(dict.fromkeys(map(ord, "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
                                         "\u2009\u200a\u202f\u205f\u3000"), " "))
# Digits typed on a full-width (East Asian) or Arabic-Indic keyboard layout: ASCII digits.
_INVISIBLE.update({0xFF10 + d: str(d) for d in range(10)})
_INVISIBLE.update({0x0660 + d: str(d) for d in range(10)})
_INVISIBLE.update({0x06F0 + d: str(d) for d in range(10)})
_ANY_INVISIBLE = re.compile("[" + "".join(chr(c) for c in _INVISIBLE) + "]")


def clean_invisible(rows: list[list]) -> list[list]:
    """Rows with every text cell free of zero-width characters, BOMs, direction marks and soft
    hyphens, with exotic spaces (no-break, thin, ideographic) made ordinary spaces and full-width
    or Arabic-Indic digits made ASCII digits.

    One search over the sheet's joined text finds whether any cell needs it; most sheets do not,
    and then the rows are returned as they are."""
    texts = "\x00".join(c for row in rows for c in row if isinstance(c, str))
    if not _ANY_INVISIBLE.search(texts):
        return rows
    return [[c.translate(_INVISIBLE) if isinstance(c, str) else c for c in row] for row in rows]


__all__ = ["Grid", "TABLE_SUFFIXES", "UnreadableFile", "clean_invisible", "read_grids"]
