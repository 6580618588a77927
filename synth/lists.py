"""Who is on which ward list, in what order (before any content error).

Every ward lists its residents aged >= 14 group by group, households one after another, head
first. Some people and whole households are left off (NOT_LISTED), a few groups send nothing,
and extra rows are added: the same person twice (DUPLICATE), people of another ward
(OUT_OF_AREA) and recent arrivals who are on no export (NOT_FOUND).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import Population

KIND_REGULAR, KIND_DUPLICATE, KIND_OUT_OF_AREA, KIND_GHOST = range(4)

RATES = dict(
    group_silent=0.015,     # registry groups with no submission
    household_absent=0.035,  # whole household on no list
    person_absent=0.06,     # individual eligible residents on no list
    duplicate=0.003,        # share of rows listed a second time
    out_of_area=0.005,      # rows of people living in another ward
)


def build_list_rows(pop: Population, rng: np.random.Generator, min_count: int) -> pd.DataFrame:
    """One row per person-row to be written (current submissions), sorted in list order."""
    P, HH, G = pop.people, pop.households, pop.groups
    n_g = len(G)
    g_ward = G["ward"].to_numpy()
    silent = rng.random(n_g) < RATES["group_silent"]
    for w in np.unique(g_ward):                      # every ward submits something
        gs = np.flatnonzero(g_ward == w)
        if silent[gs].all():
            silent[gs[0]] = False
    hh_group = HH["group"].to_numpy()
    hh_absent = rng.random(len(HH)) < RATES["household_absent"]

    hh = P["hh"].to_numpy()
    grp = hh_group[hh]
    elig = P["eligible"].to_numpy()
    city = P["city"].to_numpy()
    ghost = P["ghost"].to_numpy()
    in_group = grp >= 0
    submitting = np.zeros(len(P), bool)
    submitting[in_group] = ~silent[grp[in_group]]
    base = city & elig & submitting
    absent = hh_absent[hh] | (rng.random(len(P)) < RATES["person_absent"])
    listed = base & ~absent

    # --- out-of-area people (chosen first: most of them are then left off their home list)
    n_rows_est = int(listed.sum())
    n_ooa = max(int(rng.binomial(n_rows_est, RATES["out_of_area"])), min_count + 2)
    cand_city = np.flatnonzero(city & elig)
    cand_nb = np.flatnonzero(~city & ~ghost & elig)
    n_nb = min(len(cand_nb), int(round(n_ooa * 0.4)))
    ooa_p = np.r_[rng.choice(cand_city, n_ooa - n_nb, replace=False),
                  rng.choice(cand_nb, n_nb, replace=False)].astype(np.int64)
    leave_home = rng.random(len(ooa_p)) < 0.7
    listed[ooa_p[leave_home]] = False

    role = P["role"].to_numpy()
    age = P["age"].to_numpy()
    reg = np.flatnonzero(listed)
    rows = pd.DataFrame({"pid": reg, "gidx": grp[reg], "block": hh[reg].astype(float),
                         "within": role[reg] * 1000 - age[reg], "kind": KIND_REGULAR,
                         "rel_w": P["rel"].to_numpy()[reg]})
    sub_groups = np.flatnonzero(~silent)

    # --- recent arrivals (ghosts): whole new households, some single people inside a household
    gp = np.flatnonzero(ghost & submitting)
    gh_hh = np.unique(hh[gp])
    gh_size = np.bincount(hh[gp], minlength=len(HH))[gh_hh]
    single = (gh_size == 1) & (rng.random(len(gh_hh)) < 0.5)
    blocks = {}
    # a random existing listed household of the same group to insert after
    listed_hh_by_group = pd.Series(rows["block"].to_numpy()).groupby(rows["gidx"].to_numpy()).unique()
    for k, (h, s) in enumerate(zip(gh_hh, single)):
        g = hh_group[h]
        opts = listed_hh_by_group.get(g)
        if opts is None or len(opts) == 0:
            blocks[h] = float(h)
            continue
        after = float(opts[int(rng.integers(0, len(opts)))])
        # singles join the household before them; households keep their members together
        blocks[h] = after + (0.5 if s else 0.6) + k * 1e-9
    g_block = np.array([blocks[h] for h in hh[gp]])
    g_rel = P["rel"].to_numpy()[gp].copy()
    single_hh = set(gh_hh[single].tolist())
    is_single = np.array([h in single_hh for h in hh[gp]], bool)
    g_rel[is_single] = np.array(["Con", "Vợ", "Khác", "Cháu", "Con"], dtype=object)[
        rng.integers(0, 5, is_single.sum())]
    fem = P["female"].to_numpy()[gp]
    g_rel[is_single & (g_rel == "Vợ") & ~fem] = "Chồng"
    ghost_rows = pd.DataFrame({"pid": gp, "gidx": grp[gp], "block": g_block,
                               "within": role[gp] * 1000 - age[gp], "kind": KIND_GHOST,
                               "rel_w": g_rel})

    # --- out-of-area rows: into a random submitting group of another ward
    ward_p = P["ward"].to_numpy()
    ooa_g = np.empty(len(ooa_p), np.int64)
    for i, p in enumerate(ooa_p):
        choices = sub_groups[g_ward[sub_groups] != ward_p[p]]
        ooa_g[i] = choices[int(rng.integers(0, len(choices)))]
    ooa_block = np.array([_random_block(listed_hh_by_group, g, rng) for g in ooa_g])
    ooa_rows = pd.DataFrame({"pid": ooa_p, "gidx": ooa_g, "block": ooa_block + 0.7,
                             "within": 0, "kind": KIND_OUT_OF_AREA,
                             "rel_w": P["rel"].to_numpy()[ooa_p]})

    # --- duplicates: a second row for the same person (same group, or another of the ward)
    n_dup = max(int(rng.binomial(len(rows), RATES["duplicate"])), min_count + 2)
    src = rng.choice(len(rows), n_dup, replace=False)
    d = rows.iloc[src].copy()
    d["kind"] = KIND_DUPLICATE
    same = rng.random(n_dup) < 0.5
    new_g = d["gidx"].to_numpy().copy()
    new_b = d["block"].to_numpy().copy() + 0.8
    for i in np.flatnonzero(~same):
        g0 = new_g[i]
        choices = sub_groups[(g_ward[sub_groups] == g_ward[g0]) & (sub_groups != g0)]
        if len(choices):
            new_g[i] = choices[int(rng.integers(0, len(choices)))]
            new_b[i] = _random_block(listed_hh_by_group, new_g[i], rng) + 0.8
    # half of the same-group copies come at the end of the list (an afterthought)
    end = same & (rng.random(n_dup) < 0.5)
    new_b[end] = 1e12
    d["gidx"], d["block"] = new_g, new_b
    d["src_row"] = src

    out = pd.concat([rows, ghost_rows, ooa_rows, d], ignore_index=True)
    out["ward"] = g_ward[out["gidx"].to_numpy()]
    out = out.sort_values(["gidx", "block", "within", "kind"], kind="stable").reset_index(drop=True)
    # written address: the household's, or a neighbour's in the listing group
    hh_short = HH["short_address"].to_numpy()
    addr = hh_short[hh[out["pid"].to_numpy()]].copy()
    ooa = np.flatnonzero(out["kind"].to_numpy() == KIND_OUT_OF_AREA)
    by_group = np.argsort(hh_group, kind="stable")          # households grouped by group
    lo = np.searchsorted(hh_group[by_group], np.arange(n_g), "left")
    hi = np.searchsorted(hh_group[by_group], np.arange(n_g), "right")
    og = out["gidx"].to_numpy()[ooa]
    pick = lo[og] + (rng.random(len(ooa)) * (hi[og] - lo[og])).astype(np.int64)
    addr[ooa] = hh_short[by_group[pick]]
    out["addr_w"] = addr
    return out


def _random_block(listed_hh_by_group: pd.Series, g: int, rng) -> float:
    opts = listed_hh_by_group.get(g)
    if opts is None or len(opts) == 0:
        return 1e11
    return float(opts[int(rng.integers(0, len(opts)))])
