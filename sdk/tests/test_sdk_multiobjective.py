"""synetune_sdk.multiobjective against brute force: sorting, Pareto masks and exact hypervolumes.

The brute forces are deliberately naive and exact (no Monte Carlo): peeling fronts by pairwise
dominance, and summing the cells of the grid spanned by the points' coordinates.
"""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from synetune_sdk.multiobjective import (
    default_reference_point,
    hypervolume,
    hypervolume_over_time,
    nondominated_sort,
    pareto_mask,
    to_minimization,
)


def dominates(a, b) -> bool:
    return bool(np.all(a <= b) and np.any(a < b))


def brute_ranks(Y: np.ndarray) -> np.ndarray:
    ranks = np.full(len(Y), -1)
    remaining = set(range(len(Y)))
    rank = 0
    while remaining:
        front = {i for i in remaining if not any(dominates(Y[j], Y[i]) for j in remaining)}
        for i in front:
            ranks[i] = rank
        remaining -= front
        rank += 1
    return ranks


def brute_hypervolume(Y: np.ndarray, r: np.ndarray) -> float:
    """Sum of the grid cells (between sorted distinct coordinates) whose lower corner is dominated."""
    Y = Y[np.all(Y < r, axis=1)]
    if len(Y) == 0:
        return 0.0
    axes = [np.unique(np.r_[Y[:, d], r[d]]) for d in range(Y.shape[1])]
    total = 0.0
    for cell in itertools.product(*[range(len(a) - 1) for a in axes]):
        lower = np.array([a[c] for a, c in zip(axes, cell)])
        if np.any(np.all(Y <= lower, axis=1)):
            total += float(np.prod([a[c + 1] - a[c] for a, c in zip(axes, cell)]))
    return total


def random_points(rng, n, m, integer=False):
    if integer:  # small integers: many ties and duplicates
        return rng.integers(0, 5, size=(n, m)).astype(float)
    return rng.random((n, m))


@pytest.mark.parametrize("m", [1, 2, 3, 4])
@pytest.mark.parametrize("integer", [False, True])
def test_ranks_and_mask_match_brute_force(m, integer):
    rng = np.random.default_rng(m + 10 * integer)
    for _ in range(15):
        Y = random_points(rng, int(rng.integers(1, 30)), m, integer)
        expected = brute_ranks(Y)
        np.testing.assert_array_equal(nondominated_sort(Y), expected)
        np.testing.assert_array_equal(pareto_mask(Y), expected == 0)


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("integer", [False, True])
def test_hypervolume_matches_grid_brute_force(m, integer):
    rng = np.random.default_rng(100 + m + 10 * integer)
    n_max = {2: 25, 3: 12, 4: 7}[m]
    for _ in range(12):
        Y = random_points(rng, int(rng.integers(1, n_max)), m, integer)
        r = np.full(m, 4.0 if integer else 1.0)
        if not integer:
            r = r - 0.2 * rng.random(m)  # some points outside the reference box
        assert hypervolume(Y, r) == pytest.approx(brute_hypervolume(Y, r), rel=1e-9, abs=1e-12)


def test_hypervolume_of_points_on_a_true_front():
    # points on the simplex front y1 + y2 = 1 (a front where every point counts)
    rng = np.random.default_rng(0)
    t = np.sort(rng.random(40))
    Y = np.c_[t, 1 - t]
    r = np.array([1.5, 1.5])
    assert hypervolume(Y, r) == pytest.approx(brute_hypervolume(Y, r))
    # a single point: the box to the reference
    assert hypervolume([[0.2, 0.3, 0.4]], [1, 1, 1]) == pytest.approx(0.8 * 0.7 * 0.6)
    assert hypervolume([[0.5]], [2.0]) == pytest.approx(1.5)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_hypervolume_over_time_is_the_prefix_hypervolume(m):
    rng = np.random.default_rng(7 + m)
    Y = random_points(rng, {2: 60, 3: 25, 4: 10}[m], m, integer=m == 2)
    r = np.full(m, 4.5 if m == 2 else 0.9)
    h = hypervolume_over_time(Y, r)
    assert h.shape == (len(Y),)
    expected = [hypervolume(Y[: k + 1], r) for k in range(len(Y))]
    np.testing.assert_allclose(h, expected, rtol=1e-9, atol=1e-12)
    assert np.all(np.diff(h) >= -1e-12)


# quarters: exact under shifts, and many ties
finite = st.integers(-400, 400).map(lambda v: v / 4)


@st.composite
def point_sets(draw, max_m=3, max_n=12):
    m = draw(st.integers(2, max_m))
    n = draw(st.integers(0, max_n))
    values = draw(st.lists(st.lists(finite, min_size=m, max_size=m), min_size=n, max_size=n))
    return np.array(values, dtype=float).reshape(n, m)


@settings(max_examples=60, deadline=None)
@given(point_sets())
def test_property_front_is_mutually_nondominated_and_covers_the_rest(Y):
    mask = pareto_mask(Y)
    front, rest = Y[mask], Y[~mask]
    assert not any(dominates(a, b) for a in front for b in front)
    assert all(any(dominates(a, b) for a in front) for b in rest)
    ranks = nondominated_sort(Y)
    # a dominated row ranks strictly after each of its dominators
    for i, j in itertools.product(range(len(Y)), repeat=2):
        if dominates(Y[i], Y[j]):
            assert ranks[i] < ranks[j]


@settings(max_examples=60, deadline=None)
@given(point_sets(max_m=4, max_n=7), st.data())
def test_property_hypervolume_invariances(Y, data):
    if len(Y) == 0:
        assert hypervolume(Y, np.zeros(Y.shape[1])) == 0.0
        return
    r = default_reference_point(Y)
    hv = hypervolume(Y, r)
    assert hv > 0  # the default reference point keeps every point inside
    assert hv == pytest.approx(brute_hypervolume(Y, r), rel=1e-9)
    # only the front matters; order and duplicates do not
    assert hypervolume(Y[pareto_mask(Y)], r) == pytest.approx(hv, rel=1e-12)
    perm = data.draw(st.permutations(range(len(Y))))
    assert hypervolume(np.r_[Y[perm], Y[:1]], r) == pytest.approx(hv, rel=1e-9)
    # adding a point never lowers it; a shift of points and reference together changes nothing
    extra = np.array([data.draw(st.lists(finite, min_size=Y.shape[1], max_size=Y.shape[1]))])
    assert hypervolume(np.r_[Y, extra], r) >= hv * (1 - 1e-12)
    assert hypervolume(Y + 3.0, r + 3.0) == pytest.approx(hv, rel=1e-9)


def test_points_outside_the_reference_point_add_nothing():
    r = [1.0, 1.0]
    assert hypervolume([[1.0, 0.0], [0.0, 1.0], [2.0, -5.0]], r) == 0.0  # equal is not better
    assert hypervolume([[0.5, 0.5], [1.0, 0.0]], r) == pytest.approx(0.25)
    assert hypervolume(np.empty((0, 3)), [1, 1, 1]) == 0.0


def test_nan_rows_are_skipped_everywhere():
    Y = np.array([[0.2, 0.8], [np.nan, 0.0], [0.8, 0.2], [0.5, np.nan], [0.9, 0.9]])
    assert pareto_mask(Y).tolist() == [True, False, True, False, False]
    ranks = nondominated_sort(Y)
    assert ranks.tolist() == [0, 2, 0, 2, 1]  # NaN rows after the last finite front
    clean = Y[[0, 2, 4]]
    assert hypervolume(Y, [1, 1]) == pytest.approx(hypervolume(clean, [1, 1]))
    np.testing.assert_allclose(default_reference_point(Y), default_reference_point(clean))
    h = hypervolume_over_time(Y, [1, 1])
    assert h[1] == h[0] and h[3] == h[2]


def test_to_minimization_negates_max_columns():
    Y = to_minimization([[1, 2], [3, 4]], ["min", "max"])
    assert Y.dtype == float and Y.tolist() == [[1, -2], [3, -4]]
    assert to_minimization([[1, 2]], "max").tolist() == [[-1, -2]]
    assert to_minimization([5, 6], "min").tolist() == [[5, 6]]  # one point
    with pytest.raises(ValueError, match="mode has 3 entries but values have 2 objectives"):
        to_minimization([[1, 2]], ["min", "max", "min"])
    with pytest.raises(ValueError, match="'min' or 'max', got 'maximize'"):
        to_minimization([[1, 2]], ["min", "maximize"])


def test_default_reference_point_rule():
    Y = np.array([[0.0, 10.0], [2.0, 0.0]])
    np.testing.assert_allclose(default_reference_point(Y), [2.2, 11.0])
    # no spread: a margin of 10% of the value's size (at least 0.1)
    np.testing.assert_allclose(default_reference_point([[5.0, 0.0]]), [5.5, 0.1])
    np.testing.assert_allclose(default_reference_point([[-20.0, 0.0]]), [-18.0, 0.1])
    with pytest.raises(ValueError, match="at least one point"):
        default_reference_point(np.empty((0, 2)))
    with pytest.raises(ValueError, match="at least one point"):
        default_reference_point([[np.nan, 1.0]])


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="reference_point has 3 values, expected 2"):
        hypervolume([[0.0, 0.0]], [1, 1, 1])
    with pytest.raises(ValueError, match="reference_point has 1 values, expected 2"):
        hypervolume_over_time([[0.0, 0.0]], [1])
    with pytest.raises(ValueError, match="must not contain NaN"):
        hypervolume([[0.0, 0.0]], [1, np.nan])
    with pytest.raises(ValueError, match="2-D array"):
        nondominated_sort([1.0, 2.0])
    with pytest.raises(ValueError, match="2-D array"):
        hypervolume([[[1.0]]], [1.0])


def test_large_two_objective_inputs_are_handled():
    rng = np.random.default_rng(3)
    Y = rng.random((10_000, 2))
    ranks = nondominated_sort(Y)
    # spot-check against pairwise dominance for a sample
    for i in rng.integers(0, len(Y), 20):
        dominators = np.all(Y <= Y[i], axis=1) & np.any(Y < Y[i], axis=1)
        expected = 0 if not dominators.any() else ranks[dominators].max() + 1
        assert ranks[i] == expected
    h = hypervolume_over_time(Y, [1.0, 1.0])
    assert h[-1] == pytest.approx(hypervolume(Y, [1.0, 1.0]))


def test_importing_the_sdk_module_does_not_import_numpy():
    code = "import sys, synetune_sdk, synetune_sdk.multiobjective; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_front_tracker_matches_the_batch_functions():
    from synetune_sdk.multiobjective import FrontTracker

    rng = np.random.default_rng(11)
    values = rng.integers(0, 6, size=(80, 2)).astype(float)  # ties and duplicates
    tracker = FrontTracker(["err", "acc"], ["min", "max"])
    Y = to_minimization(values, ["min", "max"])
    for k, (err, acc) in enumerate(values):
        tracker.add({"err": err, "acc": acc, "epoch": 1}, key=k)
        prefix = Y[: k + 1]
        assert tracker.size == int(pareto_mask(prefix).sum())
        r = default_reference_point(prefix)
        assert tracker.hypervolume() == pytest.approx(hypervolume(prefix, r))
    assert sorted(k for k, _ in tracker.front) == np.flatnonzero(pareto_mask(Y)).tolist()
    # an explicit reference point is in the metrics' units ("max": below the values)
    fixed = FrontTracker(["err", "acc"], ["min", "max"], reference_point=[10.0, -1.0])
    for err, acc in values:
        fixed.add({"err": err, "acc": acc})
    assert fixed.hypervolume() == pytest.approx(hypervolume(Y, [10.0, 1.0]))


def test_front_tracker_skips_incomplete_results_and_checks_its_arguments():
    from synetune_sdk.multiobjective import FrontTracker

    tracker = FrontTracker(["a", "b", "c"], "min")
    assert tracker.hypervolume() == 0.0 and tracker.size == 0
    for result in [{"a": 1.0, "b": 2.0}, {"a": 1.0, "b": float("nan"), "c": 1.0}]:
        assert tracker.add(result) is False
    assert tracker.add({"a": 1.0, "b": "x", "c": 0.0}) is False
    assert tracker.skipped == 3 and tracker.size == 0
    assert tracker.add({"a": 1, "b": 2, "c": 3}) is True
    assert tracker.hypervolume() == pytest.approx(0.1 * 0.2 * 0.3)  # one point: margins 10%
    with pytest.raises(ValueError, match="mode has 2 entries but there are 3 metrics"):
        FrontTracker(["a", "b", "c"], ["min", "max"])
    with pytest.raises(ValueError, match="'min' or 'max'"):
        FrontTracker(["a"], "minimize")
    with pytest.raises(ValueError, match="reference_point has 2 values, expected 3"):
        FrontTracker(["a", "b", "c"], "min", reference_point=[1, 2])
