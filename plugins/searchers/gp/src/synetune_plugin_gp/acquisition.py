"""Acquisition functions and their optimisation over the encoded config space.

Expected improvement is computed as log EI (Ament et al. 2023, "Unexpected improvements to
expected improvement"): EI underflows to 0 far from the incumbent, which leaves nothing to rank
or follow, while log EI stays finite with a useful gradient. With fantasy samples of pending
evaluations the acquisition is the log of EI averaged over the samples.

``optimize`` scores many random candidates (plus perturbations of the best observed inputs) in one
vectorised pass, refines the best few with one batched L-BFGS-B run (the starting points are
independent, so the sum of their acquisitions is separable) and returns the best candidate whose
configuration was not suggested before.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import erfcx, log_ndtr, ndtr

from synetune_plugin_gp.gp import Posterior
from synetune_sdk.model_based import row_keys

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)
LOG_SQRT_PI_2 = 0.5 * math.log(math.pi / 2)
SQRT2 = math.sqrt(2.0)

# acquisition(X, with_gradient) -> (values (m,), gradients (m, d) or None); larger is better.
Acquisition = Callable[[np.ndarray, bool], tuple[np.ndarray, np.ndarray | None]]


def log_h(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log(phi(z) + z Phi(z))`` and its derivative ``Phi(z) / h(z)``, stable for all z."""
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    upper = z > -1.0
    zu = z[upper]
    out[upper] = np.log(np.exp(-0.5 * zu * zu - LOG_SQRT_2PI) + zu * ndtr(zu))
    zl = z[~upper]
    far = zl < -1e6
    # h(z) = phi(z) (1 - |z| sqrt(pi/2) erfcx(-z / sqrt 2)) for z < 0
    t = np.log(erfcx(-zl / SQRT2) * np.abs(zl)) + LOG_SQRT_PI_2
    t = np.minimum(t, -1e-300)
    log1mexp = np.where(t > -math.log(2.0), np.log(-np.expm1(t)), np.log1p(-np.exp(t)))
    lower = -0.5 * zl * zl - LOG_SQRT_2PI + log1mexp
    lower[far] = (-0.5 * zl * zl - LOG_SQRT_2PI - 2.0 * np.log(np.abs(zl)))[far]
    out[~upper] = lower
    return out, np.exp(log_ndtr(z) - out)


def log_expected_improvement(
    mean: np.ndarray,
    var: np.ndarray,
    best: np.ndarray,
    dmean: np.ndarray | None = None,
    dvar: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Log of EI (for minimisation) averaged over sample columns.

    ``mean (m, S)``, ``var (m,)``, ``best (S,)``; with ``dmean (m, S, d)`` and ``dvar (m, d)``
    also the gradient ``(m, d)``.
    """
    sigma = np.sqrt(var)
    z = (best[None, :] - mean) / sigma[:, None]
    lh, dlh = log_h(z)
    log_ei = np.log(sigma)[:, None] + lh  # (m, S)
    top = log_ei.max(axis=1, keepdims=True)
    weights = np.exp(log_ei - top)
    total = weights.sum(axis=1, keepdims=True)
    value = (top + np.log(total)).ravel() - math.log(mean.shape[1])
    if dmean is None:
        return value, None
    weights /= total
    dsigma = dvar / (2.0 * sigma[:, None])  # (m, d)
    dz = (-dmean - z[:, :, None] * dsigma[:, None, :]) / sigma[:, None, None]  # (m, S, d)
    dlog = (dsigma / sigma[:, None])[:, None, :] + dlh[:, :, None] * dz
    return value, np.einsum("ms,msd->md", weights, dlog)


def lower_confidence_bound(
    mean: np.ndarray,
    var: np.ndarray,
    best: np.ndarray,
    dmean: np.ndarray | None = None,
    dvar: np.ndarray | None = None,
    kappa: float = 1.0,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Negated lower confidence bound (for minimisation; larger is better), ``kappa sigma -
    mean`` with the mean averaged over sample columns; ``best`` is not used. Same shapes as
    ``log_expected_improvement``."""
    sigma = np.sqrt(var)
    value = kappa * sigma - mean.mean(axis=1)
    if dmean is None:
        return value, None
    return value, kappa * dvar / (2.0 * sigma[:, None]) - dmean.mean(axis=1)


def log_probability_below(
    mean: np.ndarray,
    var: np.ndarray,
    threshold: float,
    dmean: np.ndarray | None = None,
    dvar: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``log P(f(x) <= threshold)`` for a Gaussian posterior (first sample column), + gradient."""
    sigma = np.sqrt(var)
    mu = mean[:, 0]
    z = (threshold - mu) / sigma
    value = log_ndtr(z)
    if dmean is None:
        return value, None
    dsigma = dvar / (2.0 * sigma[:, None])
    dz = (-dmean[:, 0, :] - z[:, None] * dsigma) / sigma[:, None]
    ratio = np.exp(-0.5 * z * z - LOG_SQRT_2PI - value)  # phi(z) / Phi(z)
    return value, ratio[:, None] * dz


def current_best(posterior: Posterior, rows: np.ndarray) -> np.ndarray:
    """Per sample column, the smallest posterior mean at the training rows ``rows``."""
    return posterior.mean_at_data()[rows].min(axis=0)


# score(mean, var, best, dmean, dvar) -> (values, gradients): log EI or negated LCB
Score = Callable[..., tuple[np.ndarray, np.ndarray | None]]


def expected_improvement(
    posterior: Posterior, best: np.ndarray, score: Score = log_expected_improvement
) -> Acquisition:
    """log EI (or another ``score``) of ``posterior`` relative to ``best`` (one value per sample
    column)."""

    def acquisition(X: np.ndarray, with_gradient: bool) -> tuple[np.ndarray, np.ndarray | None]:
        if with_gradient:
            mean, var, dmean, dvar = posterior.predict_with_gradient(X)
            return score(mean, var, best, dmean, dvar)
        mean, var = posterior.predict(X)
        return score(mean, var, best)

    return acquisition


def optimize(
    acquisition: Acquisition,
    encoder: Any,
    random_state: Any,
    exclude: set[bytes],
    anchors: np.ndarray | None = None,
    num_candidates: int = 1000,
    num_local: int = 5,
    local_maxiter: int = 50,
    candidates: np.ndarray | None = None,
    extra_columns: np.ndarray | None = None,
) -> np.ndarray | None:
    """The snapped encoded row maximising ``acquisition`` among rows not in ``exclude``.

    ``candidates`` (e.g. every configuration of a small finite space not suggested yet)
    replaces random sampling and local refinement. ``anchors`` are encoded rows of good
    observations: candidates are also drawn close to them. ``extra_columns`` (one row) are
    appended to every candidate before scoring and never optimised (the resource level of a
    joint config x resource model). Returns None if every candidate is excluded.
    """
    local = candidates is None
    if candidates is None:
        parts = [encoder.sample_encoded(num_candidates, random_state)]
        if anchors is not None and len(anchors):
            parts.append(_perturb(anchors, encoder, random_state))
        candidates = np.vstack(parts)
    if not len(candidates):
        return None

    def score(X: np.ndarray, with_gradient: bool = False) -> tuple[np.ndarray, Any]:
        if extra_columns is None:
            return acquisition(X, with_gradient)
        full = np.hstack([X, np.repeat(extra_columns, len(X), axis=0)])
        values, grads = acquisition(full, with_gradient)
        return values, None if grads is None else grads[:, : X.shape[1]]

    values = score(candidates)[0]
    pool, pool_values = candidates, values
    if local and num_local > 0:
        free = _free_columns(encoder)
        if len(free):
            order = np.argsort(-values)[:num_local]
            refined = encoder.snap(_refine(score, candidates[order], free, local_maxiter))
            pool = np.vstack([candidates, refined])
            pool_values = np.concatenate([values, score(refined)[0]])
    # Keys are computed lazily, best first: random continuous candidates are almost never
    # excluded, so this usually looks at one row.
    pool_values = np.where(np.isfinite(pool_values), pool_values, -np.inf)
    for i in np.argsort(-pool_values, kind="stable"):
        if row_keys(pool[i : i + 1])[0] not in exclude:
            return pool[i]
    return None


def _free_columns(encoder: Any) -> np.ndarray:
    """Columns local refinement may move: all but the one-hot blocks of categories."""
    fixed = np.zeros(encoder.dim, dtype=bool)
    for block in encoder.onehot_slices:
        fixed[block] = True
    return np.flatnonzero(~fixed)


def _perturb(
    anchors: np.ndarray, encoder: Any, random_state: Any, per_anchor: int = 20
) -> np.ndarray:
    """Candidates near good observations: Gaussian steps on the numeric columns."""
    free = _free_columns(encoder)
    out = np.repeat(anchors, per_anchor, axis=0)
    scales = np.array([0.2, 0.05, 0.01, 0.002])
    step = scales[random_state.integers(0, len(scales), size=len(out))][:, None]
    out[:, free] += step * random_state.standard_normal((len(out), len(free)))
    return encoder.snap(np.clip(out, 0.0, 1.0))


def _refine(score: Any, starts: np.ndarray, free: np.ndarray, maxiter: int) -> np.ndarray:
    """Batched L-BFGS-B on the free columns of every starting point at once."""
    k, f = len(starts), len(free)
    base = starts.copy()

    def objective(flat: np.ndarray) -> tuple[float, np.ndarray]:
        X = base.copy()
        X[:, free] = flat.reshape(k, f)
        values, grads = score(X, True)
        bad = ~np.isfinite(values)
        values = np.where(bad, -1e6, values)
        grads = np.where(bad[:, None], 0.0, grads)
        return -float(values.sum()), -grads[:, free].ravel()

    result = minimize(
        objective,
        base[:, free].ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=[(0.0, 1.0)] * (k * f),
        options={"maxiter": maxiter},
    )
    out = base.copy()
    out[:, free] = np.clip(result.x.reshape(k, f), 0.0, 1.0)
    return out
