"""Optuna's Parzen estimator on the encoded space of ``synetune_sdk.encoding.ConfigEncoder``.

A config space becomes a list of variables, one per hyperparameter: ``continuous`` (a numeric
column in [0, 1], log scale where the domain is), ``discrete`` (a numeric column with finitely
many values: integers, quantized floats, finite ranges, ordinals; each value owns a cell of
[0, 1] and a kernel gives it the normal mass of its cell, as Optuna does for stepped
distributions) or ``categorical`` (the one-hot block of a ``choice``, handled as one variable
with a categorical kernel, never as independent 0/1 columns).

The estimator is a mixture of one product kernel per observation plus a prior kernel
(Optuna 4/5, ``TPESampler``'s defaults):

* numeric kernels are normals truncated to [0, 1], centred at the observation; the bandwidth is
  the larger distance to the neighbouring observations (the domain's ends count as neighbours,
  but with ``consider_endpoints=False`` not for the outermost observations), clipped to
  ``[1 / min(100, n + 2), 1]`` (the "magic clip"; n observations);
* the prior kernel is centred in the middle with bandwidth 1 (the whole domain);
* categorical kernels put ``1 + prior_weight / (n + 1)`` on the observed category and
  ``prior_weight / (n + 1)`` on every category (normalised); the prior's is uniform;
* mixture weights: ``weights(n)`` for the observations (in the order given: best first) and
  ``prior_weight`` for the prior, normalised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from synetune_plugin_tpe import _normal

# Numeric domains with at most this many values are discrete (cells); larger ones continuous.
MAX_GRID = 1000
_EPS = 1e-12


@dataclass(frozen=True)
class Variable:
    """One hyperparameter: where it lives in the encoded rows and how its kernels work."""

    name: str
    start: int
    width: int
    kind: str  # "continuous", "discrete" or "categorical"
    grid: np.ndarray | None = None  # discrete: ascending encoded values
    edges: np.ndarray | None = None  # discrete: cell boundaries, len(grid) + 1


def make_variables(encoder: Any) -> list[Variable]:
    """The variables of ``encoder``'s config space, in column order."""
    base = encoder.decode(np.full((1, encoder.dim), 0.5))[0]
    out = []
    for column in encoder.columns:
        if column.kind == "onehot":
            out.append(Variable(column.name, column.start, column.width, "categorical"))
            continue
        size = column.domain.size()
        if size is None or size > MAX_GRID:
            out.append(Variable(column.name, column.start, 1, "continuous"))
            continue
        configs = [{**base, column.name: v} for v in column.domain.grid(size)]
        grid = np.unique(encoder.encode(configs)[:, column.start])
        edges = np.concatenate([[0.0], 0.5 * (grid[1:] + grid[:-1]), [1.0]])
        out.append(Variable(column.name, column.start, 1, "discrete", grid, edges))
    return out


def to_features(variables: list[Variable], X: np.ndarray) -> np.ndarray:
    """Encoded rows -> one column per variable (categories as their index)."""
    F = np.empty((X.shape[0], len(variables)))
    for j, v in enumerate(variables):
        block = X[:, v.start : v.start + v.width]
        F[:, j] = np.argmax(block, axis=1) if v.kind == "categorical" else block[:, 0]
    return F


def to_rows(variables: list[Variable], F: np.ndarray, dim: int) -> np.ndarray:
    """Feature rows -> encoded rows (categories one-hot)."""
    X = np.zeros((F.shape[0], dim))
    for j, v in enumerate(variables):
        if v.kind == "categorical":
            X[np.arange(F.shape[0]), v.start + F[:, j].astype(int)] = 1.0
        else:
            X[:, v.start] = F[:, j]
    return X


def bandwidths(mus: np.ndarray, consider_endpoints: bool, magic_clip: bool) -> np.ndarray:
    """Optuna's kernel widths for centres ``mus`` in [0, 1] (see the module docstring)."""
    n = len(mus)
    order = np.argsort(mus, kind="stable")
    points = np.concatenate([[0.0], mus[order], [1.0]])
    gaps = np.diff(points)
    sigmas = np.maximum(gaps[:-1], gaps[1:])
    if not consider_endpoints and n >= 2:
        sigmas[0] = points[2] - points[1]
        sigmas[-1] = points[-2] - points[-3]
    low = 1.0 / min(100.0, n + 2.0) if magic_clip else _EPS
    out = np.empty(n)
    out[order] = np.clip(sigmas, low, 1.0)
    return out


class ParzenEstimator:
    """A mixture of product kernels over the variables (see the module docstring).

    ``F`` holds the observations as feature rows, ``weights`` their (unnormalised) mixture
    weights. ``sample`` draws feature rows; ``log_pdf`` scores them, jointly
    (``multivariate=True``) or per variable (one column per variable).
    """

    def __init__(
        self,
        variables: list[Variable],
        F: np.ndarray,
        weights: np.ndarray,
        prior_weight: float = 1.0,
        consider_endpoints: bool = False,
        consider_magic_clip: bool = True,
    ):
        n = F.shape[0]
        self.variables = variables
        w = np.append(np.asarray(weights, dtype=float), prior_weight) if n else np.ones(1)
        self.weights = w / w.sum()
        with np.errstate(divide="ignore"):
            self.log_weights = np.log(self.weights)
        self._params: list[tuple[np.ndarray, ...]] = []
        for j, v in enumerate(variables):
            if v.kind == "categorical":
                probs = np.full((n + 1, v.width), prior_weight / (n + 1))
                probs[np.arange(n), F[:, j].astype(int)] += 1.0
                probs[n] = 1.0 / v.width
                probs /= probs.sum(axis=1, keepdims=True)
                with np.errstate(divide="ignore"):
                    self._params.append((probs, np.log(probs)))
                continue
            mus = np.append(F[:, j], 0.5)
            sigmas = np.append(bandwidths(F[:, j], consider_endpoints, consider_magic_clip), 1.0)
            log_z = _normal.log_mass(-mus / sigmas, (1.0 - mus) / sigmas)
            self._params.append((mus, sigmas, log_z))

    @property
    def num_kernels(self) -> int:
        return len(self.weights)

    def sample(self, rng: np.random.Generator, size: int, multivariate: bool = True) -> np.ndarray:
        """``size`` feature rows drawn from the mixture (independently per variable if not
        ``multivariate``); discrete values are put on their grid."""
        k = len(self.variables)
        shared = rng.choice(self.num_kernels, p=self.weights, size=size)
        F = np.empty((size, k))
        for j, (v, params) in enumerate(zip(self.variables, self._params)):
            comp = (
                shared if multivariate else rng.choice(self.num_kernels, p=self.weights, size=size)
            )
            if v.kind == "categorical":
                cum = np.cumsum(params[0][comp], axis=1)
                cum[:, -1] = 1.0
                F[:, j] = np.sum(cum < rng.random(size)[:, None], axis=1)
                continue
            mus, sigmas, _ = params
            x = _normal.truncnorm_sample(mus[comp], sigmas[comp], rng)
            F[:, j] = x if v.grid is None else v.grid[_nearest(v.grid, x)]
        return F

    def log_kernels(self, F: np.ndarray) -> list[np.ndarray]:
        """Per variable, the log density of each row under each kernel: (rows, kernels)."""
        out = []
        for j, (v, params) in enumerate(zip(self.variables, self._params)):
            x = F[:, j]
            if v.kind == "categorical":
                out.append(params[1][:, x.astype(int)].T)
                continue
            mus, sigmas, log_z = params
            if v.kind == "continuous":
                z = (x[:, None] - mus) / sigmas
                out.append(_normal.log_pdf(z) - np.log(sigmas) - log_z)
                continue
            cell = _nearest(v.grid, x)
            left, right = v.edges[cell], v.edges[cell + 1]
            mass = _normal.log_mass((left[:, None] - mus) / sigmas, (right[:, None] - mus) / sigmas)
            out.append(mass - log_z)
        return out

    def log_pdf(self, F: np.ndarray, multivariate: bool = True) -> np.ndarray:
        """Log density of feature rows: shape (rows,) jointly, (rows, variables) per variable."""
        parts = self.log_kernels(F)
        if multivariate:
            joint = self.log_weights + (sum(parts) if parts else 0.0)
            return _logsumexp(joint)
        return np.stack([_logsumexp(self.log_weights + p) for p in parts], axis=1)


def _logsumexp(a: np.ndarray) -> np.ndarray:
    top = np.max(a, axis=1)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.sum(np.exp(a - top[:, None]), axis=1)) + top


def _nearest(grid: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Index of the nearest entry of the ascending ``grid`` for each value of ``x``."""
    if len(grid) == 1:
        return np.zeros(len(x), dtype=int)
    right = np.clip(np.searchsorted(grid, x), 1, len(grid) - 1)
    left = right - 1
    return np.where(np.abs(x - grid[left]) <= np.abs(grid[right] - x), left, right)


def default_gamma(n: int) -> int:
    """Optuna's single-objective split: the best 10%, at most 25, are "good"."""
    return min(int(np.ceil(0.1 * n)), 25)


def default_weights(n: int) -> np.ndarray:
    """Optuna's weights: the last 25 observations 1, earlier ones ramping up from 1/n (the
    searcher passes them best first, so the worst 25 weigh 1; Optuna passes them oldest
    first)."""
    if n == 0:
        return np.asarray([])
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, num=n - 25), np.ones(25)])


WeightsFunction = Callable[[int], Any]
