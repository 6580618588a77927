"""Score a run folder against the synthetic generator's ground truth (tests and `reconcile bench`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROW_KEY = ["source", "sheet", "row"]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def finding_keys(frame: pd.DataFrame) -> set[tuple]:
    """Row findings keyed by (source, sheet, row, code); unit findings by (code, identity, ward, group)."""
    keys = set()
    for r in frame.itertuples(index=False):
        if r.source:
            keys.add(("row", r.source, r.sheet, str(int(float(r.row))), r.code))
        else:
            keys.add(("unit", r.code, r.identity_id, r.ward_code if r.code != "STAFF_NOT_ACTIVATED" else "",
                      r.group_no if r.code == "GROUP_UNASSIGNED" else ""))
    return keys


def score_run(run_dir: Path, truth_dir: Path) -> dict:
    matches = _read(run_dir / "matches.csv")
    truth = _read(truth_dir / "rows.csv")
    got = matches.set_index(ROW_KEY)
    want = truth.set_index(ROW_KEY)
    joined = want.join(got[["match_status", "identity_id"]].add_suffix("_got"), how="left")
    joined = joined.rename(columns={"match_status_got": "match_status"})
    exists = joined["identity_id"] != ""
    linked = joined["match_status"] == "matched"
    correct = linked & (joined["identity_id_got"] == joined["identity_id"]) & exists
    precision = correct.sum() / max(linked.sum(), 1)
    recall = correct.sum() / max(exists.sum(), 1)

    got_f = finding_keys(_read(run_dir / "discrepancies.csv"))
    want_f = finding_keys(_read(truth_dir / "discrepancies.csv"))
    per_code = {}
    for code in sorted({k[-1] if k[0] == "row" else k[1] for k in got_f | want_f}):
        g = {k for k in got_f if (k[-1] if k[0] == "row" else k[1]) == code}
        w = {k for k in want_f if (k[-1] if k[0] == "row" else k[1]) == code}
        tp = len(g & w)
        p = tp / len(g) if g else 1.0
        r = tp / len(w) if w else 1.0
        per_code[code] = {"tp": tp, "fp": len(g - w), "fn": len(w - g), "precision": p, "recall": r,
                          "f1": 2 * p * r / (p + r) if p + r else 0.0}
    files = score_files(run_dir, truth_dir)
    households = score_households(run_dir, truth_dir)
    return {
        "households": households,
        "files": files,
        "rows_truth": len(truth), "rows_run": len(matches),
        "same_rows": set(map(tuple, truth[ROW_KEY].to_numpy())) == set(map(tuple, matches[ROW_KEY].to_numpy())),
        "precision": float(precision), "recall": float(recall),
        "review_share": float((matches["match_status"] == "review").mean()) if len(matches) else 0.0,
        "per_code": per_code,
        "missing_findings": sorted(want_f - got_f)[:20], "extra_findings": sorted(got_f - want_f)[:20],
    }


def score_households(run_dir: Path, truth_dir: Path) -> dict | None:
    """households.csv (the other members of each staff member's and cadre's household) against the
    generator's truth: members found, missed, invented, and whether eligibility agrees."""
    if not (run_dir / "households.csv").exists() or not (truth_dir / "households.csv").exists():
        return None
    key = ["kind", "unit_code", "person_id", "identity_id"]
    got, want = _read(run_dir / "households.csv"), _read(truth_dir / "households.csv")
    both = got.merge(want, on=key, how="outer", indicator=True, suffixes=("", "_truth"))
    same = both[both["_merge"] == "both"]
    return {"truth": len(want), "run": len(got), "agree": len(same),
            "eligible_agree": int((same["eligible"] == same["eligible_truth"]).sum())}


def score_files(run_dir: Path, truth_dir: Path) -> dict:
    """How the run's account of files agrees with the generator's: rejected files, superseded
    sheets and the rule that decided each, hidden sheets skipped, findings withheld.
    Each entry: {"truth": n, "run": n, "agree": n} (agree = in both, the same)."""
    import json

    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    meta = json.loads((truth_dir / "meta.json").read_text(encoding="utf-8"))

    def compare(want: set, got: set) -> dict:
        return {"truth": len(want), "run": len(got), "agree": len(want & got)}

    rejected_run = {r["source"] for r in summary["files"]["rejected"]}
    sheets = summary["files"].get("sheets", [])
    return {
        "rejected": compare({r["source"] for r in meta.get("rejected", [])}, rejected_run),
        "superseded_rule": compare({(s["source"], s["sheet"], s["rule"]) for s in meta.get("superseded", [])},
                                   {(s["source"], s["sheet"], s.get("rule")) for s in summary["files"]["superseded"]}),
        "hidden_skipped": compare({(h["source"], h["sheet"]) for h in meta.get("hidden_sheets", [])},
                                  {(s["source"], s["sheet"]) for s in sheets if s["status"] == "skipped"
                                   and "ẩn" in s["reason"]}),
        "withheld": compare({(w["code"], w["ward_code"]) for w in meta.get("withheld", [])},
                            {(w["code"], w["ward_code"]) for w in summary.get("withheld", [])}),
    }


def sorted_csv(path) -> bytes:
    """A CSV's bytes with its rows sorted: two runs' outputs compare byte for byte whatever order
    their partitions finished in (`reconcile bench --dask`, tests/test_dask.py)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame.sort_values(list(frame.columns)).to_csv(index=False).encode()
