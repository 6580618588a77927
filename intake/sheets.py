"""Turn any people-made file (xlsx/xls/ods or CSV) into grids of cell values.

A grid is a list of rows as a spreadsheet shows them: ``grid[i]`` is spreadsheet row ``i + 1``.
Cells keep the type the file stored (str, float, int, date, datetime) or '' when empty.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from intake import legacy

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TABLE_SUFFIXES = SPREADSHEET_SUFFIXES | {".csv"}


class UnreadableFile(Exception):
    """The file as a whole cannot be used; the message is shown to the ward (Vietnamese)."""


@dataclass
class Grid:
    sheet: str          # sheet name, "" for CSV
    rows: list[list]


def read_grids(path: Path) -> list[Grid]:
    """Every sheet's cells, with text typed in legacy Vietnamese fonts (TCVN3, VNI) converted."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        grids = [Grid("", _read_csv(path.read_bytes()))]
    elif suffix in SPREADSHEET_SUFFIXES:
        grids = _read_workbook(path)
    else:
        raise UnreadableFile(f"Không phải tệp bảng tính (đuôi tệp '{path.suffix}').")
    return [_to_unicode(g) for g in grids]


def _to_unicode(grid: Grid) -> Grid:
    # Distinct text cells of the first rows: enough evidence, and lists repeat "Nam", "Chủ hộ"...
    texts = list(dict.fromkeys(c for row in grid.rows[:150] for c in row if isinstance(c, str) and c.strip()))
    encoding, ambiguous = legacy.assess(texts)
    if ambiguous:
        raise UnreadableFile(legacy.AMBIGUOUS_REASON)
    if encoding is None:
        return grid
    rows = [[legacy.to_unicode(c, encoding) if isinstance(c, str) else c for c in row] for row in grid.rows]
    return Grid(grid.sheet, rows)


def _read_workbook(path: Path) -> list[Grid]:
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises several types for corrupt/encrypted files
        raise UnreadableFile(
            "Không mở được tệp Excel (tệp hỏng, có mật khẩu hoặc không đúng định dạng): "
            "hãy lưu lại tệp bằng Excel dưới dạng .xlsx, không đặt mật khẩu, rồi gửi lại."
        ) from exc
    grids = []
    for name in wb.sheet_names:
        try:
            sheet = wb.get_sheet_by_name(name)
            # skip_empty_area=False keeps row 1 at index 0 so row numbers match Excel's.
            rows = sheet.to_python(skip_empty_area=False)
        except Exception as exc:
            raise UnreadableFile(f"Không đọc được trang tính '{name}'.") from exc
        grids.append(Grid(name, rows))
    return grids


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1258; NFC either way."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1258")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                "Không nhận ra bảng mã của tệp CSV: hãy lưu lại với bảng mã UTF-8."
            ) from exc
    return unicodedata.normalize("NFC", text)


def _read_csv(data: bytes) -> list[list]:
    text = decode_text(data)
    sample = text[:20000]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    # A spreadsheet shows one row per record, even where a quoted cell spans lines.
    return list(reader)
