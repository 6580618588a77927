"""Row findings (CONTRACT §3) on rows made by hand: the wording a team reads, and the year-only
birth dates that are compared by year."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from findings.rows import row_findings


def _frames(cases: list[dict]):
    n = len(cases)
    base = {"source": "households/x.xlsx", "sheet": "", "ward_code": "30733", "group_no": "1",
            "invalid_reason": "", "id_state": "ok", "gender": "M", "id_sex": "M", "birth_year": 1985.0,
            "id_year": 1985.0, "national_id": "091085001234", "name_key": "nguyen van a", "name": "Nguyễn Văn A",
            "birth_date": "1985-03-07", "year_only": False, "phone": "", "reported_status": "unknown",
            "rec_birth_date": "1985-03-07", "rec_year_only": False}
    rows = pd.DataFrame([{**base, **c} for c in cases])
    rows["row"] = np.arange(2, n + 2)
    recs = pd.DataFrame({"name": rows["name"], "name_key": rows["name_key"], "birth_date": rows["rec_birth_date"],
                         "year_only": rows["rec_year_only"], "gender": "M", "phone": "", "status": "activated",
                         "ward_code": "30733"})
    links = pd.DataFrame({"match_status": "matched", "identity_id": rows["national_id"],
                          "rec": np.arange(n, dtype=float)})
    return rows.drop(columns=["rec_birth_date", "rec_year_only"]), links, recs


def test_id_inconsistency_is_worded_by_what_disagrees_and_year_only_dates_by_year():
    rows, links, recs = _frames([
        {"id_sex": "F"},                                            # 4th digit: sex
        {"id_year": 1986.0},                                        # 5th–6th digits: year
        {"id_sex": "F", "id_year": 1986.0},                         # both
        {},                                                         # consistent
        {"birth_date": "1985-00-00", "year_only": True},            # the list knows the year only: same year
        {"rec_birth_date": "1985-00-00", "rec_year_only": True},    # the system knows the year only
        {"birth_date": "1984-00-00", "year_only": True},            # another year
        {"rec_birth_date": "1985-03-08"},                           # another day
    ])
    found = row_findings(rows, links, recs)
    detail = dict(zip(zip(found["row"], found["code"]), found["detail"]))
    assert detail[(2, "ID_INCONSISTENT")] == "Chữ số thứ 4 không khớp giới tính"
    assert detail[(3, "ID_INCONSISTENT")] == "Chữ số thứ 4–6 không khớp năm sinh"
    assert detail[(4, "ID_INCONSISTENT")] == "Chữ số thứ 4–6 không khớp giới tính và năm sinh"
    assert sorted(r for r, code in detail if code == "ID_INCONSISTENT") == [2, 3, 4]
    assert sorted(r for r, code in detail if code == "DOB_MISMATCH") == [8, 9]
    assert detail[(8, "DOB_MISMATCH")] == "Danh sách: 1984 / hệ thống: 07/03/1985"
    assert detail[(9, "DOB_MISMATCH")] == "Danh sách: 07/03/1985 / hệ thống: 08/03/1985"


def test_in_keys_is_isin():
    """findings.progress.in_keys, the set lookup the findings and reports use on 2.3 M-record
    columns, says what ``Series.isin`` says: '' is a key like any other, keys may come as a
    Series with repeats, and a column with NA (which isin matches to NA) takes isin's path."""
    from findings.progress import in_keys

    rng = np.random.default_rng(7)
    pool = ["", "091085001234", "Nguyễn Văn A", "hộ 12", "nguyen van a", "079300000001"]
    values = pd.Series(rng.choice(pool, 500), dtype="str")
    for keys in (set(pool[:3]), pd.Series(["hộ 12", "hộ 12", ""], dtype="str"), [], {"absent"}):
        assert (in_keys(values, keys) == values.isin(list(keys)).to_numpy()).all()
    with_na = pd.Series(["a", np.nan, "b"], dtype=object)
    keys = [float("nan"), "b"]   # another NaN object: a set would not find it
    assert in_keys(with_na, keys).tolist() == with_na.isin(keys).tolist() == [False, True, True]


_TEXTS = ["", "a", "a\x00", "A", "b", "ä", "Đ", "đ", "Z", "10", "9", "091085001234", "091085001235", "x.xlsx"]


@given(st.lists(st.tuples(st.sampled_from(_TEXTS + [None]), st.sampled_from(_TEXTS[:4] + [None]),
                          st.sampled_from(["2", "10", "", "x", None, "3"]), st.sampled_from(["NOT_LISTED", "DUPLICATE",
                                                                                              "INVALID", "?", None]),
                          st.sampled_from(_TEXTS + [None]), st.sampled_from(_TEXTS[:5]),
                          st.sampled_from(_TEXTS + [None])), max_size=60),
       st.sampled_from(["str", object]))
@settings(max_examples=200, deadline=None)
def test_findings_are_sorted_as_a_stable_sort_of_their_keys(cases, dtype):
    """reports.machine.sort_findings orders by integer ranks and one lexsort; it must give the
    order of pandas' stable ``sort_values`` on the same keys (text in code-point order, missing
    values last, a trailing NUL kept), which it replaced at province scale (4.5 s → ~1 s)."""
    from reports.machine import CODES, DISCREPANCY_COLUMNS, sort_findings

    cols = ["source", "sheet", "row", "code", "ward_code", "group_no", "identity_id"]
    f = pd.DataFrame(cases, columns=cols, dtype=dtype).assign(detail=[f"#{i}" for i in range(len(cases))])
    f = f[DISCREPANCY_COLUMNS]
    ref = f.assign(_unit=f["source"].eq(""), _code=f["code"].map({c: i for i, c in enumerate(CODES)}),
                   _row=pd.to_numeric(f["row"], errors="coerce"))
    ref = ref.sort_values(["_unit", "source", "sheet", "_row", "_code", "ward_code", "group_no", "identity_id"],
                          kind="stable")[DISCREPANCY_COLUMNS].reset_index(drop=True)
    pd.testing.assert_frame_equal(sort_findings(f), ref)


def test_an_export_with_a_repeated_id_is_judged_on_the_first_record_of_it():
    """The findings look records up by ID (findings.progress.records_by_id: the first record of
    each), and by position where the export's IDs are unique, as they should be (CONTRACT §1.1).
    An export that repeats an ID must still get the lookup's answers: here the repeat is a
    child, but both records count as the adult the ID first names."""
    from findings.campaign import DEFAULT
    from findings.progress import group_figures, records_by_id
    from findings.units import ages, linked_positions, listed_records, records_with

    as_of = dt.date(2023, 12, 1)
    recs = pd.DataFrame({"identity_id": ["1", "2", "1", "3"], "household_code": ["H", "H", "H", "K"],
                         "birth_date": ["1980-01-01", "1981-01-01", "2015-01-01", "1990-01-01"],
                         "status": ["activated", "not_registered", "not_registered", "activated"],
                         "activated_on": ["2023-11-01", "", "", "2023-11-02"]}, dtype="str")
    matches = pd.DataFrame({"match_status": ["matched", "review"], "identity_id": ["1", "3"],
                            "ward_code": ["W", "W"], "group_no": ["1", "2"]}, dtype="str")
    by_id = records_by_id(recs)
    assert list(by_id.index) == ["1", "2", "3"] and by_id.loc["1", "birth_date"] == "1980-01-01"
    for ids in (matches["identity_id"], pd.Series(["2", "9"], dtype="str")):
        assert records_with(ids, recs, by_id).tolist() == recs["identity_id"].isin(ids).tolist()
        assert records_with(ids, recs.iloc[[0, 1, 3]], records_by_id(recs.iloc[[0, 1, 3]])).tolist() == \
            recs.iloc[[0, 1, 3]]["identity_id"].isin(ids).tolist()
    groups = group_figures(matches, recs, as_of, DEFAULT, by_id=by_id, age=ages(recs["birth_date"], as_of))
    # household H voted to W/1 (K's only row is in review); all three of its records are eligible
    assert groups.loc[0, ["ward_code", "group_no", "eligible", "activated", "listed"]].tolist() == ["W", "1", 3, 2, 2]
    pd.testing.assert_frame_equal(groups, group_figures(matches, recs, as_of, DEFAULT))
    unique = recs.iloc[[0, 1, 3]].reset_index(drop=True)   # the same export without the repeat
    assert group_figures(matches, unique, as_of, DEFAULT).loc[0, ["eligible", "activated", "listed"]].tolist() == [2, 1, 1]
    # the rows' records as linked (findings.units.linked_positions) stand for their IDs only
    # where the IDs are unique: with the repeat, the lookup's answers again
    links = pd.DataFrame({"rec": [0.0, 3.0]})
    at = linked_positions(matches, links)
    pd.testing.assert_frame_equal(group_figures(matches, recs, as_of, DEFAULT, linked_at=at), groups)
    assert listed_records(matches, recs, by_id, at).tolist() == listed_records(matches, recs, by_id).tolist()
    links = pd.DataFrame({"rec": [0.0, 2.0]})   # record 3 of the unique export is its third
    at = linked_positions(matches.assign(match_status=["matched", "unmatched"]), links)
    assert at.tolist() == [0, -1]
    at = linked_positions(matches, links)
    pd.testing.assert_frame_equal(group_figures(matches, unique, as_of, DEFAULT, linked_at=at),
                                  group_figures(matches, unique, as_of, DEFAULT))
    unique_by_id = records_by_id(unique)
    assert listed_records(matches, unique, unique_by_id, at).tolist() == [True, False, True] == \
        listed_records(matches, unique, unique_by_id).tolist()


def test_duplicates_are_found_by_record_where_ids_are_unique_and_by_id_where_not():
    """DUPLICATE: the same identity on several compared rows. The findings stage compares the
    records' positions when the export's IDs are unique (integers, ~10x faster than hashing the
    IDs); where an export repeats an ID against CONTRACT §1.1, rows linked to two records of the
    one ID are still the same person, found by ID."""
    rows, links, recs = _frames([{}, {}, {"national_id": "091085001235"}, {"national_id": "091085001236"},
                                 {"invalid_reason": "Thiếu họ và tên"}])
    links["rec"] = [0.0, 0.0, 2.0, 3.0, 0.0]          # rows 2 and 3 linked to one record; row 6 is invalid
    links["identity_id"] = ["091085001234", "091085001234", "091085001235", "091085001236", "091085001234"]
    def dup(found):
        return sorted(found.loc[found["code"] == "DUPLICATE", "row"])
    unique = row_findings(rows, links, recs, unique_ids=True)
    assert dup(unique) == [2, 3]
    pd.testing.assert_frame_equal(unique, row_findings(rows, links, recs))
    # the export repeats 091085001235 (records 2 and 3): rows 4 and 5 are one person
    links["identity_id"] = ["091085001234", "091085001234", "091085001235", "091085001235", "091085001234"]
    assert dup(row_findings(rows, links, recs)) == [2, 3, 4, 5]


@given(st.lists(st.tuples(st.integers(0, 7), st.sampled_from(["W1", "W2", "W10", "w1", None]),
                          st.sampled_from(["1", "2", "10", "", None]), st.sampled_from(["matched", "review"])),
                max_size=40),
       st.lists(st.sampled_from(["H1", "H2", "H3", "", None]), min_size=8, max_size=8))
@settings(max_examples=200, deadline=None)
def test_the_households_vote_by_position_is_the_vote_by_id(rows, homes):
    """findings.progress._residents counts the votes in integers when each row's record is known
    by position (the export's IDs unique): the same residents, wards and groups as the vote by
    looking the IDs up, ties (most rows, then the lowest ward, then group, as text), blank and
    missing household codes, wards and groups included."""
    from findings.progress import _residents, records_by_id

    recs = pd.DataFrame({"identity_id": [f"{i:012d}" for i in range(8)], "household_code": homes}, dtype="str")
    matches = pd.DataFrame(rows, columns=["rec", "ward_code", "group_no", "match_status"]).astype(
        {"ward_code": "str", "group_no": "str", "match_status": "str"})
    matches["identity_id"] = recs["identity_id"].array.take(matches["rec"].to_numpy()) if len(matches) else \
        pd.Series([], dtype="str")
    at = np.where(matches["match_status"].isin(["matched", "review"]), matches["rec"], -1).astype(np.int64)
    by_id = records_by_id(recs)
    by_position, by_lookup = _residents(matches, recs, by_id, at), _residents(matches, recs, by_id)
    assert by_position[0].tolist() == by_lookup[0].tolist()
    for mine, theirs in zip(by_position[1:], by_lookup[1:]):
        pd.testing.assert_series_equal(pd.Series(mine), pd.Series(theirs))


def test_no_person_rows_make_no_row_findings():
    """A run whose only list was rejected (a field case: formulas never computed) has no rows to
    compare: the row findings are an empty frame, whatever the columns' storage."""
    rows, links, recs = _frames([{}])
    for unique_ids in (True, False):
        found = row_findings(rows.iloc[:0].astype({"phone": object}), links.iloc[:0], recs.astype({"phone": object}),
                             unique_ids=unique_ids)
        assert found.empty and list(found.columns) == list(row_findings(rows, links, recs).columns)


def test_rows_against_an_empty_export_are_not_found():
    """An export with no records (a header only) links nothing: every valid row is NOT_FOUND and
    nothing is compared."""
    rows, links, recs = _frames([{}, {"year_only": True, "birth_date": "1985-00-00"}])
    links["match_status"], links["rec"], links["identity_id"] = "unmatched", np.nan, ""
    found = row_findings(rows, links, recs.iloc[:0], unique_ids=True)
    assert found["code"].tolist() == ["NOT_FOUND", "NOT_FOUND"]
