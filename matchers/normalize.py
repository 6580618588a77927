"""Normalisers: people's cell values → canonical values. Pure, vectorised over columns.

Each ``normalize_*`` takes a Series of raw cell values (str, float, int, date or None, as a
spreadsheet reader returns them) and returns a Series (or frame) of canonical values.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc

from matchers.text import fold

# ---------------------------------------------------------------- reference tables


def _reference(name: str) -> pd.DataFrame:
    with resources.files("matchers.reference").joinpath(name).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str)


PROVINCE_CODES: frozenset[str] = frozenset(_reference("provinces.csv")["code"])
_PREFIXES = _reference("phone_prefixes_2018.csv")
OLD_TO_NEW_PREFIX: dict[str, str] = dict(zip(_PREFIXES["old"], _PREFIXES["new"]))

# ---------------------------------------------------------------- national IDs

ID_OK = "ok"                    # well-formed 12-digit ID with a valid province code
ID_MISSING = "missing"          # nothing written
ID_OLD = "old_id"               # 9-digit CMND
ID_UNRECOVERABLE = "unrecoverable"  # Excel scientific notation: digits are lost
ID_MALFORMED = "malformed"      # anything else

_SCI = re.compile(r"^\d(?:[.,]\d+)?e\+?\d+$", re.IGNORECASE)
_ID_SEPARATORS = re.compile(r"[\s.\-_'’/]")
_FLOAT_TEXT = re.compile(r"\d+[.,]0+")
_DIGIT_RUN = re.compile(r"\d[\d .\-]*\d")
_ID_LIST = re.compile(r"\s*[/;,|]\s*|\s+-\s+|\s{2,}")


@lru_cache(maxsize=1 << 20)
def _parse_id(text: str) -> tuple[str, str]:
    s = text.strip()
    if s.startswith('="') and s.endswith('"'):  # the CSV trick that keeps leading zeros in Excel
        s = s[2:-1]
    s = s.strip("'\"` ")
    if not s:
        return "", ID_MISSING
    if _SCI.match(s.replace(" ", "")):
        return "", ID_UNRECOVERABLE
    if _FLOAT_TEXT.fullmatch(s):  # "91088168910.0": a number written out as text by a program
        s = s.split(".")[0].split(",")[0]
    compact = _ID_SEPARATORS.sub("", s)
    if len(compact) > 12 and len(parts := _ID_LIST.split(s)) > 1:  # "091… / 36…": two numbers
        compact = "#"  # chosen below, from the runs of digits
    if not compact.isdigit():
        # "CCCD: 0910…", "091… / 36…" (ID and old CMND in one cell): the 12-digit ID if there is one
        runs = [_ID_SEPARATORS.sub("", r) for part in _ID_LIST.split(s) for r in _DIGIT_RUN.findall(part)]
        runs = [r for r in runs if len(r) >= 8]
        best = [r for r in runs if len(r) == 12 and r[:3] in PROVINCE_CODES] or (runs if len(runs) == 1 else [])
        if not best:
            return "", ID_MALFORMED
        compact = best[0]
    s = compact
    if len(s) in (10, 11) and s.zfill(12)[:3] in PROVINCE_CODES:
        s = s.zfill(12)  # stored as a number: leading zeros were lost (001… loses two)
    if len(s) == 12:
        return (s, ID_OK) if s[:3] in PROVINCE_CODES else (s, ID_MALFORMED)
    if len(s) in (8, 9):  # CMND, possibly with its leading zero lost
        return s.zfill(9), ID_OLD
    return s, ID_MALFORMED


def _cell_to_text(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def factorize_cells(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``pd.factorize`` of raw cells (an object array) → (codes, the distinct cells), a TRUE or
    FALSE cell kept apart from the numbers it equals: Python hashes True, 1 and 1.0 alike, so
    whichever came first would stand for all of them, and a cell's reading would depend on the
    rows beside it (the reader's workers normalise by batches of files, issue 15)."""
    bools = [i for i, v in enumerate(values) if isinstance(v, (bool, np.bool_))]
    if not bools:
        return pd.factorize(values, use_na_sentinel=False)
    keyed = values.copy()
    for i in bools:
        keyed[i] = (_BOOL_CELL, bool(values[i]))
    codes, uniques = pd.factorize(keyed, use_na_sentinel=False)
    cells = np.empty(len(uniques), dtype=object)
    cells[:] = [u[1] if isinstance(u, tuple) and u and u[0] is _BOOL_CELL else u for u in uniques]
    return codes, cells


_BOOL_CELL = object()   # tags a boolean cell for factorize_cells


def map_cells(raw: pd.Series, func) -> pd.Series:
    """``func(text of the cell)`` once per distinct raw cell value (people repeat "Nam",
    "Đã kích hoạt", ...), mapped back onto every row."""
    codes, uniques = factorize_cells(raw.to_numpy(dtype=object))
    results = np.empty(len(uniques), dtype=object)
    results[:] = [func(_cell_to_text(u)) for u in uniques]
    return pd.Series(results[codes] if len(codes) else [], index=raw.index, dtype=object)


def _already(values: np.ndarray, pattern: str) -> np.ndarray:
    """Cells that are text already in canonical form (``pattern``, matched by Arrow's regex over
    the column): most cells of a province are, and they skip the per-value Python parser."""
    is_text = np.fromiter((type(v) is str for v in values), bool, len(values))
    out = np.zeros(len(values), bool)
    if is_text.any():
        matched = pc.match_substring_regex(pa.array(values[is_text], type=pa.string()), pattern)
        out[is_text] = matched.to_numpy(zero_copy_only=False)
    return out


_ID_CANONICAL = "^(" + "|".join(sorted(PROVINCE_CODES)) + r")\d{9}$"


def normalize_ids(raw: pd.Series) -> pd.DataFrame:
    """→ columns ``national_id`` (canonical digits where any) and ``id_state``."""
    values = raw.to_numpy(dtype=object)
    national_id = np.empty(len(values), dtype=object)
    state = np.full(len(values), ID_OK, dtype=object)
    fast = _already(values, _ID_CANONICAL)
    national_id[fast] = values[fast]
    rest = np.flatnonzero(~fast)
    if len(rest):
        parsed = map_cells(pd.Series(values[rest], dtype=object), _parse_id).tolist()
        national_id[rest] = [p[0] for p in parsed]
        state[rest] = [p[1] for p in parsed]
    return pd.DataFrame({"national_id": national_id, "id_state": state}, index=raw.index)


def id_sex_and_year(ids: pd.Series) -> pd.DataFrame:
    """Sex ('M'/'F') and birth year encoded in well-formed IDs (CONTRACT §2): the 4th digit
    gives century and sex, the 5th and 6th the year."""
    arr = pa.array(ids.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(arr, r"^\d{12}$"), False))
    number = np.zeros(len(arr), dtype=np.int64)
    number[ok] = pc.cast(arr.filter(pa.array(ok)), pa.int64()).to_numpy()
    d4, yy = (number // 10 ** 8) % 10, (number // 10 ** 6) % 100
    sex = np.where(ok, np.where(d4 % 2 == 0, "M", "F"), "").astype(object)
    year = pd.array(np.where(ok, 1900 + 100 * (d4 // 2) + yy, 0), dtype="Int64")
    year[~ok] = pd.NA
    return pd.DataFrame({"sex": sex, "year": year}, index=ids.index)


# ---------------------------------------------------------------- phones

_PHONE_JUNK = re.compile(r"[^\d+]")


@lru_cache(maxsize=1 << 20)
def _parse_phone(text: str) -> str:
    s = text.strip()
    if _FLOAT_TEXT.fullmatch(s):  # "912345678.0" from a program's export
        s = s.split(".")[0].split(",")[0]
    s = _PHONE_JUNK.sub("", s)
    if not s:
        return ""
    if s.startswith("+84"):
        s = "0" + s[3:]
    elif s.startswith("84") and len(s) in (11, 12):
        s = "0" + s[2:]
    elif not s.startswith("0") and len(s) in (9, 10):  # leading zero lost in a number cell
        s = "0" + s
    if len(s) == 11 and s[:4] in OLD_TO_NEW_PREFIX:  # pre-2018 11-digit mobile number
        s = OLD_TO_NEW_PREFIX[s[:4]] + s[4:]
    return s


@lru_cache(maxsize=4096)
def _valid_prefix(prefix3: str) -> bool:
    # phonenumbers' metadata decides which 3-digit mobile prefixes exist; asked once per prefix.
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(prefix3 + "1234567", "VN"))
    except phonenumbers.NumberParseException:
        return False


def normalize_phones(raw: pd.Series) -> pd.Series:
    """→ 10-digit national form ('0912345678'), '' where nothing was written."""
    values = raw.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    fast = _already(values, r"^(0\d{9})?$")
    out[fast] = values[fast]
    rest = ~fast
    if rest.any():
        out[rest] = map_cells(pd.Series(values[rest], dtype=object), _parse_phone).to_numpy()
    return pd.Series(out, index=raw.index, dtype=object)


def phone_is_valid(phones: pd.Series) -> pd.Series:
    ok_shape = phones.str.fullmatch(r"0\d{9}").fillna(False)
    prefix_ok = phones.str[:3].map(lambda p: _valid_prefix(p) if len(p) == 3 else False)
    return ok_shape & prefix_ok.astype(bool)


# ---------------------------------------------------------------- dates

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})$")
_YMD = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_YEAR = re.compile(r"^(\d{4})(?:\.0)?$")


def _ymd(y: int, m: int, d: int) -> str:
    try:
        dt.date(y, m, d)
    except ValueError:
        return ""
    return f"{y:04d}-{m:02d}-{d:02d}"


def _year_only(y: int) -> str:
    return f"{y:04d}-00-00" if 1880 <= y <= 2100 else ""


@lru_cache(maxsize=1 << 18)
def _parse_date_text(s: str) -> str:
    s = s.strip()
    if not s:
        return ""
    if m := _DMY.match(s):
        return _ymd(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    if m := _YMD.match(s):
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
        return _year_only(y) if mo == 0 and d == 0 else _ymd(y, mo, d)
    if m := _YEAR.match(s):
        return _year_only(int(m.group(1)))
    try:
        return _parse_date_number(float(s))
    except ValueError:
        return ""


def _parse_date_number(x: float) -> str:
    # 1900–2100 typed alone is a year; as an Excel serial it would be a date in 1905, which no
    # living person's list holds, so the reading as a year is the one that can be right.
    if 1900 <= x <= 2100 and float(x).is_integer():
        return _year_only(int(x))
    if 1 <= x < 80000:  # an Excel serial number
        return (_EXCEL_EPOCH + dt.timedelta(days=int(x))).isoformat()
    return ""


def _parse_date_cell(value) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        if isinstance(value, float) and np.isnan(value):
            return ""
        return _parse_date_number(float(value))
    return _parse_date_text(str(value))


def normalize_dates(raw: pd.Series) -> pd.Series:
    """→ 'YYYY-MM-DD', 'YYYY-00-00' (year only) or '' (none or unreadable)."""
    codes, uniques = factorize_cells(raw.to_numpy(dtype=object))
    parsed = np.array([_parse_date_cell(u) for u in uniques] or [""], dtype=object)
    return pd.Series(parsed[codes] if len(codes) else [], index=raw.index, dtype=object)


def birth_year(dates: pd.Series) -> pd.Series:
    codes, uniques = pd.factorize(dates.fillna("").to_numpy(dtype=object))  # ~30k distinct dates
    years = pd.to_numeric(pd.Series(uniques, dtype=object).str[:4], errors="coerce").astype("Int64")
    return pd.Series(years.array.take(codes), index=dates.index)


# ---------------------------------------------------------------- words people write

STATUS_ORDER = {"not_registered": 0, "registered": 1, "approved": 2, "activated": 3}
SYSTEM_STATUS = {
    "CHUA_DANG_KY": "not_registered",
    "CHO_DUYET": "registered",
    "DA_DUYET": "approved",
    "DA_KICH_HOAT": "activated",
}

# Folded phrases, most specific first. "Chưa kích hoạt" reads as approved (CONTRACT §2).
_STATUS_WORDS = [
    ("chua dang ky", "not_registered"),
    ("chua dang ki", "not_registered"),  # "kí" and "ký" are both taught spellings
    ("chua dk", "not_registered"),
    ("chua kich hoat", "approved"),
    ("chua kh", "approved"),
    ("kich hoat", "activated"),
    ("da kh", "activated"),
    ("duyet", "approved"),  # "Chờ duyệt" is caught below, before this
    ("dang ky", "registered"),
    ("dang ki", "registered"),
    ("da dk", "registered"),
]


@lru_cache(maxsize=4096)
def _parse_status(text: str) -> str:
    f = fold(text)
    if not f:
        return ""
    # Negations people write: "Không đăng ký", "Chưa được kích hoạt", "Không kích hoạt" are the
    # "chưa" forms; "Chưa duyệt" is registered and awaiting approval.
    f = re.sub(r"\b(?:khong|chua)\s+(?:duoc\s+)?", "chua ", f)
    if "cho duyet" in f or re.search(r"\bchua (?:phe )?duyet", f):
        return "registered"
    if "chua co tai khoan" in f:
        return "not_registered"
    for phrase, status in _STATUS_WORDS:
        if phrase in f:
            return status
    return "unknown"


def normalize_statuses(raw: pd.Series) -> pd.Series:
    """Kết quả → not_registered / registered / approved / activated; '' if empty; 'unknown'."""
    return map_cells(raw, _parse_status)


@lru_cache(maxsize=1024)
def _parse_gender(text: str) -> str:
    f = fold(text)
    if f in ("nam", "m", "male", "trai"):
        return "M"
    if f in ("nu", "f", "female", "gai"):
        return "F"
    return ""


def normalize_genders(raw: pd.Series) -> pd.Series:
    """Giới tính → 'M' / 'F' / ''."""
    return map_cells(raw, _parse_gender)


CASES = {
    "absent": ("vang mat", "vang"),
    "no_smartphone": ("khong co dien thoai thong minh", "khong co dttm", "khong co smartphone"),
    "wrong_phone": ("sai so dien thoai", "doi so dien thoai", "sai sdt", "doi sdt"),
}


@lru_cache(maxsize=4096)
def _parse_case(text: str) -> str:
    f = fold(text)
    if not f:
        return ""
    for case, phrases in CASES.items():
        if any(p in f for p in phrases):
            return case
    return "other"


def normalize_cases(raw: pd.Series) -> pd.Series:
    return map_cells(raw, _parse_case)


@lru_cache(maxsize=1024)
def _parse_level(text: str) -> int | None:
    digits = re.findall(r"[12]", text)
    return int(digits[0]) if digits else None


def normalize_levels(raw: pd.Series) -> pd.Series:
    return map_cells(raw, _parse_level).astype("Int64")
