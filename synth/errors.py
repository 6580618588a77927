"""Content errors on the list rows, and the row-level truth (CONTRACT §3 rules).

`apply_content_errors` decides what each row *says* (written values, before any surface
formatting). The layout step may then blank a whole column or lose information (year only,
scientific-notation IDs); it records that in the effective columns (`*_e`). `row_truth` applies
the contract's rules to the effective values versus the true record.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .names import random_middle
from .population import Population, make_phones
from .text import confuse_vowel, fold

# per-row rates (independent draws)
RATES = dict(
    id_missing=0.03, id_typo=0.015, id_other_member=0.003, id_cmnd=0.005,
    name=0.02, dob_daymonth=0.01, dob_year=0.003, dob_missing=0.005,
    sex_wrong=0.003, sex_missing=0.003, phone_diff=0.02, phone_blank=0.11, phone_extra=0.25,
    status_wrong=0.05, status_empty=0.03, invalid=0.003,
)

STATUS_LABEL = {0: "Chưa đăng ký", 1: "Đã đăng ký", 2: "Đã duyệt", 3: "Đã kích hoạt"}
CASES = ("Vắng mặt", "Không có điện thoại thông minh", "Sai số điện thoại")
NOTES = ("Đi làm ăn xa", "Đang học tại TP. Hồ Chí Minh", "Người cao tuổi", "Đi biển",
         "Đã hướng dẫn cài đặt", "Hẹn lại", "Bệnh nặng", "Đi làm ở Bình Dương")
LETTERS = "aăâbcdđeêghiklmnoôơpqrstuưvxy"

ROW_CODES = ["INVALID", "ID_MISSING", "ID_MALFORMED", "ID_INCONSISTENT", "ID_MISMATCH",
             "NOT_FOUND", "NAME_MISMATCH", "DOB_MISMATCH", "GENDER_MISMATCH", "PHONE_MISMATCH",
             "STATUS_OVERSTATED", "STATUS_OUTDATED", "DUPLICATE", "OUT_OF_AREA"]
UNIT_CODES = ["NOT_LISTED", "GROUP_UNASSIGNED", "CADRE_OVERLOADED", "CADRE_NOT_ACTIVATED",
              "STAFF_NOT_ACTIVATED"]
ALL_CODES = ROW_CODES + UNIT_CODES


def _pick_kinds(rng, n: int, rates: list[float], mins: int, allowed: np.ndarray | None = None
                ) -> np.ndarray:
    """Mutually exclusive kinds 1..k at the given per-row rates, each at least `mins` times."""
    allowed = np.ones(n, bool) if allowed is None else allowed
    u = rng.random(n)
    edges = np.cumsum(rates)
    kind = np.where(allowed, np.searchsorted(edges, u, side="right") + 1, 0)
    kind[kind > len(rates)] = 0
    for k in range(1, len(rates) + 1):
        have = int((kind == k).sum())
        if have < mins:
            pool = np.flatnonzero((kind == 0) & allowed)
            take = rng.choice(pool, min(mins - have, len(pool)), replace=False)
            kind[take] = k
    return kind


def _id_typo(s: str, u1: float, u2: float, u3: float) -> str:
    d = list(s)
    i = int(u1 * 12) % 12
    if u2 < 0.4 and i < 11 and d[i] != d[i + 1]:
        d[i], d[i + 1] = d[i + 1], d[i]
    else:
        old = d[i]
        digits = [c for c in "0123456789" if c != old]
        d[i] = digits[int(u3 * 9) % 9]
    return "".join(d)


def _name_edit(token: str, u: np.ndarray) -> str:
    """One character edit (substitute / delete / insert / transpose) that changes fold()."""
    for attempt in range(6):
        a = u[(attempt * 3) % len(u)]
        b = u[(attempt * 3 + 1) % len(u)]
        c = u[(attempt * 3 + 2) % len(u)]
        chars = list(token)
        if len(chars) < 2:
            cand = token + LETTERS[int(c * len(LETTERS)) % len(LETTERS)]
        else:
            i = 1 + int(a * (len(chars) - 1)) % (len(chars) - 1)   # keep the capital
            op = int(b * 4)
            if op == 0:
                chars[i] = LETTERS[int(c * len(LETTERS)) % len(LETTERS)]
            elif op == 1 and len(chars) > 2:
                del chars[i]
            elif op == 2:
                chars.insert(i + 1, LETTERS[int(c * len(LETTERS)) % len(LETTERS)])
            elif i < len(chars) - 1:
                chars[i], chars[i + 1] = chars[i + 1], chars[i]
            else:
                chars[i] = LETTERS[int(c * len(LETTERS)) % len(LETTERS)]
            cand = "".join(chars)
        if fold(cand) != fold(token) and cand.strip():
            return cand
    return token + "h"


def _name_error(name: str, female: bool, khmer: bool, u: np.ndarray) -> str:
    tokens = name.split()
    kind = int(u[0] * 4)               # 0,1: edit  2: middle name  3: look-alike vowel
    if kind == 2 and not khmer:
        if len(tokens) >= 3:
            if u[1] < 0.5:
                del tokens[1 + int(u[2] * (len(tokens) - 2))]
            else:
                j = 1 + int(u[2] * (len(tokens) - 2))
                for t in range(5):
                    m = random_middle(float((u[3] + 0.37 * t) % 1.0), female)
                    if fold(m) != fold(tokens[j]):
                        tokens[j] = m
                        break
                else:
                    del tokens[j]
        else:
            tokens.insert(1, "Thị" if female else "Văn")
        out = " ".join(tokens)
        if fold(out) != fold(name):
            return out
    if kind == 3:
        j = len(tokens) - 1 if u[1] < 0.7 else 0
        c = confuse_vowel(tokens[j], float(u[2]))
        if c is not None:
            tokens[j] = c
            out = " ".join(tokens)
            if fold(out) != fold(name):
                return out
    j = len(tokens) - 1 if (u[1] < 0.6 or len(tokens) == 1) else 0
    tokens[j] = _name_edit(tokens[j], u[2:])
    return " ".join(tokens)


def _valid_date(y: int, m: int, d: int) -> bool:
    try:
        pd.Timestamp(year=int(y), month=int(m), day=int(d))
        return True
    except ValueError:
        return False


def apply_content_errors(rows: pd.DataFrame, pop: Population, rng: np.random.Generator,
                         min_count: int) -> None:
    """Add the written columns (name_w, sex_w, by_w/bm_w/bd_w, id_w, phone_w, status_w, ...)."""
    P = pop.people
    n = len(rows)
    pid = rows["pid"].to_numpy()
    ids = P["id"].to_numpy()
    id_s = np.char.zfill(ids[pid].astype(str), 12).astype(object)
    mins = min_count + 2
    ghost = P["ghost"].to_numpy()[pid]
    U = rng.random((n, 12))

    # ---- IDs: missing / typo / other member / old CMND (exclusive)
    idk = _pick_kinds(rng, n, [RATES["id_missing"], RATES["id_typo"], RATES["id_other_member"],
                               RATES["id_cmnd"]], mins)
    id_w = id_s.copy()
    id_w[idk == 1] = ""
    hh = P["hh"].to_numpy()                      # people are stored household by household
    for i in np.flatnonzero(idk == 3):
        h = hh[pid[i]]
        mem = np.arange(np.searchsorted(hh, h, "left"), np.searchsorted(hh, h, "right"))
        mem = mem[mem != pid[i]]
        if len(mem) == 0:
            idk[i] = 2
            continue
        id_w[i] = f"{ids[mem[int(U[i, 0] * len(mem)) % len(mem)]]:012d}"
    typo = np.flatnonzero(idk == 2)
    all_ids = np.sort(ids)
    for _ in range(10):
        for i in typo:
            id_w[i] = _id_typo(id_s[i], *rng.random(3))
        v = np.array([int(id_w[i]) for i in typo], np.int64)
        pos = np.searchsorted(all_ids, v).clip(0, len(all_ids) - 1)
        clash = all_ids[pos] == v
        typo = typo[clash]
        if not len(typo):
            break
    born = (ids[pid] // 10**9)
    cm = np.flatnonzero(idk == 4)
    pref = np.where(born[cm] == 91, 37, rng.choice([35, 36, 38, 33, 30, 26, 27, 22], len(cm)))
    id_w[cm] = [f"{p}{r:07d}" for p, r in zip(pref, rng.integers(0, 10**7, len(cm)))]

    # ---- names
    names = P["name"].to_numpy()[pid].copy()
    female = P["female"].to_numpy()[pid]
    khmer = P["khmer"].to_numpy()[pid]
    e_name = _pick_kinds(rng, n, [RATES["name"]], mins) == 1
    for i in np.flatnonzero(e_name):
        names[i] = _name_error(names[i], bool(female[i]), bool(khmer[i]), U[i])

    # ---- dates of birth
    by = P["by"].to_numpy()[pid].copy()
    bm = P["bm"].to_numpy()[pid].copy()
    bd = P["bd"].to_numpy()[pid].copy()
    full = bm > 0
    dk = _pick_kinds(rng, n, [RATES["dob_daymonth"], RATES["dob_year"], RATES["dob_missing"]],
                     mins)
    dk[(dk == 1) & ~full] = 0
    for i in np.flatnonzero(dk == 1):
        y, m, d = by[i], bm[i], bd[i]
        if d <= 12 and d != m and U[i, 1] < 0.5:
            bm[i], bd[i] = d, m
            continue
        for t in range(8):
            if U[i, 2] < 0.6:
                nd, nm = d + int((1 + t % 5) * (1 if (U[i, 3] + 0.3 * t) % 1 < 0.5 else -1)), m
            else:
                nd, nm = d, m + int((1 + t % 3) * (1 if (U[i, 3] + 0.3 * t) % 1 < 0.5 else -1))
            if 1 <= nm <= 12 and _valid_date(y, nm, nd) and (nm, nd) != (m, d):
                bm[i], bd[i] = nm, nd
                break
    yr = np.flatnonzero(dk == 2)
    step = np.select([U[yr, 4] < 0.5, U[yr, 4] < 0.7], [1, 10], 2 + (U[yr, 5] * 3).astype(int))
    sign = np.where(U[yr, 6] < 0.5, -1, 1)
    new_y = by[yr] + sign * step
    new_y = np.where(new_y > 2009, by[yr] - step, new_y)
    by[yr] = new_y
    for i in yr:   # 29 February in a non-leap year
        if bm[i] and not _valid_date(by[i], bm[i], bd[i]):
            bd[i] = 28
    by[dk == 3] = 0
    bm[dk == 3] = 0
    bd[dk == 3] = 0

    # ---- sex
    sk = _pick_kinds(rng, n, [RATES["sex_wrong"], RATES["sex_missing"]], mins)
    sex = female.astype(np.int8)
    sex[sk == 1] = 1 - sex[sk == 1]
    sex[sk == 2] = -1

    # ---- phones
    acct = P["phone"].to_numpy()[pid]
    has = acct > 0
    pk = _pick_kinds(rng, n, [RATES["phone_diff"], RATES["phone_blank"]], mins, allowed=has)
    phone = np.where(has, acct, 0)
    phone[pk == 2] = 0
    extra = ~has & (rng.random(n) < RATES["phone_extra"])
    diff = np.flatnonzero(pk == 1)
    new_ph = make_phones(rng, n)
    phone[extra] = new_ph[extra]
    for i in diff:
        if U[i, 7] < 0.5:
            phone[i] = new_ph[i]
        else:
            s = list(f"{acct[i]:09d}")
            j = 2 + int(U[i, 8] * 7) % 7
            s[j] = str((int(s[j]) + 1 + int(U[i, 9] * 8)) % 10)
            phone[i] = int("".join(s))
        if phone[i] == acct[i]:
            phone[i] = new_ph[i]
    phone_w = np.where(phone > 0, np.char.zfill(phone.astype(str), 10), "").astype(object)

    # ---- Kết quả (reported status)
    sys_status = np.where(ghost, 0, P["status"].to_numpy()[pid]).astype(np.int8)
    can_up = ~ghost & (sys_status < 3)
    can_down = ~ghost & (sys_status > 0)
    # activated people are rarely under-reported; the others often over-reported
    st = _pick_kinds(rng, n, [RATES["status_empty"]], mins, allowed=~ghost)
    p_wrong = np.where(sys_status == 3, 0.7, 1.8) * RATES["status_wrong"]
    wrong = (st == 0) & ~ghost & (rng.random(n) < p_wrong)
    go_up = can_up & (~can_down | (rng.random(n) < 0.75))
    st[wrong & go_up] = 2
    st[wrong & ~go_up] = 3
    for k, ok in ((2, can_up), (3, can_down)):
        short = mins - int((st == k).sum())
        if short > 0:
            pool = np.flatnonzero((st == 0) & ok)
            st[rng.choice(pool, min(short, len(pool)), replace=False)] = k
    rep = sys_status.copy()
    up = st == 2
    rep[up] = sys_status[up] + 1 + (U[up, 10] * (3 - sys_status[up])).astype(np.int8)
    dn = st == 3
    rep[dn] = (U[dn, 10] * sys_status[dn]).astype(np.int8)
    rep[st == 1] = -1
    g_empty = ghost & (rng.random(n) < 0.3)
    rep[g_empty] = -1
    label = np.array([STATUS_LABEL.get(int(r), "") for r in rep], dtype=object)
    not_act = (rep == 2) & (U[:, 11] < 0.4)
    label[not_act] = "Chưa kích hoạt"
    level_sys = P["level"].to_numpy()[pid]
    level_w = np.where(rep == 3, np.where(level_sys == 1, "Mức 1", "Mức 2"), "").astype(object)
    u = rng.random(n)
    case = np.where(rep == 3, "", np.select([u < 0.25, u < 0.40, u < 0.45],
                                            list(CASES), "")).astype(object)
    case[(pk == 1) & (u < 0.6)] = "Sai số điện thoại"
    note = np.where(rng.random(n) < 0.05, np.array(NOTES, dtype=object)[
        rng.integers(0, len(NOTES), n)], "").astype(object)
    note[ghost & (u < 0.4)] = "Mới chuyển đến"

    # ---- rows that cannot be processed
    ik = _pick_kinds(rng, n, [RATES["invalid"] / 2, RATES["invalid"] / 2], mins)
    names[ik == 1] = ""
    id_w[ik == 2] = np.where(U[ik == 2, 0] < 0.7, "", id_w[ik == 2])
    cm2 = (ik == 2) & (id_w != "")
    id_w[cm2] = [f"37{r:07d}" for r in rng.integers(0, 10**7, int(cm2.sum()))]
    by[ik == 2] = 0
    bm[ik == 2] = 0
    bd[ik == 2] = 0

    rows["name_w"] = names
    rows["sex_w"] = sex
    rows["by_w"], rows["bm_w"], rows["bd_w"] = by, bm, bd
    rows["id_w"] = id_w
    rows["phone_w"] = phone_w
    rows["status_w"] = rep
    rows["status_lbl"] = label
    rows["level_w"] = level_w
    rows["case_w"] = case
    rows["note_w"] = note
    rows["e_id"], rows["e_name"], rows["e_dob"] = idk, e_name, dk
    rows["e_sex"], rows["e_phone"], rows["e_status"], rows["e_invalid"] = sk, pk, st, ik
    # effective values (the layout step may lose information)
    for c in ("name", "sex", "by", "bm", "bd", "id", "phone", "status"):
        rows[f"{c}_e"] = rows[f"{c}_w"]
    rows["id_sci"] = False


# --------------------------------------------------------------------------------------------
def row_truth(rows: pd.DataFrame, pop: Population) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-row expected match, row findings) from the effective values."""
    P = pop.people
    pid = rows["pid"].to_numpy()
    prov = set(pop.provinces)
    id_e = rows["id_e"].to_numpy()
    sci = rows["id_sci"].to_numpy()
    present = np.array([s != "" for s in id_e]) | sci
    valid = np.array([len(s) == 12 and s.isdigit() and s[:3] in prov for s in id_e]) & ~sci
    by_e, bm_e, bd_e = (rows[c].to_numpy() for c in ("by_e", "bm_e", "bd_e"))
    has_dob = by_e > 0
    name_e = rows["name_e"].to_numpy()
    no_name = np.array([not str(s).strip() for s in name_e])
    invalid = no_name | (~valid & ~has_dob)
    ghost = P["ghost"].to_numpy()[pid]
    matched = ~invalid & ~ghost
    true_id = np.char.zfill(P["id"].to_numpy()[pid].astype(str), 12).astype(object)

    codes: list[tuple[int, str, str]] = []

    def add(mask, code, detail=""):
        for i in np.flatnonzero(mask):
            codes.append((i, code, detail if isinstance(detail, str) else detail[i]))

    add(invalid & no_name, "INVALID", "no name")
    add(invalid & ~no_name, "INVALID", "no usable ID and no birth date")
    ok = ~invalid
    add(ok & ~present, "ID_MISSING")
    malformed = ok & present & ~valid
    why = np.where(sci, "scientific notation: digits lost",
                   np.where([len(s) == 9 and s.isdigit() for s in id_e], "old 9-digit CMND",
                            "not a 12-digit ID with a valid province code"))
    add(malformed, "ID_MALFORMED", why)
    # ID_INCONSISTENT: digit 4 vs written sex, century + digits 5-6 vs written birth year
    sex_e = rows["sex_e"].to_numpy()
    g = np.array([int(s[3]) if v else 0 for s, v in zip(id_e, valid)])
    yy = np.array([int(s[4:6]) if v else 0 for s, v in zip(id_e, valid)])
    id_year = 1900 + (g // 2) * 100 + yy
    bad_sex = (sex_e >= 0) & ((g % 2) != sex_e)
    bad_year = has_dob & (id_year != by_e)
    add(ok & valid & (bad_sex | bad_year), "ID_INCONSISTENT",
        np.where(bad_sex & bad_year, "sex and birth year", np.where(bad_sex, "sex", "birth year")))
    add(ok & ghost, "NOT_FOUND")
    add(matched & valid & (id_e != true_id), "ID_MISMATCH")
    rec_name = P["name"].to_numpy()[pid]
    fold_cache: dict[str, str] = {}

    def f(s):
        r = fold_cache.get(s)
        if r is None:
            r = fold_cache[s] = fold(s)
        return r
    name_diff = np.array([m and f(a) != f(b) for m, a, b in zip(matched, name_e, rec_name)])
    add(name_diff, "NAME_MISMATCH")
    r_by, r_bm, r_bd = (P[c].to_numpy()[pid] for c in ("by", "bm", "bd"))
    year_only = (bm_e == 0) | (r_bm == 0)
    dob_diff = has_dob & np.where(year_only, by_e != r_by,
                                  (by_e != r_by) | (bm_e != r_bm) | (bd_e != r_bd))
    add(matched & dob_diff, "DOB_MISMATCH")
    r_sex = P["female"].to_numpy()[pid].astype(np.int8)
    add(matched & (sex_e >= 0) & (sex_e != r_sex), "GENDER_MISMATCH")
    ph_e = rows["phone_e"].to_numpy()
    r_ph = P["phone"].to_numpy()[pid]
    r_ph_s = np.where(r_ph > 0, np.char.zfill(r_ph.astype(str), 10), "").astype(object)
    add(matched & (ph_e != "") & (r_ph_s != "") & (ph_e != r_ph_s), "PHONE_MISMATCH")
    st_e = rows["status_e"].to_numpy()
    s_sys = P["status"].to_numpy()[pid]
    add(matched & (st_e >= 0) & (st_e > s_sys), "STATUS_OVERSTATED")
    add(matched & (st_e >= 0) & (st_e < s_sys), "STATUS_OUTDATED")
    cnt = pd.Series(pid[matched]).value_counts()
    dup = matched & (pd.Series(pid).map(cnt).fillna(0).to_numpy() > 1)
    add(dup, "DUPLICATE")
    r_ward = P["ward"].to_numpy()[pid]
    add(matched & (r_ward != rows["ward"].to_numpy()), "OUT_OF_AREA")

    expected = np.where(invalid, "invalid", np.where(ghost, "unmatched", "matched")).astype(object)
    ident = np.where(matched, true_id, "").astype(object)
    per_row = pd.DataFrame({"expected_match": expected, "identity_id": ident})
    f_df = pd.DataFrame(codes, columns=["i", "code", "detail"])
    f_df["identity_id"] = ident[f_df["i"].to_numpy()] if len(f_df) else []
    order = {c: k for k, c in enumerate(ROW_CODES)}
    f_df["o"] = f_df["code"].map(order)
    f_df = f_df.sort_values(["i", "o"], kind="stable").drop(columns="o").reset_index(drop=True)
    return per_row, f_df
