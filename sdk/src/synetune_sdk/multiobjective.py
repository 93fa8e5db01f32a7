"""Multi-objective building blocks shared by schedulers, the results API and callbacks.

Everything here works on *minimisation* matrices ``Y`` of shape ``(n_points, n_objectives)``;
:func:`to_minimization` turns reported values plus Syne Tune's ``mode`` ("min"/"max", one string or
one per metric) into that form. numpy is imported inside the functions, so importing this module
(or ``synetune_sdk``) stays standard-library only.

Conventions, the same in every function:

* A point dominates another when it is no worse in every objective and strictly better in one.
  Identical points do not dominate each other: duplicates share a rank and are both on the front.
* Rows holding a NaN are skipped: they are never on the Pareto front, rank after every finite row
  in :func:`nondominated_sort` and add no hypervolume (a result that lacks a metric is a NaN).
* The hypervolume is the Lebesgue measure of the region dominated by the points and bounded by the
  reference point; a point that is not strictly better than the reference point in every
  objective adds nothing. It is exact for any number of objectives: an O(n log n) sweep for two,
  a sweep over the third objective maintaining a 2-D front for three, recursive slicing beyond
  (exponential in the number of objectives: meant for small n).
* :func:`default_reference_point` is the one rule used wherever no reference point is given.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = [
    "FrontTracker",
    "default_reference_point",
    "hypervolume",
    "hypervolume_over_time",
    "nondominated_sort",
    "pareto_mask",
    "to_minimization",
]

MODES = ("min", "max")


def to_minimization(values: Any, mode: str | Sequence[str]) -> np.ndarray:
    """Return ``values`` (n x m) as a float minimisation matrix: columns whose mode is "max" negated.

    ``mode`` is one string for every column or a list with one entry per column, as Syne Tune's
    schedulers take it. A 1-D ``values`` is read as one point.
    """
    import numpy as np

    Y = np.array(values, dtype=float)
    if Y.ndim == 1:
        Y = Y[None, :]
    if Y.ndim != 2:
        raise ValueError(
            f"values must be a 2-D array (n_points, n_objectives), got shape {Y.shape}"
        )
    modes = [mode] * Y.shape[1] if isinstance(mode, str) else list(mode)
    if len(modes) != Y.shape[1]:
        raise ValueError(
            f"mode has {len(modes)} entries but values have {Y.shape[1]} objectives: pass one mode "
            "string for all of them or a list with one 'min'/'max' per objective"
        )
    bad = [m for m in modes if m not in MODES]
    if bad:
        raise ValueError(f"mode must be 'min' or 'max', got {bad[0]!r}")
    flip = np.array([m == "max" for m in modes], dtype=bool)
    Y[:, flip] = -Y[:, flip]
    return Y


def _matrix(Y: Any, name: str = "Y") -> np.ndarray:
    import numpy as np

    Y = np.asarray(Y, dtype=float)
    if Y.ndim != 2:
        raise ValueError(
            f"{name} must be a 2-D array (n_points, n_objectives), got shape {Y.shape}; "
            "write one point as [[y1, y2, ...]]"
        )
    if Y.shape[1] == 0 and Y.shape[0] > 0:
        raise ValueError(f"{name} has no objectives (shape {Y.shape})")
    return Y


def nondominated_sort(Y: Any) -> np.ndarray:
    """Return each row's non-domination rank (0 = Pareto front, 1 = front once 0 is removed, ...).

    Rows are visited in lexicographic order, which puts every dominating point before the points
    it dominates; the rank of a row is then the first front that holds none of its dominators,
    found by bisection (fronts are nested). Two objectives need only each front's smallest second
    objective, so the sort costs O(n log n); more objectives cost O(n log(#fronts) |front| m).
    NaN rows get the rank after the last finite front.
    """
    import numpy as np

    Y = _matrix(Y)
    n = len(Y)
    ranks = np.zeros(n, dtype=int)
    finite = ~np.isnan(Y).any(axis=1)
    idx = np.flatnonzero(finite)
    if len(idx):
        ranks[idx] = _rank_rows(Y[idx])
        ranks[~finite] = ranks[idx].max() + 1
    return ranks


def _rank_rows(Y: np.ndarray) -> np.ndarray:
    import numpy as np

    n, m = Y.shape
    order = np.lexsort(Y.T[::-1])
    S = Y[order]
    ranks_sorted = np.empty(n, dtype=int)
    if m == 1:
        # one objective: the rank is the position among the distinct values
        ranks_sorted[:] = np.cumsum(np.r_[0, S[1:, 0] != S[:-1, 0]])
    elif m == 2:
        # front k's smallest second objective so far; non-decreasing in k
        front_min: list[float] = []
        for i in range(n):
            if i and S[i, 0] == S[i - 1, 0] and S[i, 1] == S[i - 1, 1]:
                ranks_sorted[i] = ranks_sorted[i - 1]  # a duplicate has the same dominators
                continue
            y = float(S[i, 1])
            k = bisect_right(front_min, y)
            if k == len(front_min):
                front_min.append(y)
            else:
                front_min[k] = y
            ranks_sorted[i] = k
    else:
        # each front's points in a buffer that doubles when full: a view, never a copy, is tested
        buffers: list[np.ndarray] = []
        sizes: list[int] = []
        for i in range(n):
            y = S[i]
            lo, hi = 0, len(buffers)
            while lo < hi:  # first front holding no dominator of y
                mid = (lo + hi) // 2
                F = buffers[mid][: sizes[mid]]
                if np.any(np.all(F <= y, axis=1) & np.any(F < y, axis=1)):
                    lo = mid + 1
                else:
                    hi = mid
            if lo == len(buffers):
                buffers.append(np.empty((4, m)))
                sizes.append(0)
            if sizes[lo] == len(buffers[lo]):
                buffers[lo] = np.concatenate([buffers[lo], np.empty_like(buffers[lo])])
            buffers[lo][sizes[lo]] = y
            sizes[lo] += 1
            ranks_sorted[i] = lo
    ranks = np.empty(n, dtype=int)
    ranks[order] = ranks_sorted
    return ranks


def pareto_mask(Y: Any) -> np.ndarray:
    """Return a boolean mask of the non-dominated rows of ``Y`` (duplicates both kept, NaN rows out)."""
    import numpy as np

    Y = _matrix(Y)
    return (nondominated_sort(Y) == 0) & ~np.isnan(Y).any(axis=1)


def default_reference_point(Y: Any) -> np.ndarray:
    """The reference point used when none is given: ``nadir + 0.1 * (nadir - ideal)``.

    ``nadir`` and ``ideal`` are the column-wise worst and best finite values of the rows without
    NaN (minimisation). Where a column has no spread (one point, or all equal) the margin is
    ``0.1 * max(|nadir|, 1)`` instead, so every point stays strictly inside the reference point and
    adds volume. Because the point depends on the data, hypervolumes are comparable only under a
    common reference point: pass one explicitly to compare runs.
    """
    import numpy as np

    Y = _matrix(Y)
    Y = Y[np.isfinite(Y).all(axis=1)]
    if len(Y) == 0:
        raise ValueError(
            "default_reference_point needs at least one point whose objectives are all finite; "
            "pass reference_point explicitly"
        )
    nadir, ideal = Y.max(axis=0), Y.min(axis=0)
    span = nadir - ideal
    span = np.where(span > 0, span, np.maximum(np.abs(nadir), 1.0))
    return nadir + 0.1 * span


def _reference(reference_point: Any, m: int) -> np.ndarray:
    import numpy as np

    r = np.asarray(reference_point, dtype=float).reshape(-1)
    if len(r) != m:
        raise ValueError(
            f"reference_point has {len(r)} values, expected {m} (one per objective, in the "
            "minimisation form of to_minimization)"
        )
    if np.isnan(r).any():
        raise ValueError(f"reference_point must not contain NaN, got {r.tolist()}")
    return r


def _inside(Y: np.ndarray, r: np.ndarray) -> np.ndarray:
    """Rows strictly better than the reference point in every objective (NaN rows excluded)."""
    import numpy as np

    return np.all(Y < r, axis=1)  # a comparison with NaN is False


def hypervolume(Y: Any, reference_point: Any) -> float:
    """Exact hypervolume dominated by the rows of ``Y`` (minimisation) and bounded by the reference."""
    Y = _matrix(Y)
    r = _reference(reference_point, Y.shape[1])
    return _hv(Y[_inside(Y, r)], r)


def _hv(Y: np.ndarray, r: np.ndarray) -> float:
    import numpy as np

    n, m = Y.shape
    if n == 0:
        return 0.0
    if m == 1:
        return float(r[0] - Y[:, 0].min())
    if m == 2:
        return _hv2(Y, r)
    if m == 3:
        front = _Front2D(r[0], r[1])
        volume = 0.0
        order = np.argsort(Y[:, 2], kind="stable")
        z = np.r_[Y[order, 2], r[2]]
        for j, i in enumerate(order):
            front.add(Y[i, 0], Y[i, 1])
            volume += front.area * (z[j + 1] - z[j])
        return float(volume)
    # slicing along the last objective: between consecutive values the points below the slice
    # form an (m-1)-objective problem, whose front grows by one point per slice
    order = np.argsort(Y[:, -1], kind="stable")
    Y = Y[order]
    z = np.r_[Y[:, -1], r[-1]]
    front = np.empty((0, m - 1))
    volume = 0.0
    for k in range(n):
        front = _with_point(front, Y[k, :-1])
        width = z[k + 1] - z[k]
        if width > 0:
            volume += _hv(front, r[:-1]) * width
    return float(volume)


def _with_point(front: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``front`` (no point weakly dominating another) with ``y`` added, if it adds volume."""
    import numpy as np

    if np.any(np.all(front <= y, axis=1)):
        return front  # a point at least as good everywhere: y adds no volume
    return np.vstack([front[~np.all(y <= front, axis=1)], y])


def _hv2(Y: np.ndarray, r: np.ndarray) -> float:
    import numpy as np

    Y = Y[np.lexsort((Y[:, 1], Y[:, 0]))]
    # the staircase level just before each point: the smallest second objective seen so far
    level = np.minimum.accumulate(np.r_[r[1], Y[:-1, 1]])
    return float(np.sum((r[0] - Y[:, 0]) * np.maximum(level - Y[:, 1], 0.0)))


class _Front2D:
    """A 2-D Pareto front kept sorted by the first objective, with the area it dominates.

    ``add`` inserts a point and updates the area by the strip the point newly dominates, so a
    sequence of n insertions costs O(n log n) comparisons (plus list shifts).
    """

    def __init__(self, r0: float, r1: float) -> None:
        self.r0, self.r1 = float(r0), float(r1)
        self.xs: list[float] = []  # increasing
        self.ys: list[float] = []  # decreasing
        self.area = 0.0

    def add(self, a: float, b: float) -> bool:
        """Insert (a, b), strictly inside the reference point; return whether the area grew."""
        a, b = float(a), float(b)
        xs, ys = self.xs, self.ys
        p = bisect_right(xs, a) - 1
        if p >= 0 and ys[p] <= b:
            return False  # dominated by (or equal to) a point on the front
        i0 = bisect_left(xs, a)
        level = ys[i0 - 1] if i0 > 0 else self.r1
        x, j, added = a, i0, 0.0
        while j < len(xs) and ys[j] >= b:  # points the new one dominates
            added += (level - b) * (xs[j] - x)
            x, level = xs[j], ys[j]
            j += 1
        added += (level - b) * ((xs[j] if j < len(xs) else self.r0) - x)
        xs[i0:j] = [a]
        ys[i0:j] = [b]
        self.area += added
        return True


def hypervolume_over_time(Y: Any, reference_point: Any) -> np.ndarray:
    """Return ``h`` with ``h[k]`` the hypervolume of rows ``0..k`` of ``Y`` (length n).

    Two objectives use an incremental front (O(n log n) overall); more objectives recompute the
    hypervolume of the current front only when a new row enters it.
    """
    import numpy as np

    Y = _matrix(Y)
    n, m = Y.shape
    r = _reference(reference_point, m)
    out = np.zeros(n)
    inside = _inside(Y, r)
    if m == 2:
        front = _Front2D(r[0], r[1])
        for k in range(n):
            if inside[k]:
                front.add(Y[k, 0], Y[k, 1])
            out[k] = front.area
        return out
    current = np.empty((0, m))
    value = 0.0
    for k in range(n):
        if inside[k]:
            grown = _with_point(current, Y[k])
            if grown is not current:
                current, value = grown, _hv(grown, r)
        out[k] = value
    return out


class FrontTracker:
    """The Pareto front of results as they arrive, and its hypervolume: what progress displays
    and loggers show of a run with several metrics instead of a "best" value.

    ``add(result)`` takes a reported dict; a result lacking one of ``metrics``, or with a value
    that is not a number or is NaN, is skipped (``skipped`` counts them). Without a
    ``reference_point`` (given in the metrics' own units) the hypervolume uses
    :func:`default_reference_point` of every result kept so far, so it can shrink when a new
    worst value widens the range: pass one for a curve that only grows.
    """

    def __init__(
        self, metrics: Sequence[str], mode: str | Sequence[str], reference_point: Any = None
    ) -> None:
        self.metrics = list(metrics)
        modes = [mode] * len(self.metrics) if isinstance(mode, str) else list(mode)
        if len(modes) != len(self.metrics):
            raise ValueError(
                f"mode has {len(modes)} entries but there are {len(self.metrics)} metrics "
                f"{self.metrics}: give one mode per metric or a single mode for all"
            )
        self.sign = [-1.0 if m == "max" else 1.0 for m in modes]
        to_minimization([[0.0] * len(modes)], modes)  # validates the modes
        self.reference_point = None
        if reference_point is not None:
            self.reference_point = _reference(reference_point, len(self.metrics)) * self.sign
        self.front: list[tuple[Any, list[float]]] = []  # (key, minimisation values)
        self.ideal: list[float] | None = None
        self.nadir: list[float] | None = None
        self.skipped = 0
        self._hypervolume: float | None = None

    @property
    def size(self) -> int:
        return len(self.front)

    def add(self, result: dict[str, Any], key: Any = None) -> bool:
        """Take one result (``key``, e.g. its trial id, is kept with it); True if the front changed."""
        y = []
        for name, sign in zip(self.metrics, self.sign):
            value = result.get(name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                self.skipped += 1
                return False
            y.append(sign * float(value))
        if self.ideal is None or self.nadir is None:
            self.ideal, self.nadir = list(y), list(y)
        else:
            self.ideal = [min(a, b) for a, b in zip(self.ideal, y)]
            self.nadir = [max(a, b) for a, b in zip(self.nadir, y)]
        self._hypervolume = None
        if any(all(f <= v for f, v in zip(p, y)) and p != y for _, p in self.front):
            return False
        self.front = [
            (k, p) for k, p in self.front if not (all(v <= f for v, f in zip(y, p)) and p != y)
        ]
        self.front.append((key, y))
        return True

    def hypervolume(self) -> float:
        """Hypervolume of the front (0.0 before the first usable result)."""
        import numpy as np

        if not self.front:
            return 0.0
        if self._hypervolume is None:
            reference = self.reference_point
            if reference is None:
                reference = default_reference_point(np.array([self.ideal, self.nadir]))
            self._hypervolume = hypervolume(np.array([p for _, p in self.front]), reference)
        return self._hypervolume
