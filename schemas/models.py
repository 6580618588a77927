from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaError, SchemaErrors
from pandera.typing import Series

ID_STATES = ["ok", "missing", "malformed", "old_id", "unrecoverable"]
DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2})?$"


class HouseholdRows(pa.DataFrameModel):
    """Normalised person-rows of the current household lists (after matchers.records)."""

    source: Series[str]
    sheet: Series[str]
    row: Series[int] = pa.Field(ge=1)
    ward_code: Series[str] = pa.Field(str_length={"min_value": 1})
    group_no: Series[str]
    name_key: Series[str] = pa.Field(str_length={"min_value": 1})
    birth_date: Series[str] = pa.Field(str_matches=DATE_PATTERN)
    gender: Series[str] = pa.Field(isin=["M", "F", ""])
    id_state: Series[str] = pa.Field(isin=ID_STATES)
    phone: Series[str]
    reported_status: Series[str] = pa.Field(isin=["not_registered", "registered", "approved", "activated", "", "unknown"])

    @pa.dataframe_check(element_wise=False)
    def id_or_birth_date(cls, df: pd.DataFrame) -> Series[bool]:
        """A row needs a usable ID or a birth date to be processed (CONTRACT §3, INVALID)."""
        return (df["id_state"] == "ok") | (df["birth_date"] != "")

    class Config:
        strict = False
        coerce = True


class IdentityRecords(pa.DataFrameModel):
    """The identity export after renaming (intake.identity.RENAMES)."""

    identity_id: Series[str] = pa.Field(str_matches=r"^\d{12}$", unique=True)
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    birth_date: Series[str] = pa.Field(str_matches=r"^\d{4}-\d{2}-\d{2}$")
    gender: Series[str] = pa.Field(isin=["Nam", "Nữ"])
    ward_code: Series[str] = pa.Field(str_length={"min_value": 1})
    status: Series[str] = pa.Field(isin=["CHUA_DANG_KY", "CHO_DUYET", "DA_DUYET", "DA_KICH_HOAT"])

    class Config:
        strict = False


class _UnitPeople(pa.DataFrameModel):
    """People on a unit's list (cadres, staff): each must be identifiable to check his account."""

    source: Series[str]
    sheet: Series[str]
    row: Series[int] = pa.Field(ge=1)
    name: Series[str] = pa.Field(str_length={"min_value": 1})
    id_state: Series[str] = pa.Field(isin=ID_STATES)

    @pa.dataframe_check(element_wise=False)
    def identified(cls, df: pd.DataFrame) -> Series[bool]:
        """Without a usable ID, a birth date or a phone the person cannot be found in the export
        (matchers.people links on any of them), so his own account cannot be checked."""
        def written(col: str) -> pd.Series:
            return df[col].fillna("").astype(str).str.strip() != "" if col in df else pd.Series(False, index=df.index)
        return (df["id_state"] == "ok") | written("dob_raw") | written("phone_raw")

    class Config:
        strict = False
        coerce = True


class AssignmentRows(_UnitPeople):
    """Cadre ↔ group assignments, one row per (cadre row, group) (intake.units)."""

    ward_code: Series[str] = pa.Field(str_length={"min_value": 1})
    group_no: Series[str] = pa.Field(str_matches=r"^\d+$")


class StaffRows(_UnitPeople):
    """Agency staff rosters (intake.units)."""

    unit_code: Series[str] = pa.Field(str_length={"min_value": 1})


UNIT_REASONS = {
    ("name", "str_length"): "Thiếu họ và tên",
    ("ward_code", "str_length"): "Không xác định được phường/xã",
    ("group_no", "str_matches"): "Không ghi (hoặc ghi sai) số tổ phụ trách",
    ("unit_code", "str_length"): "Không xác định được đơn vị",
    (None, "identified"): "Không có số định danh hợp lệ, ngày sinh hay số điện thoại: không tìm được người này để "
                          "kiểm tra tài khoản",
}


def build_schemas() -> None:
    """Build every model's schema now (Pandera builds them on first use, and the first build
    imports dask.dataframe when dask is installed: ~0.6 s). `reconcile run` calls this while it
    waits for Prefect's API, so a run does not pay it inside the validate stage."""
    for model in (HouseholdRows, IdentityRecords, AssignmentRows, StaffRows):
        model.to_schema()


def validate_units(frame: pd.DataFrame, model) -> pd.Series:
    """→ reason per row ('' where the row is fully usable), from the model's lazy validation."""
    return _reasons(model, frame, UNIT_REASONS)


# Row-level check → the reason a person reads (Vietnamese, never the failing value).
ROW_REASONS = {
    ("name_key", "str_length"): "Thiếu họ và tên",
    (None, "id_or_birth_date"): "Không có số định danh hợp lệ và không có ngày sinh",
}


def _failures(schema_cls, frame: pd.DataFrame) -> pd.DataFrame:
    """(index, column, check) of every failing cell, pandera's values dropped."""
    try:
        schema_cls.validate(frame, lazy=True)
    except SchemaErrors as err:
        fc = err.failure_cases
        return pd.DataFrame({
            "index": fc["index"], "column": fc["column"].where(fc["column"].notna(), None),
            "check": fc["check"].astype(str),
        })
    except SchemaError as err:  # non-lazy path, for completeness
        return pd.DataFrame({"index": [None], "column": [None], "check": [str(err.check)]})
    return pd.DataFrame(columns=["index", "column", "check"])


def validate_rows(rows: pd.DataFrame) -> pd.Series:
    """→ invalid_reason per row ('' where the row can be processed).

    Checks other than the two INVALID rules (e.g. an unknown status word) do not make a row
    invalid; they surface in the reader's notes instead."""
    return _reasons(HouseholdRows, rows, ROW_REASONS)


def _reasons(model, rows: pd.DataFrame, table: dict) -> pd.Series:
    reasons = pd.Series("", index=rows.index, dtype=object)
    fc = _failures(model, rows)
    for (column, check_prefix), reason in table.items():
        hit = fc["check"].str.startswith(check_prefix)
        if column is not None:
            hit &= fc["column"] == column
        idx = pd.to_numeric(fc.loc[hit, "index"], errors="coerce").dropna().astype(int)
        idx = idx[idx.isin(rows.index)]
        empty = reasons.loc[idx] == ""
        reasons.loc[idx[empty.to_numpy()]] = reason
    return reasons


def validate_identity(identity: pd.DataFrame) -> dict[str, int]:
    """Counts of failing checks in the export (for logs: counts only, never values)."""
    fc = _failures(IdentityRecords, identity)
    if fc.empty:
        return {}
    key = fc["column"].fillna("") + ":" + fc["check"].str.split("(").str[0]
    return {k: int(v) for k, v in key.value_counts().items()}
