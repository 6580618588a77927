"""File writers: household lists (xlsx/csv per plan), registry CSVs, identity exports.

All output is byte-for-byte deterministic: workbook properties carry a fixed creation time,
zip entries use xlsxwriter's fixed timestamp, gzip headers have mtime 0, and file mtimes are
set with os.utime from the plan. Per-sheet random choices (cell formats, invisible characters)
come from generators seeded by the plan (SheetPlan.seed), never from global state.
"""

from __future__ import annotations

import calendar
import csv
import gzip
import io
import os
import re
import zipfile
from xml.sax.saxutils import escape
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from .kinds import DATE_FORM_KEYS, legacy_text, sprinkle
from .layouts import (CANON, CASE_VARIANTS, LEVEL_VARIANTS, SEX_VARIANTS, STATUS_VARIANTS,
                      X_STATUS, FilePlan, SheetPlan, Style, closing_date_line, draw_cells,
                      render_date, render_id, render_phone, style_text, title_lines, variant,
                      ward_label)
from .population import Population
from .text import encode_cp1258, upper

WB_OPTIONS = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
              "strings_to_urls": False}
STATUS_COL = {"Chưa đăng ký": 0, "Đã đăng ký": 1, "Đã duyệt": 2, "Chưa kích hoạt": 2,
              "Đã kích hoạt": 3}


def set_mtime(path: Path, when: datetime) -> None:
    t = calendar.timegm(when.timetuple())
    os.utime(path, (t, t))


def new_workbook(target, when: datetime) -> xlsxwriter.Workbook:
    wb = xlsxwriter.Workbook(target, WB_OPTIONS)
    wb.set_properties({"created": when, "author": "", "company": ""})
    return wb


def write_csv_bytes(rows: list[list[str]], encoding: str, sep: str) -> bytes:
    """CSV bytes. encoding: utf-8 | utf-8-sig | cp1258 | utf-16 (Excel's "Unicode Text": LE
    with BOM, whatever the machine) | tcvn3 | vni (cells already hold the legacy font's
    characters; written as their one-byte codes)."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerows(rows)
    text = buf.getvalue()
    if encoding == "cp1258":
        return encode_cp1258(text)
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding in ("tcvn3", "vni"):
        return text.encode("latin-1")
    return text.encode(encoding)


# --------------------------------------------------------------------------------------------
class SheetOut:
    """Collects a sheet's rows; writes them to xlsx (with merges/formats) or CSV lines."""

    def __init__(self, ncol: int):
        self.ncol = ncol
        self.rows: list[list] = []          # each: list of (kind, value) or None
        self.merges: list[tuple] = []       # (r0, c0, r1, c1, text, fmt_key)
        self.styles: dict[int, str] = {}    # row -> format key for the whole row
        self.validations: list[tuple] = []
        self.extra: list[tuple] = []        # (row, col, (kind, value)) outside the row lists
        self.hidden_cols: list[int] = []
        self.keys: list[str] = []           # column key of each physical column
        self.header_rows = (0, 0)           # [first, end) of the header rows
        self.data_rows: np.ndarray = np.zeros(0, np.int64)   # 0-based rows of person-rows

    def add(self, cells: list, style: str | None = None) -> int:
        self.rows.append(cells)
        r = len(self.rows) - 1
        if style:
            self.styles[r] = style
        return r

    def blank(self) -> int:
        return self.add([None] * self.ncol)


def _phys_columns(st: Style) -> list[tuple[str, str | None]]:
    out = []
    for c in st.cols:
        if c == "sex" and st.two_col_sex:
            continue
        if c == "dob" and st.two_col_sex:
            out += [("dob", "Nam"), ("dob", "Nữ")]
        elif c == "status" and st.x_status:
            out += [("status", lbl) for lbl in X_STATUS]
        else:
            out.append((c, None))
    return out


FRAME_COLS = ("name_w", "by_w", "bm_w", "bd_w", "sex_w", "pid", "id_w", "id_sci", "phone_w",
              "rel_w", "addr_w", "status_lbl", "level_w", "case_w", "note_w", "ward", "gidx")


def frame_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    return {c: frame[c].to_numpy() for c in FRAME_COLS}


def build_list_sheet(sp: SheetPlan, frame: dict, pop: Population, csv_out: bool,
                     region: str, counter: Counter, signer: str) -> tuple[SheetOut, np.ndarray]:
    """Lay out one household-list sheet; returns it and the 1-based row of every person-row."""
    st = sp.style
    W = pop.wards
    w = W[sp.ward]
    G = pop.groups
    phys = _phys_columns(st)
    ncol = len(phys)
    out = SheetOut(ncol)
    idx = sp.rows
    n = len(idx)
    cells = draw_cells(st, n, sp.seed)
    # ---- title block
    khu = ""
    if sp.group is not None:
        gi = np.flatnonzero((G["ward"].to_numpy() == sp.ward) & (G["to_so"].to_numpy() == sp.group))[0]
        khu = G["khu_pho"].iat[gi]
    lines = title_lines(w, sp.group, khu, sp.day, st.title, region)
    _count_title(st, counter)
    out.keys = [k for k, _ in phys]
    for line in lines:
        r = out.add([("s", line)] + [None] * (ncol - 1), "title")
        if st.canonical or r % 2 == 0:
            out.merges.append((r, 0, r, ncol - 1, line, "title"))
    if lines:
        for _ in range(st.title_gap):
            out.blank()
    # ---- header (one or two rows)
    two = st.two_col_sex or st.x_status
    h0 = len(out.rows)
    top = []
    sub = []
    c = 0
    while c < ncol:
        key, part = phys[c]
        text = st.headers.get(key, CANON[key])
        if part is not None:
            span = 2 if key == "dob" else 4
            top.append(("s", text))
            top += [None] * (span - 1)
            sub += [("s", p) for _, p in phys[c:c + span]]
            if not csv_out:
                out.merges.append((h0, c, h0, c + span - 1, text, "header"))
            c += span
            continue
        top.append(("s", text))
        sub.append(None)
        if two and not csv_out:
            out.merges.append((h0, c, h0 + 1, c, text, "header"))
        c += 1
    out.add(top, "header")
    if two:
        out.add(sub, "header")
    first_data = len(out.rows)
    out.header_rows = (h0, first_data)
    if sp.formula:      # a helper column far to the right holds the IDs as numbers
        helper = ncol + 1 + (sp.seed >> 5) % 14
        hl = xl_col_to_name(helper)
        if (sp.seed >> 9) % 2:
            out.hidden_cols.append(helper)
    # ---- data rows
    f = {c: a[idx] for c, a in frame.items()}
    name = f["name_w"]
    by, bm, bd = f["by_w"], f["bm_w"], f["bd_w"]
    sex_w = f["sex_w"]
    true_sex = pop.people["female"].to_numpy()[f["pid"]].astype(np.int8)
    id_w = f["id_w"]
    sci = f["id_sci"] if sp.frame == "R" else cells["sci"]
    phone = f["phone_w"]
    rel, addr = f["rel_w"], f["addr_w"]
    lbl, level = f["status_lbl"], f["level_w"]
    case, note = f["case_w"], f["note_w"]
    wards = f["ward"]
    gidx = f["gidx"]
    to_so = G["to_so"].to_numpy()
    u = cells["u"]
    sexes = SEX_VARIANTS[st.sex_variant]
    if st.sex_variant:
        counter["sex_variants"] += 1
    rownum = np.zeros(n, np.int64)
    for i in range(n):
        if cells["blank"][i] and i > 0:
            out.blank()
            counter["blank_rows"] += 1
        row = []
        for key, part in phys:
            if key == "stt":
                row.append(("n", i + 1))
            elif key == "name":
                row.append(("s", style_text(name[i], st, u[i, 0], True, counter))
                           if name[i] else None)
            elif key == "dob":
                v = render_date(by[i], bm[i], bd[i], cells["date"][i], st.year_only, csv_out,
                                counter)
                if part is not None:
                    s = sex_w[i] if sex_w[i] >= 0 else true_sex[i]
                    v = v if (part == "Nữ") == bool(s == 1) else None
                row.append(v)
            elif key == "sex":
                row.append(("s", sexes[int(sex_w[i])]) if sex_w[i] >= 0 else None)
            elif key == "id":
                if sp.formula:
                    v = id_w[i]
                    if v and v.isdigit():
                        r = len(out.rows)
                        row.append(("f", (f'=TEXT({hl}{r + 1},"000000000000")',
                                          0 if sp.formula == "zero" else "")))
                        out.extra.append((r, helper, ("n", int(v))))
                    else:
                        row.append(("s", v) if v else None)
                    continue
                row.append(render_id(id_w[i], cells["id"][i], bool(sci[i]), csv_out, counter))
            elif key == "phone":
                row.append(render_phone(phone[i], cells["phone"][i], counter))
            elif key == "rel":
                row.append(("s", style_text(rel[i], st, 1.0, False, counter)))
            elif key == "addr":
                row.append(("s", style_text(addr[i], st, 1.0, False, counter)))
            elif key == "status":
                if part is not None:
                    row.append(("s", "x") if lbl[i] and X_STATUS[STATUS_COL[lbl[i]]] == part
                               else None)
                    continue
                if not lbl[i]:
                    row.append(None)
                    continue
                t = variant(lbl[i], STATUS_VARIANTS, u[i, 1], st.status_variants, counter,
                            "status_variants")
                row.append(("s", style_text(t, st, 1.0, False, counter)))
            elif key == "level":
                t = variant(level[i], LEVEL_VARIANTS, u[i, 2], st.level_variants, counter,
                            "level_variants")
                row.append(("s", t) if t else None)
            elif key == "case":
                t = variant(case[i], CASE_VARIANTS, u[i, 3], st.case_variants, counter,
                            "case_variants")
                row.append(("s", style_text(t, st, 1.0, False, counter)) if t else None)
            elif key == "note":
                row.append(("s", style_text(note[i], st, 1.0, False, counter)) if note[i] else None)
            elif key == "ward":
                row.append(("s", ward_label(W[wards[i]], st.ward_value)))
            elif key == "group":
                g = int(to_so[gidx[i]])
                row.append(("n", g) if u[i, 4] < 0.8 else ("s", f"{g:02d}"))
        rownum[i] = out.add(row) + 1
    last_data = len(out.rows) - 1
    out.data_rows = rownum - 1
    if st.merge and not csv_out and n:
        _merge_down(out, st, to_so[gidx], counter)
    if st.canonical and n:
        for key, vals in (("sex", ["Nam", "Nữ"]), ("status", list(STATUS_COL)),
                          ("level", ["Mức 1", "Mức 2"]),
                          ("case", ["Vắng mặt", "Không có điện thoại thông minh",
                                    "Sai số điện thoại"])):
            col = [k for k, _ in phys].index(key)
            out.validations.append((first_data, col, last_data, col, vals))
    # ---- closing block
    cdate = closing_date_line(w, sp.day, st.title)
    if st.closing == "canonical":
        out.blank()
        out.add([("s", f"Tổng cộng: {n} người")] + [None] * (ncol - 1), "bold")
        out.blank()
        right = max(ncol - 4, 3)
        if cdate:         # "Rạch Giá, ngày 20 tháng 10 năm 2023" above the signatures
            sig = [None] * ncol
            sig[right] = ("s", cdate)
            out.add(sig)
        sig = [None] * ncol
        sig[1], sig[right] = ("s", "NGƯỜI LẬP DANH SÁCH"), ("s", "TỔ TRƯỞNG")
        out.add(sig, "bold")
        sig = [None] * ncol
        sig[1], sig[right] = ("s", "(Ký, ghi rõ họ tên)"), ("s", "(Ký, ghi rõ họ tên)")
        out.add(sig)
        for _ in range(3):
            out.blank()
        sig = [None] * ncol
        sig[1], sig[right] = ("s", signer[0]), ("s", signer[1])
        out.add(sig, "bold")
    elif st.closing == "short":
        row = [None] * ncol
        row[1] = ("s", "TỔNG CỘNG")
        row[2 if ncol > 2 else 0] = ("s", f"{n} người")
        out.add(row, "bold")
    else:
        counter["no_closing"] += 1
    return out, rownum


def _merge_down(out: SheetOut, st: Style, groups: np.ndarray, counter: Counter) -> None:
    """Merged cells (K3): Tổ NDTQ (and Phường/xã) down each group, Phường/xã down the whole
    sheet, and the address down each household; the value sits in the top cell only."""
    rr = out.data_rows
    n = len(rr)
    keys = out.keys

    def runs(vals, contiguous=False):
        start = 0
        for i in range(1, n + 1):
            if i == n or vals[i] != vals[start] or (contiguous and rr[i] != rr[i - 1] + 1):
                if rr[i - 1] > rr[start]:
                    yield rr[start], rr[i - 1]
                start = i

    def merge(col, spans):
        did = False
        for a, b in spans:
            top = out.rows[a][col]
            if top is None:
                continue
            out.merges.append((a, col, b, col, top[1], "merged"))
            did = True
        return did

    did = False
    if "group" in keys:
        did |= merge(keys.index("group"), list(runs(groups)))
    if "ward" in keys:
        spans = list(runs(np.zeros(n, np.int64) if st.merge == "ward_whole" else groups))
        did |= merge(keys.index("ward"), spans)
    if did:
        counter["merged_ward_group"] += 1
    if st.merge_addr and "addr" in keys:
        c = keys.index("addr")
        vals = [str(out.rows[r][c][1]) if out.rows[r][c] else f"\0{r}" for r in rr]
        if merge(c, list(runs(vals, contiguous=True))):
            counter["merged_address"] += 1


def _sync_merges(out: SheetOut) -> None:
    """A merged range shows its top-left cell: keep the two the same after rewriting cells."""
    for k, (r0, c0, r1, c1, text, fk) in enumerate(out.merges):
        cell = out.rows[r0][c0] if c0 < len(out.rows[r0]) else None
        if cell is not None:
            out.merges[k] = (r0, c0, r1, c1, cell[1], fk)


_SPRINKLE_KIND = {"name": "name", "id": "id", "phone": "phone", "ward": "text", "group": "text",
                  "addr": "text", "rel": "text", "status": "text", "note": "text"}


def sprinkle_sheet(out: SheetOut, rate: float, seed: int, counter: Counter) -> None:
    """Invisible characters (K1) in some text cells: IDs written as text, names, phones, ward
    and group cells, other text, header cells and title lines, as a paste brings them."""
    g = np.random.default_rng([seed, 1])
    h0, h1 = out.header_rows
    heavy = rate >= 0.5
    changed = header = 0
    for r in range(h0, h1):
        for c, cell in enumerate(out.rows[r]):
            if cell is None or cell[0] != "s":
                continue
            forced = heavy and r == h0 and c < len(out.keys) and out.keys[c] == "name"
            if forced or g.random() < rate / 2:
                out.rows[r][c] = ("s", sprinkle(cell[1], "header", g.random(4)))
                header += 1
    for r in range(h0):
        cell = out.rows[r][0] if out.rows[r] else None
        if cell is not None and cell[0] == "s" and g.random() < rate / 3:
            out.rows[r][0] = ("s", sprinkle(cell[1], "text", g.random(4)))
    for r in out.data_rows:
        row = out.rows[r]
        for c, key in enumerate(out.keys):
            kind = _SPRINKLE_KIND.get(key)
            cell = row[c]
            if kind is None or cell is None or cell[0] != "s":
                continue
            if g.random() < (rate if kind != "text" else rate / 2):
                row[c] = ("s", sprinkle(cell[1], kind, g.random(4)))
                changed += 1
    _sync_merges(out)
    if changed or header:
        counter["invisible_chars"] += 1
    if header:
        counter["invisible_chars_header"] += 1


def legacy_sheet(out: SheetOut, encoding: str, counter: Counter) -> None:
    """Every text cell as typed with a legacy font (K4); cells the font cannot carry back
    exactly are typed in capitals or without diacritics (kinds.legacy_text)."""
    inexact = 0
    for row in out.rows:
        for c, cell in enumerate(row):
            if cell is not None and cell[0] == "s":
                text, exact = legacy_text(cell[1], encoding)
                row[c] = ("s", text)
                inexact += not exact
    _sync_merges(out)
    counter["legacy_cells_inexact"] += inexact


def _count_title(st: Style, counter: Counter) -> None:
    t = st.title
    if t is None:
        counter["title_none"] += 1
        return
    d = t.get("date")
    if d in DATE_FORM_KEYS:
        counter[DATE_FORM_KEYS[d]] += 1
    if d is not None and t.get("date_below"):
        counter["title_date_below"] += 1
    if t.get("ward") == 7:
        counter["title_ward_abbrev"] += 1
    canon = dict(l1=0, ward=0, heading=0, group=0, date=0, dispatch=False)
    if any(t.get(k) != v for k, v in canon.items()):
        counter["title_varied"] += 1
    if t.get("ward") == 3:
        counter["title_ward_code"] += 1
    if t.get("ward") == 5:
        counter["title_ward_no_word"] += 1
    if t.get("ward") == 4:
        counter["title_ward_no_diacritics"] += 1
    if t.get("date") == 1:
        counter["title_date_long"] += 1


def _formats(wb) -> dict:
    return {
        "title": wb.add_format({"bold": True, "align": "center"}),
        "header": wb.add_format({"bold": True, "align": "center", "valign": "vcenter",
                                 "text_wrap": True, "border": 1}),
        "bold": wb.add_format({"bold": True}),
        "date": wb.add_format({"num_format": "dd/mm/yyyy"}),
        "text": wb.add_format({"num_format": "@"}),
        "merged": wb.add_format({"valign": "vcenter"}),
    }


WIDTHS = {"stt": 5, "name": 26, "dob": 12, "sex": 8, "id": 16, "phone": 13, "rel": 10,
          "addr": 24, "status": 14, "level": 9, "case": 18, "note": 16, "ward": 18, "group": 8}


def emit_xlsx_sheet(wb, fmts: dict, name: str, out: SheetOut, widths: list[float] | None = None,
                    text_cols: tuple = ()):
    ws = wb.add_worksheet(name)
    if widths:
        for c, wdt in enumerate(widths):
            ws.set_column(c, c, wdt, fmts["text"] if c in text_cols else None)
    for c in out.hidden_cols:
        ws.set_column(c, c, 13, None, {"hidden": True})
    merged = {}
    for r0, c0, r1, c1, text, fk in out.merges:
        merged[(r0, c0)] = (r1, c1, text, fk)
    skip = set()
    for (r0, c0), (r1, c1, _, _) in merged.items():
        for rr in range(r0, r1 + 1):
            for cc in range(c0, c1 + 1):
                if (rr, cc) != (r0, c0):
                    skip.add((rr, cc))
    ws_s, ws_n = ws.write_string, ws.write_number
    fdate = fmts["date"]
    for r, row in enumerate(out.rows):
        rf = fmts.get(out.styles.get(r)) if r in out.styles else None
        for c, cell in enumerate(row):
            if (r, c) in merged:
                r1, c1, text, fk = merged[(r, c)]
                ws.merge_range(r, c, r1, c1, text, fmts[fk])
                continue
            if cell is None or (r, c) in skip:
                continue
            kind, v = cell
            if kind == "s":
                ws_s(r, c, v, rf)
            elif kind == "d":
                ws_n(r, c, v, fdate)
            elif kind == "f":       # a formula; its cached value 0 (xlsxwriter's) or empty
                ws.write_formula(r, c, v[0], rf, v[1])
            else:
                ws_n(r, c, v, rf)
    for r, c, (kind, v) in out.extra:
        if kind == "s":
            ws_s(r, c, v)
        else:
            ws_n(r, c, v)
    for r0, c0, r1, c1, vals in out.validations:
        ws.data_validation(r0, c0, r1, c1, {"validate": "list", "source": vals,
                                            "ignore_blank": True})
    return ws


def sheet_to_csv_rows(out: SheetOut) -> list[list[str]]:
    rows = []
    for row in out.rows:
        rows.append(["" if cell is None else str(cell[1]) for cell in row])
    return rows


# --------------------------------------------------------------------------------------------
def write_households(inbox: Path, files: list[FilePlan], frames: dict[str, pd.DataFrame],
                     pop: Population, region: str, counter: Counter) -> pd.DataFrame:
    """Write every household file; returns source/sheet/row for each current row (R order)."""
    n = len(frames["R"])
    source = np.empty(n, dtype=object)
    sheet = np.empty(n, dtype=object)
    rownum = np.zeros(n, np.int64)
    names = pop.people["name"].to_numpy()
    arrays = {k: frame_arrays(v) for k, v in frames.items()}
    for k, fp in enumerate(files):
        path = inbox / fp.path
        path.parent.mkdir(parents=True, exist_ok=True)
        if fp.role == "rejected" and not fp.sheets:
            _write_rejected(path, fp, pop, region, counter)
            set_mtime(path, fp.mtime)
            continue
        csv_out = fp.fmt == "csv"
        outs = []
        for sp in fp.sheets:
            frame = arrays[sp.frame]
            signer = (names[(sp.seed >> 3) % len(names)], names[(sp.seed >> 7) % len(names)])
            out, rn = build_list_sheet(sp, frame, pop, csv_out, region, counter, signer)
            if sp.invisible:
                sprinkle_sheet(out, sp.invisible, sp.seed, counter)
            if fp.legacy:
                legacy_sheet(out, fp.legacy, counter)
            if sp.stray:
                counter["stray_far_cell"] += 1
            outs.append((sp, out))
            if sp.frame == "R":
                source[sp.rows] = fp.path
                sheet[sp.rows] = sp.name
                rownum[sp.rows] = rn
        if fp.legacy:
            counter[f"legacy_{fp.legacy}"] += 1
            counter[f"legacy_{fp.fmt}"] += 1
        if fp.payload == "formula":
            counter["rejected_formula_no_cache"] += 1
        if csv_out:
            path.write_bytes(write_csv_bytes(sheet_to_csv_rows(outs[0][1]), fp.encoding, fp.sep))
            counter[{"utf-8": "csv_utf8", "utf-8-sig": "csv_utf8_bom", "cp1258": "csv_cp1258",
                     "utf-16": "csv_utf16", "tcvn3": "csv_tcvn3", "vni": "csv_vni"}[fp.encoding]] += 1
            counter[{",": "csv_comma", ";": "csv_semicolon", "\t": "csv_tab"}[fp.sep]] += 1
            if fp.path.endswith(".txt"):
                counter["utf16_txt"] += 1
        else:
            stray = [(i + 1, sp.stray) for i, (sp, _) in enumerate(outs) if sp.stray]
            target = io.BytesIO() if stray else str(path)
            wb = new_workbook(target, fp.mtime)
            fmts = _formats(wb)
            sheets = []
            for sp, out in outs:
                phys = _phys_columns(sp.style)
                widths = [WIDTHS.get(k, 12) for k, _ in phys]
                text_cols = tuple(c for c, (k, _) in enumerate(phys)
                                  if k in ("id", "phone") and sp.style.canonical)
                sheets.append(emit_xlsx_sheet(wb, fmts, sp.name, out, widths, text_cols))
                if sp.name.startswith("TO "):
                    counter["sheet_name_TO_0N"] += 1
            for sp, ws in zip((sp for sp, _ in outs), sheets):
                if sp.hidden == "hidden":
                    ws.hide()
                elif sp.hidden == "very_hidden":
                    ws.very_hidden()
                if sp.hidden:
                    counter[f"{sp.hidden}_sheet"] += 1
            if outs[0][0].hidden:        # a hidden sheet first: the visible list is the active one
                next(ws for (sp, _), ws in zip(outs, sheets) if not sp.hidden).activate()
            wb.close()
            if stray:
                data = target.getvalue()
                for sheet_no, (r, c, text) in stray:
                    data = add_far_cell(data, sheet_no, r, c, text)
                path.write_bytes(data)
        for sp, _ in outs:
            st = sp.style
            for flag in st.header_flags:
                counter[flag] += 1
            for cond, key in ((st.two_col_sex, "two_col_sex"), (st.x_status, "x_status"),
                              (st.year_only, "year_only"),
                              ("status" not in st.cols, "no_status_column"),
                              ("ward" in st.cols, "ward_group_columns"),
                              ("ward" in st.cols and st.ward_value.startswith("abbr:"),
                               "ward_column_abbrev")):
                if cond:
                    counter[key] += 1
        set_mtime(path, fp.mtime)
    return pd.DataFrame({"source": source, "sheet": sheet, "row": rownum})


def _cell_ref(r: int, c: int) -> str:
    return f"{xl_col_to_name(c)}{r + 1}"


def add_far_cell(xlsx: bytes, sheet_no: int, row: int, col: int, text: str) -> bytes:
    """The workbook with one text cell added far outside its table (K7), e.g. XFD1048576.

    Written into the sheet's XML after xlsxwriter (which walks every row and column up to its
    farthest cell: seconds per file); the zip keeps xlsxwriter's entries and timestamps, so the
    file stays byte-for-byte deterministic."""
    zin = zipfile.ZipFile(io.BytesIO(xlsx))
    part = f"xl/worksheets/sheet{sheet_no}.xml"
    xml = zin.read(part).decode("utf-8")
    ref = _cell_ref(row, col)
    cell = f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c>'
    rows = [(int(m.group(1)), m) for m in re.finditer(r'<row r="(\d+)"[^>]*?(/>|>.*?</row>)', xml, re.S)]
    same = next((m for n, m in rows if n == row + 1), None)
    if same is not None and same.group(2) != "/>":
        body = same.group(0)
        body = re.sub(r' spans="(\d+):\d+"', lambda m: f' spans="{m.group(1)}:{col + 1}"', body, count=1)
        xml = xml[:same.start()] + body[:-len("</row>")] + cell + "</row>" + xml[same.end():]
    else:
        after = next((m for n, m in rows if n > row + 1), None)
        new = f'<row r="{row + 1}" spans="{col + 1}:{col + 1}">{cell}</row>'
        if same is not None:
            xml = xml[:same.start()] + new + xml[same.end():]
        elif after is not None:
            xml = xml[:after.start()] + new + xml[after.start():]
        elif "<sheetData/>" in xml:
            xml = xml.replace("<sheetData/>", f"<sheetData>{new}</sheetData>")
        else:
            xml = xml.replace("</sheetData>", new + "</sheetData>")
    m = re.search(r'<dimension ref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"/>', xml)
    last_col = m.group(3) or m.group(1)
    last_row = int(m.group(4) or m.group(2))
    width = max(len(last_col), len(xl_col_to_name(col)))
    end_col = max(last_col.rjust(width), xl_col_to_name(col).rjust(width)).strip()
    dim = f'<dimension ref="A1:{end_col}{max(last_row, row + 1)}"/>'
    xml = xml[:m.start()] + dim + xml[m.end():]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info, xml.encode("utf-8") if info.filename == part else zin.read(info.filename))
    return out.getvalue()


def _write_rejected(path: Path, fp: FilePlan, pop: Population, region: str,
                    counter: Counter) -> None:
    if fp.payload == "corrupt":
        bio = io.BytesIO()
        wb = new_workbook(bio, fp.mtime)
        ws = wb.add_worksheet("Tổ 1")
        ws.write_row(0, 0, ["STT", "Họ và tên", "Ngày sinh", "Số định danh cá nhân"])
        for r in range(1, 40):
            ws.write_row(r, 0, [r, str(pop.people["name"].iat[r]), "01/01/1980", "091080000000"])
        wb.close()
        data = bio.getvalue()
        path.write_bytes(data[: len(data) * 2 // 5])
        counter["rejected_corrupt"] += 1
        return
    wb = new_workbook(str(path), fp.mtime)
    fmts = _formats(wb)
    if fp.payload == "noheader":
        G = pop.groups
        ws = wb.add_worksheet("Báo cáo")
        ws.write_string(0, 0, region or "UBND TỈNH KIÊN GIANG", fmts["title"])
        ws.write_string(1, 0, "BÁO CÁO TIẾN ĐỘ KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ", fmts["title"])
        ws.write_row(3, 0, ["Tổ NDTQ", "Số hộ", "Số nhân khẩu", "Đã kích hoạt", "Tỷ lệ (%)"],
                     fmts["header"])
        for r in range(min(12, len(G))):
            so = int(G["so_ho"].iat[r])
            ws.write_row(4 + r, 0, [int(G["to_so"].iat[r]), so, so * 3, so * 2,
                                    round(200 / 3, 2)])
        wb.close()
        counter["rejected_no_header"] += 1
        return
    # unknown ward: a proper-looking list from a place outside the registry
    wi = int(fp.payload.split(":")[1])
    w = pop.wards[wi]
    P = pop.people
    people = np.flatnonzero((P["ward"].to_numpy() == wi) & P["eligible"].to_numpy()
                            & ~P["ghost"].to_numpy())[:30]
    ws = wb.add_worksheet("Tổ 3")
    ws.write_string(0, 0, f"UBND {upper(w.district)}", fmts["title"])
    ws.write_string(1, 0, upper(w.ten), fmts["title"])
    ws.write_string(2, 0, "DANH SÁCH CÔNG DÂN ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
                    fmts["title"])
    ws.write_string(3, 0, "Tổ NDTQ số 03", fmts["title"])
    ws.write_row(5, 0, [CANON[c] for c in ("stt", "name", "dob", "sex", "id", "rel", "status")],
                 fmts["header"])
    for r, p in enumerate(people):
        dob = f"{P['bd'].iat[p]:02d}/{P['bm'].iat[p]:02d}/{P['by'].iat[p]}" if P["bm"].iat[p] \
            else str(P["by"].iat[p])
        ws.write_row(6 + r, 0, [r + 1, P["name"].iat[p], dob,
                                "Nữ" if P["female"].iat[p] else "Nam", f"{P['id'].iat[p]:012d}",
                                P["rel"].iat[p], "Đã kích hoạt" if P["status"].iat[p] == 3
                                else "Chưa kích hoạt"])
    wb.close()
    counter["rejected_unknown_ward"] += 1


# --------------------------------------------------------------------------------------------
def write_registry(inbox: Path, pop: Population, targets: dict[str, int],
                   agencies: pd.DataFrame, when: datetime) -> None:
    reg = inbox / "registry"
    reg.mkdir(parents=True, exist_ok=True)
    wards = [w for w in pop.wards if w.registry]
    rows = [["MA_DVHC", "TEN", "CHI_TIEU"]] + [[w.code, w.ten, str(targets[w.code])] for w in wards]
    (reg / "wards.csv").write_bytes(write_csv_bytes(rows, "utf-8", ",").replace(b"\r\n", b"\n"))
    G = pop.groups
    rows = [["MA_DVHC", "TO_SO", "KHU_PHO", "SO_HO"]] + [
        [pop.wards[w].code, str(t), k, str(s)]
        for w, t, k, s in zip(G["ward"], G["to_so"], G["khu_pho"], G["so_ho"])]
    (reg / "groups.csv").write_bytes(write_csv_bytes(rows, "utf-8", ",").replace(b"\r\n", b"\n"))
    rows = [["MA_DON_VI", "TEN_DON_VI", "LOAI"]] + agencies[["code", "name", "kind"]].values.tolist()
    (reg / "agencies.csv").write_bytes(write_csv_bytes(rows, "utf-8", ",").replace(b"\r\n", b"\n"))
    for f in ("wards.csv", "groups.csv", "agencies.csv"):
        set_mtime(reg / f, when)


def write_identity(path: Path, chunks, gz: bool, when: datetime) -> int:
    """Write the export from an iterable of DataFrame chunks; returns the record count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "wb") as raw:
        sink = (gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=6)
                if gz else raw)
        for k, df in enumerate(chunks):
            sink.write(df.to_csv(index=False, header=(k == 0), lineterminator="\n").encode("utf-8"))
            n += len(df)
        if gz:
            sink.close()
    set_mtime(path, when)
    return n


def day_time(d: date, hour: int = 7) -> datetime:
    return datetime(d.year, d.month, d.day, hour, 0)
