"""Unit findings (residents not listed, groups and cadres, agency staff) and ward results."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from findings.rows import FINDING_COLUMNS

ELIGIBLE_AGE = 14


def eligible(recs: pd.DataFrame, as_of: dt.date) -> pd.Series:
    """Aged 14 or more on as_of. A year-only birth date counts as 1 January."""
    # Once per distinct date: a province's 2.3M people are born on some 30k days.
    codes, dates = pd.factorize(recs["birth_date"].fillna("").astype(str))
    d = pd.Series(dates, dtype=object)
    year = pd.to_numeric(d.str[:4], errors="coerce")
    month = pd.to_numeric(d.str[5:7], errors="coerce").replace(0, 1).fillna(1)
    day = pd.to_numeric(d.str[8:10], errors="coerce").replace(0, 1).fillna(1)
    birthday_passed = (month < as_of.month) | ((month == as_of.month) & (day <= as_of.day))
    age = as_of.year - year - np.where(birthday_passed, 0, 1)
    old_enough = np.append((age >= ELIGIBLE_AGE).fillna(False).to_numpy(dtype=bool), False)
    return pd.Series(old_enough[codes], index=recs.index)  # code -1 (missing) → the appended False


def _unit(frame: pd.DataFrame, code: str) -> pd.DataFrame:
    out = frame.assign(code=code)
    for c in FINDING_COLUMNS:
        if c not in out:
            out[c] = ""
    out["row"] = pd.NA
    out["source"] = ""
    out["sheet"] = ""
    return out[FINDING_COLUMNS]


# Which unit finding a file that could not be read might have refuted, by the kind of file.
WITHHELD_BY_KIND = {"households": "NOT_LISTED", "assignments": "GROUP_UNASSIGNED"}


def withheld_by_ward(gaps: list[dict], ward_codes) -> dict[str, dict[str, list[str]]]:
    """code → ward → the files not read that withhold it there ("never assert what you could not
    read"). A household list not read might have listed any resident of its ward, so NOT_LISTED
    is withheld for the whole ward; a cadre list not read might have assigned any of the ward's
    groups, so GROUP_UNASSIGNED is. A gap whose wards are unknown (``covers`` None) withholds in
    every ward. Shape of ``gaps``: intake.inbox.Inbox.gaps."""
    out: dict[str, dict[str, list[str]]] = {}
    every = list(ward_codes)
    for g in gaps:
        code = WITHHELD_BY_KIND.get(g["kind"])
        if code is None:
            continue
        for ward in (every if g["covers"] is None else g["covers"]):
            sources = out.setdefault(code, {}).setdefault(ward, [])
            if g["source"] not in sources:
                sources.append(g["source"])
    return out


def unit_findings(recs: pd.DataFrame, links: pd.DataFrame, submitted_wards: set[str],
                  registry_groups: pd.DataFrame, assignments: pd.DataFrame, staff: pd.DataFrame,
                  as_of: dt.date, withheld: dict[str, dict[str, list[str]]] | None = None) -> pd.DataFrame:
    """Unit findings of CONTRACT §3, none of them where ``withheld`` (``withheld_by_ward``) says
    the evidence that could refute them was not read."""
    parts = []
    by_id = recs.set_index("identity_id")
    withheld = withheld or {}

    # NOT_LISTED: eligible residents of wards that submitted lists, on no current row.
    listed = set(links.loc[links["match_status"].isin(["matched", "review"]), "identity_id"])
    wards = set(submitted_wards) - set(withheld.get("NOT_LISTED", {}))
    mask = recs["ward_code"].isin(wards) & eligible(recs, as_of) & ~recs["identity_id"].isin(listed)
    nl = recs.loc[mask, ["identity_id", "ward_code"]].assign(
        group_no="", detail="Người dân từ 14 tuổi trở lên không có trong danh sách nào của phường/xã")
    parts.append(_unit(nl, "NOT_LISTED"))

    # GROUP_UNASSIGNED: registry groups with no cadre.
    a = assignments[assignments["group_no"] != ""]
    assigned = set(zip(a["ward_code"], a["group_no"]))
    unread = set(withheld.get("GROUP_UNASSIGNED", {}))
    g = registry_groups[[(w, n) not in assigned and w not in unread
                         for w, n in zip(registry_groups["ward_code"], registry_groups["group_no"])]]
    parts.append(_unit(g[["ward_code", "group_no"]].assign(
        identity_id="", detail="Tổ NDTQ chưa được phân công cán bộ phụ trách"), "GROUP_UNASSIGNED"))

    # Cadres, by national ID.
    cadres = a[a["id_state"] == "ok"]
    per_cadre = cadres.drop_duplicates(["national_id", "ward_code", "group_no"]).groupby("national_id")
    n_groups = per_cadre.size()
    first_ward = per_cadre["ward_code"].first()
    over = n_groups[n_groups > 2]
    parts.append(_unit(pd.DataFrame({
        "identity_id": over.index, "ward_code": first_ward[over.index].to_numpy(), "group_no": "",
        "detail": [f"Cán bộ được phân công {n} tổ (tối đa 2 tổ)" for n in over.to_numpy()],
    }), "CADRE_OVERLOADED"))
    ids = pd.Index(n_groups.index)
    known = ids[ids.isin(by_id.index)]
    status = by_id.loc[known, "status"]
    status = status[~status.index.duplicated()]
    not_active = status[status != "activated"]
    parts.append(_unit(pd.DataFrame({
        "identity_id": not_active.index, "ward_code": first_ward[not_active.index].to_numpy(), "group_no": "",
        "detail": "Cán bộ phụ trách chưa kích hoạt tài khoản định danh điện tử của mình",
    }), "CADRE_NOT_ACTIVATED"))

    # Staff rosters: one finding per member and unit.
    s = staff[(staff["id_state"] == "ok")].drop_duplicates(["national_id", "unit_code"])
    s = s[s["national_id"].isin(by_id.index)]
    st = s["national_id"].map(by_id["status"][~by_id.index.duplicated()])
    s = s[st != "activated"]
    parts.append(_unit(pd.DataFrame({
        "identity_id": s["national_id"].to_numpy(), "ward_code": "", "group_no": "",
        "detail": ("Đơn vị " + s["unit_code"] + " – " + s["unit_name"] +
                   ": cán bộ, nhân viên chưa kích hoạt tài khoản định danh điện tử").to_numpy(),
    }), "STAFF_NOT_ACTIVATED"))
    return pd.concat(parts, ignore_index=True)


def ward_results(recs: pd.DataFrame, wards: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """target (CHI_TIEU), eligible and activated residents, rate = activated / target."""
    el = recs[eligible(recs, as_of)]
    counts = el.groupby("ward_code").agg(eligible=("identity_id", "size"),
                                         activated=("status", lambda s: int((s == "activated").sum())))
    out = wards[["ward_code", "ward_name", "target"]].merge(counts, on="ward_code", how="left")
    out[["eligible", "activated"]] = out[["eligible", "activated"]].fillna(0).astype(int)
    denom = np.where(out["target"] > 0, out["target"], out["eligible"])
    out["rate"] = np.where(denom > 0, np.round(out["activated"] / np.maximum(denom, 1), 4), 0.0)
    return out
