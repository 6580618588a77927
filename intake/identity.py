"""The identity-system export (machine-made, large). The newest file wins (NGAY_XUAT, then name)."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

EXPORT_COLUMNS = [
    "SO_DINH_DANH", "HO_TEN", "NGAY_SINH", "GIOI_TINH", "MA_HO", "QUAN_HE_CHU_HO", "MA_DVHC",
    "DIA_CHI", "SO_DIEN_THOAI", "MUC_TAI_KHOAN", "TRANG_THAI", "NGAY_KICH_HOAT", "NGAY_XUAT",
]
RENAMES = {
    "SO_DINH_DANH": "identity_id", "HO_TEN": "name", "NGAY_SINH": "birth_date", "GIOI_TINH": "gender",
    "MA_HO": "household_code", "QUAN_HE_CHU_HO": "relation", "MA_DVHC": "ward_code", "DIA_CHI": "address",
    "SO_DIEN_THOAI": "phone", "MUC_TAI_KHOAN": "level", "TRANG_THAI": "status",
    "NGAY_KICH_HOAT": "activated_on", "NGAY_XUAT": "export_date",
}


class IdentityExportError(Exception):
    """The run cannot go on without a readable identity export."""


@dataclass
class ExportFile:
    path: Path
    source: str
    export_date: str


def _open(path: Path):
    if path.name.endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open("r", encoding="utf-8-sig", newline="")


def peek_export_date(path: Path) -> str:
    """NGAY_XUAT of the first data row, without reading the whole file."""
    with _open(path) as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if not header or "SO_DINH_DANH" not in header or "NGAY_XUAT" not in header:
            raise IdentityExportError(f"{path.name}: không phải tệp xuất từ hệ thống định danh (thiếu cột).")
        first = next(reader, None)
        return first[header.index("NGAY_XUAT")] if first else ""


def choose_export(files: list[ExportFile]) -> ExportFile:
    return max(files, key=lambda f: (f.export_date, f.path.name))


def read_export(path: Path) -> pd.DataFrame:
    """All columns as text, renamed to the code's words."""
    frame = pd.read_csv(
        path, dtype=str, keep_default_na=False, engine="pyarrow", encoding="utf-8",
    )
    frame.columns = [c.lstrip("\ufeff").strip() for c in frame.columns]
    missing = [c for c in EXPORT_COLUMNS if c not in frame.columns]
    if missing:
        raise IdentityExportError(f"Tệp xuất thiếu cột: {', '.join(missing)}.")
    # One string storage for the whole run (reconcile sets python-backed strings): mixing
    # storages makes pandas and Pandera take slow per-element paths.
    frame = frame[EXPORT_COLUMNS].rename(columns=RENAMES).astype("str")
    # pyarrow may keep a BOM on the first header; strip stray whitespace from the key.
    frame["identity_id"] = frame["identity_id"].str.strip()
    return frame
