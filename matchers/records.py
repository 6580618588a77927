"""Frame-level normalisation: raw household rows and the identity export → comparable records."""

from __future__ import annotations


import numpy as np
import pandas as pd

from matchers.normalize import (
    SYSTEM_STATUS,
    birth_year,
    id_sex_and_year,
    normalize_cases,
    normalize_dates,
    normalize_genders,
    normalize_ids,
    normalize_levels,
    normalize_phones,
    normalize_statuses,
)
from matchers.text import display_name, fold, map_unique


def person_keys(name_key: pd.Series, birth_date: pd.Series, ward_code: pd.Series) -> pd.Series:
    """A stable, non-reversible key for each listed person: review decisions are kept on it, so
    they outlive a resubmission of the same person in another file or row. (pandas' fixed-key
    SipHash over whole columns: the same person gives the same key in every run.)"""
    keys = name_key.astype(str) + "|" + birth_date.astype(str) + "|" + ward_code.astype(str)
    hashed = pd.util.hash_pandas_object(keys, index=False).to_numpy()
    return pd.Series([f"{h:016x}" for h in hashed], index=name_key.index, dtype=object)


def normalize_person_rows(raw: pd.DataFrame) -> pd.DataFrame:
    """Raw person-rows (intake.households.RAW_COLUMNS) → their normalised values, same order and
    index, row by row: any batch of rows gives the rows the whole would (the reader's workers
    normalise theirs by batches of files, issue 15).
    Columns: source, sheet, row, ward_code, group_no, name, name_key, birth_date, birth_year,
    year_only, gender, national_id, id_state, id_sex, id_year, phone, relation, relation_key,
    address, reported_status, level, case_label, note, person_key."""
    out = raw[["source", "sheet", "row", "ward_code", "group_no"]].copy()
    out["name"] = map_unique(raw["name"], display_name)
    out["name_key"] = map_unique(out["name"], fold)
    out["birth_date"] = normalize_dates(raw["dob_raw"])
    out["birth_year"] = birth_year(out["birth_date"])
    out["year_only"] = out["birth_date"].str.endswith("-00-00")
    out["gender"] = normalize_genders(raw["gender_raw"])
    ids = normalize_ids(raw["id_raw"])
    out["national_id"] = ids["national_id"]
    out["id_state"] = ids["id_state"]
    encoded = id_sex_and_year(out["national_id"].where(out["id_state"] == "ok", ""))
    out["id_sex"] = encoded["sex"]
    out["id_year"] = encoded["year"]
    out["phone"] = normalize_phones(raw["phone_raw"])
    out["relation"] = raw["relation"].fillna("")
    out["relation_key"] = map_unique(out["relation"], fold)
    out["address"] = raw["address"].fillna("")
    out["reported_status"] = normalize_statuses(raw["result_raw"])
    out["level"] = normalize_levels(raw["level_raw"])
    out["case_label"] = normalize_cases(raw["case_raw"])
    out["note"] = raw["note"].fillna("")
    out["person_key"] = person_keys(out["name_key"], out["birth_date"], out["ward_code"])
    return out


def number_households(rows: pd.DataFrame) -> pd.DataFrame:
    """Households are listed one after another, head first: number them within each sheet
    (``household_seq``, 0 before the first head), over the run's current rows in their order.
    Adds the column to ``rows`` and returns it."""
    is_head = rows["relation_key"].str.startswith("chu ho")
    rows["household_seq"] = is_head.groupby([rows["source"], rows["sheet"]]).cumsum().astype(np.int64)
    return rows


def normalize_identity(identity: pd.DataFrame) -> pd.DataFrame:
    """The export (intake.identity.RENAMES columns) → comparable records, same order."""
    out = pd.DataFrame(index=identity.index)
    out["identity_id"] = identity["identity_id"]
    out["name"] = identity["name"]
    out["name_key"] = map_unique(identity["name"], fold)
    out["birth_date"] = identity["birth_date"].fillna("")
    out["birth_year"] = birth_year(out["birth_date"])
    out["year_only"] = out["birth_date"].str.endswith("-00-00")
    out["gender"] = identity["gender"].map({"Nam": "M", "Nữ": "F"}).fillna("")
    out["household_code"] = identity["household_code"]
    out["relation"] = identity["relation"]
    out["ward_code"] = identity["ward_code"]
    out["phone"] = normalize_phones(identity["phone"])
    out["level"] = pd.to_numeric(identity["level"], errors="coerce").astype("Int64")
    out["status"] = identity["status"].map(SYSTEM_STATUS).fillna("")
    out["activated_on"] = identity["activated_on"]
    return out
