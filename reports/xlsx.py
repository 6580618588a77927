"""What every workbook we write shares: cell formats, a table writer, and the page setup that
makes a sheet printable (A4 landscape, one page wide, header rows repeated, page numbers and the
run date in the footer)."""

from __future__ import annotations

import textwrap

import numpy as np

from matchers.text import fold
from reports.inert import DANGEROUS
from reports.labels import XL_INT, XL_PCT

_DANGEROUS_FIRST = "".join(DANGEROUS)   # one character each


def formats(wb) -> dict:
    base = {"font_name": "Arial", "font_size": 10, "valign": "top"}
    return {
        "title": wb.add_format({**base, "bold": True, "font_size": 14}),
        "subtitle": wb.add_format({**base, "italic": True}),
        "head": wb.add_format({**base, "bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True}),
        "group": wb.add_format({**base, "bold": True, "bg_color": "#FCE4D6", "border": 1, "align": "center"}),
        "text": wb.add_format({**base, "num_format": "@"}),
        "cell": wb.add_format(base),
        "int": wb.add_format({**base, "num_format": XL_INT}),
        "pct": wb.add_format({**base, "num_format": XL_PCT}),
        "bold": wb.add_format({**base, "bold": True}),
        "big": wb.add_format({**base, "bold": True, "font_size": 12, "num_format": XL_INT}),
        "bigpct": wb.add_format({**base, "bold": True, "font_size": 12, "num_format": XL_PCT}),
        "wrap": wb.add_format({**base, "text_wrap": True}),
        "warn": wb.add_format({**base, "bold": True, "font_color": "#C00000", "text_wrap": True}),
        "diff": wb.add_format({**base, "bg_color": "#FFEB9C", "num_format": "@", "text_wrap": True}),
        "total": wb.add_format({**base, "bold": True, "top": 1, "num_format": XL_INT}),
        "totalpct": wb.add_format({**base, "bold": True, "top": 1, "num_format": XL_PCT}),
    }


def table(ws, fmt: dict, top: int, headers: list[str], records, widths: list[int],
          highlight: dict[int, int] | None = None, filter_: bool = True, wrap: tuple[int, ...] = ()) -> int:
    """Write a header row at ``top`` and ``records`` below it; return the last row written.
    Strings become text cells (an ID must never become a number in the inspectors' Excel), ints
    counts with Vietnamese grouping, floats rates as percentages (NaN stays empty).
    ``highlight``: column → the column it is compared with; a cell that differs is marked.
    ``wrap``: columns whose text wraps; their rows get the height of their lines."""
    for c, (h, w) in enumerate(zip(headers, widths)):
        ws.write_string(top, c, h, fmt["head"])
        ws.set_column(c, c, w)
    # A header that wraps gets the height of its lines (spreadsheets do not grow rows for wrapped
    # text that a program wrote): about one character per width unit, 15 points a line.
    lines = max((len(textwrap.wrap(h, max(int(w) - 1, 1))) for h, w in zip(headers, widths)), default=1)
    if lines > 1:
        ws.set_row(top, 15 * lines)
    # Per cell this loop is the report's biggest cost after xlsxwriter's own (a province's ward
    # workbooks write ~14 M cells): what can be decided per column is decided once here.
    records = records if isinstance(records, list) else list(records)
    width = max([len(headers), len(widths)] + [len(rec) for rec in records[:1]])
    text = [fmt["wrap"] if c in wrap else fmt["cell"] for c in range(width)]
    diff, integer, rate = fmt["diff"], fmt["int"], fmt["pct"]
    compared = highlight or {}
    # xlsxwriter's undecorated writers where it has them: the public ones only add the "A1"
    # argument conversion, ~8 % of a ward workbook's time at these cell counts
    write_string = getattr(ws, "_write_string", ws.write_string)
    write_number = getattr(ws, "_write_number", ws.write_number)
    r = top
    for r, rec in enumerate(records, start=top + 1):
        if wrap:
            lines = max(wrapped_lines(rec[c], widths[c]) for c in wrap)
            if lines > 1:
                ws.set_row(r, 13 * lines)
        for c, v in enumerate(rec):
            if isinstance(v, str):
                if v:
                    if v[0] in _DANGEROUS_FIRST:   # reports.inert.inert, inlined
                        v = "'" + v
                    other = compared.get(c)
                    if other is not None and fold(str(rec[other])) != fold(v):
                        write_string(r, c, v, diff)
                    else:
                        write_string(r, c, v, text[c] if c < width else fmt["cell"])
            elif isinstance(v, (bool, np.bool_)):
                continue
            elif isinstance(v, (int, np.integer)):
                write_number(r, c, int(v), integer)
            elif isinstance(v, (float, np.floating)) and v == v:   # a rate (NaN stays empty)
                write_number(r, c, float(v), rate)
    ws.freeze_panes(top + 1, 0)
    if filter_ and r > top:
        ws.autofilter(top, 0, r, len(headers) - 1)
    return r


def wrapped_lines(text, width: float) -> int:
    """About how many lines ``text`` takes in a column ``width`` characters wide. By arithmetic,
    not textwrap: a city's workbooks have ~300k wrapped cells and textwrap costs 30 µs each."""
    if not isinstance(text, str) or not text:
        return 1
    return -(-len(text) // max(int(width * 1.1) - 1, 1)) + (len(text) > width * 1.1 and " " in text)


def page(ws, repeat_row: int | None, run_date: str, landscape: bool = True) -> None:
    """Printed by the police and the wards: A4, one page wide, the header on every page, the
    page number and the run date in the footer."""
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.6)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    ws.set_footer(f"&L&8Kết quả đối chiếu ngày {run_date}&R&8Trang &P/&N")
