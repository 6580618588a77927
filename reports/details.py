"""The people behind the findings, as an inspection team needs them: each listed row with the
list's values beside the system's, each resident missing from the lists with his household, and
the visit list (whom to see, where, and what to do).

All frames are plain columns of text (dates ISO, '' for none) so the workbook and notice writers
only format them. Shapes are given per function.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from findings.progress import group_residents, in_keys
from reports.labels import ACTIONS, natural

DETAIL_COLUMNS = [
    "source", "sheet", "row", "ward_code", "group_no", "quarter", "household", "list_head",
    "list_name", "list_birth_date", "list_gender", "list_id", "list_phone", "list_address", "list_status", "case_label",
    "match_status", "identity_id", "sys_name", "sys_birth_date", "sys_gender", "sys_phone", "sys_ward", "sys_address",
    "sys_status", "sys_head",
]
NOT_LISTED_COLUMNS = ["ward_code", "group_no", "quarter", "identity_id", "name", "birth_date", "gender", "phone",
                      "address", "household_code", "head", "relation", "status"]
VISIT_COLUMNS = ["ward_code", "quarter", "group_no", "household", "head", "name", "birth_date", "address", "phone",
                 "status", "action", "note", "source", "row", "identity_id"]


def _is_head(relation: pd.Series) -> pd.Series:
    """The export's relation to the head says 'Chủ hộ' (any case)."""
    return relation.fillna("").str.casefold().str.startswith("chủ hộ")


def household_heads(recs: pd.DataFrame) -> pd.Series:
    """household_code → the head's name in the export (the first member where no one is 'Chủ
    hộ'). ~1.3 s at province scale: a report computes it once and hands it to ``row_details``
    and ``not_listed_details`` as ``heads``."""
    r = recs[["household_code", "name", "relation"]]
    head = r[_is_head(r["relation"])].drop_duplicates("household_code")
    first = r.drop_duplicates("household_code")
    return pd.concat([head, first]).drop_duplicates("household_code").set_index("household_code")["name"]


def _quarter_of(ward_code: pd.Series, group_no: pd.Series, registry_groups: pd.DataFrame) -> np.ndarray:
    """Each (ward_code, group_no)'s quarter in the registry ('' if none): one join, not a loop per
    row (a province has 1.5 M rows)."""
    reg = registry_groups.drop_duplicates(["ward_code", "group_no"], keep="last")
    quarter = pd.Series(reg["quarter"].to_numpy(dtype=object),
                        index=pd.MultiIndex.from_arrays([reg["ward_code"], reg["group_no"]]))
    found = quarter.reindex(pd.MultiIndex.from_arrays([ward_code, group_no])).to_numpy(dtype=object)
    return np.where(pd.isna(found), "", found).astype(object)


def row_details(rows: pd.DataFrame, links: pd.DataFrame, matches: pd.DataFrame, recs: pd.DataFrame,
                addresses: pd.Series, registry_groups: pd.DataFrame, heads: pd.Series | None = None) -> pd.DataFrame:
    """One row per matches.csv row (same order): DETAIL_COLUMNS. rows: normalised person-rows;
    links: the linkage (``rec`` positions); recs: normalised export; addresses: the export's
    DIA_CHI, positional with recs; heads: ``household_heads(recs)``, if the caller has it. The
    system side is the matched (or, in review, the best candidate's) record; empty for rows
    without one."""
    out = matches[["source", "sheet", "row", "ward_code", "group_no", "match_status", "identity_id"]].copy()
    out["quarter"] = _quarter_of(out["ward_code"], out["group_no"], registry_groups)
    out["household"] = (rows["source"] + "|" + rows["sheet"] + "|" + rows["household_seq"].astype(str)).to_numpy()
    is_head = rows["relation_key"].str.startswith("chu ho").to_numpy()
    names = pd.Series(rows["name"].to_numpy(), index=out["household"].to_numpy())
    head = names[is_head][~names[is_head].index.duplicated()]
    first = names[~names.index.duplicated()]
    out["list_head"] = out["household"].map(head).fillna(out["household"].map(first)).to_numpy()
    for col, src in (("list_name", "name"), ("list_birth_date", "birth_date"), ("list_gender", "gender"),
                     ("list_id", "national_id"), ("list_phone", "phone"), ("list_address", "address"),
                     ("list_status", "reported_status"), ("case_label", "case_label")):
        out[col] = rows[src].fillna("").astype(str).to_numpy()
    out.loc[out["list_status"] == "unknown", "list_status"] = ""
    keep = out["match_status"].isin(["matched", "review"]).to_numpy()
    pos = np.where(keep, links["rec"].fillna(-1).to_numpy(), -1).astype(np.int64)
    has = pos >= 0
    heads = household_heads(recs) if heads is None else heads

    def take(values) -> np.ndarray:
        v = np.asarray(values, dtype=object)
        col = np.full(len(out), "", dtype=object)
        col[has] = v[pos[has]]
        return col

    out["sys_name"] = take(recs["name"])
    out["sys_birth_date"] = take(recs["birth_date"])
    out["sys_gender"] = take(recs["gender"])
    out["sys_phone"] = take(recs["phone"])
    out["sys_ward"] = take(recs["ward_code"])
    out["sys_address"] = take(addresses.fillna(""))
    out["sys_status"] = take(recs["status"])
    households = take(recs["household_code"])
    households[has] = pd.Series(households[has]).map(heads).fillna("").to_numpy(dtype=object)
    out["sys_head"] = households   # the taken rows' heads only (not the whole export's)
    return out[DETAIL_COLUMNS].fillna("")


def not_listed_details(findings: pd.DataFrame, matches: pd.DataFrame, recs: pd.DataFrame, addresses: pd.Series,
                       registry_groups: pd.DataFrame, heads: pd.Series | None = None) -> pd.DataFrame:
    """The residents of NOT_LISTED findings with what a team needs to find them: NOT_LISTED_COLUMNS.
    group_no: the group whose list names others of the household ('' when none does). heads:
    ``household_heads(recs)``, if the caller has it."""
    ids = findings.loc[findings["code"] == "NOT_LISTED", "identity_id"]
    wanted = in_keys(recs["identity_id"], ids)
    r = recs[wanted].assign(address=addresses.fillna("").to_numpy()[wanted]).drop_duplicates("identity_id")
    # only these residents' households are voted on: a household's vote depends on its own
    # members' rows alone (findings.progress.group_residents)
    homes = recs[in_keys(recs["household_code"], r["household_code"])]
    home = group_residents(matches[in_keys(matches["identity_id"], homes["identity_id"])], homes)
    home = home.drop_duplicates("identity_id").set_index("identity_id")
    out = pd.DataFrame({
        "ward_code": r["ward_code"], "identity_id": r["identity_id"], "name": r["name"],
        "birth_date": r["birth_date"], "gender": r["gender"], "phone": r["phone"], "address": r["address"],
        "household_code": r["household_code"], "relation": r["relation"], "status": r["status"],
    })
    out["group_no"] = out["identity_id"].map(home["group_no"]).fillna("")
    out["quarter"] = _quarter_of(out["ward_code"], out["group_no"], registry_groups)
    out["head"] = out["household_code"].map(household_heads(recs) if heads is None else heads).fillna("")
    return out[NOT_LISTED_COLUMNS].fillna("").reset_index(drop=True)


def visit_list(details: pd.DataFrame, not_listed: pd.DataFrame, findings: pd.DataFrame) -> pd.DataFrame:
    """Whom a team visits and why (VISIT_COLUMNS), sorted by quarter, group and household, the
    head first: listed people whose account is not activated (what to do follows the system's
    status), listed people whose phone blocks activation, rows the system does not know, and
    eligible residents on no list."""
    phone_rows = findings.loc[findings["code"] == "PHONE_MISMATCH", ["source", "sheet", "row"]]
    d = details
    phone = pd.MultiIndex.from_arrays([d["source"], d["sheet"], d["row"].astype(int)]).isin(
        pd.MultiIndex.from_arrays([phone_rows["source"], phone_rows["sheet"],
                                   pd.to_numeric(phone_rows["row"]).astype(int)]))
    # what to do, by column (a province lists 1.5 M rows): the account's next step and the phone
    # for a matched row, joined by "; "; verifying the person for a row the system does not know
    matched = d["match_status"].to_numpy() == "matched"
    unmatched = d["match_status"].to_numpy() == "unmatched"
    steps = {s: ACTIONS[s] for s in ("not_registered", "registered", "approved")}
    step = np.where(matched, d["sys_status"].map(steps).fillna("").to_numpy(dtype=object), "")
    fix = np.where(matched & phone, ACTIONS["phone"], "").astype(object)
    both = (step != "") & (fix != "")
    actions = np.where(unmatched, ACTIONS["not_found"], np.where(both, step + "; " + fix, step + fix)).astype(object)
    listed = pd.DataFrame({
        "ward_code": d["ward_code"], "quarter": d["quarter"], "group_no": d["group_no"], "household": d["household"],
        "head": d["list_head"], "name": d["list_name"], "birth_date": d["list_birth_date"],
        "address": d["list_address"].where(d["list_address"] != "", d["sys_address"]),
        "phone": d["list_phone"], "status": d["sys_status"], "action": actions, "note": d["case_label"],
        "source": d["source"], "row": d["row"].astype(int).astype(str), "identity_id": d["identity_id"],
        "_head": (d["list_name"] == d["list_head"]).to_numpy(),
    })
    listed = listed[listed["action"] != ""]
    nl = not_listed
    extra = pd.DataFrame({
        "ward_code": nl["ward_code"], "quarter": nl["quarter"], "group_no": nl["group_no"],
        "household": "HT|" + nl["household_code"], "head": nl["head"], "name": nl["name"],
        "birth_date": nl["birth_date"], "address": nl["address"], "phone": nl["phone"], "status": nl["status"],
        "action": [ACTIONS["not_listed"] + ("; " + ACTIONS[s] if s in ACTIONS else "") for s in nl["status"]],
        "note": "", "source": "", "row": "", "identity_id": nl["identity_id"],
        "_head": _is_head(nl["relation"]).to_numpy(),
    })
    out = pd.concat([listed, extra], ignore_index=True)
    out["_q"] = out["quarter"].eq("")   # people whose quarter is not known come last
    out["_nq"] = out["quarter"].map({q: natural(q) for q in out["quarter"].unique()})   # once per quarter
    out["_g"] = pd.to_numeric(out["group_no"], errors="coerce").fillna(10**9)
    out = out.sort_values(["ward_code", "_q", "_nq", "_g", "household", "_head"],
                          ascending=[True, True, True, True, True, False], kind="stable")
    return out[VISIT_COLUMNS].reset_index(drop=True)
