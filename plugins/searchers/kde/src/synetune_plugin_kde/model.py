"""Multivariate kernel density estimators of BOHB (Falkner et al., 2018), in numpy.

A config space, encoded by ``synetune_sdk.encoding.ConfigEncoder``, becomes one variable per
hyperparameter: ``continuous`` (a numeric column in [0, 1]: floats on their log scale where the
domain is, integers, ordinals and finite ranges on their grid, snapped after sampling) or
``categorical`` (the one-hot block of a ``choice``, one variable with an index).

``KDE`` is statsmodels' ``KDEMultivariate(var_type=..., bw="normal_reference")`` as Syne Tune
and HpBandSter use it: a product kernel per observation, averaged; Gaussian kernels for
continuous variables and Aitchison-Aitken kernels for categorical ones (weight ``1 - bw`` on
the observed category, ``bw / (c - 1)`` on each other one), with bandwidths by the normal
reference rule ``1.06 * std * n^(-1 / (4 + k))`` (k variables), clipped below at
``min_bandwidth``. A categorical bandwidth is also clipped above at ``(c - 1) / c``, where its
kernel is uniform (statsmodels does not clip; beyond that value a kernel would favour the
categories that were not observed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


@dataclass(frozen=True)
class Variable:
    """One hyperparameter: its encoded columns and its kernel type."""

    name: str
    start: int
    width: int  # 1, or the number of categories
    categorical: bool


def make_variables(encoder: Any) -> list[Variable]:
    """The variables of ``encoder``'s config space, in column order."""
    return [Variable(c.name, c.start, c.width, c.kind == "onehot") for c in encoder.columns]


def to_features(variables: list[Variable], X: np.ndarray) -> np.ndarray:
    """Encoded rows -> one column per variable (categories as their index)."""
    F = np.empty((X.shape[0], len(variables)))
    for j, v in enumerate(variables):
        block = X[:, v.start : v.start + v.width]
        F[:, j] = np.argmax(block, axis=1) if v.categorical else block[:, 0]
    return F


def to_rows(variables: list[Variable], F: np.ndarray, dim: int) -> np.ndarray:
    """Feature rows -> encoded rows (categories one-hot)."""
    X = np.zeros((F.shape[0], dim))
    for j, v in enumerate(variables):
        if v.categorical:
            X[np.arange(F.shape[0]), v.start + F[:, j].astype(int)] = 1.0
        else:
            X[:, v.start] = F[:, j]
    return X


class KDE:
    """Product-kernel density estimate of feature rows ``F`` (see the module docstring)."""

    def __init__(self, variables: list[Variable], F: np.ndarray, min_bandwidth: float):
        if F.shape[0] < 1:
            raise ValueError("a kernel density estimate needs at least one observation")
        self.variables = variables
        self.data = np.asarray(F, dtype=float)
        n, k = self.data.shape
        scaled = self.data.copy()
        for j, v in enumerate(variables):
            if v.categorical:  # Syne Tune feeds statsmodels the index divided by the count
                scaled[:, j] /= v.width
        bw = 1.06 * np.std(scaled, axis=0) * n ** (-1.0 / (4 + k))
        bw = np.maximum(bw, min_bandwidth)
        for j, v in enumerate(variables):
            if v.categorical:
                bw[j] = min(bw[j], (v.width - 1) / v.width)
        self.bandwidth = bw

    def log_pdf(self, F: np.ndarray) -> np.ndarray:
        """Log density at each feature row of ``F``."""
        n = self.data.shape[0]
        log_k = np.zeros((F.shape[0], n))
        for j, v in enumerate(self.variables):
            h = self.bandwidth[j]
            if v.categorical:
                same = F[:, j][:, None] == self.data[:, j][None, :]
                log_k += np.where(same, math.log1p(-h), math.log(h / (v.width - 1)))
            else:
                z = (F[:, j][:, None] - self.data[:, j][None, :]) / h
                log_k += -0.5 * z * z - _LOG_SQRT_2PI - math.log(h)
        top = log_k.max(axis=1)
        return np.log(np.exp(log_k - top[:, None]).sum(axis=1)) + top - math.log(n)

    def sample_around(
        self, rng: np.random.Generator, size: int, bandwidth_factor: float
    ) -> np.ndarray:
        """Candidates as BOHB draws them: each from a random observation, continuous values
        from a normal with ``bandwidth_factor`` times the bandwidth truncated to [0, 1],
        categories kept with probability ``1 - bw`` and drawn uniformly otherwise."""
        centres = self.data[rng.integers(0, self.data.shape[0], size=size)]
        F = np.empty_like(centres)
        for j, v in enumerate(self.variables):
            m = centres[:, j]
            h = self.bandwidth[j]
            if v.categorical:
                redraw = rng.random(size) >= 1.0 - h
                F[:, j] = np.where(redraw, rng.integers(0, v.width, size=size), m)
            else:
                F[:, j] = truncnorm_unit(m, bandwidth_factor * h, rng)
        return F


def truncnorm_unit(mu: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """N(mu, sigma) truncated to [0, 1] for centres in [0, 1], by rejection: with the centre
    inside, a draw lands inside with probability over 1/3 for sigma <= 1 (about 1 / (2.5
    sigma) beyond), so a few rounds suffice and seeded runs repeat."""
    mu = np.asarray(mu, dtype=float)
    x = rng.normal(mu, sigma)
    for _ in range(500):
        bad = (x < 0.0) | (x > 1.0)
        if not bad.any():
            return x
        x[bad] = rng.normal(mu[bad], sigma)
    return np.clip(x, 0.0, 1.0)
