"""Agencies, cadre assignments and staff rosters (CONTRACT §1.3), their files and unit truth."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .geo import AGENCIES, WARD_AGENCY_PATTERNS, Scale
from .kinds import (MEANING_ASSIGNMENT, MEANING_STAFF, MEANINGLESS_GROUP_HEADERS, N_ABBREV,
                    sprinkle)
from .layouts import D_DASH, D_DDMMYYYY, D_DMY, D_DOT, render_date, ward_label
from .population import STATUS_CODES, Population
from .text import nfd, strip_diacritics, upper
from .writers import SheetOut, _formats, emit_xlsx_sheet, new_workbook, set_mtime

POSITIONS = {
    "Cơ quan nhà nước": [("Chuyên viên", "Công chức", 40), ("Trưởng phòng", "Công chức", 4),
                         ("Phó trưởng phòng", "Công chức", 6), ("Cán bộ", "Cán bộ", 10),
                         ("Nhân viên", "Người lao động", 12), ("Kế toán", "Công chức", 3)],
    "Trường học": [("Giáo viên", "Viên chức", 60), ("Hiệu trưởng", "Viên chức", 1),
                   ("Phó hiệu trưởng", "Viên chức", 2), ("Nhân viên", "Người lao động", 8),
                   ("Kế toán", "Viên chức", 1), ("Bảo vệ", "Người lao động", 2)],
    "Đơn vị sự nghiệp": [("Bác sĩ", "Viên chức", 15), ("Điều dưỡng", "Viên chức", 25),
                         ("Kỹ thuật viên", "Viên chức", 10), ("Chuyên viên", "Viên chức", 10),
                         ("Nhân viên", "Người lao động", 10), ("Giám đốc", "Viên chức", 1)],
    "Doanh nghiệp": [("Công nhân", "Người lao động", 40), ("Nhân viên", "Người lao động", 30),
                     ("Kỹ sư", "Người lao động", 8), ("Trưởng phòng", "Người lao động", 3),
                     ("Giám đốc", "Người lao động", 1)],
    "Tổ chức chính trị - xã hội": [("Chuyên viên", "Cán bộ", 10), ("Ủy viên", "Hội viên", 15),
                                   ("Cán bộ", "Đoàn viên", 10), ("Nhân viên", "Người lao động", 5)],
}
CADRE_UNITS = ["Công an {ten}", "UBND {ten}", "Đoàn Thanh niên {ten}",
               "Hội Liên hiệp Phụ nữ {ten}", "Hội Cựu chiến binh {ten}", "Tổ NDTQ số {g}",
               "Ban điều hành {kp}"]


@dataclass
class Units:
    agencies: pd.DataFrame     # code, name, kind
    cadres: pd.DataFrame       # pid, ward, groups (list of to_so), unit
    staff: pd.DataFrame        # pid, agency, position, category
    no_group_column: list      # wards with an assignment file (non-clean) without a group column
    no_group_column_file: str  # main: the ward's own file; supplement: an extra file of new
    #                            cadres beside it (small scale: both forms of the group column
    #                            must stay readable in the other files)


NO_GROUP_COLUMN_REASON = "no group column (Tổ NDTQ phụ trách) can be found"


def build_units(pop: Population, scale: Scale, rng: np.random.Generator) -> Units:
    P, G = pop.people, pop.groups
    W = pop.wards
    mins = scale.min_count
    # ---- agencies
    rows = [(k, n) for k, n in AGENCIES]
    if scale.n_agencies > len(rows):
        for w in W:
            if not w.registry:
                continue
            for kind, pat in WARD_AGENCY_PATTERNS:
                rows.append((kind, pat.format(name=w.name, kind_lower=w.kind.lower())))
    if scale.n_agencies < len(rows):
        order = rng.permutation(len(rows))[: scale.n_agencies]
        rows = [rows[i] for i in sorted(order)]
    agencies = pd.DataFrame({"code": [f"DV{i + 1:04d}" for i in range(len(rows))],
                             "name": [n for _, n in rows], "kind": [k for k, _ in rows]})

    age = P["age"].to_numpy()
    ok = P["city"].to_numpy() & (age >= 20) & (age <= 60)
    act = P["status"].to_numpy() == 3
    taken = np.zeros(len(P), bool)
    ward = P["ward"].to_numpy()

    # ---- cadres: 1-2 groups each, a few overloaded, ~1 % of groups without anyone.
    # The assignment file of `no_col` wards has no group column (non-clean inboxes): the reader
    # rejects it, so each unit finding is also made at least `mins` times in the other wards.
    n_g = len(G)
    g_ward = G["ward"].to_numpy()
    reg_w = sorted(set(g_ward.tolist()))
    n_nc = {"small": 1, "city": 1}.get(scale.name, 3)
    no_col = sorted(int(w) for w in rng.choice(reg_w, min(n_nc, len(reg_w) - 1), replace=False))
    n_unassigned = max(mins, int(round(0.01 * n_g)))
    unassigned = set(rng.choice(n_g, n_unassigned, replace=False).tolist())
    outside = [g for g in range(n_g) if g_ward[g] not in no_col]
    _top_up(unassigned, outside, mins, rng)
    cad_rows = []   # (ward, [gidx...])
    for wi in sorted(set(G["ward"].tolist())):
        gs = [g for g in np.flatnonzero(G["ward"].to_numpy() == wi) if g not in unassigned]
        i = 0
        while i < len(gs):
            take = 2 if (rng.random() < 0.55 and i + 1 < len(gs)) else 1
            cad_rows.append((wi, gs[i:i + take]))
            i += take
        for g in gs:                       # a second helper for some groups
            if rng.random() < 0.05:
                cad_rows.append((wi, [g]))
    n_cad = len(cad_rows)
    n_over = max(mins, int(round(0.006 * n_cad)))
    assignable = {wi: [g for g in np.flatnonzero(g_ward == wi) if g not in unassigned]
                  for wi in set(g_ward.tolist())}
    can = [c for c in range(n_cad) if len(assignable[cad_rows[c][0]]) >= 4]
    over = set(rng.choice(can, min(n_over, len(can)), replace=False).tolist())
    _top_up(over, [c for c in can if cad_rows[c][0] not in no_col], mins, rng)
    for c in sorted(over):
        wi, gl = cad_rows[c]
        pool = [g for g in assignable[wi] if g not in gl]
        extra = 3 - len(gl) + (1 if rng.random() < 0.2 else 0)
        add = rng.choice(pool, min(len(pool), max(1, extra)), replace=False)
        cad_rows[c] = (wi, sorted(gl + [int(a) for a in add]))
    pids = np.empty(n_cad, np.int64)
    n_not = max(mins, int(round(0.03 * n_cad)))
    not_idx = set(rng.choice(n_cad, n_not, replace=False).tolist())
    _top_up(not_idx, [c for c in range(n_cad) if cad_rows[c][0] not in no_col], mins, rng)
    for wi in sorted(set(w for w, _ in cad_rows)):
        members = [c for c in range(n_cad) if cad_rows[c][0] == wi]
        want_not = [c for c in members if c in not_idx]
        want_act = [c for c in members if c not in not_idx]
        pa = np.flatnonzero(ok & act & (ward == wi) & ~taken)
        pn = np.flatnonzero(ok & ~act & (ward == wi) & ~taken)
        a = rng.choice(pa, len(want_act), replace=False)
        b = rng.choice(pn, len(want_not), replace=False)
        pids[want_act], pids[want_not] = a, b
        taken[a] = True
        taken[b] = True
    units = []
    kp = G["khu_pho"].to_numpy()
    to_so = G["to_so"].to_numpy()
    for c, (wi, gl) in enumerate(cad_rows):
        pat = CADRE_UNITS[int(rng.integers(0, len(CADRE_UNITS)))]
        ten = f"{W[wi].kind.lower()} {W[wi].name}"      # "Công an phường Vĩnh Lạc"
        units.append(pat.format(ten=ten, g=int(to_so[gl[0]]), kp=kp[gl[0]]))
    cadres = pd.DataFrame({"pid": pids, "ward": [w for w, _ in cad_rows],
                           "gidx": [list(map(int, g)) for _, g in cad_rows], "unit": units})
    cadres["groups"] = [[int(to_so[g]) for g in gl] for gl in cadres["gidx"]]

    # ---- staff
    lo, hi = scale.staff_range
    sizes = np.clip(np.round(np.exp(rng.normal(np.log(70), 0.8, len(agencies)))), lo, hi)
    if scale.name == "small":
        sizes = rng.integers(lo, hi + 1, len(agencies))
    pa = np.flatnonzero(ok & act & ~taken)
    pn = np.flatnonzero(ok & ~act & ~taken)
    sizes = sizes.astype(int)
    total = int(sizes.sum())
    k_not = min(len(pn), max(mins + 2, int(rng.binomial(total, 0.10))))
    everyone = np.r_[rng.choice(pn, k_not, replace=False),
                     rng.choice(pa, total - k_not, replace=False)].astype(np.int64)
    rng.shuffle(everyone)
    taken[everyone] = True
    bounds = np.r_[0, np.cumsum(sizes)]
    st_rows = []
    for a, kind in enumerate(agencies["kind"]):
        people = everyone[bounds[a]:bounds[a + 1]]
        pos = POSITIONS[kind]
        w = np.array([p[2] for p in pos], float)
        pick = rng.choice(len(pos), len(people), p=w / w.sum())
        for p, k in zip(people, pick):
            st_rows.append((int(p), a, pos[k][0], pos[k][1]))
    # Cadres who are also staff of an agency (a ward police officer on the police's roster):
    # both their findings stand. Some not activated, so both codes meet on one person.
    cad_p = cadres["pid"].drop_duplicates().to_numpy()
    cad_not = cad_p[~act[cad_p]]
    k = max(mins, int(round(0.03 * len(cad_p))))
    both = np.r_[rng.choice(cad_not, min(len(cad_not), mins), replace=False),
                 rng.choice(cad_p, min(len(cad_p), k), replace=False)]
    for p in pd.unique(both):
        a = int(rng.integers(0, len(agencies)))
        pos = POSITIONS[agencies["kind"].iat[a]]
        k_pos = int(rng.integers(0, len(pos)))
        st_rows.append((int(p), a, pos[k_pos][0], pos[k_pos][1]))
    staff = pd.DataFrame(st_rows, columns=["pid", "agency", "position", "category"])
    return Units(agencies, cadres, staff, no_col, "supplement" if scale.name == "small" else "main")


def _top_up(chosen: set, pool: list, mins: int, rng) -> None:
    """Add members of `pool` to `chosen` until `pool` holds at least `mins` of them."""
    have = [x for x in pool if x in chosen]
    rest = [x for x in pool if x not in chosen]
    short = min(mins - len(have), len(rest))
    if short > 0:
        chosen.update(int(x) for x in rng.choice(rest, short, replace=False))


# --------------------------------------------------------------------------------------------
def unit_truth(pop: Population, units: Units, listed_pids: np.ndarray,
               submitting_wards: set[int], withheld_not_listed: set[int] = frozenset(),
               withheld_unassigned: set[int] = frozenset(),
               unread_cadre_wards: set[int] = frozenset()) -> pd.DataFrame:
    """NOT_LISTED, GROUP_UNASSIGNED, CADRE_OVERLOADED, CADRE_NOT_ACTIVATED, STAFF_NOT_ACTIVATED.

    withheld_not_listed: wards with a rejected household file (it might have listed any of
    their residents): no NOT_LISTED there. withheld_unassigned: wards with a rejected
    assignment file (it might have assigned any of their groups): no GROUP_UNASSIGNED there.
    unread_cadre_wards: wards whose own assignment file is rejected: its cadres' rows are not
    read, so no CADRE_* finding comes from them.
    """
    P, G, W = pop.people, pop.groups, pop.wards
    codes = np.array([w.code for w in W], dtype=object)
    ids = np.char.zfill(P["id"].to_numpy().astype(str), 12).astype(object)
    out = []
    elig = P["city"].to_numpy() & P["eligible"].to_numpy()
    in_sub = np.isin(P["ward"].to_numpy(), sorted(set(submitting_wards) - set(withheld_not_listed)))
    on_list = np.zeros(len(P), bool)
    on_list[listed_pids] = True
    for p in np.flatnonzero(elig & in_sub & ~on_list):
        out.append(("NOT_LISTED", codes[P["ward"].iat[p]], "", ids[p], ""))
    covered = set()
    for gl in units.cadres["gidx"]:
        covered.update(gl)
    for g in range(len(G)):
        if g not in covered and int(G["ward"].iat[g]) not in withheld_unassigned:
            out.append(("GROUP_UNASSIGNED", codes[G["ward"].iat[g]], str(G["to_so"].iat[g]), "", ""))
    status = P["status"].to_numpy()
    by_cadre: dict[int, tuple[int, set]] = {}
    for pid, wi, gl in zip(units.cadres["pid"], units.cadres["ward"], units.cadres["gidx"]):
        if int(wi) in unread_cadre_wards:
            continue
        w0, s = by_cadre.setdefault(int(pid), (int(wi), set()))
        s.update(gl)
    to_so = G["to_so"].to_numpy()
    for pid, (wi, gs) in sorted(by_cadre.items(), key=lambda kv: ids[kv[0]]):
        if len(gs) > 2:
            out.append(("CADRE_OVERLOADED", codes[wi], "", ids[pid],
                        f"{len(gs)} groups: " + "; ".join(str(to_so[g]) for g in sorted(gs))))
        if status[pid] != 3:
            out.append(("CADRE_NOT_ACTIVATED", codes[wi], "", ids[pid], STATUS_CODES[status[pid]]))
    ag = units.agencies
    for pid, a in zip(units.staff["pid"], units.staff["agency"]):
        if status[pid] != 3:
            out.append(("STAFF_NOT_ACTIVATED", "", "", ids[pid],
                        f"{ag['code'].iat[a]} {ag['name'].iat[a]}"))
    return pd.DataFrame(out, columns=["code", "ward_code", "group_no", "identity_id", "detail"])


# --------------------------------------------------------------------------------------------
def _typo(v: str, rng, taken: set) -> str:
    """One digit of the ID's random part (digits 7–12) mistyped, into nobody's ID (K13)."""
    while True:
        k = int(rng.integers(6, 12))
        d = str((int(v[k]) + int(rng.integers(1, 10))) % 10)
        out = v[:k] + d + v[k + 1:]
        if int(out) not in taken:
            return out


def _roster_id(v: str, mode: str, rng, clean: bool, taken: set, counter: Counter, key: str):
    """The ID cell of a cadre or staff row: as typed, and on messy lists sometimes with one digit
    wrong or left empty (the person is still found by name, birth date or phone)."""
    u = rng.random()
    first_typo = counter[f"{key}_id_typo"] == 0               # every messy city has each kind
    first_empty = key == "staff" and counter["staff_id_empty"] == 0 and not first_typo
    if not clean and (u < ROSTER_TYPO or first_typo):
        counter[f"{key}_id_typo"] += 1
        return _id_cell(_typo(v, rng, taken), mode, rng.random())
    if not clean and key == "staff" and (u < ROSTER_TYPO + ROSTER_NO_ID or first_empty):
        counter[f"{key}_id_empty"] += 1
        return None
    return _id_cell(v, mode, rng.random())


ROSTER_TYPO = 0.03     # share of messy roster and cadre rows whose ID has one digit wrong
ROSTER_NO_ID = 0.01    # ... and of staff rows with the ID cell left empty


def _id_cell(v: str, mode: str, u: float):
    if mode == "number" and u < 0.9 and not v.startswith("00"):
        return ("n", int(v))
    if mode == "spaces" and u < 0.5:
        return ("s", f"{v[:3]} {v[3:6]} {v[6:9]} {v[9:]}")
    return ("s", v)


def _hdr(texts: list[str], rng, clean: bool, counter: Counter, key: str) -> list[str]:
    if clean:
        return texts
    u = rng.random()
    if u < 0.15:
        counter[f"{key}_header_upper"] += 1
        return [upper(t) for t in texts]
    if u < 0.25:
        counter[f"{key}_header_no_diacritics"] += 1
        return [strip_diacritics(t) for t in texts]
    if u < 0.28:
        return [nfd(t) for t in texts]
    return texts


def write_assignments(inbox: Path, pop: Population, units: Units, rng: np.random.Generator,
                      clean: bool, region: str, counter: Counter, when: datetime
                      ) -> tuple[list[str], list[dict]]:
    """Write one assignment file per ward; returns (files written, files the reader rejects).

    Non-clean: headers by meaning (K9), abbreviated ward names (K10), invisible characters
    (K1) in some files, and for the `units.no_group_column` wards a file whose group column
    is missing or headed with something meaningless (K11): the reader rejects it whole.
    """
    P, W = pop.people, pop.wards
    cad = units.cadres
    written, rejected = [], []
    wards = sorted(set(cad["ward"].tolist()))
    no_col = set() if clean else set(units.no_group_column)
    supplement = set(no_col) if units.no_group_column_file == "supplement" else set()
    no_col -= supplement             # these wards' own files stay readable
    readable = [wi for wi in wards if wi not in no_col] or wards
    two_col_wards = set()
    second_row_wards = set()
    meaning, abbr, invisible, split_wards = set(), set(), set(), set()
    if not clean:
        for wi in wards:
            if rng.random() < 0.25:
                two_col_wards.add(wi)
            elif rng.random() < 0.5:
                second_row_wards.add(wi)
        if not two_col_wards & set(readable):
            two_col_wards.add(readable[0])
        if len(readable) > 1 and set(readable) <= two_col_wards:
            two_col_wards.discard(readable[-1])
        over = [w for w, gl in zip(cad["ward"], cad["groups"]) if len(gl) > 2 and w not in no_col]
        if over and not (set(over) & (two_col_wards | second_row_wards)):
            second_row_wards.add(int(over[0]))
        # K14: a cadre's further groups on a second list sent later ("bổ sung"): one cadre, two files
        # (the ward's first such cadre keeps his rows in one file, so a ward needs two of them)
        n_over = Counter(int(w) for w in over)
        with_rest = sorted(w for w in n_over if n_over[w] >= 2 and w in second_row_wards | two_col_wards)
        split_wards = {w for w in with_rest if rng.random() < 0.5} or set(with_rest[:1])
        meaning = {wi for wi in wards if rng.random() < 0.25}
        abbr = {wi for wi in wards if rng.random() < 0.2}
        invisible = {wi for wi in wards if rng.random() < 0.05}
        for chosen in (meaning, abbr):
            if not chosen & set(readable):
                chosen.add(readable[int(rng.integers(0, len(readable)))])
    phones = P["phone"].to_numpy()
    taken_ids = set(P["id"].tolist())
    for k, wi in enumerate(wards):
        w = W[wi]
        sub = cad[cad["ward"] == wi]
        two = wi in two_col_wards
        second = two or wi in second_row_wards
        id_mode = "text" if clean else str(rng.choice(["text", "number", "spaces"], p=[0.6, 0.3, 0.1]))
        ward_mode = "ten" if clean else str(rng.choice(["ten", "name", "code", "nodiac"],
                                                       p=[0.4, 0.3, 0.2, 0.1]))
        if wi in abbr:
            ward_mode = f"abbr:{int(rng.integers(0, N_ABBREV))}"
            counter["assignments_ward_abbrev"] += 1
        heads = ["STT", "Họ và tên", "Số định danh cá nhân", "Đơn vị công tác", "Số điện thoại",
                 "Phường/xã"] + (["Tổ 1", "Tổ 2"] if two else ["Tổ NDTQ phụ trách"])
        if not clean and rng.random() < 0.3:
            heads[1], heads[2] = "Họ tên", str(rng.choice(["Số CCCD", "CCCD/CMND", "Số định danh"]))
            counter["assignments_header_alias"] += 1
        if wi in meaning:
            m = MEANING_ASSIGNMENT
            pick = lambda opts: opts[int(rng.integers(0, len(opts)))]  # noqa: E731
            heads[1:6] = [pick(m["name"]), pick(m["id"]), pick(m["unit"]), pick(m["phone"]),
                          pick(m["ward"])]
            heads[6:] = list(pick(m["two"])) if two else [pick(m["groups"])]
            counter["assignments_header_by_meaning"] += 1
        group_cols = len(heads) - 6
        missing = False
        if wi in no_col:      # K11: no column the reader can take for the groups
            missing = rng.random() < 0.5
            if missing:
                heads = heads[:6]
            else:
                bad = [str(rng.choice(MEANINGLESS_GROUP_HEADERS))]
                heads[6:] = bad if group_cols == 1 else [bad[0], bad[0] + " (tiếp)"]
            counter["assignments_rejected_no_group_column"] += 1
        heads = _hdr(heads, rng, clean, counter, "assignments")
        out = _titled_sheet(heads, [region or f"UBND {upper(w.district)}", upper(w.ten),
                                    "DANH SÁCH LỰC LƯỢNG THAM GIA TỔ CÔNG TÁC KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
                                    f"Ngày {when:%d/%m/%Y}"])
        stt = 0
        later = []   # rows of the ward's supplementary list (K14)
        any_second_row = False
        for pid, gl, unit in zip(sub["pid"], sub["groups"], sub["unit"]):
            stt += 1
            pid = int(pid)
            idv = f"{P['id'].iat[pid]:012d}"
            ph = f"{phones[pid]:010d}" if phones[pid] else ""
            base = [("n", stt), ("s", P["name"].iat[pid]),
                    _roster_id(idv, id_mode, rng, clean or wi in no_col, taken_ids, counter, "assignments"),
                    ("s", unit), ("s", ph) if ph else None, ("s", ward_label(w, ward_mode))]
            if wi in invisible:
                base = [_invisible_cell(c, kind, rng) for c, kind in
                        zip(base, (None, "name", "id", None, "phone", "text"))]
            gl = list(gl)
            first, rest = (gl[:2], gl[2:]) if second else (gl, [])
            if two:
                cells = [("n", g) for g in first] + [None] * (2 - len(first))
            else:
                cells = [("s", "; ".join(str(g) for g in first))]
            out.add(base + ([] if missing else cells))
            if rest:
                cells = ([("n", rest[0])] + ([("n", rest[1])] if len(rest) > 1 else [None])
                         if two else [("s", "; ".join(str(g) for g in rest))])
                if wi in split_wards and any_second_row:   # the ward's first such cadre stays in one file
                    counter["assignments_cadre_in_two_files"] += 1
                    later.append(base[1:] + ([] if missing else cells))
                else:
                    counter["assignments_third_group_second_row"] += 1
                    any_second_row = True
                    out.add([None] + base[1:] + ([] if missing else cells))
        if wi in invisible:
            counter["assignments_invisible_chars"] += 1
        if two:
            counter["assignments_two_columns"] += 1
        else:
            counter["assignments_single_cell"] += 1
        fname = (f"assignments/{w.code}.xlsx" if clean or rng.random() < 0.7 else
                 f"assignments/luc_luong_{strip_diacritics(w.name).replace(' ', '_').lower()}.xlsx")
        path = inbox / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = new_workbook(str(path), when)
        emit_xlsx_sheet(wb, _formats(wb), "Lực lượng", out,
                        [5, 26, 16, 30, 13, 20] + ([8, 8] if len(heads) == 8 else [14] * (len(heads) - 6)))
        wb.close()
        set_mtime(path, when)
        written.append(fname)
        if later:
            extra = _titled_sheet(heads, [region or f"UBND {upper(w.district)}", upper(w.ten),
                                          "DANH SÁCH BỔ SUNG LỰC LƯỢNG THAM GIA TỔ CÔNG TÁC",
                                          f"Ngày {when:%d/%m/%Y}"])
            for i, cells in enumerate(later, 1):
                extra.add([("n", i)] + cells)
            fname = f"assignments/{w.code}_phan_cong_them.xlsx"
            wb = new_workbook(str(inbox / fname), when)
            emit_xlsx_sheet(wb, _formats(wb), "Bổ sung", extra,
                            [5, 26, 16, 30, 13, 20] + [14] * (len(heads) - 6))
            wb.close()
            set_mtime(inbox / fname, when)
            written.append(fname)
        if wi in no_col:
            rejected.append({"source": fname, "reason": NO_GROUP_COLUMN_REASON, "ward": wi})
    for wi in sorted(supplement):
        fname = _write_supplement(inbox, pop, units, wi, rng, region, counter, when)
        written.append(fname)
        rejected.append({"source": fname, "reason": NO_GROUP_COLUMN_REASON, "ward": wi})
    return written, rejected


def _write_supplement(inbox: Path, pop: Population, units: Units, wi: int, rng, region: str,
                      counter: Counter, when: datetime) -> str:
    """A ward's supplementary list of a few more cadres whose group column is missing or headed
    with something meaningless (K11): the reader rejects it whole; its people are in no truth."""
    P, W, G = pop.people, pop.wards, pop.groups
    w = W[wi]
    age = P["age"].to_numpy()
    busy = set(units.cadres["pid"].tolist()) | set(units.staff["pid"].tolist())
    pool = [p for p in np.flatnonzero(P["city"].to_numpy() & (P["ward"].to_numpy() == wi)
                                      & (age >= 20) & (age <= 60)) if p not in busy]
    people = rng.choice(pool, min(len(pool), int(rng.integers(3, 6))), replace=False)
    to_so = G["to_so"].to_numpy()[G["ward"].to_numpy() == wi]
    missing = rng.random() < 0.5
    heads = ["STT", "Họ và tên", "Số định danh cá nhân", "Đơn vị công tác", "Số điện thoại",
             "Phường/xã"] + ([] if missing else [str(rng.choice(MEANINGLESS_GROUP_HEADERS))])
    out = _titled_sheet(heads, [region or f"UBND {upper(w.district)}", upper(w.ten),
                                "DANH SÁCH BỔ SUNG LỰC LƯỢNG THAM GIA TỔ CÔNG TÁC KÍCH HOẠT TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ",
                                f"Ngày {when:%d/%m/%Y}"])
    phones = P["phone"].to_numpy()
    for k, pid in enumerate(people):
        pid = int(pid)
        ph = f"{phones[pid]:010d}" if phones[pid] else ""
        unit = CADRE_UNITS[int(rng.integers(0, 5))].format(ten=f"{w.kind.lower()} {w.name}")
        row = [("n", k + 1), ("s", P["name"].iat[pid]), ("s", f"{P['id'].iat[pid]:012d}"),
               ("s", unit), ("s", ph) if ph else None, ("s", w.ten)]
        if not missing:
            gs = sorted(rng.choice(to_so, min(len(to_so), int(rng.integers(1, 3))), replace=False))
            row.append(("s", "; ".join(str(int(g)) for g in gs)))
        out.add(row)
    fname = f"assignments/{w.code}_bo_sung.xlsx"
    path = inbox / fname
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = new_workbook(str(path), when)
    emit_xlsx_sheet(wb, _formats(wb), "Bổ sung", out, [5, 26, 16, 30, 13, 20, 14][:len(heads)])
    wb.close()
    set_mtime(path, when)
    counter["assignments_rejected_no_group_column"] += 1
    return fname


def _titled_sheet(heads: list[str], title: list[str]) -> SheetOut:
    """A sheet with a title block (each line merged across the table), a blank row, the header."""
    out = SheetOut(len(heads))
    for line in title:
        r = out.add([("s", line)] + [None] * (len(heads) - 1), "title")
        out.merges.append((r, 0, r, len(heads) - 1, line, "title"))
    out.blank()
    out.add([("s", h) for h in heads], "header")
    return out


def _invisible_cell(cell, kind: str | None, rng):
    if kind is None or cell is None or cell[0] != "s" or rng.random() >= 0.3:
        return cell
    return ("s", sprinkle(cell[1], kind, rng.random(4)))


def write_staff(inbox: Path, pop: Population, units: Units, rng: np.random.Generator,
                clean: bool, counter: Counter, when: datetime) -> list[str]:
    P = pop.people
    ag, staff = units.agencies, units.staff
    taken_ids = set(P["id"].tolist())
    written = []
    by_agency = {a: staff.index[staff["agency"] == a].to_numpy() for a in range(len(ag))}
    # modes: canonical (file name + title), title (unit only in title), filename, column
    modes = {}
    for a in range(len(ag)):
        modes[a] = "canonical" if clean else str(rng.choice(
            ["canonical", "title", "filename", "column"], p=[0.45, 0.2, 0.2, 0.15]))
    if not clean:       # every way of naming the unit at least once
        for m in ("canonical", "title", "filename", "column"):
            cnt = Counter(modes.values())
            if cnt[m] == 0:
                spare = [a for a in modes if cnt[modes[a]] > 1]
                if spare:
                    modes[spare[0]] = m
    col_groups: dict[str, list[int]] = {}
    for a, m in modes.items():
        if m == "column":
            col_groups.setdefault(ag["kind"].iat[a], []).append(a)
    files = []
    for a in range(len(ag)):
        if modes[a] != "column":
            files.append((modes[a], [a]))
    for kind, lst in col_groups.items():
        files.append(("column", lst))
    files.sort(key=lambda f: f[1][0])
    meaning = set() if clean else {i for i in range(len(files)) if rng.random() < 0.2}
    if not clean and not meaning and files:
        meaning.add(int(rng.integers(0, len(files))))
    for i, (mode, alist) in enumerate(files):
        counter[f"staff_unit_{mode}"] += 1
        heads = ["STT", "Họ và tên", "Ngày sinh", "Số định danh cá nhân", "Chức vụ", "Đối tượng"]
        if i in meaning:        # headers by meaning (K9)
            m = MEANING_STAFF
            pick = lambda opts: opts[int(rng.integers(0, len(opts)))]  # noqa: E731
            heads[1:] = [pick(m["name"]), pick(m["dob"]), pick(m["id"]), pick(m["position"]),
                         pick(m["category"])]
            counter["staff_header_by_meaning"] += 1
        if mode == "column":
            heads.insert(1, "Đơn vị" if i not in meaning else pick(MEANING_STAFF["unit"]))
        heads = _hdr(heads, rng, clean, counter, "staff")
        out = SheetOut(len(heads))
        a0 = alist[0]
        code, name = ag["code"].iat[a0], ag["name"].iat[a0]
        title = []
        if mode in ("canonical", "title"):
            title = [upper(name) if mode == "canonical" or rng.random() < 0.5 else f"Đơn vị: {name}"]
        elif mode == "column":
            title = [f"KHỐI {upper(ag['kind'].iat[a0])}"] if rng.random() < 0.5 else []
        if mode != "filename" or rng.random() < 0.5:
            title.append("DANH SÁCH CÁN BỘ, CÔNG CHỨC, VIÊN CHỨC, NGƯỜI LAO ĐỘNG ĐĂNG KÝ "
                         "TÀI KHOẢN ĐỊNH DANH ĐIỆN TỬ")
        for line in title:
            r = out.add([("s", line)] + [None] * (len(heads) - 1), "title")
            out.merges.append((r, 0, r, len(heads) - 1, line, "title"))
        if title:
            out.blank()
        out.add([("s", h) for h in heads], "header")
        id_mode = "text" if clean else str(rng.choice(["text", "number", "spaces"], p=[0.6, 0.3, 0.1]))
        dfmt = -1 if clean else int(rng.choice([-1, D_DMY, D_DDMMYYYY, D_DASH, D_DOT],
                                               p=[0.6, 0.1, 0.1, 0.1, 0.1]))
        stt = 0
        c = Counter()
        for a in alist:
            for s in by_agency[a]:
                stt += 1
                pid = int(staff["pid"].iat[s])
                y, m, d = int(P["by"].iat[pid]), int(P["bm"].iat[pid]), int(P["bd"].iat[pid])
                dob = (render_date(y, m, d, 0, False, False, c) if dfmt < 0
                       else render_date(y, m, d, dfmt, False, True, c))
                row = [("n", stt), ("s", P["name"].iat[pid]), dob,
                       _roster_id(f"{P['id'].iat[pid]:012d}", id_mode, rng, clean, taken_ids, counter, "staff"),
                       ("s", staff["position"].iat[s]), ("s", staff["category"].iat[s])]
                if mode == "column":
                    unit = ag["name"].iat[a] if rng.random() < 0.9 or clean else ag["code"].iat[a]
                    row.insert(1, ("s", unit))
                out.add(row)
        if mode in ("canonical", "filename"):
            fname = f"staff/{code}.xlsx"
        elif mode == "title":
            fname = f"staff/danh_sach_{strip_diacritics(name).replace(' ', '_').replace('-', '').lower()[:40]}.xlsx"
        else:
            fname = f"staff/tong_hop_{strip_diacritics(ag['kind'].iat[a0]).replace(' ', '_').replace('-', '').lower()}.xlsx"
        path = inbox / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        wb = new_workbook(str(path), when)
        widths = [5] + ([36] if mode == "column" else []) + [26, 12, 16, 18, 16]
        emit_xlsx_sheet(wb, _formats(wb), "Danh sách", out, widths)
        wb.close()
        set_mtime(path, when)
        written.append(fname)
    return written
