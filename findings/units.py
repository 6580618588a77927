"""Unit findings (residents not listed, groups and cadres, agency staff) and ward results."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from findings.rows import FINDING_COLUMNS

ELIGIBLE_AGE = 14


def ages(birth_date: pd.Series, as_of: dt.date) -> pd.Series:
    """Age in whole years on as_of (float, NaN where the birth date is unknown). A year-only
    birth date ('YYYY-00-00') counts as 1 January."""
    # Once per distinct date: a province's 2.3M people are born on some 30k days.
    if not isinstance(birth_date.dtype, pd.StringDtype):   # text already: missing is code -1 (~0.4 s less)
        birth_date = birth_date.fillna("").astype(str)
    codes, dates = pd.factorize(birth_date)
    d = pd.Series(dates, dtype=object)
    year = pd.to_numeric(d.str[:4], errors="coerce")
    month = pd.to_numeric(d.str[5:7], errors="coerce").replace(0, 1).fillna(1)
    day = pd.to_numeric(d.str[8:10], errors="coerce").replace(0, 1).fillna(1)
    birthday_passed = (month < as_of.month) | ((month == as_of.month) & (day <= as_of.day))
    age = (as_of.year - year - np.where(birthday_passed, 0, 1)).to_numpy(dtype=float)
    return pd.Series(np.append(age, np.nan)[codes], index=birth_date.index)  # code -1 (missing) → NaN


def eligible(recs: pd.DataFrame, as_of: dt.date, min_age: int = ELIGIBLE_AGE,
             age: pd.Series | None = None) -> pd.Series:
    """Aged ``min_age`` (CONTRACT §2: 14) or more on as_of; unknown birth dates are not. ``age``:
    ``ages(recs["birth_date"], as_of)`` if the caller has it (the findings stage computes it once:
    ~1 s for a province's 2.3 M records, which three functions used to compute each)."""
    age = ages(recs["birth_date"], as_of) if age is None else age
    return (age >= min_age).fillna(False).astype(bool)


def records_by_id(recs: pd.DataFrame) -> pd.DataFrame:
    """The export's records indexed by identity_id (one each: the key is unique, CONTRACT §1.1),
    for looking people up by the record their row was linked to; an ID repeated against the
    contract keeps its first record. Its index's hash table costs ~2 s at province scale: the
    findings stage builds it once and hands it to the findings functions as ``by_id``."""
    by_id = recs.set_index("identity_id")
    if by_id.index.is_unique:   # builds the hash table every lookup uses; then nothing to drop (~1 s)
        return by_id
    return recs.drop_duplicates("identity_id").set_index("identity_id")


def records_with(ids: pd.Series, recs: pd.DataFrame, by_id: pd.DataFrame) -> np.ndarray:
    """Which of the export's records carry one of ``ids``: ``recs["identity_id"].isin(ids)`` as a
    bool array. Where the export's IDs are unique (CONTRACT §1.1; ``by_id``, records_by_id(recs),
    then holds every record in recs' order) by positions in by_id's index, whose hash table the
    findings stage builds once: at province scale 1.3 M listed IDs against 2.3 M records took
    2.1 s by ``unique`` and ``isin``, 0.7 s so."""
    if len(by_id) != len(recs):
        return recs["identity_id"].isin(ids).to_numpy(dtype=bool)
    at = by_id.index.get_indexer(ids)
    out = np.zeros(len(recs), dtype=bool)
    out[at[at >= 0]] = True
    return out


def linked_positions(matches: pd.DataFrame, links: pd.DataFrame) -> np.ndarray:
    """Each row's record: its position in the export's records (``links["rec"]``, as linked)
    where the row is on a current list's rows (matched or in review in ``matches``,
    reports.machine.matches_frame), -1 elsewhere. int64, aligned with ``matches``."""
    on = matches["match_status"].isin(["matched", "review"]).to_numpy(dtype=bool)
    return np.where(on, links["rec"].fillna(-1).to_numpy(dtype=np.int64), -1)


def listed_records(matches: pd.DataFrame, recs: pd.DataFrame, by_id: pd.DataFrame,
                   at: np.ndarray | None = None) -> np.ndarray:
    """Which of the export's records are on a current row (matched or in review in ``matches``,
    reports.machine.matches_frame): a bool array in recs' order. NOT_LISTED and each group's
    "listed" count both ask it; the findings stage computes it once. ``at``: the rows' records
    (``linked_positions``), which stand for their IDs where the export's IDs are unique
    (``by_id`` holds every record): no lookup of 1.3 M IDs (~0.8 s at province scale)."""
    if at is not None and len(by_id) == len(recs):
        out = np.zeros(len(recs), dtype=bool)
        out[at[at >= 0]] = True
        return out
    return records_with(matches.loc[matches["match_status"].isin(["matched", "review"]), "identity_id"], recs, by_id)


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


def cadre_groups(assignments: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    """Each cadre's groups in the order he was given them (CONTRACT §1.3: rows with the same
    person are the same cadre, across rows and files). assignments: intake ASSIGNMENT_COLUMNS;
    people: matchers.people.link_people. → one row per (cadre, ward, group), first-written first:
    cadre_key (identity_id when linked, else the well-formed ID written, else ''), identity_id,
    name, unit, ward_code, group_no, order (0-based: 0 → phase 1, 1 → phase 2, ...), source,
    sheet, row (of the row that assigned the group)."""
    a = assignments[assignments["group_no"] != ""]
    cadre_links = people.loc[people["kind"] == "cadre", ["source", "sheet", "row", "identity_id"]]
    a = a.merge(cadre_links, on=["source", "sheet", "row"], how="left")
    a["identity_id"] = a["identity_id"].fillna("")
    written = a["national_id"].where(a["id_state"] == "ok", "")
    a["cadre_key"] = a["identity_id"].where(a["identity_id"] != "", written)
    order_cols = ["source", "sheet", "row"] + (["group_order"] if "group_order" in a else [])
    a = a.sort_values(order_cols, kind="stable")
    keyed = a[a["cadre_key"] != ""].drop_duplicates(["cadre_key", "ward_code", "group_no"])
    unkeyed = a[a["cadre_key"] == ""]
    a = pd.concat([keyed, unkeyed]).sort_values(order_cols, kind="stable")
    a["order"] = a.groupby(a["cadre_key"].where(a["cadre_key"] != "", a["source"] + "#" + a["row"].astype(str)),
                           sort=False).cumcount()
    cols = ["cadre_key", "identity_id", "name", "unit", "ward_code", "group_no", "order", "source", "sheet", "row"]
    return a[cols].reset_index(drop=True)


def unit_findings(recs: pd.DataFrame, links: pd.DataFrame, submitted_wards: set[str],
                  registry_groups: pd.DataFrame, assignments: pd.DataFrame, people: pd.DataFrame,
                  as_of: dt.date, withheld: dict[str, dict[str, list[str]]] | None = None,
                  min_age: int = ELIGIBLE_AGE, max_groups: int = 2,
                  by_id: pd.DataFrame | None = None, age: pd.Series | None = None,
                  listed: np.ndarray | None = None) -> pd.DataFrame:
    """Unit findings of CONTRACT §3, none of them where ``withheld`` (``withheld_by_ward``) says
    the evidence that could refute them was not read. ``people``: cadre and staff rows linked to
    the export (matchers.people.link_people); a person is judged on
    the record his row was linked to, never on an ID merely written. ``by_id``: the export's
    records by identity_id, the first of each (``records_by_id``), if the caller
    has it; ``age``: the records' ages on as_of (``ages``), if the caller has it; ``listed``:
    which records are on a current row (``listed_records``), if the caller has it."""
    parts = []
    withheld = withheld or {}
    by_id = records_by_id(recs) if by_id is None else by_id

    # NOT_LISTED: eligible residents of wards that submitted lists, on no current row.
    listed = listed_records(links, recs, by_id) if listed is None else listed
    wards = set(submitted_wards) - set(withheld.get("NOT_LISTED", {}))
    mask = (recs["ward_code"].isin(wards) & eligible(recs, as_of, min_age, age)).to_numpy(dtype=bool) & ~listed
    nl = recs.loc[mask, ["identity_id", "ward_code"]].assign(
        group_no="", detail=f"Người dân từ {min_age} tuổi trở lên không có trong danh sách nào của phường/xã")
    parts.append(_unit(nl, "NOT_LISTED"))

    # GROUP_UNASSIGNED: registry groups with no cadre.
    a = assignments[assignments["group_no"] != ""]
    assigned = set(zip(a["ward_code"], a["group_no"]))
    unread = set(withheld.get("GROUP_UNASSIGNED", {}))
    g = registry_groups[[(w, n) not in assigned and w not in unread
                         for w, n in zip(registry_groups["ward_code"], registry_groups["group_no"])]]
    parts.append(_unit(g[["ward_code", "group_no"]].assign(
        identity_id="", detail="Tổ NDTQ chưa được phân công cán bộ phụ trách"), "GROUP_UNASSIGNED"))

    # Cadres: one person per linked identity (a typo'd ID still finds him), over every row and
    # file that assigns him; a cadre found by no one is reported in people.csv, not asserted here.
    status_of = by_id["status"]
    cadres = cadre_groups(a, people)
    cadres = cadres[cadres["cadre_key"] != ""]
    per_cadre = cadres.groupby("cadre_key", sort=False)
    n_groups = per_cadre.size()
    first_ward = per_cadre["ward_code"].first()
    over = n_groups[n_groups > max_groups]
    parts.append(_unit(pd.DataFrame({
        "identity_id": over.index, "ward_code": first_ward[over.index].to_numpy(), "group_no": "",
        "detail": [f"Cán bộ được phân công {n} tổ (tối đa {max_groups} tổ)" for n in over.to_numpy()],
    }), "CADRE_OVERLOADED"))
    linked = pd.Index(cadres.loc[cadres["identity_id"] != "", "cadre_key"].unique())
    # by by_id's index, whose hash table the stage builds once (``linked.isin`` hashed all 2.3 M
    # of a province's IDs again, ~1 s, for its few thousand cadres)
    at = by_id.index.get_indexer(linked)
    found = pd.Series(status_of.array.take(at[at >= 0]), index=linked[at >= 0])
    not_active = found[found != "activated"]
    parts.append(_unit(pd.DataFrame({
        "identity_id": not_active.index, "ward_code": first_ward[not_active.index].to_numpy(), "group_no": "",
        "detail": "Cán bộ phụ trách chưa kích hoạt tài khoản định danh điện tử của mình",
    }), "CADRE_NOT_ACTIVATED"))

    # Staff rosters: one finding per member found and unit (a cadre on a roster gets both).
    s = people[(people["kind"] == "staff") & (people["identity_id"] != "")]
    s = s.drop_duplicates(["identity_id", "unit_code"])
    s = s[s["identity_id"].map(status_of).fillna("activated") != "activated"]
    parts.append(_unit(pd.DataFrame({
        "identity_id": s["identity_id"].to_numpy(), "ward_code": "", "group_no": "",
        "detail": ("Đơn vị " + s["unit_code"] + " – " + s["unit_name"] +
                   ": cán bộ, nhân viên chưa kích hoạt tài khoản định danh điện tử").to_numpy(),
    }), "STAFF_NOT_ACTIVATED"))
    return pd.concat(parts, ignore_index=True)


def ward_results(recs: pd.DataFrame, wards: pd.DataFrame, as_of: dt.date,
                 min_age: int = ELIGIBLE_AGE, age: pd.Series | None = None) -> pd.DataFrame:
    """target (CHI_TIEU), eligible and activated residents, rate = activated / target. ``age``:
    the records' ages on as_of (``ages``), if the caller has it."""
    el = recs.loc[eligible(recs, as_of, min_age, age).to_numpy(), ["ward_code", "status"]]   # not every column
    counts = el.groupby("ward_code").agg(eligible=("status", "size"),
                                         activated=("status", lambda s: int((s == "activated").sum())))
    out = wards[["ward_code", "ward_name", "target"]].merge(counts, on="ward_code", how="left")
    out[["eligible", "activated"]] = out[["eligible", "activated"]].fillna(0).astype(int)
    denom = np.where(out["target"] > 0, out["target"], out["eligible"])
    out["rate"] = np.where(denom > 0, np.round(out["activated"] / np.maximum(denom, 1), 4), 0.0)
    return out
