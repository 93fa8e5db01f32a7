"""Normal-distribution helpers in numpy alone (no scipy): TPE's kernels are truncated normals.

``log_upper_tail`` uses the Chebyshev fit of ``erfc`` from Numerical Recipes (relative error
below 1.2e-7 everywhere), written in log form so that it neither underflows nor loses relative
precision far in the tails: the log mass of a narrow cell far from a kernel's centre stays
accurate, which the density ratio of TPE depends on.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
# erfc(x) = t * exp(-x^2 + P(t)), t = 1 / (1 + x / 2), for x >= 0 (Numerical Recipes, erfcc)
_ERFC_COEFFS = (
    -1.26551223,
    1.00002368,
    0.37409196,
    0.09678418,
    -0.18628806,
    0.27886807,
    -1.13520398,
    1.48851587,
    -0.82215223,
    0.17087277,
)


def _log_erfc_nonneg(x: np.ndarray) -> np.ndarray:
    """``log(erfc(x))`` for ``x >= 0``."""
    t = 1.0 / (1.0 + 0.5 * x)
    poly = np.full_like(x, _ERFC_COEFFS[-1])
    for c in _ERFC_COEFFS[-2::-1]:
        poly = poly * t + c
    return np.log(t) - x * x + poly


def log_upper_tail(z: np.ndarray) -> np.ndarray:
    """``log(1 - Phi(z))``, accurate for every z (Phi: the standard normal CDF)."""
    z = np.asarray(z, dtype=float)
    x = np.abs(z) / _SQRT2
    log_erfc = _log_erfc_nonneg(x)
    # z >= 0: 1 - Phi(z) = erfc(x) / 2; z < 0: 1 - Phi(z) = 1 - erfc(x) / 2
    upper = log_erfc - math.log(2.0)
    return np.where(z >= 0, upper, np.log1p(-np.exp(np.minimum(upper, 0.0))))


def _log1mexp(d: np.ndarray) -> np.ndarray:
    """``log(1 - exp(d))`` for ``d <= 0``, accurate near 0 and far below it."""
    d = np.minimum(d, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(d > -math.log(2.0), np.log(-np.expm1(d)), np.log1p(-np.exp(d)))


def log_mass(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for ``a <= b`` (elementwise), -inf where ``a == b``."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
    out = np.empty(a.shape)
    right = a >= 0  # both in the upper tail: Q(a) - Q(b), Q = 1 - Phi
    left = b <= 0  # both in the lower tail: Q(-b) - Q(-a)
    middle = ~(right | left)
    if right.any():
        qa, qb = log_upper_tail(a[right]), log_upper_tail(b[right])
        out[right] = qa + _log1mexp(qb - qa)
    if left.any():
        qa, qb = log_upper_tail(-b[left]), log_upper_tail(-a[left])
        out[left] = qa + _log1mexp(qb - qa)
    if middle.any():
        tails = np.exp(log_upper_tail(b[middle])) + np.exp(log_upper_tail(-a[middle]))
        out[middle] = np.log1p(-np.minimum(tails, 1.0))
    return out


def log_pdf(z: np.ndarray) -> np.ndarray:
    """Log density of the standard normal."""
    return -0.5 * z * z - _LOG_SQRT_2PI


def truncnorm_sample(
    mu: np.ndarray, sigma: np.ndarray, rng: np.random.Generator, low: float = 0.0, high: float = 1.0
) -> np.ndarray:
    """Draws of N(mu, sigma) truncated to [low, high], by rejection.

    TPE's kernels have their centre inside [low, high] and ``sigma <= high - low``, so a draw
    lands inside with probability at least 0.34: a few rounds suffice. The number of random
    numbers used depends only on the generator's state, so seeded runs repeat.
    """
    mu, sigma = (np.array(v, dtype=float) for v in np.broadcast_arrays(mu, sigma))
    x = rng.normal(mu, sigma)
    for _ in range(200):
        bad = (x < low) | (x > high)
        if not bad.any():
            return x
        x[bad] = rng.normal(mu[bad], sigma[bad])
    return np.clip(x, low, high)  # pragma: no cover - a centre outside the interval
