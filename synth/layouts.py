"""Surface variations of the people-made household files (CONTRACT §1.2) and the file plan.

`plan_households` decides, for every current submission, the file, sheet, title block, headers
and cell formats; it adds superseded submissions and files to be rejected. Variations that lose
information (year-only dates, scientific-notation IDs, the two-column Nam/Nữ form without a
date, a missing Kết quả or phone column) are written into the rows' effective columns so that
the truth reflects them. Everything else here is truth-preserving by construction.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from .geo import Ward
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
    ward_value: str = "ten"           # ward column: code | ten | name | nodiac
    header_flags: frozenset = frozenset()


@dataclass
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


@dataclass
class FilePlan:
    path: str                 # relative to the inbox
    fmt: str                  # xlsx | csv
    sheets: list
    mtime: datetime
    role: str = "current"     # current | superseded | rejected
    encoding: str = "utf-8"
    sep: str = ","
    reason: str = ""
    payload: str = ""         # corrupt | noheader | unknown_ward:<ward index>


# --------------------------------------------------------------------------------------------
def ward_label(w: Ward, mode: str) -> str:
    return {"code": w.code, "ten": w.ten, "name": w.name,
            "nodiac": strip_diacritics(w.ten), "upper": upper(w.ten)}[mode]


def title_lines(w: Ward, group: int | None, khu_pho: str, day: date, t: dict,
                region: str) -> list[str]:
    """Title block lines (an empty list when t is None)."""
    if t is None:
        return []
    place = w.district.replace("thành phố ", "").replace("huyện ", "")
    reg = region or f"UBND {upper(w.district)}"
    out = []
    l1 = [reg, reg.replace("UBND", "ỦY BAN NHÂN DÂN"), reg.replace("UBND", "CÔNG AN"), None][t["l1"]]
    if l1:
        out.append(l1)
    wl = t["ward"]
    if wl is not None:
        out.append([upper(w.ten), f"UBND {upper(w.ten)}", f"{w.kind}: {w.name}",
                    f"Phường/xã: {w.code}", upper(strip_diacritics(w.ten)), upper(w.name),
                    f"Đơn vị: {w.ten}"][wl])
    h = t["heading"]
    if h is not None:
        out.append(["DANH SÁCH CÔNG DÂN ĐĂNG KÝ, KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
                    "DANH SÁCH HỘ GIA ĐÌNH ĐĂNG KÝ TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
                    "DANH SÁCH RÀ SOÁT KÍCH HOẠT TÀI KHOẢN VNEID",
                    "DANH SÁCH CÔNG DÂN CẦN KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ"][h])
    if t.get("dispatch"):
        out.append("(Kèm theo Công văn số 969/UBND-CATP ngày 16/10/2023)")
    g = t["group"]
    if g is not None and group is not None:
        out.append([f"Tổ NDTQ số {group:02d} - {khu_pho}", f"Tổ NDTQ số {group}",
                    upper(f"Tổ NDTQ số {group:02d} - {khu_pho}"), f"Tổ số {group} - {khu_pho}",
                    f"Tổ: {group:02d}"][g])
    d = t["date"]
    if d is not None:
        out.append([f"Ngày {day:%d/%m/%Y}",
                    f"{place}, ngày {day.day} tháng {day.month} năm {day.year}",
                    f"Ngày lập: {day:%d/%m/%Y}"][d])
    return out


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
                    scale_name: str) -> tuple[list[FilePlan], pd.DataFrame]:
    """File plan for all current (R) and superseded (S) submissions, plus rejected files."""
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
        return files, R.iloc[0:0].copy()

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
    need = {"ward_sheet_xlsx": 2, "ward_sheet_csv": 1, "ward_book": 2, "group_csv": 2,
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

    # ---- resubmissions (~2 % of groups): older version superseded by a later file
    n_res = max(2, int(round(0.02 * len(sub))))
    cand_b = [g for g in sub if cont[g] == "ward_book"]
    cand_x = [g for g in sub if cont[g] == "group_xlsx"]
    resub: dict[int, str] = {}
    if cand_b:
        resub[cand_b[int(rng.integers(0, len(cand_b)))]] = "book"
    pool = [g for g in cand_x]
    rng.shuffle(pool)
    for g in pool[: max(0, n_res - len(resub))]:
        resub[g] = "file"

    S_parts = []
    s_off = 0

    def older_rows(idx: np.ndarray) -> np.ndarray:
        """Superseded copy of a group's rows: a few missing, some lower statuses."""
        nonlocal s_off
        keep = idx[rng.random(len(idx)) >= 0.08]
        part = R.iloc[keep].copy()
        lower = (part["status_w"].to_numpy() > 0) & (rng.random(len(part)) < 0.2)
        st = part["status_w"].to_numpy().copy()
        st[lower] -= 1
        part["status_w"] = st
        part.loc[lower, "status_lbl"] = [
            {0: "Chưa đăng ký", 1: "Đã đăng ký", 2: "Đã duyệt"}[int(v)] for v in st[lower]]
        part.loc[lower, "level_w"] = ""
        S_parts.append(part)
        out = np.arange(s_off, s_off + len(part))
        s_off += len(part)
        return out

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
                if resub.get(g) == "book":
                    idx, frame = older_rows(sub[g]), "S"
                    day = date(2023, 10, 17) + timedelta(days=int(rng.integers(0, 3)))
                st = random_style(rng, "xlsx", "ward_book", False)
                if frame == "S":
                    _force_dated_title(st)
                sp = SheetPlan(nm, idx, frame, wi, n, day, st, container="ward_book")
                fp.sheets.append(sp)
                sheets_all.append((fp, sp))
            fp.mtime = _mtime(max(s.day for s in fp.sheets), k)
            k += 1
            files.append(fp)
        if ws_groups:
            csv = cont[ws_groups[0]] == "ward_sheet_csv"
            idx = np.concatenate([sub[g] for g in ws_groups])
            day = _dates(rng)
            ext = "csv" if csv else "xlsx"
            kind = strip_diacritics(w.kind).lower()
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
                if resub.get(g) != "book":
                    continue
            n = int(G.at[g, "to_so"])
            kp = G.at[g, "khu_pho"]
            day = _dates(rng)
            if g in resub:
                if resub[g] == "file":
                    old_day = date(2023, 10, 16) + timedelta(days=int(rng.integers(0, 3)))
                    st = random_style(rng, "xlsx", "group_xlsx", True)
                    _force_dated_title(st)
                    sp = SheetPlan(f"Tổ {n}", older_rows(sub[g]), "S", wi, n, old_day, st)
                    old = FilePlan(f"households/{w.code}/to_{n:02d}.xlsx", "xlsx", [sp],
                                   _mtime(old_day, k), role="superseded")
                    k += 1
                    files.append(old)
                    sheets_all.append((old, sp))
                # later than every other list of the ward (title date and file time agree)
                day = (date(2023, 10, 24) if resub[g] == "book"
                       else date(2023, 10, 21) + timedelta(days=int(rng.integers(0, 3))))
                st = random_style(rng, "xlsx", "group_xlsx", True)
                _force_dated_title(st)
                sp = SheetPlan(f"Tổ {n}", sub[g], "R", wi, n, day, st)
                fp = FilePlan(f"households/{w.code}/to_{n:02d}_bo_sung.xlsx", "xlsx", [sp],
                              _mtime(day, k))
                k += 1
                files.append(fp)
                sheets_all.append((fp, sp))
                sp.resub = True
                for f in files:
                    for s in f.sheets:
                        if s.frame == "S" and s.group == n and s.ward == wi:
                            s.replaced_by = fp.path
                            s.resub = True
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

    # ---- CSV encodings and separators
    csvs = [f for f in files if f.fmt == "csv"]
    encs = ["utf-8", "utf-8-sig", "cp1258"]
    for i, f in enumerate(csvs):
        f.encoding = encs[i] if i < 3 else _choice(rng, encs, [0.4, 0.35, 0.25])
        f.sep = [",", ";"][i % 2] if i < 2 else _choice(rng, [",", ";"], [0.6, 0.4])
        if f.encoding == "cp1258":
            for s in f.sheets:
                s.style.text = frozenset(s.style.text - {"eth"})

    _force_coverage(sheets_all, rng)
    S = pd.concat(S_parts, ignore_index=True) if S_parts else R.iloc[0:0].copy()
    eff = _Effective(R, pop)
    for f in files:
        for s in f.sheets:
            s.seed = int(rng.integers(0, 2**62))
            if s.frame == "R":
                eff.apply(s)
    eff.store(R)
    files.extend(_rejected_files(R, pop, rng, scale_name, k))
    return files, S


def _force_dated_title(st: Style) -> None:
    if st.title is None:
        st.title = dict(l1=0, ward=0, heading=0, group=0, date=0, dispatch=False)
    st.title["date"] = 0
    st.title["dispatch"] = False
    if st.title.get("group") is None:
        st.title["group"] = 0


def _force_coverage(sheets_all, rng) -> None:
    """Every sheet-level variation at least once (only bites at small scale)."""
    cur = [s for f, s in sheets_all if s.frame == "R" and f.role == "current" and not s.resub]
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
        pool = [s for s in titled if s.style.title[key] not in (3, 4, 5, 1)
                and not (key == "date" and s.resub)] or titled
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


def _rejected_files(R, pop, rng, scale_name: str, k: int) -> list[FilePlan]:
    n = {"small": (1, 1, 1), "city": (2, 2, 1)}.get(scale_name, (4, 4, 2))
    out = []
    W = pop.wards
    reg = [i for i, w in enumerate(W) if w.registry]
    for i in range(n[0]):
        w = W[reg[int(rng.integers(0, len(reg)))]]
        day = _dates(rng)
        out.append(FilePlan(f"households/{w.code}/to_{int(rng.integers(1, 20)):02d}_loi{i + 1}.xlsx",
                            "xlsx", [], _mtime(day, k + i), role="rejected",
                            reason="corrupt workbook (not a readable .xlsx)", payload="corrupt"))
    for i in range(n[1]):
        w = W[reg[int(rng.integers(0, len(reg)))]]
        day = _dates(rng)
        out.append(FilePlan(f"households/{w.code}/bao_cao_tien_do_{i + 1}.xlsx", "xlsx", [],
                            _mtime(day, k + 10 + i), role="rejected",
                            reason="no recognisable header row", payload="noheader"))
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
