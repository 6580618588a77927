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
