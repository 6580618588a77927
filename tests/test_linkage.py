"""Linkage arithmetic that replaced per-digit tables: checked against the plain definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matchers.linkage import _best_two, _one_edit

twelve = st.text("0123456789", min_size=12, max_size=12)


def one_edit_by_digits(a: str, b: str) -> bool:
    diff = [i for i in range(12) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


@st.composite
def id_pairs(draw):
    a = draw(twelve)
    kind = draw(st.sampled_from(["substitute", "swap", "borrow", "any"]))
    p = draw(st.integers(0, 10))
    if kind == "substitute":
        b = a[:p] + draw(st.sampled_from("0123456789")) + a[p + 1:]
    elif kind == "swap":
        b = a[:p] + a[p + 1] + a[p] + a[p + 2:]
    elif kind == "borrow":  # same arithmetic difference as an edit, other digits: 100 - 099
        b = str(max(int(a) - draw(st.sampled_from([1, 9, 18, 90, 900, 81])), 0)).zfill(12)
    else:
        b = draw(twelve)
    return a, b


@settings(max_examples=400)
@given(st.lists(id_pairs(), min_size=1, max_size=20))
def test_one_edit_is_one_substitution_or_adjacent_swap(pairs):
    a = np.array([int(x) for x, _ in pairs], dtype=np.int64)
    b = np.array([int(y) for _, y in pairs], dtype=np.int64)
    expected = [x != y and one_edit_by_digits(x, y) for x, y in pairs]
    assert _one_edit(a, b).tolist() == expected


@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-20, 40)), min_size=1, max_size=40))
def test_best_two_per_row(pairs):
    pairs = sorted(pairs, key=lambda p: p[0])  # candidates come grouped by row
    rows = np.array([r for r, _ in pairs])
    weight = np.array([float(w) for _, w in pairs])
    best, runner = _best_two(rows, weight)
    for i, r in enumerate(sorted(set(rows.tolist()))):
        mine = sorted((w for row, w in pairs if row == r), reverse=True)
        assert rows[best[i]] == r and weight[best[i]] == mine[0]
        assert runner[i] == (mine[1] if len(mine) > 1 else -np.inf)


def test_linkage_by_partitions_of_wards_is_the_whole_linkage(small_city):
    """Issue 15: linked partition by partition (whole wards, on a process pool, each against its
    wards' records and a keyed extract of the others), every row gets the whole linkage's link,
    with the same national m/u, people's decisions across partitions included."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import pandas as pd

    from matchers.linkage import default_weights, link, ward_partitions
    from reconcile import stages

    prep = stages.validate_and_normalize(stages.read(str(small_city / "inbox")))
    rows, recs = prep.rows.reset_index(drop=True), prep.recs.reset_index(drop=True)
    parts = ward_partitions(rows, recs, max_rows=1)   # every ward a partition of its own
    row_part = rows["ward_code"].map(parts).to_numpy()
    rec_part = recs["ward_code"].fillna("").map(parts).to_numpy()
    assert len(set(row_part)) >= 2

    # rows whose person lives in another partition's ward, found there only by a key the extract
    # must carry: an ID one typo away (a misspelt name, no phone); a phone (no ID, another birth year)
    first = link(rows, recs)
    linked = first["rec"].notna().to_numpy()
    away = first.index[linked][row_part[linked] != rec_part[first["rec"].to_numpy()[linked].astype(int)]]
    rec_of = recs.iloc[first.loc[away, "rec"].astype(int)].set_axis(away)
    def born_seven_years_earlier(i):
        rows.at[i, "birth_date"] = str(int(rows.at[i, "birth_date"][:4]) - 7) + rows.at[i, "birth_date"][4:]

    with_typo = list(away[:4])
    for i in with_typo:
        nid = rec_of.at[i, "identity_id"]
        rows.loc[i, ["national_id", "phone", "name_key"]] = [nid[:-1] + str((int(nid[-1]) + 1) % 10), "",
                                                             rows.at[i, "name_key"] + "h"]
    with_phone = [i for i in away[4:] if rec_of.at[i, "phone"]][:4]
    assert len(with_phone) == 4
    for i in with_phone:
        rows.loc[i, ["national_id", "phone"]] = ["", rec_of.at[i, "phone"]]
        born_seven_years_earlier(i)

    # people's review decisions: three matches undone, three rows joined to a record of another partition
    before, first = first, link(rows, recs)
    matched = first.index[(first["match_status"] == "matched") & ~rows["invalid"]][:3]
    unmatched = first.index[(first["match_status"] == "unmatched") & ~rows["invalid"]][:3]
    elsewhere = [recs.loc[rec_part != row_part[i], "identity_id"].iloc[k] for k, i in enumerate(unmatched)]
    decisions = pd.DataFrame({
        "person_key": list(rows.loc[matched, "person_key"]) + list(rows.loc[unmatched, "person_key"]),
        "identity_id": list(first.loc[matched, "identity_id"]) + elsewhere,
        "decision": ["not_same"] * 3 + ["same"] * 3})

    whole = link(rows, recs, decisions=decisions)
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        by_partition = link(rows, recs, decisions=decisions, partitions=parts, submit=pool.submit)

    pd.testing.assert_frame_equal(by_partition, whole)
    assert by_partition.attrs["weights"] == whole.attrs["weights"] != default_weights()
    assert list(whole.loc[unmatched, "identity_id"]) == elsewhere
    assert not (whole.loc[matched, "identity_id"] == first.loc[matched, "identity_id"]).any()
    # rows linked to a record in another partition's ward: the keyed extract found them
    linked = whole["rec"].notna().to_numpy()
    assert (row_part[linked] != rec_part[whole["rec"].to_numpy()[linked].astype(int)]).sum() > 10
    for found_by in (with_typo, with_phone):   # their best candidate is still their own record
        assert list(whole.loc[found_by, "rec"]) == list(before.loc[found_by, "rec"])


def test_a_run_bigger_than_a_partition_is_linked_by_partitions_with_the_same_links(small_city, monkeypatch):
    """The link stage switches to partitions of whole wards past RECONCILE_PARTITION_ROWS rows
    (here every ward; RECONCILE_WORKERS=1: one after another in this process): households,
    cadres and staff get the same links as linked whole."""
    import pandas as pd

    from reconcile import stages

    data = stages.read(str(small_city / "inbox"))
    prep = stages.validate_and_normalize(data)
    whole = stages.link_rows(prep)
    monkeypatch.setenv("RECONCILE_PARTITION_ROWS", "1")
    monkeypatch.setenv("RECONCILE_WORKERS", "1")
    by_partition = stages.link_rows(prep)
    assert whole.links.attrs["partitions"] == 1
    assert by_partition.links.attrs["partitions"] == prep.rows["ward_code"].nunique() >= 2
    pd.testing.assert_frame_equal(by_partition.links, whole.links)
    pd.testing.assert_frame_equal(by_partition.people, whole.people)
    assert by_partition.links.attrs["weights"] == whole.links.attrs["weights"]
