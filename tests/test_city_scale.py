"""The generated city (≈160k person-rows in ≈1,300 people-made files, every layout variation):
reading loses no person-row and invents none. About a minute: the slowest test, and the one
that matters most for "nobody's row silently disappears"."""

from __future__ import annotations

import json

import pandas as pd

from intake.inbox import read_inbox


def test_city_inbox_reads_every_person_row_exactly(tmp_path_factory):
    from synth import generate

    city = tmp_path_factory.mktemp("city")
    generate(city, scale="city", seed=2, clean=False)
    data = read_inbox(city / "inbox")
    truth = pd.read_csv(city / "truth" / "rows.csv", dtype=str, keep_default_na=False)
    got = set(zip(data.households["source"], data.households["sheet"], data.households["row"].astype(str)))
    want = set(zip(truth["source"], truth["sheet"], truth["row"]))
    assert len(data.households) == len(got)  # no row read twice
    assert not (want - got), sorted(want - got)[:10]   # lost
    assert not (got - want), sorted(got - want)[:10]   # invented
    meta = json.loads((city / "truth" / "meta.json").read_text(encoding="utf-8"))
    assert {r["source"] for r in data.rejected} == {r["source"] for r in meta["rejected"]}
    assert {(s["source"], s["sheet"]) for s in data.superseded} == {(s["source"], s["sheet"]) for s in meta["superseded"]}
    # ward and group resolved as the ward meant them
    resolved = data.households.assign(row=data.households["row"].astype(str)).merge(
        truth, on=["source", "sheet", "row"], suffixes=("", "_truth"))
    assert (resolved["ward_code"] == resolved["ward_code_truth"]).all()
    assert (resolved["group_no"] == resolved["group_no_truth"]).all()
