"""Staged, explainable linkage of list rows to identity records.

1. candidates: exact ID; ID one substitution or adjacent transposition away; blocked
   name + birth date keys; phone (``SETTINGS.blocking``);
2. every candidate pair is compared field by field, each comparison level carrying a
   Fellegi–Sunter weight log2(m/u) (``SETTINGS.comparisons``), m and u re-estimated from each
   run's data; names use term-frequency u (how common the folded name is in the export), so
   "Nguyễn Văn Hùng" proves little alone;
3. household context: rows listed in one household whose other members were linked by ID
   say which MA_HO an ambiguous row belongs to;
4. per row the best pair wins if it clears the match weight *and* beats the runner-up by a
   margin; otherwise review or unmatched. A candidate already taken by a confidently matched
   row does not make another row "review" (unless that row is a confident duplicate).

Internally every field is an integer code per pair (level index, -1 = missing): the hot path
is numpy over a few hundred thousand pairs, not Python over strings.

A big run is linked by partitions of whole wards (``link(partitions=...)``, issue 15), each on
the run's codes with a keyed extract of the records elsewhere, national term frequencies and m/u
(two passes) and step 4's taken records settled on the whole run: the same links, row for row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler


@dataclass(frozen=True)
class Level:
    name: str
    m: float   # P(level | same person)
    u: float   # P(level | different people)

    @property
    def weight(self) -> float:
        return float(np.log2(self.m / self.u))


@dataclass(frozen=True)
class Settings:
    """The whole linkage model on one screen."""

    # Which pairs are compared at all (each rule is a join key; their union is the candidate set).
    blocking: tuple[tuple[str, ...], ...] = (
        ("national_id",),                          # exact ID
        ("id_one_edit",),                          # ID one substitution / adjacent transposition away
        ("name_key", "birth_year"),                # same folded name and year
        ("ward_code", "birth_date"),               # same full date in the ward (name typos)
        ("ward_code", "given_key", "birth_year"),  # same given name and year in the ward
        ("ward_code", "name_key"),                 # wrong birth year, same name in the ward
        ("phone",),                                # same account phone
    )
    max_block: int = 50  # name blocks larger than this are left to the other rules
    # Comparison levels, best first, with default m and u (the prior for each run's estimate).
    comparisons: dict[str, tuple[Level, ...]] = field(default_factory=lambda: {
        "id": (Level("exact", 0.93, 1e-6), Level("one_edit", 0.015, 1e-5),
               Level("differ", 0.02, 0.99999)),
        # "exact" is term-frequency adjusted: u = frequency of that folded name in the export.
        "name": (Level("exact", 0.96, 1e-3), Level("close", 0.03, 1e-3),
                 Level("similar", 0.006, 0.01), Level("differ", 0.004, 0.989)),
        "dob": (Level("exact", 0.97, 1 / (365 * 80)), Level("year", 0.02, 1 / 80),
                Level("differ", 0.01, 0.987)),
        "gender": (Level("agree", 0.997, 0.5), Level("differ", 0.003, 0.5)),
        "phone": (Level("agree", 0.9, 1e-4), Level("differ", 0.1, 0.9999)),
        "ward": (Level("same", 0.99, 0.1), Level("differ", 0.01, 0.9)),
        "household": (Level("agree", 0.9, 1e-3), Level("differ", 0.1, 0.999)),
    })
    name_close: float = 0.93      # Jaro–Winkler on folded names for "close"
    name_similar: float = 0.85    # ... and for "similar"
    match_weight: float = 18.0    # total log2 weight to accept a pair
    review_weight: float = 10.0   # below this the row is unmatched
    margin: float = 6.0           # the best pair must beat the runner-up by this much
    score_midpoint: float = 12.0  # weight at which the 0–1 score is 0.5


SETTINGS = Settings()
FIELDS = ("id", "name", "dob", "gender", "phone", "ward", "household")
LEVEL_NAMES = {f: tuple(lv.name for lv in levels) for f, levels in SETTINGS.comparisons.items()}
MISSING = -1


# ------------------------------------------------------------------ sides as arrays


@dataclass
class Side:
    """One side of the linkage as plain integer arrays (positions are row / record numbers).
    Text fields are codes into tables shared by both sides (-1 = empty), so comparing two
    people is comparing integers; only names go back to text, for Jaro–Winkler."""

    nid: np.ndarray        # int64 12-digit ID, -1 where none
    name: np.ndarray       # code of the folded name in ``Tables.names``
    given: np.ndarray      # code of the given name (last word of the folded name)
    date: np.ndarray       # code of 'YYYY-MM-DD' / 'YYYY-00-00'
    year: np.ndarray       # int, 0 where unknown
    year_only: np.ndarray  # bool
    gender: np.ndarray     # int8: 0 unknown, 1 M, 2 F
    phone: np.ndarray      # code of the phone number
    ward: np.ndarray       # code of the ward
    household: np.ndarray  # int: listed household (rows) or MA_HO code (records)

    def take(self, positions: np.ndarray) -> "Side":
        """The people at ``positions``, with the same codes (a partition of the linkage)."""
        return Side(**{f: getattr(self, f)[positions] for f in self.__dataclass_fields__})


def _ids_to_int(ids: pd.Series) -> np.ndarray:
    """'012345678901' → 12345678901; anything but twelve digits → -1 (Arrow's C++ regex and cast:
    a Python loop over millions of IDs is a visible part of a province run)."""
    arr = pa.array(ids.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    ok = pc.fill_null(pc.match_substring_regex(arr, r"^\d{12}$"), False)
    out = np.full(len(arr), -1, dtype=np.int64)
    out[np.asarray(ok)] = pc.cast(arr.filter(ok), pa.int64()).to_numpy()
    return out


def _codes(*columns: pd.Series) -> tuple[list[np.ndarray], np.ndarray]:
    """Codes shared by several text columns ('' and missing → -1) and the table of values."""
    values = [c.fillna("").astype(str).to_numpy(dtype=object) for c in columns]
    codes, uniques = pd.factorize(np.concatenate(values))
    uniques = np.asarray(uniques, dtype=object)
    empty = np.flatnonzero(uniques == "")
    if len(empty):
        codes = np.where(codes == empty[0], -1, codes)
    out, start = [], 0
    for v in values:
        out.append(codes[start:start + len(v)].astype(np.int32))
        start += len(v)
    return out, uniques


def _per_value(codes: np.ndarray, table: np.ndarray, fill) -> np.ndarray:
    """table[code], with ``fill`` where code is -1."""
    padded = np.append(table, np.array([fill], dtype=table.dtype))
    return padded[codes]


@dataclass
class Tables:
    names: np.ndarray  # folded names by code (object)
    wards: np.ndarray  # ward codes by code (object)


def _sides(rows: pd.DataFrame, recs: pd.DataFrame, listed_household: np.ndarray,
           ma_ho: np.ndarray) -> tuple[Side, Side, Tables]:
    """Both sides, coded against shared tables; string work happens once per distinct value."""
    (r_name, c_name), names = _codes(rows["name_key"], recs["name_key"])
    given_of = np.array([n.rsplit(" ", 1)[-1] for n in names], dtype=object)
    given_codes, _ = pd.factorize(given_of)
    given_codes = np.where(given_of == "", -1, given_codes).astype(np.int32)
    (r_date, c_date), dates = _codes(rows["birth_date"], recs["birth_date"])
    year_of = np.array([int(d[:4]) if d[:4].isdigit() else 0 for d in dates], dtype=np.int64)
    yonly_of = np.array([d.endswith("-00-00") for d in dates], dtype=bool)
    (r_phone, c_phone), _ = _codes(rows["phone"], recs["phone"])
    (r_ward, c_ward), wards = _codes(rows["ward_code"], recs["ward_code"])

    def side(df, id_col, name, date, phone, ward, household) -> Side:
        return Side(
            nid=_ids_to_int(df[id_col]),
            name=name,
            given=_per_value(name, given_codes, -1),
            date=date,
            year=_per_value(date, year_of, 0),
            year_only=_per_value(date, yonly_of, False),
            gender=df["gender"].map({"M": 1, "F": 2}).fillna(0).astype(np.int8).to_numpy(),
            phone=phone,
            ward=ward,
            household=household,
        )

    return (side(rows, "national_id", r_name, r_date, r_phone, r_ward, listed_household),
            side(recs, "identity_id", c_name, c_date, c_phone, c_ward, ma_ho),
            Tables(names=names, wards=wards))


# ------------------------------------------------------------------ candidate generation


def _join(left_keys: list[np.ndarray], right_keys: list[np.ndarray], lmask: np.ndarray, rmask: np.ndarray,
          max_block: int | None = None) -> pd.DataFrame:
    """Equi-join on several non-negative integer key columns (combined into one int64 key)."""
    combined_l = np.zeros(len(left_keys[0]), dtype=np.int64)
    combined_r = np.zeros(len(right_keys[0]), dtype=np.int64)
    span = 1
    for lk, rk in zip(left_keys, right_keys):
        width = int(max(lk.max(initial=0), rk.max(initial=0))) + 2
        span *= width
        if span >= 2 ** 62:
            raise OverflowError("blocking key too wide")
        combined_l = combined_l * width + (lk.astype(np.int64) + 1)
        combined_r = combined_r * width + (rk.astype(np.int64) + 1)
    left = pd.DataFrame({"k": combined_l[lmask], "row": np.flatnonzero(lmask)})
    right = pd.DataFrame({"k": combined_r[rmask], "rec": np.flatnonzero(rmask)})
    if max_block is not None and len(right):
        sizes = right.groupby("k")["rec"].transform("size")
        right = right[sizes.to_numpy() <= max_block]
    return left.merge(right, on="k", how="inner")[["row", "rec"]]


_POW = 10 ** np.arange(11, -1, -1, dtype=np.int64)  # place value of each of the 12 digits


def _digits(x: np.ndarray) -> np.ndarray:
    return (x[:, None] // _POW[None, :]) % 10


def _id_variants(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every integer one substitution or adjacent transposition away from each 12-digit ID.
    → (query position, variant)."""
    if len(q) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    d = _digits(q)
    pos, var = [], []
    idx = np.arange(len(q))
    for p in range(12):
        for digit in range(10):
            keep = d[:, p] != digit
            pos.append(idx[keep])
            var.append(q[keep] + (digit - d[keep, p]) * _POW[p])
    for p in range(11):
        keep = d[:, p] != d[:, p + 1]
        delta = (d[keep, p + 1] - d[keep, p]) * _POW[p] + (d[keep, p] - d[keep, p + 1]) * _POW[p + 1]
        pos.append(idx[keep])
        var.append(q[keep] + delta)
    return np.concatenate(pos), np.concatenate(var)


# |a - b| of two 12-digit numbers one substitution apart is k·10^p (k 1..9); one adjacent
# transposition apart, 9·k·10^p. A difference of that shape is confirmed on the digits around p
# (a borrow can fake it: 100 - 099 = 1). Arithmetic on the pairs, not a (pairs × 12) digit table.
_SUB_PLACE = {k * 10 ** p: p for k in range(1, 10) for p in range(12)}
_SWAP_PLACE = {9 * k * 10 ** p: p for k in range(1, 10) for p in range(11)}
_TEN = 10 ** np.arange(14, dtype=np.int64)


def _one_edit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a[i], b[i] (12-digit ints) one substitution or adjacent transposition apart."""
    out = np.zeros(len(a), bool)
    ok = np.flatnonzero((a >= 0) & (b >= 0) & (a != b))
    if not len(ok):
        return out
    x, y = a[ok], b[ok]
    diff = np.abs(x - y)
    hit = np.zeros(len(ok), bool)
    for table, width in ((_SUB_PLACE, 1), (_SWAP_PLACE, 2)):
        cand = np.flatnonzero(np.isin(diff, np.fromiter(table, np.int64)))
        if not len(cand):
            continue
        place = pd.Series(diff[cand]).map(table).to_numpy(np.int64)
        low, high = _TEN[place], _TEN[place + width]
        xs, ys = x[cand], y[cand]
        same = (xs % low == ys % low) & (xs // high == ys // high)  # only digits p..p+width-1 differ
        if width == 2:
            same &= ((xs // low) % 10 == (ys // (low * 10)) % 10) & ((xs // (low * 10)) % 10 == (ys // low) % 10)
        hit[cand] |= same
    out[ok] = hit
    return out


def candidate_pairs(R: Side, C: Side, usable: np.ndarray, s: Settings = SETTINGS,
                    rules: tuple[tuple[str, ...], ...] | None = None) -> pd.DataFrame:
    """→ DataFrame(row, rec), unique, sorted by row then record, from the union of the blocking
    rules (``rules``, a subset of ``s.blocking``: only those)."""
    has_date = (R.date >= 0) & usable
    c_date = C.date >= 0
    r_name = (R.name >= 0) & usable
    c_name = C.name >= 0
    parts = []  # each rule's pairs as keys (8 bytes a pair), freed rule by rule

    def add(found: pd.DataFrame) -> None:
        parts.append(_pair_key(found["row"].to_numpy(), found["rec"].to_numpy(), len(C.nid)))

    for rule in (s.blocking if rules is None else rules):
        if rule == ("national_id",):
            add(_join([R.nid], [C.nid], usable & (R.nid >= 0), C.nid >= 0))
        elif rule == ("id_one_edit",):
            # only IDs that are not in the export at all: a typo is the likely story
            unknown = usable & (R.nid >= 0) & ~pd.Series(R.nid).isin(C.nid).to_numpy()
            rows = np.nonzero(unknown)[0]
            qpos, variants = _id_variants(R.nid[rows])
            order = np.argsort(C.nid, kind="stable")  # of duplicate IDs, the first record: as in any partition
            sorted_ids = C.nid[order]
            loc = np.clip(np.searchsorted(sorted_ids, variants), 0, max(len(sorted_ids) - 1, 0))
            hit = sorted_ids[loc] == variants if len(sorted_ids) else np.zeros(len(variants), bool)
            add(pd.DataFrame({"row": rows[qpos[hit]], "rec": order[loc[hit]]}))
        elif rule == ("name_key", "birth_year"):
            add(_join([R.name, R.year], [C.name, C.year], r_name & (R.year > 0), c_name & (C.year > 0),
                      s.max_block))
        elif rule == ("ward_code", "birth_date"):
            full_r = has_date & ~R.year_only
            full_c = c_date & ~C.year_only
            add(_join([R.ward, R.date], [C.ward, C.date], full_r, full_c))
        elif rule == ("ward_code", "given_key", "birth_year"):
            add(_join([R.ward, R.given, R.year], [C.ward, C.given, C.year], r_name & (R.year > 0),
                      c_name & (C.year > 0), s.max_block))
        elif rule == ("ward_code", "name_key"):
            add(_join([R.ward, R.name], [C.ward, C.name], r_name, c_name, s.max_block))
        elif rule == ("phone",):
            add(_join([R.phone], [C.phone], (R.phone >= 0) & usable, C.phone >= 0, s.max_block))
        else:
            raise ValueError(f"unknown blocking rule {rule}")
    return _unique_pairs(np.concatenate(parts) if parts else np.empty(0, np.int64), len(C.nid))


def _pair_key(row: np.ndarray, rec: np.ndarray, n_recs: int) -> np.ndarray:
    return row.astype(np.int64) * (n_recs + 1) + rec


def _unique_pairs(key: np.ndarray, n_recs: int) -> pd.DataFrame:
    """Distinct (row, rec) from their ``_pair_key``s, sorted by row then rec: each row's
    candidates are one run, which is what lets ``decide`` find the best two per row without
    sorting by weight. Sorts ``key`` in place."""
    key = _sorted_unique(key)
    return pd.DataFrame({"row": key // (n_recs + 1), "rec": key % (n_recs + 1)})


def _sorted_unique(a: np.ndarray) -> np.ndarray:
    """The distinct values of ``a``, ascending; sorts ``a`` in place. Sort and neighbour test:
    np.unique's hash path is several times slower on these int64 keys."""
    a.sort()
    return a[np.r_[True, a[1:] != a[:-1]]] if len(a) else a


# ------------------------------------------------------------------ comparison


def compare(R: Side, C: Side, pairs: pd.DataFrame, tables: Tables, name_freq: np.ndarray,
            s: Settings = SETTINGS) -> pd.DataFrame:
    """Comparison level codes for every pair (-1 where either side is missing)."""
    ri = pairs["row"].to_numpy()
    ci = pairs["rec"].to_numpy()
    out = {"row": ri, "rec": ci}

    # One field at a time, so that each field's gathered codes (8 bytes a pair) are freed
    # before the next field's: at province scale a pair column is ~140 MB.
    out["id"] = _id_level(R.nid[ri], C.nid[ci])
    out["name"], out["name_sim"] = _name_level(R.name[ri], C.name[ci], tables, s)
    out["name_freq"] = name_freq[ci]
    out["dob"] = _dob_level(R, C, ri, ci)
    out["gender"] = _equal_level(R.gender[ri], C.gender[ci], absent=0)
    out["phone"] = _equal_level(R.phone[ri], C.phone[ci], absent=-1)
    # A row without a ward (a staff roster) says nothing about where its person lives.
    out["ward"] = np.where(R.ward[ri] < 0, MISSING, np.where(R.ward[ri] == C.ward[ci], 0, 1)).astype(np.int8)
    out["household"] = np.full(len(ri), MISSING, np.int8)
    return pd.DataFrame(out)


def _id_level(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    exact = (a >= 0) & (a == b)
    one = ~exact & _one_edit(a, b)
    return np.select([a < 0, exact, one], [MISSING, 0, 1], 2).astype(np.int8)


def _name_level(rn: np.ndarray, cn: np.ndarray, tables: Tables, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    empty = rn < 0
    n_exact = ~empty & (rn == cn)
    jw = np.where(n_exact, 1.0, 0.0)
    fuzzy = np.flatnonzero(~empty & ~n_exact & (cn >= 0))
    if len(fuzzy):
        jw[fuzzy] = process.cpdist(tables.names[rn[fuzzy]].tolist(), tables.names[cn[fuzzy]].tolist(),
                                   scorer=JaroWinkler.normalized_similarity, workers=-1)
    level = np.select([empty, n_exact, jw >= s.name_close, jw >= s.name_similar], [MISSING, 0, 1, 2], 3)
    return level.astype(np.int8), jw


def _dob_level(R: Side, C: Side, ri: np.ndarray, ci: np.ndarray) -> np.ndarray:
    ry, cy = R.year[ri], C.year[ci]
    missing = (ry == 0) | (cy == 0)
    yonly = R.year_only[ri] | C.year_only[ci]
    d_exact = ~missing & ~yonly & (R.date[ri] == C.date[ci])
    return np.select([missing, d_exact, ry == cy], [MISSING, 0, 1], 2).astype(np.int8)


def _equal_level(a: np.ndarray, b: np.ndarray, absent: int) -> np.ndarray:
    """Agree / disagree on a coded field whose code ``absent`` means not given."""
    return np.select([(a == absent) | (b == absent), a == b], [MISSING, 0], 1).astype(np.int8)


def default_weights(s: Settings = SETTINGS) -> dict:
    w = {f: {lv.name: lv.weight for lv in levels} for f, levels in s.comparisons.items()}
    w["name_m_exact"] = s.comparisons["name"][0].m
    return w


def weigh(levels: pd.DataFrame, weights: dict) -> np.ndarray:
    """Total match weight of every pair: the sum of its levels' log2(m/u) (missing counts 0);
    exact name agreement uses u = the name's frequency (term-frequency adjustment)."""
    total = np.zeros(len(levels))
    for f in FIELDS:
        table = np.array([weights[f][name] for name in LEVEL_NAMES[f]] + [0.0])  # index -1 → 0.0
        total += table[levels[f].to_numpy()]
    tf = np.log2(weights["name_m_exact"] / levels["name_freq"].to_numpy())
    is_exact = levels["name"].to_numpy() == 0
    total += np.where(is_exact, tf - weights["name"]["exact"], 0.0)
    return total


# Defaults of the estimate (``estimate_weights``): prior strength, random pairs for u, its seed, and
# the smallest export worth estimating from.
PRIOR, SAMPLE, SEED, MIN_RECORDS = 50.0, 200_000, 0, 2000
ESTIMATED = tuple(f for f in FIELDS if f != "household")


def estimable(n_rows: int, n_records: int) -> bool:
    """Enough people to estimate m and u from (else the settings' defaults are kept)."""
    return n_records >= MIN_RECORDS and n_rows >= MIN_RECORDS // 4


# Every pair ``m_counts`` selects is found by these two blocking rules alone: an exact ID
# agreement by the first; exact name, full birth date and ward by the second.
M_RULES = (("national_id",), ("ward_code", "birth_date"))


def m_counts(levels: pd.DataFrame, s: Settings = SETTINGS) -> dict[str, np.ndarray]:
    """Per field, how many candidate pairs fall in each comparison level among the pairs that
    select m: those agreeing on an exact ID (every field but the ID), and those agreeing on exact
    name, full birth date and ward (the ID). Counts add up over partitions of the rows."""
    by_id = levels[levels["id"] == 0]
    by_nd = levels[(levels["name"] == 0) & (levels["dob"] == 0) & (levels["ward"] == 0)]
    out = {}
    for f in ESTIMATED:
        src = (by_nd if f == "id" else by_id)[f].to_numpy()
        out[f] = np.bincount(src[src >= 0], minlength=len(s.comparisons[f]))
    return out


def random_pairs(n_rows: int, n_records: int, sample: int = SAMPLE, seed: int = SEED) -> pd.DataFrame:
    """The random (row, record) pairs u is estimated on: DataFrame(row, rec), positions."""
    rng = np.random.default_rng(seed)
    n = min(sample, n_rows * 4)
    return pd.DataFrame({"row": rng.integers(0, n_rows, n), "rec": rng.integers(0, n_records, n)})


def u_counts(R: Side, C: Side, pairs: pd.DataFrame, tables: Tables, name_freq: np.ndarray,
             s: Settings = SETTINGS) -> dict[str, np.ndarray]:
    """Per field, how many of ``pairs`` (``random_pairs``: nearly all different people) fall in
    each comparison level."""
    rand = compare(R, C, pairs, tables, name_freq, s)
    out = {}
    for f in ESTIMATED:
        src = rand[f].to_numpy()
        out[f] = np.bincount(src[src >= 0], minlength=len(s.comparisons[f]))
    return out


def weights_from(m: dict[str, np.ndarray], u: dict[str, np.ndarray], n_records: int, s: Settings = SETTINGS,
                 prior: float = PRIOR) -> dict:
    """Fellegi–Sunter log2(m/u) weights from the counts of ``m_counts`` and ``u_counts``, shrunk
    toward the defaults of ``s``: every estimate is (count + prior·default) / (n + prior), and u is
    corrected for the ~1/|records| chance that a random pair is the same person."""
    weights = default_weights(s)
    p_same = 1.0 / n_records
    for f in ESTIMATED:
        m_c, u_c = m[f], u[f]
        for i, lv in enumerate(s.comparisons[f]):
            mi = (m_c[i] + prior * lv.m) / (m_c.sum() + prior)
            ui = (u_c[i] + prior * lv.u) / (u_c.sum() + prior)
            ui = max((ui - p_same * mi) / (1 - p_same), lv.u * 0.01)
            weights[f][lv.name] = float(np.log2(max(mi, 1e-9) / ui))
            if f == "name" and i == 0:
                weights["name_m_exact"] = float(mi)
    return weights


def estimate_weights(R: Side, C: Side, levels: pd.DataFrame, tables: Tables, name_freq: np.ndarray,
                     s: Settings = SETTINGS) -> dict:
    """Fellegi–Sunter m and u from this run's data (all of it in ``R``, ``C``, ``levels``), shrunk
    toward the defaults of ``s``.

    - u: level frequencies among random (row, record) pairs, nearly all different people;
    - m for name, birth date, sex, phone, ward: among pairs that agree on an exact ID;
      m for the ID: among pairs that agree on exact name, full birth date and ward.
      Each field's m is estimated on pairs selected by *other* fields, so it is not biased
      by its own selection.
    Too small a population (``estimable``) keeps the defaults. A partitioned linkage adds up the
    same counts over its partitions (``link``), so its weights are these."""
    n_r, n_c = len(R.nid), len(C.nid)
    if not estimable(n_r, n_c):
        return default_weights(s)
    return weights_from(m_counts(levels, s), u_counts(R, C, random_pairs(n_r, n_c), tables, name_freq, s), n_c, s)


def household_context(R: Side, C: Side, levels: pd.DataFrame, anchors: pd.DataFrame) -> np.ndarray:
    """Rows of one listed household vote for the MA_HO of their ID-linked members.

    ``anchors``: DataFrame(row, rec) of confident links. A pair "agrees" when another row of the
    same listed household is anchored to a record of the candidate's household; "differs" when
    other rows of the household are anchored, but elsewhere."""
    ri = levels["row"].to_numpy()
    ci = levels["rec"].to_numpy()
    ar, ac = anchors["row"].to_numpy(), anchors["rec"].to_numpy()
    hh_r, hh_c = R.household, C.household
    width = np.int64(hh_c.max() + 2 if len(hh_c) else 2)
    vote_key = hh_r[ar] * width + hh_c[ac]
    pair_key = hh_r[ri] * width + hh_c[ci]
    votes = pd.Series(vote_key).value_counts()
    n = pd.Series(pair_key).map(votes).fillna(0).to_numpy()
    own = np.full(len(hh_r), -1, np.int64)
    own[ar] = vote_key
    n = n - (own[ri] == pair_key)  # a row's own anchor does not vote for itself
    anchored_per_hh = pd.Series(hh_r[ar]).value_counts()
    known = pd.Series(hh_r[ri]).map(anchored_per_hh).fillna(0).to_numpy() - (own[ri] >= 0)
    return np.select([n > 0, known > 0], [0, 1], MISSING).astype(np.int8)


# ------------------------------------------------------------------ decision


def _best_two(rows: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rows`` sorted (each row's pairs one run) → (position of each row's best pair, the
    runner-up's weight or -inf). Two segmented maxima: no sort of the pairs by weight."""
    if not len(rows):
        return np.empty(0, np.int64), np.empty(0)
    new = np.r_[True, rows[1:] != rows[:-1]]
    starts = np.flatnonzero(new)
    seg = np.cumsum(new) - 1
    top = np.maximum.reduceat(weight, starts)
    at_top = np.flatnonzero(weight == top[seg])
    best = at_top[np.r_[True, seg[at_top][1:] != seg[at_top][:-1]]]  # first of ties
    rest = weight.copy()
    rest[best] = -np.inf
    return best, np.maximum.reduceat(rest, starts)


def decide(n_rows: int, levels: pd.DataFrame, weight: np.ndarray, s: Settings = SETTINGS) -> pd.DataFrame:
    """Per row: the best pair, the runner-up's weight and the status. ``levels`` is sorted by row.

    A row whose best record another row took is settled afterwards, nationally (``_taken_rule``)."""
    best_idx, runner = _best_two(levels["row"].to_numpy(), weight)
    best = levels.iloc[best_idx].set_index("row")
    w = weight[best_idx]
    best["weight"] = w
    best["runner_up"] = np.where(np.isfinite(runner), runner, np.nan)
    margin = w - runner
    status = np.where((w >= s.match_weight) & (margin >= s.margin), "matched",
                      np.where(w >= s.review_weight, "review", "unmatched"))
    best["match_status"] = status
    out = best.reindex(range(n_rows))
    out["match_status"] = out["match_status"].fillna("unmatched")
    return out


def method_of(best: pd.DataFrame) -> np.ndarray:
    idc, nc, dc, pc, hc = (best[f].to_numpy() for f in ("id", "name", "dob", "phone", "household"))
    return np.select([idc == 0, idc == 1, (nc >= 0) & (nc <= 1) & (dc >= 0) & (dc <= 1), pc == 0, hc == 0],
                     ["id_exact", "id_fuzzy", "name_dob", "phone", "household"], "name_dob")


def agreements_of(best: pd.DataFrame) -> np.ndarray:
    """'id=exact name=close dob=exact ...': which fields agreed, for every match. Built once per
    distinct combination of levels (a few hundred), shared by the rows that have it."""
    if not len(best):
        return np.array([], object)
    key = np.zeros(len(best), np.int64)
    for f in FIELDS:  # levels are -1..3: one base-5 digit per field
        key = key * 5 + best[f].to_numpy().astype(np.int64) + 1
    which, combos = pd.factorize(key)
    labels = []
    for combo in combos:
        digits = [(int(combo) // 5 ** (len(FIELDS) - 1 - i)) % 5 for i in range(len(FIELDS))]
        labels.append(" ".join(f"{f}={(LEVEL_NAMES[f] + ('missing',))[d - 1]}" for f, d in zip(FIELDS, digits)))
    labels = np.array(labels, dtype=object)
    return labels[which]


def decision_pairs(rows: pd.DataFrame, recs: pd.DataFrame, decisions: pd.DataFrame | None,
                   usable: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People's review decisions (CONTRACT §5) as pairs of positions: "not the same person"
    → banned (row, rec), "same person" → forced (row, rec), one per row."""
    empty = pd.DataFrame({"row": np.empty(0, np.int64), "rec": np.empty(0, np.int64)})
    if decisions is None or decisions.empty:
        return empty, empty
    rec_pos = pd.Series(np.arange(len(recs)), index=recs["identity_id"].to_numpy())
    rec_pos = rec_pos[~rec_pos.index.duplicated()]
    d = decisions.loc[decisions["identity_id"].isin(rec_pos.index), ["person_key", "identity_id", "decision"]]
    by_key = pd.DataFrame({"person_key": rows["person_key"].to_numpy(), "row": np.arange(len(rows))})[usable]
    d = d.merge(by_key, on="person_key", how="inner")
    d["rec"] = rec_pos.reindex(d["identity_id"]).to_numpy()
    banned = d.loc[d["decision"] == "not_same", ["row", "rec"]].astype(np.int64)
    forced = d.loc[d["decision"] == "same", ["row", "rec"]].astype(np.int64).drop_duplicates("row")
    return banned.reset_index(drop=True), forced.reset_index(drop=True)


def _with_decisions(pairs: pd.DataFrame, banned: pd.DataFrame, forced: pd.DataFrame, n_recs: int) -> pd.DataFrame:
    """"Not the same person" removes that pairing for good; "same person" adds it."""
    if not len(banned) and not len(forced):
        return pairs
    if len(banned):
        keyed = pairs.merge(banned.assign(_ban=True), on=["row", "rec"], how="left")
        pairs = pairs[keyed["_ban"].isna().to_numpy()]
    both = pd.concat([pairs, forced], ignore_index=True)
    return _unique_pairs(_pair_key(both["row"].to_numpy(), both["rec"].to_numpy(), n_recs), n_recs)


# ------------------------------------------------------------------ linkage, whole or by partition

BEST_COLUMNS = ["rec", "weight", "runner_up", "match_status", *FIELDS]


def _national(rows: pd.DataFrame, recs: pd.DataFrame) -> tuple[Side, Side, Tables, np.ndarray, np.ndarray]:
    """Both sides coded once for the whole run (a partition takes its people's codes), the term
    frequency of every record's folded name (the share of the whole export carrying it, '' counting
    as a name, at least 1/|export|) and which rows can be linked at all.
    → (R, C, tables, name shares, usable)."""
    listed_household = rows.groupby(["source", "sheet", "household_seq"], sort=False).ngroup().to_numpy()
    ma_ho = pd.factorize(recs["household_code"].fillna(""))[0].astype(np.int64)
    R, C, tables = _sides(rows, recs, listed_household.astype(np.int64), ma_ho)
    n = max(len(C.name), 1)
    counts = np.bincount(C.name + 1, minlength=len(tables.names) + 1)
    shares = np.maximum(counts[C.name + 1] / n, 1.0 / n)
    usable = ~rows["invalid"].to_numpy(dtype=bool) if "invalid" in rows else np.ones(len(rows), bool)
    return R, C, tables, shares, usable


def _compared(R: Side, C: Side, tables: Tables, shares: np.ndarray, usable: np.ndarray, banned: pd.DataFrame,
              forced: pd.DataFrame, s: Settings, rules: tuple[tuple[str, ...], ...] | None = None) -> pd.DataFrame:
    """Blocking (``rules``: only those), people's decisions, comparison → the levels of every pair."""
    pairs = _with_decisions(candidate_pairs(R, C, usable, s, rules), banned, forced, len(C.nid))
    return compare(R, C, pairs, tables, shares, s)


def _decided(R: Side, C: Side, levels: pd.DataFrame, forced: pd.DataFrame, weights: dict, s: Settings) -> pd.DataFrame:
    """Weigh, add the household context, decide: a row per row of R (BEST_COLUMNS and the levels'),
    before the national rule on records taken by another row (``_taken_rule``)."""
    n_rows = len(R.nid)
    weight = weigh(levels, weights)
    first = decide(n_rows, levels, weight, s)
    anchored = first[(first["match_status"] == "matched") & (first["id"] == 0)]
    anchors = pd.DataFrame({"row": anchored.index.to_numpy(), "rec": anchored["rec"].astype(np.int64).to_numpy()})
    del first, anchored
    levels["household"] = household_context(R, C, levels, anchors)
    weight = weigh(levels, weights)
    if len(forced):
        hit = levels[["row", "rec"]].merge(forced.assign(_f=True), on=["row", "rec"], how="left")["_f"].notna()
        weight = weight + np.where(hit.to_numpy(), 1000.0, 0.0)  # a person's decision wins
    return decide(n_rows, levels, weight, s)


def _taken_rule(best: pd.DataFrame, n_records: int) -> pd.DataFrame:
    """A row whose best candidate is a record some row matched confidently, and that does not
    clear the match weight itself, is unmatched, not review (unless that row is a confident
    duplicate). National: the matched row may be in another partition."""
    status = best["match_status"].to_numpy()
    rec = best["rec"].to_numpy()
    taken = np.zeros(n_records, bool)
    taken[rec[status == "matched"].astype(np.int64)] = True
    review = np.flatnonzero(status == "review")
    busy = np.zeros(len(best), bool)
    busy[review] = taken[rec[review].astype(np.int64)]
    best["match_status"] = np.where(busy, "unmatched", status)
    return best


@dataclass
class Partition:
    """One partition of a linkage: ``rows``, positions of its rows (ascending: every row of the
    wards it holds); ``recs``, positions of its records (ascending: every record of those wards,
    and the keyed extract of records elsewhere that share a national blocking key with its rows:
    ID, an ID one edit away, folded name and birth year, phone, a person's "same person" decision)."""

    rows: np.ndarray
    recs: np.ndarray


def ward_partitions(rows: pd.DataFrame, recs: pd.DataFrame, max_rows: int) -> pd.Series:
    """ward_code → partition number, for every ward of the rows and the export ('' included):
    wards in code order (official codes number a province's communes together, so a province's
    wards stay together) packed into partitions of at most ``max_rows`` rows; a ward is never
    split. Any grouping of whole wards gives the same links (``link``)."""
    r_ward = rows["ward_code"].fillna("").astype(str)
    wards = sorted(set(r_ward) | set(recs["ward_code"].fillna("").astype(str)))
    sizes = r_ward.value_counts().reindex(wards, fill_value=0)
    out, part, filled = {}, 0, 0
    for ward, n in sizes.items():
        if filled and filled + n > max_rows:
            part, filled = part + 1, 0
        out[ward] = part
        filled += int(n)
    return pd.Series(out, dtype=np.int64)


def plan_partitions(R: Side, C: Side, tables: Tables, part_of_ward: pd.Series,
                    forced: pd.DataFrame | None = None) -> list[Partition]:
    """The ``Partition``s of R × C (``_national``) by ``part_of_ward`` (``ward_partitions``).
    Each national blocking rule's key is joined once, rows' keys (with their partition) to
    records' keys, on the sides' integer codes: the extract grows with the pairs found, not with
    partitions × export."""
    by_code = np.append(pd.Series(tables.wards).map(part_of_ward).to_numpy(np.int64),
                        part_of_ward.get("", 0))     # code -1: no ward
    r_part, c_part = by_code[R.ward], by_code[C.ward]
    n_parts = int(max(r_part.max(initial=0), c_part.max(initial=0))) + 1
    c_pos = np.arange(len(C.nid), dtype=np.int64)
    pulls = [c_part * len(C.nid) + c_pos]   # (partition, record) as one int64

    def pull(r_key: np.ndarray, c_key: np.ndarray, r_part_of_key: np.ndarray = r_part) -> None:
        ok = r_key >= 0
        wanted = _sorted_unique(r_key[ok] * n_parts + r_part_of_key[ok])     # (key, partition), once
        keyed = pd.DataFrame({"k": wanted // n_parts, "part": wanted % n_parts})
        right = pd.DataFrame({"k": c_key[c_key >= 0], "rec": c_pos[c_key >= 0]})
        found = keyed.merge(right, on="k")
        pulls.append(found["part"].to_numpy(np.int64) * len(C.nid) + found["rec"].to_numpy(np.int64))

    pull(R.nid, C.nid)
    unknown = np.flatnonzero((R.nid >= 0) & ~pd.Series(R.nid).isin(C.nid).to_numpy())
    at, variants = _id_variants(R.nid[unknown])
    pull(variants, C.nid, r_part[unknown][at])
    pull(np.where((R.name >= 0) & (R.year > 0), R.name.astype(np.int64) * 10_000 + R.year, -1),
         np.where((C.name >= 0) & (C.year > 0), C.name.astype(np.int64) * 10_000 + C.year, -1))
    pull(R.phone.astype(np.int64), C.phone.astype(np.int64))
    if forced is not None and len(forced):
        fr, fc = forced["row"].to_numpy(np.int64), forced["rec"].to_numpy(np.int64)
        pulls.append(r_part[fr] * len(C.nid) + fc)

    both = _sorted_unique(np.concatenate(pulls))     # by partition, then record
    part_of, rec_of = both // len(C.nid), both % len(C.nid)
    starts = np.searchsorted(part_of, np.arange(n_parts + 1))
    return [Partition(rows=np.flatnonzero(r_part == p), recs=rec_of[starts[p]:starts[p + 1]])
            for p in np.unique(r_part)]


def _local(pairs: pd.DataFrame, part: Partition) -> pd.DataFrame:
    """Pairs of whole-run positions → the partition's positions (pairs outside it dropped)."""
    row, rec = pairs["row"].to_numpy(np.int64), pairs["rec"].to_numpy(np.int64)
    r = np.searchsorted(part.rows, row)
    c = np.searchsorted(part.recs, rec)
    inside = (r < len(part.rows)) & (c < len(part.recs))
    inside[inside] = (part.rows[r[inside]] == row[inside]) & (part.recs[c[inside]] == rec[inside])
    return pd.DataFrame({"row": r[inside], "rec": c[inside]})


def partition_m_counts(R: Side, C: Side, tables: Tables, shares, usable, banned, forced,
                       s: Settings = SETTINGS) -> dict[str, np.ndarray]:
    """A partition's share of the national m counts (first of a partitioned linkage's two passes):
    only the pairs of ``M_RULES`` are compared, the only ones these counts select."""
    return m_counts(_compared(R, C, tables, shares, usable, banned, forced, s, M_RULES), s)


def partition_best(R: Side, C: Side, tables: Tables, shares, usable, banned, forced, weights: dict,
                   s: Settings = SETTINGS) -> pd.DataFrame:
    """A partition's decisions with the national weights: BEST_COLUMNS by the partition's row
    position, ``rec`` by the partition's record position (second pass)."""
    levels = _compared(R, C, tables, shares, usable, banned, forced, s)
    return _decided(R, C, levels, forced, weights, s)[BEST_COLUMNS]


def link(rows: pd.DataFrame, recs: pd.DataFrame, s: Settings = SETTINGS,
         decisions: pd.DataFrame | None = None, weights: dict | None = None,
         partitions: pd.Series | None = None, submit=None, meanwhile=None) -> pd.DataFrame:
    """rows (reconcile.stages.prepare_rows, then matchers.records.number_households) × recs
    (normalize_identity) → one result per row:
    match_status, rec (position in recs or NaN), identity_id, method, score, agreements, plus
    the best pair's comparison levels (id, name, dob, gender, phone, ward, household); its
    ``attrs``: ``weights`` (the m/u log-weights used), ``partitions`` (how many).
    ``decisions`` (person_key, identity_id, decision) are people's review conclusions.
    ``weights``: m/u log-weights to use instead of estimating them from these rows (another
    linkage's ``attrs['weights']``: cadres and staff are linked with the households' model).

    ``partitions`` (ward_code → partition, ``ward_partitions``; issue 15): link partition by
    partition, each against its own wards' records and a keyed extract of the others
    (``plan_partitions``), with the run's codes, national term frequencies, national m/u (a first
    pass adds up each partition's ``m_counts``) and the national rule on taken records: the
    links are the whole linkage's, row for row. ``submit(fn, *args)`` → a future runs a
    partition's pass (an executor's ``submit``; default: here, one after another).
    ``meanwhile(weights)``, if given, is called with the m/u log-weights once they are known: by
    partitions, while the second pass runs (the flow links its cadres and staff there, with the
    same weights, on the core the pool leaves idle at the pass's end)."""
    index = rows.index
    rows = rows.reset_index(drop=True)
    recs = recs.reset_index(drop=True)
    R, C, tables, shares, usable = _national(rows, recs)
    banned, forced = decision_pairs(rows, recs, decisions, usable)
    if partitions is None:
        levels = _compared(R, C, tables, shares, usable, banned, forced, s)
        if weights is None:
            weights = estimate_weights(R, C, levels, tables, shares, s)
        best = _decided(R, C, levels, forced, weights, s)
        del levels
        count = 1
        if meanwhile is not None:
            meanwhile(weights)
    else:
        best, weights, count = _linked_by_partition(R, C, tables, shares, usable, banned, forced, weights,
                                                    partitions, s, submit, meanwhile)
    best = _taken_rule(best, len(recs))
    out = _result(best, rows, recs, index, weights, s)
    out.attrs["partitions"] = count
    return out


def _linked_by_partition(R, C, tables, shares, usable, banned, forced, weights, partitions, s, submit,
                         meanwhile=None):
    plan = plan_partitions(R, C, tables, partitions, forced)

    def submitted(fn, *extra) -> list[tuple[Partition, object]]:
        return [(part, _submit(submit, fn, R.take(part.rows), C.take(part.recs), tables, shares[part.recs],
                               usable[part.rows], _local(banned, part), _local(forced, part), *extra, s))
                for part in plan]

    if weights is None:
        if estimable(len(R.nid), len(C.nid)):
            counted = [future.result() for _, future in submitted(partition_m_counts)]
            total = {f: sum(counts[f] for counts in counted) for f in ESTIMATED}
            weights = weights_from(total, u_counts(R, C, random_pairs(len(R.nid), len(C.nid)), tables, shares, s),
                                   len(C.nid), s)
        else:
            weights = default_weights(s)
    second = submitted(partition_best, weights)
    if meanwhile is not None:
        meanwhile(weights)
    parts = []
    for part, future in second:
        best = future.result()
        local = best["rec"].to_numpy()
        has = ~np.isnan(local)
        best["rec"] = np.where(has, part.recs[np.where(has, local, 0).astype(np.int64)], np.nan)
        best.index = part.rows
        parts.append(best)
    best = pd.concat(parts).reindex(range(len(R.nid))) if parts else pd.DataFrame(columns=BEST_COLUMNS)
    return best, weights, len(plan)


class _Done:
    def __init__(self, value) -> None:
        self.value = value

    def result(self):
        return self.value


def _submit(submit, fn, *args):
    return submit(fn, *args) if submit is not None else _Done(fn(*args))


def _result(best: pd.DataFrame, rows: pd.DataFrame, recs: pd.DataFrame, index: pd.Index, weights: dict,
            s: Settings) -> pd.DataFrame:
    """The decided best pairs (``_decided``) → ``link``'s frame."""
    has = best["rec"].notna().to_numpy()
    rec = best["rec"].to_numpy()
    by_review = has & (best["weight"].fillna(0).to_numpy() >= 500)
    w = best["weight"].fillna(0).to_numpy() - np.where(by_review, 1000.0, 0.0)
    out = pd.DataFrame(index=index)
    out["match_status"] = np.where(by_review, "matched", best["match_status"].to_numpy())
    out["rec"] = best["rec"].to_numpy()
    out["weight"] = np.where(has, w, np.nan)
    out["runner_up"] = best["runner_up"].to_numpy()
    ids = recs["identity_id"].to_numpy()
    out["identity_id"] = np.where(has, ids[np.where(has, rec, 0).astype(np.int64)], "")
    out["score"] = np.where(has, 1.0 / (1.0 + np.exp2(-(w - s.score_midpoint))), 0.0)
    out.loc[by_review, "score"] = 1.0
    filled = best[has]
    for f in FIELDS:
        names = np.array(list(LEVEL_NAMES[f]) + ["missing"], dtype=object)
        col = np.full(len(rows), "", dtype=object)
        col[has] = names[filled[f].to_numpy().astype(np.int64)]
        out[f] = col
    method = np.full(len(rows), "", dtype=object)
    method[has] = method_of(filled)
    method[by_review] = "review"
    out["method"] = method
    agreements = np.full(len(rows), "", dtype=object)
    agreements[has] = agreements_of(filled)
    out["agreements"] = agreements
    unmatched = out["match_status"].to_numpy() == "unmatched"
    out.loc[unmatched, ["identity_id", "method"]] = ""
    out.attrs["weights"] = weights
    return out
