"""The synthetic city: households, people, IDs, phones, e-ID account statuses (vectorised).

`build_population` returns a `Population` whose `people` frame holds one row per person of the
registry wards and the neighbouring places, plus "ghost" people (recent arrivals who are on no
identity export; used for NOT_FOUND rows).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import names as N
from .geo import HAMLETS, PROVINCE, STREETS, Scale, Ward

AS_OF = date(2023, 10, 25)
OLD_EXPORT = date(2023, 10, 18)
ELIGIBLE_BORN_BY = np.datetime64("2009-10-25")   # aged >= 14 on AS_OF
ACTIVATION_RATE = 0.6555                          # dispatch 969/UBND-CATP, 25/10/2023

ROLE_HEAD, ROLE_SPOUSE, ROLE_CHILD, ROLE_PARENT, ROLE_GRAND, ROLE_SIBLING, ROLE_OTHER = range(7)
STATUS_CODES = np.array(["CHUA_DANG_KY", "CHO_DUYET", "DA_DUYET", "DA_KICH_HOAT"], dtype=object)

# Current mobile prefixes (3 digits incl. 0) with rough market shares.
PHONE_PREFIXES = {
    "086": 3, "096": 6, "097": 7, "098": 7, "032": 3, "033": 3, "034": 3, "035": 3, "036": 3,
    "037": 3, "038": 3, "039": 3, "089": 2, "090": 5, "093": 4, "070": 2, "076": 1, "077": 2,
    "078": 1, "079": 2, "088": 2, "091": 5, "094": 4, "081": 2, "082": 2, "083": 2, "084": 2,
    "085": 2, "092": 1, "056": 1, "058": 1, "099": 0.5, "059": 0.5,
}
# Provinces of birth other than Kiên Giang (091): Mekong neighbours weigh more.
NEAR_PROVINCES = {"089": 8, "092": 6, "094": 5, "096": 5, "095": 4, "093": 4, "084": 3,
                  "086": 3, "087": 4, "079": 5, "080": 2, "082": 2, "083": 2}


def _reference_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "matchers" / "reference"


def load_provinces() -> dict[str, str]:
    with open(_reference_dir() / "provinces.csv", encoding="utf-8") as f:
        return {r["code"]: r["province"] for r in csv.DictReader(f)}


def load_phone_prefixes() -> dict[str, str]:
    """new 3-digit prefix -> old 4-digit prefix (2018 change)."""
    with open(_reference_dir() / "phone_prefixes_2018.csv", encoding="utf-8") as f:
        return {r["new"]: r["old"] for r in csv.DictReader(f)}


@dataclass
class Population:
    wards: list[Ward]            # registry wards then neighbours
    people: pd.DataFrame
    households: pd.DataFrame
    groups: pd.DataFrame         # registry groups: gidx, ward, to_so, khu_pho, so_ho, street
    provinces: dict[str, str]

    @property
    def n_registry(self) -> int:
        return sum(w.registry for w in self.wards)


# --------------------------------------------------------------------------------------------
def _household_members(rng: np.random.Generator, H: int) -> dict[str, np.ndarray]:
    """Household composition: counts per role, then one entry per person (head first)."""
    head_age = 25 + np.floor(60 * rng.beta(1.7, 2.8, H)).astype(np.int64)
    p_sp = np.select([head_age < 30, head_age < 60, head_age < 70], [0.6, 0.85, 0.7], 0.45)
    has_sp = rng.random(H) < p_sp
    lam = np.select([head_age < 35, head_age < 50, head_age < 65], [1.7, 2.0, 1.3], 0.8)
    n_ch = np.minimum(rng.poisson(lam), 6)
    n_par = np.where((head_age < 55) & (rng.random(H) < 0.12), 1 + (rng.random(H) < 0.4), 0)
    n_gc = np.where((head_age >= 50) & (n_ch > 0) & (rng.random(H) < 0.5),
                    rng.integers(1, 4, H), 0)
    n_sib = (rng.random(H) < 0.04).astype(np.int64)
    n_oth = (rng.random(H) < 0.03).astype(np.int64)
    counts = np.stack([np.ones(H, np.int64), has_sp.astype(np.int64), n_ch, n_par, n_gc,
                       n_sib, n_oth], axis=1)
    size = counts.sum(1)
    hh = np.repeat(np.arange(H), size)
    role = np.repeat(np.tile(np.arange(7), H), counts.ravel())
    n = len(hh)
    # rank of a person within his role inside the household (for parents: father first)
    first = np.r_[0, np.cumsum(size)[:-1]]
    pos = np.arange(n) - first[hh]
    role_start = np.hstack([np.zeros((H, 1), np.int64), np.cumsum(counts, axis=1)[:, :-1]])
    within_role = pos - role_start[hh, role]

    ha = head_age[hh]
    head_female = rng.random(H) < np.where(has_sp, 0.15, 0.55)
    u = rng.random(n)
    age = np.empty(n, np.int64)
    age[role == ROLE_HEAD] = head_age
    m = role == ROLE_SPOUSE
    shift = np.where(head_female[hh[m]], 3, -3)
    age[m] = np.clip(ha[m] + shift + np.round(rng.normal(0, 3, m.sum())).astype(np.int64), 18, 95)
    m = role == ROLE_CHILD
    a = ha[m] - rng.integers(20, 38, m.sum())
    a = np.where(a < 0, rng.integers(0, 5, m.sum()), a)
    age[m] = np.minimum(a, ha[m] - 16)
    m = role == ROLE_PARENT
    age[m] = np.minimum(ha[m] + rng.integers(20, 36, m.sum()), 99)
    m = role == ROLE_GRAND
    age[m] = np.maximum(ha[m] - rng.integers(42, 63, m.sum()), 0)
    m = role == ROLE_SIBLING
    age[m] = np.maximum(ha[m] + rng.integers(-10, 11, m.sum()), 14)
    m = role == ROLE_OTHER
    age[m] = rng.integers(15, 71, m.sum())
    age = np.maximum(age, 0)

    female = u < 0.49
    female[role == ROLE_HEAD] = head_female
    m = role == ROLE_SPOUSE
    female[m] = ~head_female[hh[m]]
    m = role == ROLE_PARENT
    two = n_par[hh[m]] == 2
    female[m] = np.where(two, within_role[m] == 1, rng.random(m.sum()) < 0.65)
    return dict(hh=hh, role=role, age=age, female=female, has_sp=has_sp, head_female=head_female,
                size=size, head_age=head_age)


def _relation_labels(role: np.ndarray, female: np.ndarray, age: np.ndarray,
                     head_age: np.ndarray) -> np.ndarray:
    rel = np.empty(len(role), dtype=object)
    rel[role == ROLE_HEAD] = "Chủ hộ"
    rel[(role == ROLE_SPOUSE) & female] = "Vợ"
    rel[(role == ROLE_SPOUSE) & ~female] = "Chồng"
    rel[role == ROLE_CHILD] = "Con"
    rel[(role == ROLE_PARENT) & ~female] = "Cha"
    rel[(role == ROLE_PARENT) & female] = "Mẹ"
    rel[role == ROLE_GRAND] = "Cháu"
    sib = role == ROLE_SIBLING
    older = age > head_age
    rel[sib & older & ~female] = "Anh"
    rel[sib & older & female] = "Chị"
    rel[sib & ~older] = "Em"
    rel[role == ROLE_OTHER] = "Khác"
    return rel


def _surnames(rng, hh, role, female, has_sp, head_female, khmer_hh) -> np.ndarray:
    """Patrilineal surnames: children take the father's name."""
    khmer_p = khmer_hh[hh]
    s_head = N.draw_surnames(rng, khmer_hh)
    s_spouse = N.draw_surnames(rng, khmer_hh)
    s_other_father = N.draw_surnames(rng, khmer_hh)
    father = np.where(head_female & has_sp, s_spouse, np.where(head_female, s_other_father, s_head))
    rand = N.draw_surnames(rng, khmer_p)
    u = rng.random(len(hh))
    out = rand.copy()
    out[role == ROLE_HEAD] = s_head[hh[role == ROLE_HEAD]]
    m = role == ROLE_SPOUSE
    out[m] = s_spouse[hh[m]]
    m = role == ROLE_CHILD
    out[m] = np.where(u[m] < 0.95, father[hh[m]], rand[m])
    m = (role == ROLE_PARENT) & ~female
    out[m] = s_head[hh[m]]
    m = role == ROLE_GRAND
    out[m] = np.where(u[m] < 0.6, father[hh[m]], rand[m])
    m = role == ROLE_SIBLING
    out[m] = s_head[hh[m]]
    return out


def _birth_dates(rng, age: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    as_of = np.datetime64(AS_OF.isoformat())
    days = np.round(age * 365.2425).astype(np.int64) + rng.integers(0, 365, len(age))
    dob = as_of - days.astype("timedelta64[D]")
    by = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    p_yo = np.select([by < 1945, by < 1960, by < 1975], [0.5, 0.25, 0.06], 0.008)
    yearonly = rng.random(len(age)) < p_yo
    return dob, yearonly


def make_ids(rng, by: np.ndarray, female: np.ndarray, prov: np.ndarray,
             taken: np.ndarray | None = None) -> np.ndarray:
    """12-digit IDs as int64: province(3) sex/century(1) yy(2) random(6), unique (also vs `taken`)."""
    century = (by // 100 - 19) * 2
    g = century + female.astype(np.int64)
    base = prov.astype(np.int64) * 10**9 + g * 10**8 + (by % 100) * 10**6
    ids = base + rng.integers(0, 10**6, len(by))
    taken = np.empty(0, np.int64) if taken is None else taken
    while True:
        allv = np.concatenate([taken, ids])
        _, first, cnt = np.unique(allv, return_index=True, return_counts=True)
        seen_once = np.zeros(len(allv), bool)
        seen_once[first] = True
        dup = ~seen_once[len(taken):]
        # also ids equal to a taken id
        dup |= np.isin(ids, taken)
        if not dup.any():
            return ids
        ids[dup] = base[dup] + rng.integers(0, 10**6, dup.sum())


def draw_provinces(rng, n: int, p_home: float, provinces: dict[str, str]) -> np.ndarray:
    codes = np.array(sorted(provinces), dtype=object)
    w = np.array([NEAR_PROVINCES.get(c, 0.3) for c in codes], float)
    w[codes == "091"] = 0
    other = codes[rng.choice(len(codes), n, p=w / w.sum())]
    home = rng.random(n) < p_home
    return np.where(home, "091", other).astype(np.int64)


def make_phones(rng, n: int, taken: np.ndarray | None = None) -> np.ndarray:
    """Mobile numbers as int64 without the leading 0 (format with '0%09d'), unique."""
    pref = np.array(list(PHONE_PREFIXES), dtype=object)
    w = np.array(list(PHONE_PREFIXES.values()), float)
    p = pref[rng.choice(len(pref), n, p=w / w.sum())].astype(np.int64)
    ph = p * 10**7 + rng.integers(0, 10**7, n)
    taken = np.empty(0, np.int64) if taken is None else taken
    while True:
        _, first = np.unique(ph, return_index=True)
        dup = np.ones(n, bool)
        dup[first] = False
        dup |= np.isin(ph, taken)
        if not dup.any():
            return ph
        ph[dup] = p[dup] * 10**7 + rng.integers(0, 10**7, dup.sum())


def _statuses(rng, people: pd.DataFrame, ward_effect: np.ndarray) -> None:
    """TRANG_THAI, MUC_TAI_KHOAN, NGAY_KICH_HOAT (new and one week older)."""
    n = len(people)
    age = people["age"].to_numpy()
    elig = people["eligible"].to_numpy()
    w = np.select([age < 18, age < 60, age < 75], [0.6, 1.0, 0.6], 0.25)
    w = w * ward_effect[people["ward"].to_numpy()]
    status = np.zeros(n, np.int8)
    for pool in (elig & people["city"].to_numpy(), elig & ~people["city"].to_numpy()):
        idx = np.flatnonzero(pool)
        k = int(round(ACTIVATION_RATE * len(idx)))
        keys = np.log(rng.random(len(idx))) / w[idx]     # Efraimidis-Spirakis weighted sample
        order = np.argsort(-keys, kind="stable")
        status[idx[order[:k]]] = 3
        rest = idx[order[k:]]
        u = rng.random(len(rest))
        status[rest] = np.select([u < 0.40, u < 0.65], [0, 1], 2)
    kids = np.flatnonzero(~elig)
    status[kids] = np.where(rng.random(len(kids)) < 0.03, 1, 0)
    act = status == 3
    level = np.where(act, np.where(rng.random(n) < 0.88, 2, 1), 0).astype(np.int8)
    # activation dates: most before the campaign, a quarter during it
    start, camp, end = (np.datetime64(d) for d in ("2022-07-01", "2023-10-16", "2023-10-25"))
    span_a = int((camp - start).astype(int))
    span_b = int((end - camp).astype(int)) + 1
    late = rng.random(n) < 0.25
    off = np.where(late, span_a + rng.integers(0, span_b, n), rng.integers(0, span_a, n))
    act_date = np.where(act, start + off.astype("timedelta64[D]"), np.datetime64("NaT"))
    # the export of a week before: later activations were approved/awaiting, some lower
    old = status.copy()
    old_export = np.datetime64(OLD_EXPORT.isoformat())
    after = act & (act_date > old_export)
    old[after] = np.where(rng.random(after.sum()) < 0.7, 2, 1)
    u = rng.random(n)
    old[(status == 2) & (u < 0.2)] = 1
    old[(status == 1) & (u < 0.2)] = 0
    people["status"] = status
    people["level"] = level
    people["act_date"] = act_date
    people["status_old"] = old
    people["level_old"] = np.where(old == 3, level, 0).astype(np.int8)


# --------------------------------------------------------------------------------------------
def build_population(scale: Scale, rng: np.random.Generator) -> Population:
    provinces = load_provinces()
    wards = list(scale.wards) + list(scale.neighbours)
    W = len(wards)
    mean_size = 3.88
    n_hh_w = np.array([max(8, int(round(w.residents / mean_size))) for w in wards])
    # ghosts: recent arrivals in registry wards, not on any export (~1 % of listed rows)
    ghost_hh_w = np.array([max(2, int(round(w.residents * 0.0045 / 1.6))) if w.registry else 0
                           for w in wards])
    hh_ward = np.concatenate([np.repeat(np.arange(W), n_hh_w), np.repeat(np.arange(W), ghost_hh_w)])
    hh_ghost = np.r_[np.zeros(n_hh_w.sum(), bool), np.ones(ghost_hh_w.sum(), bool)]
    H = len(hh_ward)
    mem = _household_members(rng, H)
    hh = mem["hh"]
    khmer_rate = np.array([0.25 if w.kind == "Xã" else 0.10 for w in wards]) \
        * rng.uniform(0.6, 1.5, W)
    khmer_hh = rng.random(H) < khmer_rate[hh_ward]
    role, age, female = mem["role"], mem["age"], mem["female"]

    # ghosts: keep adults only, at most 4 per household
    ghost_p = hh_ghost[hh]
    keep = ~ghost_p | (age >= 18)
    keep &= ~ghost_p | (np.arange(len(hh)) - np.r_[0, np.cumsum(mem["size"])[:-1]][hh] < 4)
    rel = _relation_labels(role, female, age, mem["head_age"][hh])
    surname = _surnames(rng, hh, role, female, mem["has_sp"], mem["head_female"], khmer_hh)
    dob, yearonly = _birth_dates(rng, age)
    sel = np.flatnonzero(keep)
    hh, role, age, female, rel, surname, dob, yearonly = (
        a[sel] for a in (hh, role, age, female, rel, surname, dob, yearonly))
    n = len(hh)
    by = dob.astype("datetime64[Y]").astype(np.int64) + 1970
    ymd = pd.DatetimeIndex(dob)
    bm = np.where(yearonly, 0, ymd.month.to_numpy())
    bd = np.where(yearonly, 0, ymd.day.to_numpy())
    fullname = N.draw_full_names(rng, surname, female, by, khmer_hh[hh])
    ghost = hh_ghost[hh]
    prov = draw_provinces(rng, n, np.where(ghost, 0.45, 0.85), provinces)
    ids = make_ids(rng, by, female, prov)
    p_phone = np.select([age < 14, age < 18, age < 70], [0.03, 0.7, 0.9], 0.55)
    phone = np.where(rng.random(n) < p_phone, make_phones(rng, n), 0)
    ward = hh_ward[hh]
    city = np.array([w.registry for w in wards])[ward]
    elig = np.where(yearonly, by <= 2009, dob <= ELIGIBLE_BORN_BY)

    people = pd.DataFrame({
        "hh": hh, "ward": ward, "role": role, "rel": rel, "female": female, "age": age,
        "dob": dob, "by": by, "bm": bm, "bd": bd, "yearonly": yearonly, "name": fullname,
        "khmer": khmer_hh[hh], "id": ids, "phone": phone, "ghost": ghost, "city": city & ~ghost,
        "eligible": elig,
    })
    ward_effect = np.exp(rng.normal(0, 0.25, W))
    _statuses(rng, people, ward_effect)
    people.loc[ghost, ["status", "status_old", "level", "level_old"]] = 0

    households, groups = _groups_and_addresses(rng, wards, hh_ward, hh_ghost, people)
    return Population(wards=wards, people=people, households=households, groups=groups,
                      provinces=provinces)


def _groups_and_addresses(rng, wards, hh_ward, hh_ghost, people):
    """Registry groups of 25–70 households in quarters; addresses and MA_HO per household."""
    H = len(hh_ward)
    group = np.full(H, -1, np.int64)
    house_no = rng.integers(1, 400, H)
    street_of_group, g_ward, g_no, g_kp, g_so_ho = [], [], [], [], []
    streets = np.array(STREETS, dtype=object)
    for wi, w in enumerate(wards):
        if not w.registry:
            continue
        hhs = np.flatnonzero((hh_ward == wi) & ~hh_ghost)
        sizes = []
        left = len(hhs)
        while left > 0:
            s = int(rng.integers(25, 71))
            if left - s < 25:
                s = left if left <= 70 else left // 2
            sizes.append(s)
            left -= s
        quarter, in_q, q_len = 1, 0, int(rng.integers(10, 23))
        hamlets = rng.permutation(len(HAMLETS))
        start = 0
        for gi, s in enumerate(sizes):
            if in_q == q_len:
                quarter, in_q, q_len = quarter + 1, 0, int(rng.integers(10, 23))
            in_q += 1
            gidx = len(g_ward)
            group[hhs[start:start + s]] = gidx
            house_no[hhs[start:start + s]] = np.cumsum(rng.integers(1, 5, s)) + int(rng.integers(0, 50))
            start += s
            g_ward.append(wi)
            g_no.append(gi + 1)
            kp = (f"Khu phố {quarter}" if w.kind == "Phường"
                  else f"Ấp {HAMLETS[hamlets[(quarter - 1) % len(HAMLETS)]]}")
            g_kp.append(kp)
            g_so_ho.append(s)
            street_of_group.append(streets[int(rng.integers(0, len(streets)))])
        # ghosts settle in a random group of the ward
        gh = np.flatnonzero((hh_ward == wi) & hh_ghost)
        first_g = len(g_ward) - len(sizes)
        group[gh] = first_g + rng.integers(0, len(sizes), len(gh))
    groups = pd.DataFrame({"ward": g_ward, "to_so": g_no, "khu_pho": g_kp, "so_ho": g_so_ho,
                           "street": street_of_group})
    # addresses
    hamlet_idx = rng.integers(0, len(HAMLETS), H)
    addr = np.empty(H, dtype=object)
    short = np.empty(H, dtype=object)
    ma_ho = np.empty(H, dtype=object)
    seq = np.zeros(len(wards), np.int64)
    g_street = groups["street"].to_numpy()
    g_kp_arr = groups["khu_pho"].to_numpy()
    for h in range(H):
        w = wards[hh_ward[h]]
        g = group[h]
        seq[hh_ward[h]] += 1
        ma_ho[h] = f"{w.code}{seq[hh_ward[h]]:06d}"
        tail = f"{w.kind.lower()} {w.name}, {w.district}, {PROVINCE}"
        if g >= 0 and w.kind == "Phường":
            st = g_street[g]
            addr[h] = f"Số {house_no[h]}, đường {st}, {g_kp_arr[g]}, {tail}"
            short[h] = f"{house_no[h]} {st}"
        elif g >= 0:
            addr[h] = f"{g_kp_arr[g]}, {tail}"
            short[h] = g_kp_arr[g]
        else:
            ap = f"Ấp {HAMLETS[hamlet_idx[h]]}"
            addr[h] = f"{ap}, {tail}"
            short[h] = ap
    households = pd.DataFrame({"ward": hh_ward, "group": group, "ghost": hh_ghost,
                               "address": addr, "short_address": short, "ma_ho": ma_ho})
    return households, groups


# --------------------------------------------------------------------------------------------
def export_chunks(pop: Population, export_date: date, old: bool = False, size: int = 250_000):
    """The identity-system export (CONTRACT §1.1) for every non-ghost person, in chunks."""
    keep = np.flatnonzero(~pop.people["ghost"].to_numpy())
    for s in range(0, len(keep), size):
        yield export_frame(pop, export_date, old, keep[s:s + size])


def export_frame(pop: Population, export_date: date, old: bool = False,
                 rows: np.ndarray | None = None) -> pd.DataFrame:
    """Export records of `rows` (default: every non-ghost person)."""
    if rows is None:
        rows = np.flatnonzero(~pop.people["ghost"].to_numpy())
    p = pop.people.iloc[rows]
    hh = pop.households
    codes = np.array([w.code for w in pop.wards], dtype=object)
    dob = np.datetime_as_string(p["dob"].to_numpy(), unit="D").astype(object)
    yo = p["yearonly"].to_numpy()
    dob[yo] = [f"{y}-00-00" for y in p["by"].to_numpy()[yo]]
    status = p["status_old" if old else "status"].to_numpy()
    level = p["level_old" if old else "level"].to_numpy()
    act = p["act_date"].to_numpy()
    act_s = np.where(status == 3, np.datetime_as_string(act, unit="D"), "").astype(object)
    if old:
        act_s[act > np.datetime64(export_date.isoformat())] = ""
    phone = p["phone"].to_numpy()
    phone_s = np.where(phone > 0, np.char.zfill(phone.astype(str), 10), "").astype(object)
    hidx = p["hh"].to_numpy()
    df = pd.DataFrame({
        "SO_DINH_DANH": np.char.zfill(p["id"].to_numpy().astype(str), 12),
        "HO_TEN": p["name"].to_numpy(),
        "NGAY_SINH": dob,
        "GIOI_TINH": np.where(p["female"].to_numpy(), "Nữ", "Nam"),
        "MA_HO": hh["ma_ho"].to_numpy()[hidx],
        "QUAN_HE_CHU_HO": p["rel"].to_numpy(),
        "MA_DVHC": codes[p["ward"].to_numpy()],
        "DIA_CHI": hh["address"].to_numpy()[hidx],
        "SO_DIEN_THOAI": phone_s,
        "MUC_TAI_KHOAN": level,
        "TRANG_THAI": STATUS_CODES[status],
        "NGAY_KICH_HOAT": act_s,
        "NGAY_XUAT": export_date.isoformat(),
    })
    return df
