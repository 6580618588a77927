"""Staged, explainable linkage of list rows to identity records.

1. candidates: exact ID; ID one substitution or adjacent transposition away; blocked
   name + birth date keys; phone (``SETTINGS.blocking``);
2. every candidate pair is compared field by field, each comparison level carrying a
   Fellegi–Sunter weight log2(m/u) (``SETTINGS.comparisons``); names use term-frequency u
   (how common the folded name is in the export), so "Nguyễn Văn Hùng" proves little alone;
3. household context: rows listed in one household whose other members were linked by ID
   say which MA_HO an ambiguous row belongs to;
4. per row the best pair wins if it clears the match threshold *and* beats the runner-up by
   a margin; otherwise review or unmatched (``SETTINGS.thresholds``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
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
    # Which pairs are compared at all (each rule is a join key; their union is the candidate set).
    blocking: tuple[tuple[str, ...], ...] = (
        ("national_id",),                     # exact ID
        ("id_one_edit",),                     # ID one substitution / adjacent transposition away
        ("name_key", "birth_year"),           # same folded name and year
        ("ward_code", "birth_date"),          # same full date in the ward (name typos)
        ("ward_code", "given_key", "birth_year"),  # same given name and year in the ward
        ("ward_code", "name_key"),            # wrong birth year, same name in the ward
        ("phone",),                           # same account phone
    )
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


def _levels(s: Settings, comparison: str) -> dict[str, float]:
    return {lv.name: lv.weight for lv in s.comparisons[comparison]}


# ------------------------------------------------------------------ candidate generation


def _id_variants(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All strings one substitution or adjacent transposition from each 12-digit id.
    → (query position, variant). Done with numpy on a byte matrix, not per string."""
    n = len(ids)
    if n == 0:
        return np.empty(0, np.int64), np.empty(0, "U12")
    mat = np.frombuffer("".join(ids).encode("ascii"), dtype=np.uint8).reshape(n, 12)
    pos_list, var_list = [], []
    digits = np.arange(48, 58, dtype=np.uint8)
    for p in range(12):
        for d in digits:
            keep = mat[:, p] != d
            if not keep.any():
                continue
            v = mat[keep].copy()
            v[:, p] = d
            pos_list.append(np.nonzero(keep)[0])
            var_list.append(v)
    for p in range(11):
        keep = mat[:, p] != mat[:, p + 1]
        v = mat[keep].copy()
        v[:, [p, p + 1]] = v[:, [p + 1, p]]
        pos_list.append(np.nonzero(keep)[0])
        var_list.append(v)
    pos = np.concatenate(pos_list)
    var = np.concatenate(var_list).view("S12").ravel().astype("U12")
    return pos, var


def _one_edit(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a[i] and b[i] (12-digit strings) differ by one substitution or adjacent transposition."""
    ok = (np.char.str_len(a.astype(str)) == 12) & (np.char.str_len(b.astype(str)) == 12)
    out = np.zeros(len(a), bool)
    if not ok.any():
        return out
    A = np.frombuffer("".join(a[ok]).encode(), np.uint8).reshape(-1, 12)
    B = np.frombuffer("".join(b[ok]).encode(), np.uint8).reshape(-1, 12)
    diff = A != B
    nd = diff.sum(1)
    sub = nd == 1
    # adjacent transposition: exactly two neighbouring positions differ, swapped
    first = diff.argmax(1)
    nxt = np.minimum(first + 1, 11)
    rows = np.arange(len(A))
    trans = (nd == 2) & diff[rows, nxt] & (A[rows, first] == B[rows, nxt]) & (A[rows, nxt] == B[rows, first])
    out[ok] = sub | trans
    return out


def candidate_pairs(rows: pd.DataFrame, recs: pd.DataFrame, s: Settings = SETTINGS) -> pd.DataFrame:
    """→ DataFrame(row, rec) of positional indices, unique."""
    r = rows.reset_index(drop=True)
    c = recs.reset_index(drop=True)
    parts = []
    for rule in s.blocking:
        if rule == ("id_one_edit",):
            parts.append(_id_one_edit_pairs(r, c))
            continue
        left = r[list(rule)].copy()
        right = c[list(rule)].copy()
        # never block on empty values
        lmask = np.ones(len(left), bool)
        rmask = np.ones(len(right), bool)
        for k in rule:
            lmask &= left[k].notna().to_numpy() & (left[k].astype(str) != "").to_numpy()
            rmask &= right[k].notna().to_numpy() & (right[k].astype(str) != "").to_numpy()
        if rule == ("national_id",):
            lmask &= (r["id_state"] == "ok").to_numpy() | (r["national_id"].str.len() == 12).to_numpy()
        left = left[lmask].assign(row=np.nonzero(lmask)[0])
        right = right[rmask].assign(rec=np.nonzero(rmask)[0])
        if rule in (("ward_code", "name_key"), ("name_key", "birth_year")):
            # Very common names make huge blocks; those pairs are reached by the other rules.
            sizes = right.groupby(list(rule), sort=False)["rec"].transform("size")
            right = right[sizes <= 50]
        parts.append(left.merge(right, on=list(rule), how="inner")[["row", "rec"]])
    pairs = pd.concat(parts, ignore_index=True).drop_duplicates(ignore_index=True)
    return pairs


def _id_one_edit_pairs(r: pd.DataFrame, c: pd.DataFrame) -> pd.DataFrame:
    has12 = r["national_id"].str.fullmatch(r"\d{12}").fillna(False).to_numpy()
    idx = np.nonzero(has12)[0]
    pos, var = _id_variants(r["national_id"].to_numpy()[idx].astype("U12"))
    rec_ids = c["identity_id"].to_numpy().astype("U12")
    order = np.argsort(rec_ids)
    sorted_ids = rec_ids[order]
    loc = np.searchsorted(sorted_ids, var)
    loc = np.minimum(loc, len(sorted_ids) - 1) if len(sorted_ids) else loc
    hit = (sorted_ids[loc] == var) if len(sorted_ids) else np.zeros(len(var), bool)
    return pd.DataFrame({"row": idx[pos[hit]], "rec": order[loc[hit]]})


# ------------------------------------------------------------------ comparison


def compare(rows: pd.DataFrame, recs: pd.DataFrame, pairs: pd.DataFrame, s: Settings = SETTINGS) -> pd.DataFrame:
    """Comparison levels for every pair (positional indices into rows / recs), no weights yet."""
    ri = pairs["row"].to_numpy()
    ci = pairs["rec"].to_numpy()
    R = rows.reset_index(drop=True)
    C = recs.reset_index(drop=True)
    out = pairs.copy()

    rid = R["national_id"].to_numpy()[ri].astype(str)
    cid = C["identity_id"].to_numpy()[ci].astype(str)
    has = np.char.str_len(rid) == 12
    exact = has & (rid == cid)
    one = has & ~exact & _one_edit(rid, cid)
    out["id"] = np.select([exact, one, has], ["exact", "one_edit", "differ"], "missing")

    rn = R["name_key"].to_numpy()[ri]
    cn = C["name_key"].to_numpy()[ci]
    jw = (process.cpdist(list(rn), list(cn), scorer=JaroWinkler.normalized_similarity, workers=-1)
          if len(ri) else np.empty(0))
    n_exact = (rn == cn) & (rn != "")
    n_close = ~n_exact & (jw >= s.name_close)
    n_sim = ~n_exact & ~n_close & (jw >= s.name_similar)
    out["name"] = np.select([rn == "", n_exact, n_close, n_sim], ["missing", "exact", "close", "similar"], "differ")
    out["name_sim"] = jw
    # term frequency of the record's folded name: agreement on a common name proves little
    out["name_freq"] = np.maximum(C["name_freq"].to_numpy()[ci], 1.0 / max(len(C), 1))

    rd = R["birth_date"].to_numpy()[ri].astype(str)
    cd = C["birth_date"].to_numpy()[ci].astype(str)
    yonly = np.char.endswith(rd, "-00-00") | np.char.endswith(cd, "-00-00")
    d_missing = (rd == "") | (cd == "")
    d_exact = ~d_missing & ~yonly & (rd == cd)
    d_year = ~d_missing & ~d_exact & (np.char.ljust(rd, 4).astype("U4") == np.char.ljust(cd, 4).astype("U4"))
    out["dob"] = np.select([d_missing, d_exact, d_year], ["missing", "exact", "year"], "differ")

    for field, name in (("gender", "gender"), ("phone", "phone")):
        a = R[field].to_numpy()[ri].astype(str)
        b = C[field].to_numpy()[ci].astype(str)
        out[name] = np.select([(a == "") | (b == ""), a == b], ["missing", "agree"], "differ")

    rw = R["ward_code"].to_numpy()[ri].astype(str)
    cw = C["ward_code"].to_numpy()[ci].astype(str)
    out["ward"] = np.where(rw == cw, "same", "differ")
    out["household"] = "unknown"
    return out


FIELDS = ("id", "name", "dob", "gender", "phone", "ward", "household")


def default_weights(s: Settings = SETTINGS) -> dict[str, dict[str, float]]:
    return {c: {lv.name: lv.weight for lv in levels} for c, levels in s.comparisons.items()}


def weigh(scored: pd.DataFrame, weights: dict[str, dict[str, float]], s: Settings = SETTINGS) -> pd.DataFrame:
    """Total match weight of every pair: the sum of its levels' log2(m/u); 'missing' counts 0;
    exact name agreement uses u = the name's frequency (term-frequency adjustment)."""
    out = scored.copy()
    total = np.zeros(len(out))
    for field in FIELDS:
        table = {**weights[field], "missing": 0.0, "unknown": 0.0}
        total += out[field].map(table).fillna(0.0).to_numpy()
    m_exact = weights["name_m_exact"] if "name_m_exact" in weights else s.comparisons["name"][0].m
    tf = np.log2(m_exact / out["name_freq"].to_numpy()) - weights["name"]["exact"]
    total += np.where(out["name"].to_numpy() == "exact", tf, 0.0)
    out["weight"] = total
    return out


def estimate_weights(R: pd.DataFrame, C: pd.DataFrame, scored: pd.DataFrame, s: Settings = SETTINGS,
                     prior: float = 50.0, sample: int = 200_000, seed: int = 0,
                     min_records: int = 2000) -> dict:
    """Fellegi–Sunter m and u from this run's data, shrunk toward the defaults of ``s``.

    - u: level frequencies among random (row, record) pairs, nearly all different people;
    - m for name, birth date, sex, phone, ward: among pairs that agree on an exact ID;
      m for the ID: among pairs that agree on exact name, full birth date and ward.
      Each field's m is estimated on pairs selected by *other* fields, so it is not biased
      by its own selection.
    Every estimate is (count + prior·default) / (n + prior), and u is corrected for the ~1/|records|
    chance that a random pair is the same person. Too small a population to estimate from
    (fewer than ``min_records`` records) keeps the defaults."""
    weights = default_weights(s)
    if len(C) < min_records or len(R) < min_records // 4:
        return weights
    rng = np.random.default_rng(seed)
    n = min(sample, max(len(R) * 4, 1000))
    rand = pd.DataFrame({"row": rng.integers(0, max(len(R), 1), n), "rec": rng.integers(0, max(len(C), 1), n)})
    randc = compare(R, C, rand, s) if len(R) and len(C) else rand
    by_id = scored[scored["id"] == "exact"]
    by_nd = scored[(scored["name"] == "exact") & (scored["dob"] == "exact") & (scored["ward"] == "same")]
    p_same = 1.0 / len(C)
    for field, levels in s.comparisons.items():
        if field == "household":
            continue
        m_src = by_nd if field == "id" else by_id
        m_obs = m_src[field][m_src[field] != "missing"].value_counts()
        u_obs = randc[field][randc[field] != "missing"].value_counts() if len(randc) else pd.Series(dtype=int)
        m_n, u_n = m_obs.sum(), u_obs.sum()
        for lv in levels:
            m = (m_obs.get(lv.name, 0) + prior * lv.m) / (m_n + prior)
            u = (u_obs.get(lv.name, 0) + prior * lv.u) / (u_n + prior)
            u = max((u - p_same * m) / (1 - p_same), lv.u * 0.01)
            weights[field][lv.name] = float(np.log2(max(m, 1e-9) / max(u, 1e-12)))
            if field == "name" and lv.name == "exact":
                weights["name_m_exact"] = float(m)
    return weights


def add_household_context(rows: pd.DataFrame, recs: pd.DataFrame, scored: pd.DataFrame,
                          anchors: pd.DataFrame, s: Settings = SETTINGS) -> pd.DataFrame:
    """Rows of one listed household vote for the MA_HO of their ID-linked members.

    ``anchors``: DataFrame(row, rec) of confident links. A pair agrees when another row of the
    same listed household is anchored to a record of the candidate's household."""
    R = rows.reset_index(drop=True)
    C = recs.reset_index(drop=True)
    hh_key = (R["source"] + "\x1f" + R["sheet"] + "\x1f" + R["household_seq"].astype(str)).to_numpy()
    rec_hh = C["household_code"].to_numpy()
    a = pd.DataFrame({"hh": hh_key[anchors["row"].to_numpy()], "code": rec_hh[anchors["rec"].to_numpy()],
                      "anchor_row": anchors["row"].to_numpy()})
    known = set(a["hh"])
    votes = a.groupby(["hh", "code"]).size().rename("n").reset_index()
    p = pd.DataFrame({"hh": hh_key[scored["row"].to_numpy()], "code": rec_hh[scored["rec"].to_numpy()],
                      "row": scored["row"].to_numpy()})
    p = p.merge(votes, on=["hh", "code"], how="left")
    # a row's own anchor does not vote for itself
    own = pd.Series(a.set_index("anchor_row")["code"])
    own_code = p["row"].map(own)
    n = p["n"].fillna(0).to_numpy() - (own_code.to_numpy() == p["code"].to_numpy())
    others_known = pd.Series(hh_key[scored["row"].to_numpy()]).isin(known).to_numpy()
    # the household is "known" only if some other row of it was anchored
    hh_anchor_count = a.groupby("hh").size()
    cnt = pd.Series(hh_key[scored["row"].to_numpy()]).map(hh_anchor_count).fillna(0).to_numpy()
    self_anchored = pd.Series(scored["row"].to_numpy()).isin(a["anchor_row"]).to_numpy()
    others_known = others_known & ((cnt - self_anchored) > 0)
    agree = n > 0
    out = scored.copy()
    out["household"] = np.select([agree, others_known], ["agree", "differ"], "unknown")
    return out


# ------------------------------------------------------------------ decision


def decide(n_rows: int, scored: pd.DataFrame, s: Settings = SETTINGS) -> pd.DataFrame:
    """Per row: best pair, runner-up margin, status (matched / review / unmatched)."""
    ranked = scored.sort_values(["row", "weight"], ascending=[True, False], kind="stable")
    best = ranked.drop_duplicates("row", keep="first").set_index("row")
    second = ranked[ranked.duplicated("row", keep="first")].drop_duplicates("row").set_index("row")["weight"]
    best["runner_up"] = second.reindex(best.index)
    margin = best["weight"] - best["runner_up"].fillna(-np.inf)
    status = np.where(
        (best["weight"] >= s.match_weight) & (margin >= s.margin), "matched",
        np.where(best["weight"] >= s.review_weight, "review", "unmatched"),
    )
    best["match_status"] = status
    out = best.reindex(range(n_rows))
    out["match_status"] = out["match_status"].fillna("unmatched")
    return out


def method_of(best: pd.DataFrame) -> pd.Series:
    return pd.Series(np.select(
        [best["id"] == "exact", best["id"] == "one_edit",
         best["name"].isin(["exact", "close"]) & best["dob"].isin(["exact", "year"]),
         best["phone"] == "agree", best["household"] == "agree"],
        ["id_exact", "id_fuzzy", "name_dob", "phone", "household"], "name_dob"), index=best.index)


def agreements_of(best: pd.DataFrame) -> pd.Series:
    cols = ["id", "name", "dob", "gender", "phone", "ward", "household"]
    text = best[cols[0]].astype(str).radd(cols[0] + "=")
    for c in cols[1:]:
        text = text + " " + c + "=" + best[c].astype(str)
    return text


def _apply_decisions(pairs: pd.DataFrame, R: pd.DataFrame, C: pd.DataFrame, decisions: pd.DataFrame | None,
                     usable: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """People's review decisions (CONTRACT §5): "not the same person" removes that pairing for
    good; "same person" adds it. → (pairs, forced pairs)."""
    empty = pd.DataFrame({"row": np.empty(0, np.int64), "rec": np.empty(0, np.int64)})
    if decisions is None or decisions.empty:
        return pairs, empty
    rec_pos = pd.Series(np.arange(len(C)), index=C["identity_id"].to_numpy())
    rec_pos = rec_pos[~rec_pos.index.duplicated()]
    d = decisions[decisions["identity_id"].isin(rec_pos.index)]
    rows_by_key = pd.DataFrame({"person_key": R["person_key"].to_numpy(), "row": np.arange(len(R))})[usable]
    d = d.merge(rows_by_key, on="person_key", how="inner")
    d["rec"] = rec_pos.reindex(d["identity_id"]).to_numpy()
    banned = d.loc[d["decision"] == "not_same", ["row", "rec"]]
    if len(banned):
        keyed = pairs.merge(banned.assign(_ban=True), on=["row", "rec"], how="left")
        pairs = pairs[keyed["_ban"].isna().to_numpy()]
    forced = d.loc[d["decision"] == "same", ["row", "rec"]].astype(np.int64).drop_duplicates("row")
    pairs = pd.concat([pairs, forced], ignore_index=True).drop_duplicates(ignore_index=True)
    return pairs, forced


def link(rows: pd.DataFrame, recs: pd.DataFrame, s: Settings = SETTINGS,
         decisions: pd.DataFrame | None = None) -> pd.DataFrame:
    """rows (matchers.records.normalize_rows) × recs (normalize_identity) → one result per row:
    match_status, rec (position in recs or NaN), identity_id, method, score, agreements, plus
    the best pair's comparison levels (id, name, dob, gender, phone, ward, household).
    ``decisions`` (person_key, identity_id, decision) are people's review conclusions."""
    R = rows.reset_index(drop=True).copy()
    C = recs.reset_index(drop=True).copy()
    R["given_key"] = R["name_key"].str.rsplit(" ", n=1).str[-1]
    C["given_key"] = C["name_key"].str.rsplit(" ", n=1).str[-1]
    C["national_id"] = C["identity_id"]  # so that the exact-ID rule joins like any other
    C["name_freq"] = C["name_key"].map(C["name_key"].value_counts(normalize=True)).to_numpy()
    # Rows that cannot be processed never link (INVALID).
    usable = ~R["invalid"].to_numpy() if "invalid" in R else np.ones(len(R), bool)
    pairs = candidate_pairs(R[usable].assign(_pos=np.nonzero(usable)[0]), C, s)
    pairs["row"] = np.nonzero(usable)[0][pairs["row"].to_numpy()]
    pairs, forced = _apply_decisions(pairs, R, C, decisions, usable)
    levels = compare(R, C, pairs, s)
    weights = estimate_weights(R, C, levels, s)
    scored = weigh(levels, weights, s)
    first = decide(len(R), scored, s)
    anchored = first[(first["match_status"] == "matched") & (first["id"] == "exact")]
    anchors = pd.DataFrame({"row": anchored.index.to_numpy(), "rec": anchored["rec"].astype(np.int64).to_numpy()})
    scored = weigh(add_household_context(R, C, scored, anchors, s), weights, s)
    if len(forced):
        hit = scored.merge(forced.assign(_forced=True), on=["row", "rec"], how="left")["_forced"].notna().to_numpy()
        scored.loc[hit, "weight"] = scored.loc[hit, "weight"] + 1000.0  # a person's decision wins
    best = decide(len(R), scored, s)
    has = best["rec"].notna()
    best["identity_id"] = ""
    best.loc[has, "identity_id"] = C["identity_id"].to_numpy()[best.loc[has, "rec"].astype(np.int64)]
    best["method"] = ""
    best.loc[has, "method"] = method_of(best[has])
    by_review = has & (best["weight"] >= 500)
    best.loc[by_review, "method"] = "review"
    best.loc[by_review, "weight"] -= 1000.0
    best["score"] = 0.0
    best.loc[has, "score"] = 1.0 / (1.0 + np.exp2(-(best.loc[has, "weight"] - s.score_midpoint)))
    best.loc[by_review, ["match_status", "score"]] = ["matched", 1.0]
    best["agreements"] = ""
    best.loc[has, "agreements"] = agreements_of(best[has])
    unmatched = best["match_status"] == "unmatched"
    best.loc[unmatched, ["identity_id", "method"]] = ""
    best.loc[unmatched, "score"] = np.where(has[unmatched], best.loc[unmatched, "score"], 0.0)
    best.index = rows.index
    best.attrs["weights"] = weights
    return best
