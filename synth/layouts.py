"""Surface variations of the people-made household files (CONTRACT §1.2) and the file plan.

`plan_households` decides, for every current submission, the file, sheet, title block, headers
and cell formats; it adds superseded submissions and files to be rejected. Variations that lose
information (year-only dates, scientific-notation IDs, the two-column Nam/Nữ form without a
date, a missing Kết quả or phone column) are written into the rows' effective columns so that
the truth reflects them. Everything else here is truth-preserving by construction.
"""

from __future__ import annotations

import copy
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from .geo import Ward
from .kinds import (BELOW_FORMS, DATE_FORM_KEYS, DISPATCH_LINE, MEANING_HOUSEHOLD, N_ABBREV,
                    NEW_DATE_FORMS, abbrev_title, date_line, ward_abbrev)
from .population import Population, load_phone_prefixes
from .text import eth_for_d, nfd, old_style_tones, strip_diacritics, upper

COLS = ["stt", "name", "dob", "sex", "id", "phone", "rel", "addr", "status", "level", "case",
        "note"]
CANON = {"stt": "STT", "name": "Họ và tên", "dob": "Ngày sinh", "sex": "Giới tính",
         "id": "Số định danh cá nhân", "phone": "Số điện thoại", "rel": "Quan hệ với chủ hộ",
         "addr": "Địa chỉ", "status": "Kết quả", "level": "Mức tài khoản", "case": "Trường hợp",
         "note": "Ghi chú", "ward": "Phường/xã", "group": "Tổ NDTQ"}
ALIASES = {"stt": ["TT", "Số TT"], "name": ["Họ tên", "Họ và tên công dân"],
           "dob": ["Ngày, tháng, năm sinh"], "sex": ["Nam/Nữ"],
           "id": ["Số CCCD", "Số ĐDCN", "CCCD/CMND", "Số CMND/CCCD", "Số định danh"],
           "phone": ["SĐT", "Điện thoại", "Số ĐT"], "rel": ["Quan hệ với CH", "QH với chủ hộ"],
           "addr": ["Nơi ở hiện tại", "Chỗ ở hiện nay"], "status": ["Tình trạng", "Kết quả kích hoạt"],
           "level": ["Mức", "Mức TK"], "case": ["Ghi chú trường hợp"], "note": [],
           "ward": ["Phường, xã", "Phường/Xã"], "group": ["Tổ", "Tổ NDTQ số"]}
X_STATUS = ["Chưa đăng ký", "Đã đăng ký", "Đã duyệt", "Đã kích hoạt"]
STATUS_VARIANTS = {
    "Chưa đăng ký": ["chưa đăng ký", "Chưa đăng kí", "Chua dang ky", "CHƯA ĐĂNG KÝ"],
    "Đã đăng ký": ["Chờ duyệt", "Đã đăng kí", "Da dang ky", "đã đăng ký", "Cho duyet"],
    "Đã duyệt": ["Da duyet", "đã duyệt", "ĐÃ DUYỆT"],
    "Chưa kích hoạt": ["Chua kich hoat", "chưa kích hoạt", "Chưa kích họat"],
    "Đã kích hoạt": ["Da kich hoat", "đã kích hoạt", "ĐÃ KÍCH HOẠT", "Đã kích họat", "Đã kich hoat"],
}
CASE_VARIANTS = {"Vắng mặt": ["vắng mặt", "Vang mat", "VẮNG MẶT"],
                 "Không có điện thoại thông minh": ["Không có ĐTTM", "Khong co DTTM",
                                                    "không có điện thoại thông minh"],
                 "Sai số điện thoại": ["Đổi số điện thoại", "Sai so dien thoai", "sai số điện thoại"]}
LEVEL_VARIANTS = {"Mức 1": ["1", "mức 1", "Muc 1"], "Mức 2": ["2", "mức 2", "Muc 2", "MỨC 2"]}
SEX_VARIANTS = [("Nam", "Nữ"), ("nam", "nữ"), ("NAM", "NỮ"), ("Nam", "Nu"),
                (nfd("Nam"), nfd("Nữ"))]

# cell formats
ID_TEXT, ID_NUMBER, ID_SPACES, ID_DOTS, ID_SCI = range(5)
D_DATE, D_SERIAL, D_DMY, D_DDMMYYYY, D_DASH, D_DOT, D_YEAR = range(7)
P_PLAIN, P_PLUS84, P_84, P_SPACES, P_DOTS, P_OLD11 = range(6)

# every variation a non-clean `small` run must show at least once (meta.json "layouts")
VARIATIONS = [
    "container_group_xlsx", "container_ward_book", "container_ward_sheet_xlsx",
    "container_ward_sheet_csv", "container_group_csv", "container_folder_only",
    "container_deep_folder", "csv_utf8", "csv_utf8_bom", "csv_cp1258", "csv_comma",
    "csv_semicolon", "title_none", "title_varied", "title_ward_code", "title_ward_no_word",
    "title_ward_no_diacritics", "title_date_long", "sheet_name_TO_0N", "header_alias",
    "header_upper", "header_spacing", "header_no_diacritics", "header_linebreak", "header_nfd",
    "blank_rows", "no_closing", "two_col_sex", "x_status", "year_only", "no_status_column",
    "ward_group_columns", "id_number", "id_spaces", "id_dots", "id_sci", "date_serial",
    "date_dmy", "date_dash", "date_dot", "date_year_text", "phone_plus84", "phone_84",
    "phone_spaces", "phone_dots", "phone_old11", "text_nfd", "text_old_tone", "text_eth",
    "text_spaces", "text_caps", "text_no_diacritics", "status_variants", "case_variants",
    "sex_variants", "level_variants", "resubmitted", "resubmitted_from_book",
    "rejected_corrupt", "rejected_no_header", "rejected_unknown_ward",
    # files as people really save them (kinds.py)
    "invisible_chars", "invisible_chars_header", "hidden_sheet", "very_hidden_sheet",
    "merged_ward_group", "merged_address", "legacy_tcvn3", "legacy_vni", "legacy_csv",
    "legacy_xlsx", "csv_utf16", "utf16_txt", "rejected_formula_no_cache", "stray_far_cell",
    "title_date_report", "title_date_updated", "title_date_long_padded", "title_date_no_pad",
    "title_date_hour", "title_date_no_year", "title_date_short_year", "title_date_below",
    "resubmitted_title_date", "resubmitted_modified_time", "resubmitted_file_name",
    "resubmitted_only_newer_dated", "resubmitted_only_older_dated", "resubmitted_undated",
    "header_by_meaning", "header_by_meaning_two_col", "title_ward_abbrev", "ward_column_abbrev",
    "assignments_header_by_meaning", "assignments_ward_abbrev", "staff_header_by_meaning",
    "assignments_rejected_no_group_column",
]


@dataclass
class Style:
    canonical: bool = True
    title: dict = field(default_factory=lambda: dict(l1=0, ward=0, heading=0, group=0, date=0,
                                                     dispatch=False))
    title_gap: int = 1
    cols: list = field(default_factory=lambda: list(COLS))
    headers: dict = field(default_factory=lambda: dict(CANON))
    two_col_sex: bool = False
    x_status: bool = False
    year_only: bool = False
    blank_rate: float = 0.0
    closing: str = "canonical"        # canonical | none | short
    id_fmt: tuple = ((ID_TEXT, 1.0),)
    sci_rate: float = 0.0
    date_fmt: tuple = ((D_DATE, 1.0),)
    phone_fmt: tuple = ((P_PLAIN, 1.0),)
    text: frozenset = frozenset()     # nodiac, caps, old_tone, eth, nfd
    spaces_rate: float = 0.0
    sex_variant: int = 0
    status_variants: bool = False
    level_variants: bool = False
    case_variants: bool = False
    ward_value: str = "ten"           # ward column: code | ten | name | nodiac | upper | abbr:<k>
    header_flags: frozenset = frozenset()
    merge: str = ""                   # merged cells: "" | group (Phường/xã and Tổ per group) |
    #                                   ward_whole (Phường/xã down the sheet, Tổ per group)
    merge_addr: bool = False          # address cells merged down a household


@dataclass(eq=False)
class SheetPlan:
    name: str                 # sheet name ("" for CSV)
    rows: np.ndarray          # indices into the frame (R: current rows, S: superseded rows)
    frame: str                # "R" | "S"
    ward: int
    group: int | None         # None: ward-wide sheet
    day: date
    style: Style
    seed: int = 0             # per-sheet cell formats are drawn from Generator(seed)
    replaced_by: str = ""     # superseded sheets: the newer submission's source
    resub: bool = False       # part of a resubmission pair (keeps its dated title)
    container: str = "group_xlsx"   # group_xlsx | ward_book | ward_sheet_xlsx | ward_sheet_csv |
    #                                 group_csv | folder_only | deep_folder
    rule: str = ""            # superseded sheets: title_date | modified_time | file_name
    variant: str = ""         # superseded sheets: which of the pair carries a date (both, ...)
    replaced_by_sheet: str = ""
    dated: bool = True        # the sheet states its date (title block or signature block)
    hidden: str = ""          # "" | hidden | very_hidden: an older copy, never a list
    first: bool = False       # a hidden copy placed before the visible sheet
    invisible: float = 0.0    # share of text cells carrying invisible characters
    formula: str = ""         # "" | zero | empty: ID cells as formulas with no usable cached value
    stray: tuple | None = None  # (row, col, text): one character far outside the table


@dataclass(eq=False)
class FilePlan:
    path: str                 # relative to the inbox
    fmt: str                  # xlsx | csv
    sheets: list
    mtime: datetime
    role: str = "current"     # current | superseded | rejected
    encoding: str = "utf-8"
    sep: str = ","
    reason: str = ""
    payload: str = ""         # corrupt | noheader | unknown_ward:<ward index> | formula
    ward: int | None = None   # the registry ward a rejected file is attributed to (folder)
    legacy: str = ""          # "" | tcvn3 | vni: text typed in a legacy font


# --------------------------------------------------------------------------------------------
def ward_label(w: Ward, mode: str) -> str:
    if mode.startswith("abbr:"):
        return ward_abbrev(w.kind, w.name, int(mode[5:]))
    return {"code": w.code, "ten": w.ten, "name": w.name,
            "nodiac": strip_diacritics(w.ten), "upper": upper(w.ten)}[mode]


def _place(w: Ward) -> str:
    return w.district.replace("thành phố ", "").replace("huyện ", "")


def title_lines(w: Ward, group: int | None, khu_pho: str, day: date, t: dict,
                region: str) -> list[str]:
    """Title block lines (an empty list when t is None).

    t: l1, ward, heading, group, date (a DATE_FORMS key or None), dispatch; optionally
    date_below (the date line goes to the signature block instead), abbr (k, form) for the
    abbreviated ward line (ward == 7) and hour (the "Tính đến 17 giờ ngày ..." form).
    """
    if t is None:
        return []
    reg = region or f"UBND {upper(w.district)}"
    out = []
    l1 = [reg, reg.replace("UBND", "ỦY BAN NHÂN DÂN"), reg.replace("UBND", "CÔNG AN"), None][t["l1"]]
    if l1:
        out.append(l1)
    wl = t["ward"]
    if wl == 7:
        k, form = t.get("abbr", (0, 0))
        out.append(abbrev_title(w.kind, w.name, k, form))
    elif wl is not None:
        out.append([upper(w.ten), f"UBND {upper(w.ten)}", f"{w.kind}: {w.name}",
                    f"Phường/xã: {w.code}", upper(strip_diacritics(w.ten)), upper(w.name),
                    f"Đơn vị: {w.ten}"][wl])
    h = t["heading"]
    d = t["date"]
    inline = d == 8 and h is not None and not t.get("date_below")
    if h is not None:
        line = ["DANH SÁCH CÔNG DÂN ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
                "DANH SÁCH HỘ GIA ĐÌNH ĐĂNG KÝ TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
                "DANH SÁCH RÀ SOÁT KÍCH HOẠT TÀI KHOẢN VNEID",
                "DANH SÁCH CÔNG DÂN CẦN KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ"][h]
        if inline:      # "DANH SÁCH ... (đến ngày 20/10)"
            line += " " + date_line(8, day, _place(w))
        out.append(line)
    if t.get("dispatch"):
        out.append(DISPATCH_LINE)
    g = t["group"]
    if g is not None and group is not None:
        out.append([f"Tổ NDTQ số {group:02d} - {khu_pho}", f"Tổ NDTQ số {group}",
                    upper(f"Tổ NDTQ số {group:02d} - {khu_pho}"), f"Tổ số {group} - {khu_pho}",
                    f"Tổ: {group:02d}"][g])
    if d is not None and not inline and not t.get("date_below"):
        out.append(date_line(d, day, _place(w), t.get("hour", 17)))
    return out


def closing_date_line(w: Ward, day: date, t: dict | None) -> str | None:
    """The date line of the signature block, when the list's date is written below the table."""
    if t is None or t.get("date") is None or not t.get("date_below"):
        return None
    return date_line(t["date"], day, _place(w), t.get("hour", 17))


def canonical_style() -> Style:
    return Style()


def _choice(rng, options, p=None):
    return options[int(rng.choice(len(options), p=p))]


def random_style(rng, fmt: str, container: str, need_group_in_title: bool,
                 force_title: bool = False) -> Style:
    """A realistic non-canonical style for one sheet."""
    s = Style(canonical=False)
    xlsx = fmt == "xlsx"
    # --- title block
    has_title = force_title or need_group_in_title or rng.random() < 0.85
    if container == "folder_only":
        s.title = None if rng.random() < 0.6 else dict(l1=0, ward=None, heading=0, group=None,
                                                       date=0, dispatch=False)
    elif not has_title:
        s.title = None
    else:
        varied = rng.random() < 0.45
        s.title = dict(
            l1=_choice(rng, [0, 1, 2, 3], [0.6, 0.15, 0.1, 0.15]) if varied else 0,
            ward=_choice(rng, [0, 1, 2, 3, 4, 5, 6], [0.4, 0.15, 0.1, 0.1, 0.1, 0.05, 0.1])
            if varied else 0,
            heading=_choice(rng, [0, 1, 2, 3, None], [0.5, 0.15, 0.15, 0.1, 0.1]) if varied else 0,
            group=(None if container == "ward_sheet" else
                   _choice(rng, [0, 1, 2, 3, 4], [0.5, 0.2, 0.1, 0.1, 0.1]) if varied else 0),
            date=_choice(rng, [0, 1, 2, None], [0.5, 0.3, 0.1, 0.1]) if varied else 0,
            dispatch=bool(varied and rng.random() < 0.1))
    s.title_gap = int(_choice(rng, [1, 0, 2], [0.7, 0.2, 0.1]))
    # --- columns
    cols = list(COLS)
    for c, p in (("addr", 0.15), ("note", 0.25), ("level", 0.2), ("case", 0.1),
                 ("status", 0.02), ("phone", 0.02)):
        if rng.random() < p:
            cols.remove(c)
    s.two_col_sex = xlsx and rng.random() < 0.06
    s.x_status = xlsx and "status" in cols and rng.random() < 0.05
    s.year_only = rng.random() < 0.04
    if container == "ward_sheet" or rng.random() < 0.05:
        at = 1 if rng.random() < 0.6 else len(cols)
        cols[at:at] = ["ward", "group"]
        s.ward_value = _choice(rng, ["ten", "name", "code", "nodiac", "upper"],
                               [0.35, 0.25, 0.2, 0.1, 0.1])
    s.cols = cols
    # --- headers
    h = {}
    use_alias = rng.random() < 0.35
    flags = set()
    for c in cols:
        txt = CANON[c]
        if use_alias and ALIASES[c] and rng.random() < 0.5:
            txt = _choice(rng, ALIASES[c])
            flags.add("header_alias")
        if c == "dob" and s.year_only:
            txt = "Năm sinh"
        h[c] = txt
    u = rng.random(6)
    if u[0] < 0.12:
        h = {k: upper(v) for k, v in h.items()}
        flags.add("header_upper")
    elif u[0] < 0.16:
        h = {k: v.lower() for k, v in h.items()}
        flags.add("header_upper")
    if u[1] < 0.1:
        h = {k: (" " + v.replace(" ", "  ", 1) + " ") for k, v in h.items()}
        flags.add("header_spacing")
    if u[2] < 0.07:
        h = {k: strip_diacritics(v) for k, v in h.items()}
        flags.add("header_no_diacritics")
    if xlsx and u[3] < 0.1:
        h = {k: (v.replace(" ", "\n", 1) if len(v) > 10 else v) for k, v in h.items()}
        flags.add("header_linebreak")
    if u[4] < 0.04:
        h = {k: nfd(v) for k, v in h.items()}
        flags.add("header_nfd")
    s.headers = h
    s.header_flags = frozenset(flags)
    # --- body
    s.blank_rate = 0.03 if rng.random() < 0.1 else 0.0
    s.closing = _choice(rng, ["canonical", "none", "short"], [0.7, 0.15, 0.15])
    r = rng.random()
    if r < 0.6:
        s.id_fmt = ((ID_TEXT, 1.0),)
    elif r < 0.85:
        s.id_fmt = ((ID_NUMBER, 0.9), (ID_TEXT, 0.1))
    elif r < 0.93:
        s.id_fmt = ((ID_SPACES, 0.5), (ID_TEXT, 0.5))
    else:
        s.id_fmt = ((ID_DOTS, 0.5), (ID_TEXT, 0.5))
    if rng.random() < 0.02:
        s.sci_rate = 0.1
    if xlsx:
        s.date_fmt = _choice(rng, [((D_DATE, 1.0),), ((D_SERIAL, 1.0),), ((D_DMY, 1.0),),
                                   ((D_DASH, 1.0),), ((D_DOT, 1.0),),
                                   ((D_DATE, 0.5), (D_DMY, 0.2), (D_DDMMYYYY, 0.2), (D_YEAR, 0.1))],
                             [0.55, 0.15, 0.1, 0.08, 0.05, 0.07])
    else:
        s.date_fmt = _choice(rng, [((D_DDMMYYYY, 1.0),), ((D_DMY, 1.0),), ((D_DASH, 1.0),),
                                   ((D_DOT, 1.0),), ((D_DDMMYYYY, 0.8), (D_YEAR, 0.2))],
                             [0.5, 0.2, 0.1, 0.1, 0.1])
    s.phone_fmt = _choice(rng, [((P_PLAIN, 1.0),), ((P_PLUS84, 1.0),), ((P_84, 1.0),),
                                ((P_SPACES, 1.0),), ((P_DOTS, 1.0),),
                                ((P_PLAIN, 0.6), (P_OLD11, 0.3), (P_SPACES, 0.1))],
                          [0.6, 0.1, 0.05, 0.1, 0.05, 0.1])
    t = set()
    for flag, p in (("nodiac", 0.05), ("caps", 0.08), ("old_tone", 0.15), ("eth", 0.03),
                    ("nfd", 0.04)):
        if rng.random() < p:
            t.add(flag)
    s.text = frozenset(t)
    s.spaces_rate = 0.05 if rng.random() < 0.25 else 0.0
    s.sex_variant = int(_choice(rng, [0, 1, 2, 3, 4], [0.7, 0.1, 0.08, 0.08, 0.04]))
    s.status_variants = rng.random() < 0.3
    s.level_variants = rng.random() < 0.2
    s.case_variants = rng.random() < 0.3
    return s


# --------------------------------------------------------------------------------------------
def _dates(rng) -> date:
    return date(2023, 10, 17) + timedelta(days=int(rng.integers(0, 7)))


def _mtime(day: date, k: int) -> datetime:
    return datetime(day.year, day.month, day.day, 16, 0) + timedelta(minutes=(k * 7) % 180)


def _group_file_name(rng, to_so: int) -> str:
    return _choice(rng, [f"to_{to_so:02d}.xlsx", f"To {to_so}.xlsx", f"DS_to{to_so:02d}.xlsx",
                         f"danh sach to {to_so}.xlsx"], [0.6, 0.15, 0.15, 0.1])


def plan_households(R: pd.DataFrame, pop: Population, rng: np.random.Generator, clean: bool,
                    scale_name: str) -> tuple[list[FilePlan], dict[str, pd.DataFrame]]:
    """File plan for all current (R) and superseded (S) submissions, hidden older copies (H)
    and rejected files (X: rows of files the reader rejects whole).

    Returns (files, frames): frames["R"] is `R` less the rows of rejected files, re-indexed;
    every SheetPlan's rows index the frame named by its `frame`.
    """
    W = pop.wards
    G = pop.groups
    gidx = R["gidx"].to_numpy()
    starts = np.flatnonzero(np.r_[True, gidx[1:] != gidx[:-1]])
    ends = np.r_[starts[1:], len(gidx)]
    sub = {int(gidx[s]): np.arange(s, e) for s, e in zip(starts, ends)}
    files: list[FilePlan] = []
    k = 0
    if clean:
        for g, idx in sub.items():
            w = W[G.at[g, "ward"]]
            n = int(G.at[g, "to_so"])
            day = _dates(rng)
            sp = SheetPlan(f"Tổ {n}", idx, "R", int(G.at[g, "ward"]), n, day, canonical_style(),
                           seed=int(rng.integers(0, 2**62)))
            files.append(FilePlan(f"households/{w.code}/to_{n:02d}.xlsx", "xlsx", [sp],
                                  _mtime(day, k)))
            k += 1
        return files, {"R": R, "S": R.iloc[0:0].copy(), "H": R.iloc[0:0].copy(),
                       "X": R.iloc[0:0].copy()}

    # ---- containers per group
    by_ward: dict[int, list[int]] = {}
    for g in sub:
        by_ward.setdefault(int(G.at[g, "ward"]), []).append(g)
    cont: dict[int, str] = {}
    for wi, gl in by_ward.items():
        gl.sort(key=lambda g: G.at[g, "to_so"])
        free = list(gl)
        if len(gl) >= 4 and rng.random() < 0.18:
            size = int(rng.integers(2, max(3, len(gl) // 2 + 1)))
            st = int(rng.integers(0, len(gl) - size + 1))
            for g in gl[st:st + size]:
                cont[g] = "ward_book"
        rest = [g for g in free if g not in cont]
        if len(rest) >= 3 and rng.random() < 0.12:
            size = int(rng.integers(1, max(2, len(rest) // 2 + 1)))
            kind = "ward_sheet_xlsx" if rng.random() < 0.7 else "ward_sheet_csv"
            for g in rest[:size]:
                cont[g] = kind
        for g in gl:
            if g not in cont:
                u = rng.random()
                cont[g] = ("group_csv" if u < 0.08 else "folder_only" if u < 0.12 else
                           "deep_folder" if u < 0.15 else "group_xlsx")
    # make sure every container kind occurs (small scale)
    need = {"ward_sheet_xlsx": 2, "ward_sheet_csv": 1, "ward_book": 2, "group_csv": 5,
            "folder_only": 1, "deep_folder": 1, "group_xlsx": 1}
    for kind, m in need.items():
        have = sum(1 for v in cont.values() if v == kind)
        if have >= m or (have >= 1 and kind not in ("group_csv", "group_xlsx")):
            continue
        if kind.startswith("ward_sheet"):
            other = "ward_sheet_csv" if kind == "ward_sheet_xlsx" else "ward_sheet_xlsx"
            owners = [wi for wi in by_ward if any(cont[g] == other for g in by_ward[wi])]
            free = [wi for wi in by_ward if not any(cont[g].startswith("ward_sheet")
                                                    for g in by_ward[wi])]
            if not free and len(owners) >= 2:     # switch one ward's sheet to the other format
                for g in by_ward[owners[-1]]:
                    if cont[g] == other:
                        cont[g] = kind
                continue
        for wi in sorted(by_ward, key=lambda w: -sum(cont[g] == "group_xlsx" for g in by_ward[w])):
            if kind.startswith("ward_sheet") and any(cont[g].startswith("ward_sheet")
                                                    for g in by_ward[wi]):
                continue          # one ward-wide sheet per ward
            count = Counter(cont.values())
            # take plain per-group workbooks first, else groups of a kind that has plenty
            cand = sorted((g for g in by_ward[wi]
                           if cont[g] != kind and count[cont[g]] > need.get(cont[g], 0)
                           and not (cont[g].startswith("ward_sheet") and count[cont[g]] <= 2)),
                          key=lambda g: cont[g] != "group_xlsx")
            if cand:
                for g in cand[:m - have]:
                    cont[g] = kind
                break

    # ---- resubmissions (~2 % of groups): an older submission replaced by a newer one. Each pair
    # exercises one step of the reader's order (CONTRACT §1.2): the later title date when both
    # carry a date and they differ; else the later file modification time; else the later path
    # (then sheet name) in plain string order.
    n_res = max(4, int(round(0.02 * len(sub))))
    cand_b = [g for g in sub if cont[g] == "ward_book"]
    cand_x = [g for g in sub if cont[g] == "group_xlsx"]
    resub: dict[int, tuple[str, str, str]] = {}          # g -> (where, rule, variant)
    if cand_b:
        g = cand_b[int(rng.integers(0, len(cand_b)))]
        if rng.random() < 0.4:       # both sheets in the same workbook: the sheet name decides
            resub[g] = ("in_book", "file_name", _choice(rng, ["new_only", "old_only", "neither"]))
        else:
            resub[g] = ("book",) + _choice(rng, [("title_date", "both"), ("modified_time", "new_only"),
                                                 ("modified_time", "old_only")])
    pool = list(cand_x)
    rng.shuffle(pool)
    for i, g in enumerate(pool[:n_res]):
        resub[g] = ("file",) + (RESUB_ORDER[i] if i < len(RESUB_ORDER) else
                                _choice(rng, RESUB_ORDER, RESUB_WEIGHTS))

    S_parts: list[pd.DataFrame] = []
    H_parts: list[pd.DataFrame] = []
    offsets = {"S": 0, "H": 0}

    def older_rows(idx: np.ndarray, frame: str = "S", p_missing: float = 0.08,
                   p_lower: float = 0.2) -> np.ndarray:
        """An older copy of a group's rows: a few missing, some lower statuses."""
        keep = idx[rng.random(len(idx)) >= p_missing]
        part = R.iloc[keep].copy()
        lower = (part["status_w"].to_numpy() > 0) & (rng.random(len(part)) < p_lower)
        st = part["status_w"].to_numpy().copy()
        st[lower] -= 1
        part["status_w"] = st
        part.loc[lower, "status_lbl"] = [
            {0: "Chưa đăng ký", 1: "Đã đăng ký", 2: "Đã duyệt"}[int(v)] for v in st[lower]]
        part.loc[lower, "level_w"] = ""
        (S_parts if frame == "S" else H_parts).append(part)
        out = np.arange(offsets[frame], offsets[frame] + len(part))
        offsets[frame] += len(part)
        return out

    date_forms = _DateForms(rng)
    sheets_all: list[tuple[FilePlan, SheetPlan]] = []
    for wi, gl in sorted(by_ward.items()):
        w = W[wi]
        book_groups = [g for g in gl if cont[g] == "ward_book"]
        ws_groups = [g for g in gl if cont[g].startswith("ward_sheet")]
        if book_groups:
            fname = _choice(rng, [f"danh_sach_{strip_diacritics(w.name).replace(' ', '_').lower()}.xlsx",
                                  f"DS_{w.code}.xlsx", f"tong_hop_{w.code}.xlsx"])
            fp = FilePlan(f"households/{w.code}/{fname}", "xlsx", [], datetime(2023, 10, 17))
            for g in book_groups:
                n = int(G.at[g, "to_so"])
                day = _dates(rng)
                nm = f"Tổ {n}" if rng.random() < 0.6 else f"TO {n:02d}"
                idx = sub[g]
                frame = "R"
                where = resub.get(g, ("",))[0]
                if where in ("book", "in_book"):
                    _, rule, variant = resub[g]
                    idx, frame = older_rows(sub[g]), "S"
                    day = date(2023, 10, 17) + timedelta(days=int(rng.integers(0, 3)))
                st = random_style(rng, "xlsx", "ward_book", False)
                sp = SheetPlan(nm, idx, frame, wi, n, day, st, container="ward_book")
                if frame == "S":
                    sp.rule, sp.variant = rule, variant
                    _set_resub_title(st, variant in ("both", "old_only", "equal"), date_forms, rng)
                    sp.dated = variant in ("both", "old_only", "equal")
                fp.sheets.append(sp)
                sheets_all.append((fp, sp))
                if where == "in_book":     # the newer copy right after it, in the same workbook
                    st2 = random_style(rng, "xlsx", "ward_book", True)
                    new_dated = variant in ("new_only", "equal")
                    _set_resub_title(st2, new_dated, date_forms, rng)
                    new_day = day if variant == "equal" else day + timedelta(days=3)
                    sp2 = SheetPlan(nm + _choice(rng, [" (bổ sung)", " mới", " (sửa)"]), sub[g], "R",
                                    wi, n, new_day, st2, container="ward_book", resub=True,
                                    dated=new_dated)
                    sp.replaced_by, sp.replaced_by_sheet, sp.resub = fp.path, sp2.name, True
                    fp.sheets.append(sp2)
                    sheets_all.append((fp, sp2))
            fp.mtime = _mtime(max(s.day for s in fp.sheets), k)
            k += 1
            files.append(fp)
        if ws_groups:
            csv = cont[ws_groups[0]] == "ward_sheet_csv"
            idx = np.concatenate([sub[g] for g in ws_groups])
            day = _dates(rng)
            ext = "csv" if csv else "xlsx"
            kind = strip_diacritics(w.kind).lower().replace(" ", "_")
            fname = _choice(rng, [f"tong_hop_{kind}.{ext}", f"{w.code}_toan_{kind}.{ext}",
                                  f"ds_{strip_diacritics(w.name).replace(' ', '').lower()}.{ext}"])
            st = random_style(rng, ext, "ward_sheet", False)
            st.cols = [c for c in st.cols if c not in ("ward", "group")]
            at = 1 if rng.random() < 0.6 else len(st.cols)
            st.cols[at:at] = ["ward", "group"]
            st.headers.setdefault("ward", CANON["ward"])
            st.headers.setdefault("group", CANON["group"])
            sp = SheetPlan("" if csv else _choice(rng, ["Danh sách", "Tổng hợp", "Sheet1"]),
                           idx, "R", wi, None, day, st, container=cont[ws_groups[0]])
            fp = FilePlan(f"households/{w.code}/{fname}", ext, [sp], _mtime(day, k))
            k += 1
            files.append(fp)
            sheets_all.append((fp, sp))
        for g in gl:
            c = cont[g]
            if c in ("ward_book",) or c.startswith("ward_sheet"):
                if resub.get(g, ("",))[0] != "book":
                    continue
            n = int(G.at[g, "to_so"])
            kp = G.at[g, "khu_pho"]
            day = _dates(rng)
            if g in resub:
                where, rule, variant = resub[g]
                old_dated = variant in ("both", "inverted", "old_only", "equal")
                new_dated = variant in ("both", "inverted", "new_only", "equal")
                if where == "file":
                    old_day = date(2023, 10, 17) + timedelta(days=int(rng.integers(0, 2)))
                    day = date(2023, 10, 21) + timedelta(days=int(rng.integers(0, 3)))
                    if variant == "equal":
                        old_day = day
                    st = random_style(rng, "xlsx", "group_xlsx", True)
                    _set_resub_title(st, old_dated, date_forms, rng)
                    sp = SheetPlan(f"Tổ {n}", older_rows(sub[g]), "S", wi, n, old_day, st,
                                   rule=rule, variant=variant, dated=old_dated)
                    old_mtime = _mtime(old_day, k)
                    if variant == "inverted":     # the older list was saved again later
                        old_mtime = _mtime(day + timedelta(days=1), k)
                    elif variant == "equal":
                        old_mtime = datetime(day.year, day.month, day.day, 9, 0) + timedelta(minutes=k % 50)
                    old = FilePlan(f"households/{w.code}/{_group_file_name(rng, n)}", "xlsx", [sp],
                                   old_mtime, role="superseded")
                    k += 1
                    files.append(old)
                    sheets_all.append((old, sp))
                else:    # the older sheet sits in the ward's workbook; the newer file comes later
                    day = date(2023, 10, 24)
                st = random_style(rng, "xlsx", "group_xlsx", True)
                _set_resub_title(st, new_dated, date_forms, rng)
                sp = SheetPlan(f"Tổ {n}", sub[g], "R", wi, n, day, st, resub=True, dated=new_dated)
                older = [s for f in files for s in f.sheets
                         if s.frame == "S" and s.group == n and s.ward == wi and not s.replaced_by]
                fp = FilePlan(f"households/{w.code}/{_resub_file_name(rng, n, rule)}", "xlsx", [sp],
                              _mtime(day, k))
                for s in older:
                    of = next(f for f in files if s in f.sheets)
                    if rule == "file_name":
                        fp.mtime = of.mtime            # copied together: the same time
                        assert fp.path > of.path, (fp.path, of.path)
                    elif fp.mtime <= of.mtime and variant != "inverted":
                        fp.mtime = of.mtime + timedelta(hours=1)
                    s.replaced_by = fp.path
                    s.replaced_by_sheet = sp.name
                    s.resub = True
                k += 1
                files.append(fp)
                sheets_all.append((fp, sp))
                continue
            if c == "group_xlsx" or c == "deep_folder":
                st = random_style(rng, "xlsx", c, c == "deep_folder")
                if st.title is None:     # the sheet name must then carry the group
                    name = f"Tổ {n}" if rng.random() < 0.5 else f"TO {n:02d}"
                else:
                    name = _choice(rng, [f"Tổ {n}", f"TO {n:02d}", "Sheet1", "DS"],
                                   [0.7, 0.1, 0.1, 0.1])
                folder = f"households/{w.code}"
                if c == "deep_folder":
                    folder += "/" + ("khu_pho_" + kp.split()[-1] if w.kind == "Phường"
                                     else strip_diacritics(kp).replace(" ", "_").lower())
                sp = SheetPlan(name, sub[g], "R", wi, n, day, st, container=c)
                fp = FilePlan(f"{folder}/{_group_file_name(rng, n)}", "xlsx", [sp], _mtime(day, k))
            elif c == "group_csv":
                st = random_style(rng, "csv", c, True)
                sp = SheetPlan("", sub[g], "R", wi, n, day, st, container=c)
                fp = FilePlan(f"households/{w.code}/to_{n:02d}.csv", "csv", [sp], _mtime(day, k))
            else:  # folder_only
                ext = "xlsx" if rng.random() < 0.7 else "csv"
                st = random_style(rng, ext, "folder_only", False)
                st.cols = [c2 for c2 in st.cols if c2 not in ("ward", "group")]
                sp = SheetPlan("Sheet1" if ext == "xlsx" else "", sub[g], "R", wi, n, day, st,
                               container="folder_only")
                fp = FilePlan(f"households/{w.code}/to_{n:02d}/danh_sach.{ext}", ext, [sp],
                              _mtime(day, k))
            k += 1
            files.append(fp)
            sheets_all.append((fp, sp))
    for f in files:
        f.ward = f.sheets[0].ward if f.sheets else None

    # ---- CSV encodings and separators
    csvs = [f for f in files if f.fmt == "csv"]
    encs = ["utf-8", "utf-8-sig", "cp1258"]
    for i, f in enumerate(csvs):
        f.encoding = encs[i] if i < 3 else _choice(rng, encs, [0.4, 0.35, 0.25])
        f.sep = [",", ";"][i % 2] if i < 2 else _choice(rng, [",", ";"], [0.6, 0.4])
        if f.encoding == "cp1258":
            for s in f.sheets:
                s.style.text = frozenset(s.style.text - {"eth"})

    # ---- kinds that change what a file is: rejected formulas, legacy fonts, UTF-16 text
    rej_wards = _file_kinds(files, sheets_all, R, pop, rng, scale_name, csvs[3:])
    _force_coverage(sheets_all, rng)
    _surface_kinds(files, sheets_all, rng, older_rows, date_forms)
    S = pd.concat(S_parts, ignore_index=True) if S_parts else R.iloc[0:0].copy()
    H = pd.concat(H_parts, ignore_index=True) if H_parts else R.iloc[0:0].copy()
    eff = _Effective(R, pop)
    for f in files:
        for s in f.sheets:
            s.seed = int(rng.integers(0, 2**62))
            if s.frame == "R":
                eff.apply(s)
    eff.store(R)
    R, X = _take_rejected_rows(files, R)
    files.extend(_rejected_files(R, pop, rng, scale_name, k, rej_wards))
    return files, {"R": R, "S": S, "H": H, "X": X}


RESUB_ORDER = [("title_date", "both"), ("modified_time", "old_only"), ("file_name", "neither"),
               ("modified_time", "new_only"), ("title_date", "inverted"), ("file_name", "new_only"),
               ("modified_time", "neither"), ("modified_time", "equal"), ("file_name", "old_only"),
               ("file_name", "equal")]
RESUB_WEIGHTS = [0.25, 0.08, 0.06, 0.08, 0.2, 0.06, 0.08, 0.07, 0.06, 0.06]


def _resub_file_name(rng, n: int, rule: str) -> str:
    """The newer file's name. Under the file-name rule it must sort after the older one's
    ("to_07_bo_sung.xlsx" > "to_07.xlsx"); otherwise it may sort before it (a trap)."""
    later = [f"to_{n:02d}_bo_sung.xlsx", f"to_{n:02d}_moi.xlsx", f"to_{n:02d}_lan_2.xlsx",
             f"to_{n:02d}_sua.xlsx"]
    earlier = [f"DS to {n:02d} bo sung.xlsx", f"To {n} (bo sung).xlsx", f"bo_sung_to_{n:02d}.xlsx"]
    if rule == "file_name" or rng.random() < 0.5:
        return _choice(rng, later, [0.55, 0.15, 0.15, 0.15])
    return _choice(rng, earlier)


class _DateForms:
    """Date forms for the dated sheets of resubmissions, every form in turn, then at random."""

    CYCLE = [5, 8, 9, 7, 4, 3, 6, 0, 1, 2]

    def __init__(self, rng):
        self.rng = rng
        self.i = 0

    def next(self) -> int:
        f = self.CYCLE[self.i] if self.i < len(self.CYCLE) else int(self.rng.choice(self.CYCLE))
        self.i += 1
        return f


def _set_resub_title(st: Style, dated: bool, forms: _DateForms, rng) -> None:
    """A title naming the group; the list's date in one of its forms, or no date at all (then
    sometimes only the dispatch's date, which is not the list's)."""
    if st.title is None:
        st.title = dict(l1=0, ward=0, heading=0, group=0, date=0, dispatch=False)
    if st.title.get("group") is None:
        st.title["group"] = 0
    st.title.pop("date_below", None)
    if dated:
        f = forms.next()
        st.title["date"] = f
        st.title["dispatch"] = bool(rng.random() < 0.2)
        st.title["date_below"] = f in BELOW_FORMS and bool(rng.random() < 0.6)
        st.title["hour"] = int(rng.integers(8, 18))
        if st.title["date_below"]:
            st.closing = "canonical"
    else:
        st.title["date"] = None
        st.title["dispatch"] = bool(rng.random() < 0.5)


def _force_coverage(sheets_all, rng) -> None:
    """Every sheet-level variation at least once (only bites at small scale)."""
    cur = [s for f, s in sheets_all if s.frame == "R" and f.role == "current" and not s.resub
           and not f.legacy]
    enc = {id(s): f.encoding for f, s in sheets_all}
    fmt = {id(s): f.fmt for f, s in sheets_all}
    touched: set[int] = set()
    grp = [s for s in cur if s.group is not None]
    xl = [s for s in grp if fmt[id(s)] == "xlsx"]

    def some(pool, have, setter, compat=lambda st: True):
        if any(have(s.style) and compat(s.style) for s in pool):
            return
        ok = [s for s in pool if compat(s.style)]
        fresh = [s for s in ok if id(s) not in touched] or ok
        if not fresh:
            return
        s = fresh[int(rng.integers(0, len(fresh)))]
        touched.add(id(s))
        setter(s.style)

    def uses(attr, code):
        return lambda st: any(c == code for c, _ in getattr(st, attr))

    def set_fmt(attr, code, other):
        """Add `code` to the sheet's mix (about half of its cells), keeping earlier choices."""
        def f(st):
            cur = tuple(getattr(st, attr))
            total = sum(w for _, w in cur)
            setattr(st, attr, cur + ((code, total),))
        return f

    some(xl, lambda st: st.two_col_sex, lambda st: setattr(st, "two_col_sex", True))

    def set_x(st):
        if "status" not in st.cols:
            st.cols.insert(min(8, len(st.cols)), "status")
            st.headers.setdefault("status", CANON["status"])
        st.x_status = True
    some(xl, lambda st: st.x_status and "status" in st.cols, set_x)

    def set_year(st):
        st.year_only = True
        st.headers["dob"] = "Năm sinh"
    some(grp, lambda st: st.year_only, set_year)
    some(grp, lambda st: "status" not in st.cols, lambda st: st.cols.remove("status"),
         lambda st: "status" in st.cols and not st.x_status)
    some(grp, lambda st: st.blank_rate > 0, lambda st: setattr(st, "blank_rate", 0.05))
    some(grp, lambda st: st.closing == "none", lambda st: setattr(st, "closing", "none"))
    some(grp, lambda st: st.sci_rate > 0, lambda st: setattr(st, "sci_rate", 0.1))
    for code in (ID_NUMBER, ID_SPACES, ID_DOTS):
        some(grp, uses("id_fmt", code), set_fmt("id_fmt", code, ID_TEXT))
    some(xl, uses("date_fmt", D_SERIAL), set_fmt("date_fmt", D_SERIAL, D_DATE),
         lambda st: not st.year_only)
    for code in (D_DMY, D_DASH, D_DOT, D_YEAR):
        some(grp, uses("date_fmt", code), set_fmt("date_fmt", code, D_DDMMYYYY),
             lambda st: not st.year_only)
    for code in (P_PLUS84, P_84, P_SPACES, P_DOTS, P_OLD11):
        some(grp, lambda st, code=code: uses("phone_fmt", code)(st) and "phone" in st.cols,
             set_fmt("phone_fmt", code, P_PLAIN), lambda st: "phone" in st.cols)
    for flag in ("nodiac", "caps", "old_tone", "eth", "nfd"):
        pool = grp if flag != "eth" else [s for s in grp if enc[id(s)] != "cp1258"]
        some(pool, lambda st, flag=flag: flag in st.text,
             lambda st, flag=flag: setattr(st, "text", st.text | {flag}),
             lambda st: "nodiac" not in st.text)
    some(grp, lambda st: st.spaces_rate > 0, lambda st: setattr(st, "spaces_rate", 0.1))
    some(grp, lambda st: st.sex_variant > 0 and not st.two_col_sex,
         lambda st: setattr(st, "sex_variant", 3), lambda st: not st.two_col_sex)
    some(grp, lambda st: st.status_variants and "status" in st.cols and not st.x_status,
         lambda st: setattr(st, "status_variants", True),
         lambda st: "status" in st.cols and not st.x_status)
    some(grp, lambda st: st.case_variants and "case" in st.cols,
         lambda st: setattr(st, "case_variants", True), lambda st: "case" in st.cols)
    some(grp, lambda st: st.level_variants and "level" in st.cols,
         lambda st: setattr(st, "level_variants", True), lambda st: "level" in st.cols)

    def add_wg(st):
        st.cols[1:1] = ["ward", "group"]
        st.headers.update(ward=CANON["ward"], group=CANON["group"])
    some(grp, lambda st: "ward" in st.cols, add_wg)
    if not any(s.style.title is None for s in xl) and xl:
        s = xl[int(rng.integers(0, len(xl)))]
        s.style.title = None
        s.name = f"TO {s.group:02d}"
    if not any(s.name.startswith("TO ") for s in xl) and xl:
        s = xl[int(rng.integers(0, len(xl)))]
        s.name = f"TO {s.group:02d}"
    # titles
    titled = [s for f, s in sheets_all if s.frame == "R" and f.role == "current"
              and s.style.title is not None and s.style.title.get("ward") is not None]
    for key, val in (("ward", 3), ("ward", 5), ("ward", 4), ("date", 1), ("l1", 1)):
        if any(s.style.title[key] == val for s in titled):
            continue
        # a sheet whose value for this key is not itself a required one (resubmissions keep
        # their "Ngày dd/mm/yyyy" line)
        free = [s for s in titled if not (key == "date" and (s.resub or s.style.title[key] is None))]
        pool = [s for s in free if s.style.title[key] not in (3, 4, 5, 1)] or free
        if pool:
            pool[int(rng.integers(0, len(pool)))].style.title[key] = val
    hdr = {"header_alias": lambda st: st.headers.update(name="Họ tên", id="Số CCCD", phone="SĐT"),
           "header_upper": lambda st: st.headers.update({k: upper(v) for k, v in st.headers.items()}),
           "header_spacing": lambda st: st.headers.update(name=" Họ  và tên ", stt=" STT"),
           "header_no_diacritics": lambda st: st.headers.update(
               {k: strip_diacritics(v) for k, v in st.headers.items()}),
           "header_nfd": lambda st: st.headers.update({k: nfd(v) for k, v in st.headers.items()}),
           "header_linebreak": lambda st: st.headers.update(id="Số định danh\ncá nhân")}
    for flag, fix in hdr.items():
        pool = xl if flag == "header_linebreak" else grp
        some(pool, lambda st, flag=flag: flag in st.header_flags,
             lambda st, flag=flag, fix=fix: (fix(st), setattr(st, "header_flags",
                                                             st.header_flags | {flag})))


# --------------------------------------------------------------------------------------------
# Files as people really save them (kinds.py): which files and sheets get which kind.
FORMULA_REASON = ("formulas without saved values (written by a program, never opened in Excel): "
                  "open and save it in Excel")
_SINGLE = ("group_xlsx", "deep_folder", "folder_only")


def _rare_rows(R: pd.DataFrame, idx: np.ndarray) -> int:
    """Rows carrying a rare event (kept out of a file that will be rejected at small scale)."""
    p = R.iloc[idx]
    return int(((p["e_sex"] > 0) | (p["e_invalid"] > 0) | (p["kind"] != 0) | (p["e_dob"] > 0)
                | (p["e_id"] > 0) | (p["e_name"]) | (p["e_phone"] == 1)).sum())


def _file_kinds(files, sheets_all, R, pop, rng, scale_name: str, spare_csvs: list) -> list[int]:
    """Kinds that change what a file is; returns the wards where household files get rejected.

    formula_no_cache  ID cells are formulas whose results were never computed: the reader
                      rejects the file, its rows are in no truth file, and NOT_LISTED is
                      withheld for its ward (like every rejected file attributable to a ward).
                      Rejected files go to a few wards only ("rejection wards": small 1,
                      city 3, province ~10 %), so the other wards keep their NOT_LISTED.
    legacy            TCVN3 or VNI text, in a workbook or a one-byte CSV (~2 % of group files)
    utf16             Excel's "Unicode Text" save: UTF-16 LE with BOM, tab-separated, .txt or
                      .csv (~25 % of the CSVs that are not needed for the other encodings)
    """
    W = pop.wards
    reg = [i for i, w in enumerate(W) if w.registry]
    small = scale_name == "small"

    def single(f) -> bool:
        return (f.fmt == "xlsx" and f.role == "current" and len(f.sheets) == 1
                and f.sheets[0].frame == "R" and not f.sheets[0].resub
                and f.sheets[0].container in _SINGLE)

    singles = [f for f in files if single(f)]
    plain = [f for f in singles if f.sheets[0].container == "group_xlsx"]
    by_ward: dict[int, list] = {}
    for f in plain:
        by_ward.setdefault(f.ward, []).append(f)
    n_rw = {"small": 1, "city": 3}.get(scale_name, max(2, len(reg) // 10))
    order = [int(w) for w in rng.permutation(reg)]
    order.sort(key=lambda wi: wi not in by_ward)
    rej_wards = sorted(order[:n_rw])

    # ---- formulas without cached values (rejected)
    n6 = {"small": 1, "city": 4}.get(scale_name, 30)
    cands = [f for wi in rej_wards for f in by_ward.get(wi, [])]
    n6 = min(n6, len(cands), max(0, len(plain) - 1))
    if small:
        cands.sort(key=lambda f: _rare_rows(R, f.sheets[0].rows))
    else:
        cands = [cands[i] for i in rng.permutation(len(cands))]
    for f in cands[:n6]:
        f.role, f.payload, f.reason = "rejected", "formula", FORMULA_REASON
        f.sheets[0].formula = _choice(rng, ["zero", "empty"], [0.6, 0.4])

    # ---- legacy fonts
    groupish = [f for f in singles if f.role == "current"] + [
        f for f in spare_csvs if f.sheets[0].group is not None]
    groupish.sort(key=lambda f: f.path)
    legacy = [f for f in groupish if rng.random() < 0.02]
    want = [("tcvn3", "csv"), ("vni", "xlsx")]
    for enc, fmt in want:
        if any(f.fmt == fmt and f.legacy == enc for f in legacy):
            continue
        pool = [f for f in groupish if f.fmt == fmt and f not in legacy]
        if pool:
            f = pool[int(rng.integers(0, len(pool)))]
            f.legacy = enc
            legacy.append(f)
    for f in legacy:
        if not f.legacy:
            f.legacy = _choice(rng, ["tcvn3", "vni"], [0.6, 0.4])
        if f.fmt == "csv":
            f.encoding = f.legacy
        for s in f.sheets:
            s.style.text = frozenset()        # typed with the font's own letters
            s.style.spaces_rate = 0.0

    # ---- Excel "Unicode Text" (UTF-16)
    pool = [f for f in spare_csvs if not f.legacy]
    utf16 = [f for f in pool if rng.random() < 0.25]
    if not utf16 and pool:
        utf16 = [pool[int(rng.integers(0, len(pool)))]]
    for i, f in enumerate(utf16):
        f.encoding, f.sep = "utf-16", "\t"
        if i == 0 or rng.random() < 0.6:       # Excel's default name for this save
            f.path = f.path[:-4] + ".txt"
    return rej_wards


def _restyle_headers(h: dict, flags: frozenset) -> dict:
    """Headers written with a sheet's header habits (case, spacing, diacritics, NFD)."""
    if "header_upper" in flags:
        h = {k: upper(v) for k, v in h.items()}
    if "header_spacing" in flags:
        h = {k: " " + v.replace(" ", "  ", 1) + " " for k, v in h.items()}
    if "header_no_diacritics" in flags:
        h = {k: strip_diacritics(v) for k, v in h.items()}
    if "header_nfd" in flags:
        h = {k: nfd(v) for k, v in h.items()}
    return h


def _surface_kinds(files, sheets_all, rng, older_rows, date_forms) -> None:
    """Truth-preserving kinds: invisible characters, hidden older copies, merged cells, stray
    far cells, dates written many ways, headers by meaning, abbreviated ward names."""
    cur = [(f, s) for f, s in sheets_all if s.frame == "R" and f.role == "current"]

    def pick(pool, rate, at_least=1):
        chosen = [x for x in pool if rng.random() < rate]
        while len(chosen) < min(at_least, len(pool)):
            rest = [x for x in pool if x not in chosen]
            chosen.append(rest[int(rng.integers(0, len(rest)))])
        return chosen

    # ---- hidden older copies (K2): a single-group workbook or a ward's workbook
    single = [f for f in files if f.role == "current" and f.fmt == "xlsx" and not f.legacy
              and len(f.sheets) == 1 and f.sheets[0].container in _SINGLE and not f.sheets[0].resub]
    books = [f for f in files if f.role == "current" and f.fmt == "xlsx" and not f.legacy
             and f.sheets and f.sheets[0].container == "ward_book"
             and all(not s.resub for s in f.sheets)]
    chosen = [f for f in single if rng.random() < 0.03] + [f for f in books if rng.random() < 0.2]
    while len(chosen) < min(2, len(single) + len(books)):
        rest = [f for f in single + books if f not in chosen]
        chosen.append(rest[int(rng.integers(0, len(rest)))])
    for i, f in enumerate(chosen):
        vis = [s for s in f.sheets if s.frame == "R"]
        sp = vis[int(rng.integers(0, len(vis)))]
        st = copy.deepcopy(sp.style)
        day = sp.day - timedelta(days=int(rng.integers(1, 5)))
        n = sp.group
        name = _choice(rng, [f"{sp.name} (2)", f"{sp.name} cũ", f"Tổ {n} (bản cũ)", f"{sp.name} (cu)"],
                       [0.45, 0.3, 0.15, 0.1])
        state = ["hidden", "very_hidden"][i] if i < 2 else _choice(rng, ["hidden", "very_hidden"],
                                                                      [0.7, 0.3])
        hp = SheetPlan(name[:31], older_rows(sp.rows, "H", 0.03, 0.25), "H", sp.ward, n, day, st,
                       container=sp.container, hidden=state, first=bool(rng.random() < 0.2))
        pos = f.sheets.index(sp)
        f.sheets.insert(pos if hp.first else pos + 1, hp)
        sheets_all.append((f, hp))

    # ---- invisible characters (K1): Unicode files only
    unicode_files = [f for f in files if f.role == "current" and not f.legacy
                     and f.encoding in ("utf-8", "utf-8-sig", "utf-16")]
    for k, f in enumerate(pick(unicode_files, 0.04)):
        for s in f.sheets:
            if s.frame == "R":
                s.invisible = 0.5 if k == 0 else float(rng.uniform(0.1, 0.35))

    # ---- merged cells (K3): ward-wide sheets, and group sheets with Phường/xã + Tổ columns
    ward_sheets = [s for f, s in cur if f.fmt == "xlsx" and s.container == "ward_sheet_xlsx"]
    for s in pick(ward_sheets, 0.5):
        s.style.merge = _choice(rng, ["group", "ward_whole"])
        s.style.merge_addr = rng.random() < 0.5
    wg = [s for f, s in cur if f.fmt == "xlsx" and s.group is not None and "ward" in s.style.cols]
    for s in pick(wg, 0.3, 0):
        s.style.merge = "ward_whole"
        s.style.merge_addr = rng.random() < 0.4
    if not any(s.style.merge_addr and "addr" in s.style.cols for s in ward_sheets + wg):
        pool = [s for s in ward_sheets + wg if "addr" in s.style.cols]
        if pool:
            s = pool[int(rng.integers(0, len(pool)))]
            s.style.merge = s.style.merge or ("group" if s.group is None else "ward_whole")
            s.style.merge_addr = True

    # ---- one stray character far outside the table (K7)
    xl = [f for f in files if f.role == "current" and f.fmt == "xlsx"]
    for f in pick(xl, 0.03):
        s = next(s for s in f.sheets if s.frame == "R")
        cell = _choice(rng, [(1048575, 16383), (1048575, 0), (2, 16383)], [0.6, 0.2, 0.2])
        s.stray = cell + (_choice(rng, ["x", ".", "1", " ", "-", "'"]),)

    # ---- dates written many ways (K8), on lists that are not part of a resubmission
    plain = [s for f, s in cur if not s.resub and s.style.title is not None]
    for s in plain:
        t = s.style.title
        if t["date"] == 0 and rng.random() < 0.3:
            t["date"] = int(rng.choice(NEW_DATE_FORMS))
        elif t["date"] == 1 and rng.random() < 0.4:
            t["date_below"] = True
        if t["date"] == 5 and rng.random() < 0.6:
            t["date_below"] = True
        t["hour"] = int(rng.integers(8, 18))
    have = {s.style.title.get("date") for f, s in sheets_all if s.style.title is not None}
    for form in NEW_DATE_FORMS:
        if form in have:
            continue
        pool = [s for s in plain if s.style.title["date"] == 0]
        if pool:
            pool[int(rng.integers(0, len(pool)))].style.title["date"] = form
    if not any(s.style.title.get("date_below") and s.style.title.get("date") is not None
               for f, s in sheets_all if s.style.title is not None):
        pool = [s for s in plain if s.style.title["date"] in (1, 5)]
        if pool:
            pool[int(rng.integers(0, len(pool)))].style.title["date_below"] = True
    for f, s in sheets_all:
        if s.style.title is not None and s.style.title.get("date_below"):
            s.style.closing = "canonical"

    # ---- headers by meaning (K9)
    ok = [s for f, s in cur if "header_alias" not in s.style.header_flags]
    chosen = pick(ok, 0.08)
    if not any(s.style.two_col_sex for s in chosen):      # "Năm sinh (Nam/Nữ)" over Nam | Nữ
        two = [s for s in ok if s.style.two_col_sex and s not in chosen]
        if not two:       # make one: the old form is an xlsx habit
            two = [s for f, s in cur if f.fmt == "xlsx" and s in ok and s not in chosen
                   and "sex" in s.style.cols][:1]
            for s in two:
                s.style.two_col_sex = True
        if two:
            chosen.append(two[int(rng.integers(0, len(two)))])
    for s in chosen:
        st = s.style
        h = {}
        for c in st.cols:
            opts = MEANING_HOUSEHOLD["dob_parent" if c == "dob" and st.two_col_sex else c]
            if c == "dob" and st.year_only:
                opts = ["Năm sinh"]
            h[c] = _choice(rng, opts) if (rng.random() < 0.7 or c in ("name", "id")) else st.headers[c]
        if st.two_col_sex and rng.random() < 0.7:
            h["dob"] = MEANING_HOUSEHOLD["dob_parent"][0]
        h = _restyle_headers(h, st.header_flags)
        if "header_linebreak" in st.header_flags:
            h = {k: (v.replace(" ", "\n", 1) if len(v) > 10 else v) for k, v in h.items()}
        st.headers = h
        st.header_flags = st.header_flags | {"header_by_meaning"}
        if st.two_col_sex:
            st.header_flags = st.header_flags | {"header_by_meaning_two_col"}

    # ---- ward names abbreviated (K10): title blocks and Phường/xã columns
    titled = [s for f, s in cur if s.style.title is not None and s.style.title.get("ward") == 0]
    for s in pick(titled, 0.08):
        s.style.title["ward"] = 7
        s.style.title["abbr"] = (int(rng.integers(0, N_ABBREV)), int(rng.integers(0, 4)))
    wcol = [s for f, s in cur if "ward" in s.style.cols and s.style.ward_value != "code"]
    for s in pick(wcol, 0.25):
        s.style.ward_value = f"abbr:{int(rng.integers(0, N_ABBREV))}"


def _take_rejected_rows(files, R: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows of rejected files (formulas) leave the current frame R for a frame X of their own."""
    xs = [s for f in files if f.role == "rejected" for s in f.sheets if s.frame == "R"]
    if not xs:
        return R, R.iloc[0:0].copy()
    drop = np.zeros(len(R), bool)
    parts, off = [], 0
    for s in xs:
        drop[s.rows] = True
        parts.append(s.rows)
        s.rows, s.frame = np.arange(off, off + len(s.rows)), "X"
        off += len(s.rows)
    X = R.iloc[np.concatenate(parts)].reset_index(drop=True)
    remap = np.cumsum(~drop) - 1
    for f in files:
        for s in f.sheets:
            if s.frame == "R":
                s.rows = remap[s.rows]
    return R.loc[~drop].reset_index(drop=True), X


def draw_cells(st: Style, n: int, seed: int) -> dict:
    """Per-cell formats and uniforms of one sheet (same draws at plan and write time)."""
    g = np.random.default_rng(seed)
    out = dict(id=_pick_fmt(st.id_fmt, g.random(n)), date=_pick_fmt(st.date_fmt, g.random(n)),
               phone=_pick_fmt(st.phone_fmt, g.random(n)), sci=g.random(n) < st.sci_rate,
               u=g.random((n, 6)), blank=g.random(n) < st.blank_rate)
    if st.blank_rate > 0 and n > 2 and not out["blank"][1:].any():
        out["blank"][n // 2] = True
    return out


class _Effective:
    """Record information the layout loses, so the truth follows what is really written."""

    def __init__(self, R: pd.DataFrame, pop: Population):
        self.id_w = R["id_w"].to_numpy()
        self.sex_w = R["sex_w"].to_numpy()
        self.by_w = R["by_w"].to_numpy()
        self.true_sex = pop.people["female"].to_numpy()[R["pid"].to_numpy()].astype(np.int8)
        self.cols = {c: R[c].to_numpy().copy() for c in ("id_sci", "bm_e", "bd_e", "sex_e",
                                                         "status_e", "phone_e")}

    def apply(self, s: SheetPlan) -> None:
        st, idx, c = s.style, s.rows, self.cols
        cells = draw_cells(st, len(idx), s.seed)
        if st.sci_rate > 0:
            ok = np.array([len(v) == 12 for v in self.id_w[idx]])
            m = ok & cells["sci"]
            if not m.any() and ok.any():
                m[np.flatnonzero(ok)[0]] = True
            c["id_sci"][idx[m]] = True
        year = st.year_only | (cells["date"] == D_YEAR)
        c["bm_e"][idx[year]] = 0
        c["bd_e"][idx[year]] = 0
        if st.two_col_sex:
            sw = self.sex_w[idx]
            c["sex_e"][idx] = np.where(self.by_w[idx] > 0,
                                       np.where(sw >= 0, sw, self.true_sex[idx]), -1)
        if "status" not in st.cols:
            c["status_e"][idx] = -1
        if "phone" not in st.cols:
            c["phone_e"][idx] = ""

    def store(self, R: pd.DataFrame) -> None:
        for k, v in self.cols.items():
            R[k] = v


def _rejected_files(R, pop, rng, scale_name: str, k: int, reg: list[int]) -> list[FilePlan]:
    """Files the reader rejects whole, in the rejection wards `reg` (their folder names the
    ward, so NOT_LISTED is withheld there), plus lists from places outside the registry."""
    n = {"small": (1, 1, 1), "city": (2, 2, 1)}.get(scale_name, (4, 4, 2))
    out = []
    W = pop.wards
    for i in range(n[0]):
        wi = reg[int(rng.integers(0, len(reg)))]
        day = _dates(rng)
        out.append(FilePlan(f"households/{W[wi].code}/to_{int(rng.integers(1, 20)):02d}_loi{i + 1}.xlsx",
                            "xlsx", [], _mtime(day, k + i), role="rejected",
                            reason="corrupt workbook (not a readable .xlsx)", payload="corrupt",
                            ward=wi))
    for i in range(n[1]):
        wi = reg[int(rng.integers(0, len(reg)))]
        day = _dates(rng)
        out.append(FilePlan(f"households/{W[wi].code}/bao_cao_tien_do_{i + 1}.xlsx", "xlsx", [],
                            _mtime(day, k + 10 + i), role="rejected",
                            reason="no recognisable header row", payload="noheader", ward=wi))
    nb = [i for i, w in enumerate(W) if not w.registry]
    for i in range(n[2]):
        wi = nb[i % len(nb)]
        day = _dates(rng)
        slug = strip_diacritics(W[wi].name).replace(" ", "_").lower()
        out.append(FilePlan(f"households/khac/xa_{slug}_to_{i + 3:02d}.xlsx", "xlsx", [],
                            _mtime(day, k + 20 + i), role="rejected",
                            reason=f"unknown ward: {W[wi].ten}", payload=f"unknown_ward:{wi}"))
    return out


# --------------------------------------------------------------------------------------------
# Cell rendering (used by the writers). Kinds: "s" text, "n" number, "d" date serial, None empty.
_OLD_PREFIX = None


def _old_prefixes() -> dict[str, str]:
    global _OLD_PREFIX
    if _OLD_PREFIX is None:
        _OLD_PREFIX = load_phone_prefixes()
    return _OLD_PREFIX


def _pick_fmt(options: tuple, u: np.ndarray) -> np.ndarray:
    codes = np.array([c for c, _ in options])
    p = np.array([w for _, w in options], float)
    edges = np.cumsum(p / p.sum())
    return codes[np.minimum(np.searchsorted(edges, u, side="right"), len(codes) - 1)]


def style_text(s: str, st: Style, u: float, is_name: bool, counter: Counter) -> str:
    if not s:
        return s
    t = st.text
    if "old_tone" in t:
        s2 = old_style_tones(s)
        if s2 != s:
            counter["text_old_tone"] += 1
        s = s2
    if is_name and "caps" in t:
        s = upper(s)
        counter["text_caps"] += 1
    if "nodiac" in t:
        s = strip_diacritics(s)
        counter["text_no_diacritics"] += 1
    if "eth" in t and "Đ" in s:
        s = eth_for_d(s)
        counter["text_eth"] += 1
    if is_name and st.spaces_rate and u < st.spaces_rate:
        s = ("  ".join(s.split(" ", 1)) if u < st.spaces_rate / 2 else f" {s} ")
        counter["text_spaces"] += 1
    if "nfd" in t:
        s = unicodedata.normalize("NFD", s)
        counter["text_nfd"] += 1
    return s


def render_id(v: str, fmt: int, sci: bool, csv: bool, counter: Counter):
    if not v:
        return None
    if sci and len(v) == 12:
        counter["id_sci"] += 1
        return ("s", f"{int(v):.5E}")
    if fmt == ID_NUMBER and not v.startswith("00") and (len(v) == 12 or v[0] != "0"):
        counter["id_number"] += 1
        return ("s", str(int(v))) if csv else ("n", int(v))
    if fmt == ID_SPACES and len(v) == 12:
        counter["id_spaces"] += 1
        return ("s", f"{v[:3]} {v[3:6]} {v[6:9]} {v[9:]}")
    if fmt == ID_DOTS and len(v) == 12:
        counter["id_dots"] += 1
        return ("s", f"{v[:3]}.{v[3:6]}.{v[6:9]}.{v[9:]}")
    return ("s", v)


_EPOCH = date(1899, 12, 30)


def render_date(y: int, m: int, d: int, fmt: int, year_only: bool, csv: bool, counter: Counter):
    if y <= 0:
        return None
    if m == 0 or year_only:
        if csv or fmt in (D_YEAR, D_DMY, D_DDMMYYYY, D_DASH, D_DOT):
            counter["date_year_text"] += 1
            return ("s", str(y))
        return ("n", y)
    if fmt == D_DATE and not csv:
        return ("d", (date(y, m, d) - _EPOCH).days)
    if fmt == D_SERIAL and not csv:
        counter["date_serial"] += 1
        return ("n", (date(y, m, d) - _EPOCH).days)
    if fmt == D_DMY:
        counter["date_dmy"] += 1
        return ("s", f"{d}/{m}/{y}")
    if fmt == D_DASH:
        counter["date_dash"] += 1
        return ("s", f"{d:02d}-{m:02d}-{y}")
    if fmt == D_DOT:
        counter["date_dot"] += 1
        return ("s", f"{d:02d}.{m:02d}.{y}")
    if fmt == D_YEAR:
        counter["date_year_text"] += 1
        return ("s", str(y))        # the list gives only the year (see year_only in truth)
    return ("s", f"{d:02d}/{m:02d}/{y}")


def render_phone(v: str, fmt: int, counter: Counter):
    if not v:
        return None
    if fmt == P_PLUS84:
        counter["phone_plus84"] += 1
        return ("s", f"+84 {v[1:4]} {v[4:7]} {v[7:]}")
    if fmt == P_84:
        counter["phone_84"] += 1
        return ("s", f"84{v[1:]}")
    if fmt == P_SPACES:
        counter["phone_spaces"] += 1
        return ("s", f"{v[:4]} {v[4:7]} {v[7:]}")
    if fmt == P_DOTS:
        counter["phone_dots"] += 1
        return ("s", f"{v[:4]}.{v[4:7]}.{v[7:]}")
    if fmt == P_OLD11:
        old = _old_prefixes().get(v[:3])
        if old:
            counter["phone_old11"] += 1
            return ("s", old + v[3:])
    return ("s", v)


def variant(label: str, table: dict, u: float, on: bool, counter: Counter, key: str) -> str:
    if not on or label not in table or u >= 0.6:
        return label
    opts = table[label]
    counter[key] += 1
    return opts[int(u / 0.6 * len(opts)) % len(opts)]
