"""Where each unit and each cadre stands (dispatch 969 items 1–3): the households of staff and
cadres, each cadre's groups against their phase, and one row of figures per unit.

Every figure comes from the identity export (the system's truth) and from the rows the run
linked; nothing here is read from a list's own claims. Shapes are given per function.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from findings.campaign import Campaign
from findings.units import ages, listed_records, records_by_id

HOUSEHOLD_COLUMNS = ["kind", "unit_code", "person_id", "person_name", "identity_id", "name", "birth_date", "age",
                     "relation", "eligible", "status", "activated"]
CADRE_COLUMNS = ["ward_code", "cadre_id", "cadre_name", "cadre_status", "unit", "order", "phase", "due",
                 "group_no", "quarter", "households", "has_list", "eligible", "activated", "rate", "listed",
                 "not_listed", "finished_on", "state", "met_deadline"]
UNIT_COLUMNS = ["unit_kind", "unit_code", "unit_name", "target", "eligible", "activated", "rate",
                "members", "members_found", "members_activated", "household_eligible", "household_activated",
                "groups", "groups_with_list", "groups_unassigned", "groups_finished", "groups_late", "findings"]
STATES = ("no_list", "finished", "late", "open")   # of a cadre's group on the run's date


def lookup(ids: pd.Series, by_id: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """``by_id``'s ``columns`` for each of ``ids`` (same index as ``ids``; NaN where an id is
    not in the export), as ``ids.map(by_id[col])`` gives them, by one hash lookup for all the
    columns instead of one per column."""
    pos = by_id.index.get_indexer(ids)
    return pd.DataFrame({c: pd.api.extensions.take(by_id[c].array, pos, allow_fill=True) for c in columns},
                        index=ids.index)


def in_keys(values: pd.Series, keys) -> np.ndarray:
    """Which of ``values`` are among ``keys``: ``values.isin(keys)`` as a bool array. By a Python
    set where ``values`` has no NA (identity_id, household_code: '' for none): at province scale
    isin took 1.7 s for the export's 2.3 M identity_ids against the 167 k NOT_LISTED ones, the
    set 0.5 s (0.56 → 0.16 s against the 38 k staff IDs)."""
    wanted = keys if isinstance(keys, (set, frozenset)) else set(keys)
    if values.hasnans:   # NA matches NA in isin, never in a set
        return values.isin(list(wanted)).to_numpy(dtype=bool)
    return np.fromiter(map(wanted.__contains__, values.to_numpy(dtype=object)), dtype=bool, count=len(values))


def text_rank(values: pd.Series) -> np.ndarray:
    """Each value's rank among the column's distinct values in code-point order, missing last.
    By hand because pandas sorts the distinct values of a text column as Python objects: 4.5 s
    for a province's 470 k findings (reports.machine.sort_findings) against ~1 s with NumPy's
    StringDType sort. ``np.lexsort`` of such ranks, last key first, is ``sort_values(kind="stable")``."""
    codes, uniques = pd.factorize(values)
    if pd.api.types.infer_dtype(uniques, skipna=False) != "string":   # not all text: pandas' own ordering
        ranked = pd.Series(uniques).rank(method="dense").to_numpy(dtype=float) - 1
    else:
        ranked = np.empty(len(uniques), dtype=np.int64)
        ranked[np.argsort(np.asarray(uniques, dtype=np.dtypes.StringDType()), kind="stable")] = np.arange(len(uniques))
    return np.append(ranked, len(uniques))[codes]   # code -1 (missing) → after every value


def household_members(people: pd.DataFrame, recs: pd.DataFrame, as_of: dt.date,
                      min_age: int = 14, by_id: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every other member of each linked staff member's and cadre's household (MA_HO), once per
    (kind, unit, person). people: matchers.people.link_people (kind, identity_id, unit_code,
    ward_code); recs: normalize_identity. → HOUSEHOLD_COLUMNS: person_id is the staff member or
    cadre, identity_id the member; age in years on as_of (NaN if unknown); eligible = age ≥
    min_age (CONTRACT §2); status as the system has it; activated bool. ``by_id``:
    records_by_id(recs), if the caller has it."""
    p = people[people["identity_id"] != ""].copy()
    p["unit_code"] = np.where(p["kind"] == "cadre", p["ward_code"], p["unit_code"])
    p = p.drop_duplicates(["kind", "unit_code", "identity_id"])
    found = lookup(p["identity_id"], records_by_id(recs) if by_id is None else by_id, ["household_code", "name"])
    p["household_code"] = found["household_code"].fillna("")
    p["person_name"] = found["name"].fillna(p["name"])
    p = p[p["household_code"] != ""]
    members = recs.loc[in_keys(recs["household_code"], p["household_code"]),
                       ["household_code", "identity_id", "name", "birth_date", "relation", "status"]]
    out = p[["kind", "unit_code", "identity_id", "person_name", "household_code"]].rename(
        columns={"identity_id": "person_id"}).merge(members, on="household_code")
    out = out[out["identity_id"] != out["person_id"]]
    out["age"] = ages(out["birth_date"], as_of).astype("Int64")
    out["eligible"] = (out["age"] >= min_age).fillna(False).astype(bool)
    out["activated"] = out["status"] == "activated"
    at = np.lexsort([text_rank(out[c]) for c in ("kind", "unit_code", "person_id", "identity_id")][::-1])
    return out[HOUSEHOLD_COLUMNS].take(at).reset_index(drop=True)


def group_residents(matches: pd.DataFrame, recs: pd.DataFrame, by_id: pd.DataFrame | None = None) -> pd.DataFrame:
    """The export's records of the households each group's current list names. A household
    belongs to the group whose rows matched most of its members (ties: the lowest ward code, then
    group number, as text); all of
    its members, listed or not, are that group's residents (the export knows wards, not groups).
    → identity_id, ward_code, group_no (the group's ward, as listed), one row per record.
    ``by_id``: records_by_id(recs), if the caller has it."""
    at, ward, group = _residents(matches, recs, records_by_id(recs) if by_id is None else by_id)
    return pd.DataFrame({"identity_id": recs["identity_id"].array.take(at), "ward_code": ward, "group_no": group})


def _residents(matches: pd.DataFrame, recs: pd.DataFrame, by_id: pd.DataFrame,
               at: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """group_residents as arrays: the residents' positions in recs (in recs' order), their
    group's ward_code and group_no. ``at``: the rows' records (findings.units.linked_positions),
    which where the export's IDs are unique give each row's household without looking its ID up."""
    matched = ((matches["match_status"] == "matched") & (matches["identity_id"] != "")).to_numpy(dtype=bool)
    m = matches[matched]
    if at is not None and len(by_id) == len(recs):
        return _residents_by_position(m, recs, at[matched])
    home = lookup(m["identity_id"], by_id, ["household_code"])["household_code"]
    m = m.assign(household_code=home.fillna(""))
    m = m[m["household_code"] != ""]
    votes = m.groupby(["household_code", "ward_code", "group_no"], sort=False).size().rename("n").reset_index()
    votes = votes.sort_values(["n", "ward_code", "group_no"], ascending=[False, True, True],
                              kind="stable").drop_duplicates("household_code")
    # each record's household among the voted ones: a merge of recs on household_code, in recs'
    # order, without building the merged frame (~1 s of a province's 2.3 M records)
    group_of = pd.Index(votes["household_code"]).get_indexer(recs["household_code"])
    at = np.flatnonzero(group_of >= 0)
    group_of = group_of[at]
    return at, votes["ward_code"].array.take(group_of), votes["group_no"].array.take(group_of)


def _residents_by_position(m: pd.DataFrame, recs: pd.DataFrame, rec_at: np.ndarray) -> tuple[np.ndarray, ...]:
    """_residents' vote in integers, for matched rows ``m`` whose records are ``rec_at``
    (positions in recs): households, wards and groups as codes, the votes counted by one
    ``np.unique`` and each household's winner found by one lexsort, instead of a group-by on
    three text keys, a sort and a hash lookup of 2.3 M household codes. The same winner: most
    rows, then the lowest ward_code, then group_no, as text (tested against the vote by ID)."""
    home, homes = pd.factorize(recs["household_code"])   # -1: no code
    blank = np.flatnonzero(np.asarray(homes, dtype=object) == "")   # '' is no code either (at most one)
    if len(blank):
        home[home == blank[0]] = -1
    ward, group = text_rank(m["ward_code"]), text_rank(m["group_no"])
    n_ward, n_group = int(ward.max(initial=-1)) + 1, int(group.max(initial=-1)) + 1
    row_home = np.full(len(rec_at), -1, dtype=np.int64)
    row_home[rec_at >= 0] = home[rec_at[rec_at >= 0]]
    ok = (row_home >= 0) & ~m["ward_code"].isna().to_numpy() & ~m["group_no"].isna().to_numpy()
    key = (row_home[ok] * n_ward + ward[ok].astype(np.int64)) * n_group + group[ok].astype(np.int64)
    keys, first_row, votes = np.unique(key, return_index=True, return_counts=True)
    h, wg = np.divmod(keys, n_ward * n_group)
    w, g = np.divmod(wg, n_group)
    order = np.lexsort((g, w, -votes, h))
    winners = order[np.r_[True, h[order][1:] != h[order][:-1]]] if len(order) else order
    won_by = np.full(len(homes), -1, dtype=np.int64)    # each household's winning row, in m
    won_by[h[winners]] = np.flatnonzero(ok)[first_row[winners]]
    group_of = np.where(home >= 0, won_by[np.maximum(home, 0)], -1)
    at = np.flatnonzero(group_of >= 0)
    rows = group_of[at]
    return at, m["ward_code"].array.take(rows), m["group_no"].array.take(rows)


def group_figures(matches: pd.DataFrame, recs: pd.DataFrame, as_of: dt.date, campaign: Campaign,
                  by_id: pd.DataFrame | None = None, age: pd.Series | None = None,
                  listed: np.ndarray | None = None, linked_at: np.ndarray | None = None) -> pd.DataFrame:
    """Per (ward_code, group_no) with a current list: eligible residents, activated, listed (on
    any current row, matched or in review), not_listed, rate = activated / eligible, and
    finished_on: the day the share ``campaign.done_rate`` of its eligible residents was reached
    (from the export's activation dates; NaT if not yet). ``by_id``: records_by_id(recs), if the
    caller has it; ``age``: the records' ages on as_of (findings.units.ages), if it has them;
    ``listed``: which records are on a current row (findings.units.listed_records), ``linked_at``:
    each row's record (findings.units.linked_positions), if it has them."""
    by_id = records_by_id(recs) if by_id is None else by_id
    at, ward, group = _residents(matches, recs, by_id, linked_at)
    res = pd.DataFrame({"ward_code": ward, "group_no": group})
    if len(by_id) == len(recs):   # unique IDs: a resident's record is by_id's row at its position
        rec = pd.DataFrame({c: by_id[c].array.take(at) for c in ("birth_date", "status", "activated_on")})
        res["age"] = (ages(recs["birth_date"], as_of) if age is None else age).to_numpy()[at]
    else:   # each resident judged on the first record of its ID, as looked up by ID
        rec = lookup(pd.Series(recs["identity_id"].array.take(at)), by_id, ["birth_date", "status", "activated_on"])
        res["age"] = ages(rec["birth_date"], as_of)
    res["listed"] = (listed_records(matches, recs, by_id, linked_at) if listed is None else listed)[at]
    keep = (res["age"] >= campaign.eligible_age).to_numpy()
    res, rec = res[keep], rec[keep]
    res = res.assign(activated=rec["status"].eq("activated").to_numpy(),
                     activated_on=pd.to_datetime(rec["activated_on"], errors="coerce").to_numpy())
    g = res.groupby(["ward_code", "group_no"], sort=False)
    out = pd.DataFrame({"eligible": g.size(), "activated": g["activated"].sum(), "listed": g["listed"].sum()})
    out["not_listed"] = out["eligible"] - out["listed"]
    out["rate"] = np.round(out["activated"] / out["eligible"].clip(lower=1), 4)

    # finished_on: the need-th activation day of the group, need = ceil(done_rate × eligible);
    # by one sort and a rank within each group (a per-group apply took ~6 s for a province's groups)
    need = np.ceil(campaign.done_rate * out["eligible"] - 1e-9).astype(np.int64)
    days = res.loc[res["activated"], ["ward_code", "group_no", "activated_on"]].sort_values("activated_on",
                                                                                          kind="stable")
    nth = days.assign(k=days.groupby(["ward_code", "group_no"], sort=False).cumcount() + 1)
    nth = nth.set_index(["ward_code", "group_no", "k"])["activated_on"]
    key = pd.MultiIndex.from_arrays([out.index.get_level_values(0), out.index.get_level_values(1), need])
    out["finished_on"] = nth.reindex(key).to_numpy() if len(res) else pd.Series(dtype="datetime64[ns]")
    out.loc[need.to_numpy() < 1, "finished_on"] = pd.NaT
    return out.reset_index()


def cadre_progress(cadres: pd.DataFrame, groups: pd.DataFrame, registry_groups: pd.DataFrame,
                   recs: pd.DataFrame, as_of: dt.date, campaign: Campaign,
                   by_id: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each cadre's groups in order against their phase (dispatch 969 item 2: first group by
    phase 1's due date, second by phase 2's). cadres: findings.units.cadre_groups; groups:
    group_figures. → CADRE_COLUMNS, one row per (cadre, group): order 1-based, due the phase's
    date, state one of STATES as of the run's date, met_deadline True / False / None (not yet
    due and not finished). ``by_id``: records_by_id(recs), if the caller has it."""
    by_id = records_by_id(recs) if by_id is None else by_id
    status, name = by_id["status"], by_id["name"]
    c = cadres.copy()
    c["phase"] = [campaign.phase_of(int(o)).name for o in c["order"]]
    c["due"] = [campaign.phase_of(int(o)).due for o in c["order"]]
    c["cadre_id"] = c["identity_id"]
    c["cadre_name"] = c["identity_id"].map(name).fillna(c["name"]).where(c["identity_id"] != "", c["name"])
    c["cadre_status"] = c["identity_id"].map(status).fillna("")
    reg = registry_groups[["ward_code", "group_no", "quarter", "households"]].drop_duplicates(["ward_code", "group_no"])
    c = c.merge(reg, on=["ward_code", "group_no"], how="left").merge(groups, on=["ward_code", "group_no"], how="left")
    c["has_list"] = c["eligible"].notna()
    for col in ("eligible", "activated", "listed", "not_listed"):
        c[col] = c[col].fillna(0).astype(int)
    c["rate"] = c["rate"].fillna(0.0)
    c[["quarter", "households"]] = c[["quarter", "households"]].fillna("")
    due = pd.to_datetime(c["due"])
    finished_on = pd.to_datetime(c["finished_on"]) if "finished_on" in c else pd.Series(pd.NaT, index=c.index)
    finished = finished_on.notna() & c["has_list"]
    past_due = pd.Timestamp(as_of) > due
    c["state"] = np.select([~c["has_list"], finished, past_due], ["no_list", "finished", "late"], "open")
    met = np.where(finished, finished_on <= due, np.where(past_due, False, None))
    c["met_deadline"] = pd.array(met, dtype="boolean")
    c["finished_on"] = finished_on.dt.strftime("%Y-%m-%d").where(finished, "")
    c["due"] = due.dt.strftime("%Y-%m-%d")
    c["order"] = c["order"] + 1
    return c.sort_values(["ward_code", "cadre_name", "cadre_id", "order"], kind="stable")[CADRE_COLUMNS] \
        .reset_index(drop=True)


def unit_results(wards: pd.DataFrame, agencies: pd.DataFrame, people: pd.DataFrame, households: pd.DataFrame,
                 progress: pd.DataFrame, registry_groups: pd.DataFrame, findings: pd.DataFrame,
                 status: pd.Series) -> pd.DataFrame:
    """One row per unit, wards then agencies (UNIT_COLUMNS). members: a ward's cadres, an
    agency's staff, counted once per person (by linked ID; a row found by no one counts as one
    person); members_found / members_activated from the export; household_eligible /
    household_activated: the eligible other members of their households (household_members).
    For a ward, target/eligible/activated/rate are findings.units.ward_results' and the group
    figures come from the registry, the cadre lists and ``progress`` (cadre_progress); an
    agency's rate is members_activated / members. ``status``: the export's status by identity_id."""
    def members(kind: str, unit_col: str) -> pd.DataFrame:
        p = people[people["kind"] == kind].copy()
        p["unit"] = p[unit_col]
        p["who"] = p["identity_id"].where(p["identity_id"] != "", p["source"] + "#" + p["sheet"] + "#" + p["row"].astype(str))
        p = p.drop_duplicates(["unit", "who"])
        p["found"] = p["identity_id"] != ""
        p["activated"] = p["identity_id"].map(status).eq("activated")
        g = p.groupby("unit")
        return pd.DataFrame({"members": g.size(), "members_found": g["found"].sum(),
                             "members_activated": g["activated"].sum()})

    def household(kind: str) -> pd.DataFrame:
        h = households[(households["kind"] == kind) & households["eligible"]].drop_duplicates(["unit_code", "identity_id"])
        g = h.groupby("unit_code")
        return pd.DataFrame({"household_eligible": g.size(), "household_activated": g["activated"].sum()})

    unit_findings = findings[findings["source"].fillna("") == ""]
    by_ward_code = findings.groupby("ward_code").size()
    w = wards.set_index("ward_code")
    w = w.join(members("cadre", "ward_code")).join(household("cadre"))
    groups = registry_groups.groupby("ward_code").size()
    unassigned = unit_findings[unit_findings["code"] == "GROUP_UNASSIGNED"].groupby("ward_code").size()
    per_group = progress.drop_duplicates(["ward_code", "group_no"])
    w["groups"] = groups
    w["groups_with_list"] = per_group[per_group["has_list"]].groupby("ward_code").size()
    w["groups_unassigned"] = unassigned
    w["groups_finished"] = per_group[per_group["state"] == "finished"].groupby("ward_code").size()
    w["groups_late"] = per_group[per_group["met_deadline"].eq(False).fillna(False).astype(bool)].groupby("ward_code").size()
    w["findings"] = by_ward_code
    w = w.reset_index().rename(columns={"ward_name": "unit_name"}).assign(unit_kind="ward", unit_code=lambda d: d["ward_code"])

    a = agencies.set_index("unit_code")   # every agency, those that sent no roster with 0 members
    a = a.join(members("staff", "unit_code")).join(household("staff")).fillna(
        {"members": 0, "members_found": 0, "members_activated": 0})
    a["findings"] = a["members_found"] - a["members_activated"]   # its STAFF_NOT_ACTIVATED
    a = a.reset_index().assign(unit_kind="agency")
    a["target"] = a["members"]
    a["eligible"] = a["members"]
    a["activated"] = a["members_activated"]
    a["rate"] = np.round(a["members_activated"].fillna(0) / a["members"].clip(lower=1), 4)
    out = pd.concat([w, a], ignore_index=True)
    for col in UNIT_COLUMNS[3:]:
        if col != "rate":
            out[col] = out[col].fillna(0).astype(int) if col in out else 0
    out["rate"] = out["rate"].astype(float)
    return out[UNIT_COLUMNS]
