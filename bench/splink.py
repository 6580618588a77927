"""Splink 5 on DuckDB, configured as a competent user would, on our normalised rows.

Only for `reconcile bench` (the optional `bench` extra); never a runtime dependency.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

COLUMNS = ["national_id", "name_key", "given_key", "birth_date", "birth_year", "gender", "phone", "ward_code"]


def _frame(df: pd.DataFrame, id_col: str) -> pd.DataFrame:
    out = pd.DataFrame({"uid": np.arange(len(df), dtype=np.int64)})
    out["national_id"] = df[id_col].to_numpy()
    out["name_key"] = df["name_key"].to_numpy()
    out["given_key"] = df["name_key"].str.rsplit(" ", n=1).str[-1].to_numpy()
    out["birth_date"] = df["birth_date"].to_numpy()
    out["birth_year"] = df["birth_date"].str[:4].to_numpy()
    out["gender"] = df["gender"].to_numpy()
    out["phone"] = df["phone"].to_numpy()
    out["ward_code"] = df["ward_code"].to_numpy()
    out = out.astype({c: object for c in COLUMNS})
    return out.replace({"": None})


def run_splink(rows: pd.DataFrame, recs: pd.DataFrame) -> dict:
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    left = _frame(rows[~rows["invalid"]] if "invalid" in rows else rows, "national_id")
    keep_pos = np.nonzero(~rows["invalid"].to_numpy())[0] if "invalid" in rows else np.arange(len(rows))
    right = _frame(recs, "identity_id")
    t0 = time.perf_counter()
    db = DuckDBAPI()
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="uid",
        blocking_rules_to_generate_predictions=[
            block_on("national_id"),
            block_on("name_key", "birth_year"),
            block_on("ward_code", "birth_date"),
            block_on("ward_code", "given_key", "birth_year"),
            block_on("phone"),
        ],
        comparisons=[
            cl.DamerauLevenshteinAtThresholds("national_id", [1]),
            cl.JaroWinklerAtThresholds("name_key", [0.95, 0.88]).configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=True),
            cl.ExactMatch("birth_year"),
            cl.ExactMatch("gender"),
            cl.ExactMatch("phone"),
            cl.ExactMatch("ward_code"),
        ],
        retain_intermediate_calculation_columns=False,
    )
    logging.getLogger("splink").setLevel(logging.WARNING)
    linker = Linker([db.register(left, table_name="rows"), db.register(right, table_name="recs")], settings,
                    log_level=logging.WARNING)
    linker.training.estimate_probability_two_random_records_match([block_on("national_id")], recall=0.9)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("birth_date"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("name_key"))
    train_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    preds = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
    predict_s = time.perf_counter() - t1
    # Each list row takes its most probable record (one row → at most one person).
    if len(preds):
        lcol = "uid_l" if preds["source_dataset_l"].iloc[0] == "rows" else "uid_r"
        rcol = "uid_r" if lcol == "uid_l" else "uid_l"
        best = preds.sort_values("match_probability", ascending=False).drop_duplicates(lcol)
        ids = recs["identity_id"].to_numpy()
        linked = pd.Series("", index=range(len(rows)), dtype=object)
        linked.iloc[keep_pos[best[lcol].to_numpy().astype(int)]] = ids[best[rcol].to_numpy().astype(int)]
    else:
        linked = pd.Series("", index=range(len(rows)), dtype=object)
    return {"seconds": time.perf_counter() - t0, "train_s": train_s, "predict_s": predict_s,
            "pairs_above_half": int(len(preds)),
            "links": pd.DataFrame({"identity_id": linked.to_numpy()}, index=rows.index)}
