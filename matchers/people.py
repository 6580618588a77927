"""Cadres and staff linked to the identity export exactly as household rows are (dispatch 969
items 1–3): an ID one edit away, name and birth date, phone. A roster row with a typo in its ID
still finds its person; one that finds no one is reported with its reason, never dropped.

Shapes: ``people_rows`` turns intake's assignment rows (one per cadre row and group) and staff
rows into one frame of people, a row per (kind, source, sheet, row); ``link_people`` links them
with ``matchers.linkage.link`` and the m/u weights the run's household linkage estimated (a few
thousand roster rows are too few to estimate from, and the ward, which most of them lack, is one
of the fields the estimate selects on).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from matchers.linkage import SETTINGS, Settings, link
from matchers.normalize import normalize_dates, normalize_phones
from matchers.text import display_name, fold, map_unique

PEOPLE_COLUMNS = ["kind", "source", "sheet", "row", "name", "national_id", "id_state", "birth_date", "phone",
                  "ward_code", "unit_code", "unit_name"]
LINK_COLUMNS = ["match_status", "identity_id", "method", "score", "reason"]

# Why a roster or cadre row found no one, for the person who fixes the list (no value quoted).
NOT_FOUND_REASONS = {
    "unmatched": "Không tìm thấy người này trong dữ liệu định danh: kiểm tra lại số định danh, họ tên, ngày sinh",
    "review": "Có người gần giống trong dữ liệu định danh nhưng chưa đủ chắc chắn: cần xác minh số định danh",
    "no_key": "Không có số định danh hợp lệ, ngày sinh hay số điện thoại: không tìm được người này",
}


def people_rows(assignments: pd.DataFrame, staff: pd.DataFrame) -> pd.DataFrame:
    """intake assignment rows (ASSIGNMENT_COLUMNS) and staff rows (STAFF_COLUMNS) → one row per
    listed person-row: PEOPLE_COLUMNS, kind 'cadre' or 'staff', birth_date and phone normalised."""
    a = assignments.drop_duplicates(["source", "sheet", "row"])
    parts = [
        pd.DataFrame({"kind": "cadre", "source": a["source"], "sheet": a["sheet"], "row": a["row"],
                      "name": a["name"], "national_id": a["national_id"], "id_state": a["id_state"],
                      "dob_raw": a.get("dob_raw", ""), "phone_raw": a.get("phone_raw", ""),
                      "ward_code": a["ward_code"], "unit_code": "", "unit_name": ""}),
        pd.DataFrame({"kind": "staff", "source": staff["source"], "sheet": staff["sheet"], "row": staff["row"],
                      "name": staff["name"], "national_id": staff["national_id"], "id_state": staff["id_state"],
                      "dob_raw": staff.get("dob_raw", ""), "phone_raw": staff.get("phone_raw", ""),
                      "ward_code": "", "unit_code": staff["unit_code"], "unit_name": staff["unit_name"]}),
    ]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=PEOPLE_COLUMNS + ["dob_raw", "phone_raw"])
    out["birth_date"] = normalize_dates(out["dob_raw"].fillna("")) if len(out) else ""
    out["phone"] = normalize_phones(out["phone_raw"].fillna("").astype(str)) if len(out) else ""
    out["row"] = out["row"].astype(int)
    return out[PEOPLE_COLUMNS].reset_index(drop=True)


def link_people(people: pd.DataFrame, recs: pd.DataFrame, weights: dict | None = None,
                s: Settings = SETTINGS) -> pd.DataFrame:
    """people (``people_rows``) × recs (normalize_identity) → people plus LINK_COLUMNS.

    Only 'matched' links are used for findings; 'review' and 'unmatched' rows carry a reason
    (``NOT_FOUND_REASONS``) in Vietnamese. ``weights``: the household linkage's estimated m/u
    (``link(...).attrs['weights']``); None keeps the settings' defaults."""
    out = people.copy()
    if not len(out):
        for c in LINK_COLUMNS:
            out[c] = pd.Series(dtype=object)
        return out
    rows = pd.DataFrame({
        "source": out["source"], "sheet": out["sheet"],
        "household_seq": np.arange(len(out)),          # each person his own household: no context
        "name_key": map_unique(map_unique(out["name"], display_name), fold),
        "birth_date": out["birth_date"], "gender": "",
        "national_id": out["national_id"].where(out["id_state"] == "ok", ""),
        "phone": out["phone"], "ward_code": out["ward_code"], "person_key": "",
    })
    no_key = (rows["national_id"] == "") & (rows["birth_date"] == "") & (rows["phone"] == "")
    rows["invalid"] = (rows["name_key"] == "") | no_key
    links = link(rows, recs, s, weights=weights)
    out["match_status"] = np.where(rows["invalid"], "unmatched", links["match_status"].to_numpy())
    matched = out["match_status"] == "matched"
    out["identity_id"] = np.where(matched, links["identity_id"].to_numpy(), "")
    out["method"] = np.where(matched, links["method"].to_numpy(), "")
    out["score"] = np.where(matched, links["score"].to_numpy(), 0.0)
    out["reason"] = np.select([matched, no_key.to_numpy(), out["match_status"] == "review"],
                              ["", NOT_FOUND_REASONS["no_key"], NOT_FOUND_REASONS["review"]],
                              NOT_FOUND_REASONS["unmatched"])
    return out
