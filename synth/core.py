"""`generate()`: the whole synthetic inbox plus its ground truth."""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell

from .errors import ALL_CODES, apply_content_errors, row_truth
from .geo import get_scale
from .layouts import VARIATIONS, plan_households
from .lists import build_list_rows
from .population import AS_OF, OLD_EXPORT, build_population, export_chunks
from .population import STATUS_CODES
from .units import build_units, unit_truth, write_assignments, write_staff
from .writers import day_time, write_households, write_identity, write_registry

TRUTH_ROW_COLS = ["source", "sheet", "row", "ward_code", "group_no", "identity_id",
                  "expected_match"]
TRUTH_FINDING_COLS = ["source", "sheet", "row", "ward_code", "group_no", "identity_id", "code",
                      "detail"]


def _targets(pop, rng, scale_name: str) -> dict[str, int]:
    """CHI_TIEU: close to each ward's eligible count; the city's total is the dispatch's 173,856."""
    P = pop.people
    elig = P[P["city"] & P["eligible"]].groupby("ward").size()
    noise = rng.uniform(0.98, 1.02, len(pop.wards))
    raw = {w.code: float(elig.get(i, 0)) * noise[i] for i, w in enumerate(pop.wards) if w.registry}
    if scale_name == "city":
        f = 173_856 / sum(raw.values())
        out = {c: int(round(v * f)) for c, v in raw.items()}
        first = next(iter(out))
        out[first] += 173_856 - sum(out.values())
        return out
    return {c: int(round(v)) for c, v in raw.items()}


_DATED = {"both": "both", "inverted": "both", "new_only": "newer_only", "old_only": "older_only",
          "neither": "neither", "equal": "same_date"}


def _stated(s) -> str:
    """The date a sheet states (title block or signature block), ISO; "" when it states none."""
    return s.day.isoformat() if s.dated and s.style.title and s.style.title.get("date") is not None else ""


def _kinds(files) -> dict:
    """Where each kind of people-made file is (meta["kinds"]): for tests and the bench."""
    def where(pred, **extra):
        return [{"source": f.path, "sheet": s.name, **{k: fn(f, s) for k, fn in extra.items()}}
                for f in files for s in f.sheets if pred(f, s)]

    return {
        "invisible_chars": where(lambda f, s: s.invisible > 0),
        "merged_cells": where(lambda f, s: bool(s.style.merge) and f.fmt == "xlsx",
                              address=lambda f, s: s.style.merge_addr),
        "legacy_font": where(lambda f, s: bool(f.legacy), encoding=lambda f, s: f.legacy,
                             format=lambda f, s: f.fmt),
        "unicode_text": where(lambda f, s: f.encoding == "utf-16"),
        "formula_no_cache": where(lambda f, s: bool(s.formula), cached=lambda f, s: s.formula),
        "stray_far_cell": where(lambda f, s: s.stray is not None,
                                cell=lambda f, s: xl_rowcol_to_cell(s.stray[0], s.stray[1])),
        "header_by_meaning": where(lambda f, s: "header_by_meaning" in s.style.header_flags
                                   and not s.hidden),
        "ward_abbrev": where(lambda f, s: not s.hidden and (
            s.style.ward_value.startswith("abbr:") and "ward" in s.style.cols
            or (s.style.title or {}).get("ward") == 7)),
    }


def generate(out_dir: Path, scale: str = "small", seed: int = 1, clean: bool = False) -> dict:
    """Write `<out_dir>/inbox` and `<out_dir>/truth` for one synthetic city; return meta."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    sc = get_scale(scale)
    inbox, truth_dir = out_dir / "inbox", out_dir / "truth"
    for d in (inbox, truth_dir):
        if d.exists():
            shutil.rmtree(d)
    inbox.mkdir(parents=True)
    truth_dir.mkdir(parents=True)
    # people, lists, content errors and units do not depend on `clean`; only the layout does
    base = np.random.SeedSequence([seed, {"small": 0, "city": 1, "province": 2}[sc.name]])
    r_pop, r_list, r_err, r_unit, r_target = (np.random.default_rng(s) for s in base.spawn(5))
    r_lay, r_file = (np.random.default_rng(s) for s in
                     np.random.SeedSequence([seed, len(sc.wards), 100 + int(clean)]).spawn(2))
    pop = build_population(sc, r_pop)
    R = build_list_rows(pop, r_list, sc.min_count)
    apply_content_errors(R, pop, r_err, sc.min_count)
    files, frames = plan_households(R, pop, r_lay, clean, sc.name)
    R = frames["R"]           # less the rows of files the reader rejects whole
    per_row, row_f = row_truth(R, pop)
    units = build_units(pop, sc, r_unit)
    matched_pids = R["pid"].to_numpy()[per_row["expected_match"].to_numpy() == "matched"]
    submitting = set(int(w) for w in R["ward"].unique())
    # withheld findings: a rejected file might have listed any resident of its ward, or
    # assigned any group of it (docs/DESIGN.md, ground truth)
    withheld_nl: dict[int, list[str]] = {}
    for f in files:
        if f.role == "rejected" and f.ward is not None:
            withheld_nl.setdefault(f.ward, []).append(f.path)
    no_col = set() if clean else set(units.no_group_column)
    unread = no_col if units.no_group_column_file == "main" else set()
    unit_f = unit_truth(pop, units, matched_pids, submitting, set(withheld_nl), no_col, unread)
    t_model = time.perf_counter() - t0

    # ---- inbox
    region = "UBND THÀNH PHỐ RẠCH GIÁ" if sc.name != "province" else ""
    counter: Counter = Counter()
    write_registry(inbox, pop, _targets(pop, r_target, sc.name), units.agencies,
                   day_time(AS_OF, 6))
    new_name = "identity/xuat_du_lieu_20231025.csv" + (".gz" if sc.gz_identity else "")
    old_name = "identity/xuat_du_lieu_20231018.csv"
    n_identity = write_identity(inbox / new_name, export_chunks(pop, AS_OF), sc.gz_identity,
                                day_time(AS_OF, 5))
    write_identity(inbox / old_name, export_chunks(pop, OLD_EXPORT, old=True), False,
                   day_time(OLD_EXPORT, 5))
    loc = write_households(inbox, files, frames, pop, region, counter)
    asg_files, asg_rejected = write_assignments(inbox, pop, units, r_file, clean, region, counter,
                                                datetime(2023, 10, 17, 9, 0))
    staff_files = write_staff(inbox, pop, units, r_file, clean, counter,
                              datetime(2023, 10, 18, 9, 0))

    # ---- truth
    codes = np.array([w.code for w in pop.wards], dtype=object)
    to_so = pop.groups["to_so"].to_numpy()
    rows = pd.DataFrame({
        "source": loc["source"], "sheet": loc["sheet"], "row": loc["row"],
        "ward_code": codes[R["ward"].to_numpy()],
        "group_no": to_so[R["gidx"].to_numpy()].astype(str),
        "identity_id": per_row["identity_id"], "expected_match": per_row["expected_match"]})
    order = np.lexsort((rows["row"].to_numpy(), rows["sheet"].to_numpy().astype(str),
                        rows["source"].to_numpy().astype(str)))
    rows.iloc[order][TRUTH_ROW_COLS].to_csv(truth_dir / "rows.csv", index=False,
                                            lineterminator="\n")
    i = row_f["i"].to_numpy()
    rf = pd.DataFrame({"source": rows["source"].to_numpy()[i], "sheet": rows["sheet"].to_numpy()[i],
                       "row": rows["row"].to_numpy()[i], "ward_code": rows["ward_code"].to_numpy()[i],
                       "group_no": rows["group_no"].to_numpy()[i],
                       "identity_id": row_f["identity_id"].to_numpy(),
                       "code": row_f["code"].to_numpy(), "detail": row_f["detail"].to_numpy()})
    rank = {c: k for k, c in enumerate(ALL_CODES)}
    rf["_k"] = rf["code"].map(rank)
    rf = rf.sort_values(["source", "sheet", "row", "_k"], kind="stable").drop(columns="_k")
    uf = unit_f.assign(source="", sheet="", row="")
    uf["_k"] = uf["code"].map(rank)
    uf = uf.sort_values(["_k", "ward_code", "group_no", "identity_id"], kind="stable")
    findings = pd.concat([rf, uf[TRUTH_FINDING_COLS]], ignore_index=True)[TRUTH_FINDING_COLS]
    findings.to_csv(truth_dir / "discrepancies.csv", index=False, lineterminator="\n")

    _household_truth(pop, units, unread).to_csv(truth_dir / "households.csv", index=False, lineterminator="\n")

    P = pop.people
    city = P["city"].to_numpy()
    n_code = findings["code"].value_counts()
    current = {(f.path, s.name): s for f in files for s in f.sheets if s.frame == "R"}
    superseded = [{"source": f.path, "sheet": s.name, "replaced_by": s.replaced_by,
                   "replaced_by_sheet": s.replaced_by_sheet, "rule": s.rule,
                   "dated": _DATED[s.variant], "older_saved_later": s.variant == "inverted",
                   "dates": [_stated(s), _stated(current[(s.replaced_by, s.replaced_by_sheet)])]}
                  for f in files for s in f.sheets if s.frame == "S"]
    rejected = ([{"source": f.path, "reason": f.reason} for f in files if f.role == "rejected"]
                + [{"source": a["source"], "reason": a["reason"]} for a in asg_rejected])
    withheld = ([{"code": "NOT_LISTED", "ward_code": codes[w], "because": sorted(src)}
                 for w, src in sorted(withheld_nl.items())]
                + [{"code": "GROUP_UNASSIGNED", "ward_code": codes[a["ward"]], "because": [a["source"]]}
                   for a in asg_rejected])
    hidden = [{"source": f.path, "sheet": s.name, "state": s.hidden,
               "copy_of": next(v.name for v in f.sheets if v.frame == "R" and v.group == s.group)}
              for f in files for s in f.sheets if s.hidden]
    meta = {
        "seed": seed, "scale": sc.name, "clean": bool(clean),
        "as_of": AS_OF.isoformat(), "export_date": AS_OF.isoformat(),
        "identity": {"newest": new_name, "older": old_name},
        "counts": {
            "wards": sum(w.registry for w in pop.wards),
            "groups": int(len(pop.groups)),
            "groups_submitted": int(R["gidx"].nunique()),
            "households": int(((~pop.households["ghost"]) & (pop.households["group"] >= 0)).sum()),
            "residents": int(city.sum()),
            "eligible": int((city & P["eligible"].to_numpy()).sum()),
            "activated_eligible": int((city & P["eligible"].to_numpy()
                                       & (P["status"].to_numpy() == 3)).sum()),
            "identity_records": int(n_identity),
            "rows": int(len(rows)),
            "rows_matched": int((rows["expected_match"] == "matched").sum()),
            "rows_unmatched": int((rows["expected_match"] == "unmatched").sum()),
            "rows_invalid": int((rows["expected_match"] == "invalid").sum()),
            "household_files": sum(1 for f in files if f.role != "rejected"),
            "household_sheets_current": sum(1 for f in files for s in f.sheets if s.frame == "R"),
            "assignment_files": len(asg_files),
            "staff_files": len(staff_files),
            "cadres": int(units.cadres["pid"].nunique()),
            "staff": int(len(units.staff)),
            "agencies": int(len(units.agencies)),
            "findings": {c: int(n_code.get(c, 0)) for c in ALL_CODES},
        },
        "superseded": superseded,
        "rejected": rejected,
        "withheld": withheld,
        "hidden_sheets": hidden,
        "kinds": {} if clean else _kinds(files),
        "layouts": {} if clean else {k: int(counter.get(k, 0)) for k in VARIATIONS},
        "other_layouts": {k: int(v) for k, v in sorted(counter.items()) if k not in VARIATIONS},
    }
    if not clean:
        meta["layouts"]["resubmitted"] = len(superseded)
        for rule in ("title_date", "modified_time", "file_name"):
            meta["layouts"][f"resubmitted_{rule}"] = sum(s["rule"] == rule for s in superseded)
        for dated, key in (("newer_only", "only_newer_dated"), ("older_only", "only_older_dated"),
                           ("neither", "undated")):
            meta["layouts"][f"resubmitted_{key}"] = sum(s["dated"] == dated for s in superseded)
        meta["layouts"]["resubmitted_from_book"] = sum(
            1 for f in files for s in f.sheets if s.frame == "S" and len(f.sheets) > 1)
        cont = Counter(f"container_{s.container}" for f in files if f.role != "rejected"
                       for s in f.sheets if s.frame == "R")
        meta["layouts"].update({k: int(cont.get(k, 0)) for k in VARIATIONS if k.startswith("container_")})
    (truth_dir / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n",
                                         encoding="utf-8")
    elapsed = time.perf_counter() - t0
    print(f"synth: scale={sc.name} seed={seed} clean={clean} rows={len(rows)} "
          f"model={t_model:.1f}s total={elapsed:.1f}s", file=sys.stderr)
    return meta


def _household_truth(pop, units, unread_cadre_wards) -> pd.DataFrame:
    """Every other member of each staff member's and (read) cadre's household, as the export
    has them: kind, unit_code (agency code or the cadre's ward code), person_id, identity_id,
    eligible (aged 14+ on AS_OF), status (CONTRACT §1.1 TRANG_THAI)."""
    P = pop.people
    ids = np.char.zfill(P["id"].to_numpy().astype(str), 12).astype(object)
    codes = np.array([w.code for w in pop.wards], dtype=object)
    people = pd.concat([
        pd.DataFrame({"kind": "staff", "unit_code": units.agencies["code"].to_numpy()[units.staff["agency"].to_numpy()],
                      "pid": units.staff["pid"].to_numpy()}),
        pd.DataFrame({"kind": "cadre", "unit_code": codes[units.cadres["ward"].to_numpy()],
                      "pid": units.cadres["pid"].to_numpy()})[
            ~units.cadres["ward"].isin(list(unread_cadre_wards)).to_numpy()],
    ], ignore_index=True).drop_duplicates()
    in_export = np.flatnonzero(~P["ghost"].to_numpy())
    members = pd.DataFrame({"hh": P["hh"].to_numpy()[in_export], "mid": in_export})
    out = people.assign(hh=P["hh"].to_numpy()[people["pid"].to_numpy()]).merge(members, on="hh")
    out = out[out["mid"] != out["pid"]]
    return pd.DataFrame({
        "kind": out["kind"].to_numpy(), "unit_code": out["unit_code"].to_numpy(),
        "person_id": ids[out["pid"].to_numpy()], "identity_id": ids[out["mid"].to_numpy()],
        "eligible": P["eligible"].to_numpy()[out["mid"].to_numpy()],
        "status": STATUS_CODES[P["status"].to_numpy()[out["mid"].to_numpy()]],
    }).sort_values(["kind", "unit_code", "person_id", "identity_id"], kind="stable")
