"""Gaussian-process regression with a Matérn-5/2 ARD kernel, in numpy and scipy only.

The model behind every searcher of this plugin. Targets are standardised; the hyperparameters
(one lengthscale per input dimension, signal variance, noise variance and a constant mean) are
fitted by maximising the log marginal likelihood plus weak log priors with L-BFGS-B and analytic
gradients, warm-started from the previous fit so that refitting after one new observation costs a
few iterations. ``Posterior`` conditions the fitted model on the data (and on fantasy values at
pending inputs) and predicts means, variances and their gradients with respect to the inputs,
vectorised over many candidates.

Priors (on the standardised scale, inputs in [0, 1]): ``-(0.1 / lam + 0.1 * lam)`` on every
inverse squared lengthscale ``lam`` (peaks at lengthscale 1), Gamma(2, 1) on the signal variance,
Gamma(1.1, 30) on the noise variance (favours small noise, as for deterministic objectives) and
N(0, 1) on the mean: the choices of Optuna's GPSampler, which work well on HPO problems.

Joint models over configuration and resource (MOBSTER) may add Syne Tune's default resource
kernel, "exp-decay-sum" (Swersky et al. 2014, freeze-thaw; centred as in Tiao et al. 2020): the
last input column is the resource ``r`` in (0, 1], the prior mean is ``mu + gamma kappa(r)`` and
the covariance ``k_x(x, x') + gamma^2 (kappa(r + r') - kappa(r) kappa(r'))`` with
``kappa(r) = (beta / (r + beta))^alpha`` and ``beta = alpha / mean_lam``: a mixture of
exponentially decaying learning curves with decay rates ~ Gamma(alpha, mean_lam), so that a
curve's early values inform its final value. ``alpha``, ``mean_lam`` and ``gamma`` are fitted
with the other hyperparameters (flat priors on their logarithms within bounds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.linalg.lapack import dpotrf, dpotri
from scipy.optimize import minimize

from synetune_plugin_gp.threads import single_threaded_blas

SQRT5 = math.sqrt(5.0)
LOG_LS_BOUNDS = (math.log(1e-2), math.log(1e2))
LOG_SIGNAL_BOUNDS = (math.log(1e-2), math.log(1e2))
LOG_NOISE_BOUNDS = (math.log(1e-10), math.log(2.0))
MEAN_BOUNDS = (-10.0, 10.0)
# exp-decay resource kernel: alpha, mean_lam (resources scaled to (0, 1]), gamma
DECAY_BOUNDS = [
    (math.log(1e-2), math.log(250.0)),
    (math.log(1e-2), math.log(1e3)),
    (math.log(1e-3), math.log(10.0)),
]
DECAY_DEFAULT = (1.0, 5.0, 0.5)
JITTER = 1e-9


@dataclass
class Hyperparameters:
    """Fitted GP hyperparameters (standardised target scale)."""

    lengthscales: np.ndarray
    signal_variance: float
    noise_variance: float
    mean: float
    # (alpha, mean_lam, gamma) of the exp-decay resource kernel; None without one
    decay: np.ndarray | None = None

    def to_vector(self) -> np.ndarray:
        parts = [
            np.log(self.lengthscales),
            [math.log(self.signal_variance), math.log(self.noise_variance), self.mean],
        ]
        if self.decay is not None:
            parts.append(np.log(self.decay))
        return np.concatenate(parts)

    @classmethod
    def from_vector(cls, theta: np.ndarray, decay: bool = False) -> Hyperparameters:
        d = len(theta) - 3 - (3 if decay else 0)
        return cls(
            np.exp(theta[:d]),
            math.exp(theta[d]),
            math.exp(theta[d + 1]),
            float(theta[d + 2]),
            np.exp(theta[d + 3 :]) if decay else None,
        )

    @classmethod
    def default(cls, dim: int, decay: bool = False) -> Hyperparameters:
        return cls(np.full(dim, 0.5), 1.0, 1e-3, 0.0, np.array(DECAY_DEFAULT) if decay else None)


def bounds(dim: int, decay: bool = False) -> list[tuple[float, float]]:
    box = [LOG_LS_BOUNDS] * dim + [LOG_SIGNAL_BOUNDS, LOG_NOISE_BOUNDS, MEAN_BOUNDS]
    return box + (DECAY_BOUNDS if decay else [])


def decay_curve(
    r: np.ndarray, alpha: float, mean_lam: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``kappa(r) = (beta / (r + beta))^alpha`` and the derivatives of ``log kappa`` with
    respect to ``log alpha`` and ``log mean_lam``."""
    beta = alpha / mean_lam
    q = beta / (r + beta)
    log_q = np.log(q)
    kappa = np.exp(alpha * log_q)
    return kappa, alpha * (log_q + 1.0 - q), -alpha * (1.0 - q)


def pairwise_decay_curve(
    r1: np.ndarray, r2: np.ndarray, alpha: float, mean_lam: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``decay_curve`` at ``r1[:, None] + r2[None, :]``, evaluated once per distinct pair.

    Resources take few values (the rung levels), so a table over the distinct values, indexed
    per pair, replaces logs and powers over every pair (they dominated MOBSTER's run time).
    """
    u1, i1 = np.unique(r1, return_inverse=True)
    u2, i2 = np.unique(r2, return_inverse=True)
    if 4 * len(u1) * len(u2) > len(r1) * len(r2):  # few repeats: no gain from a table
        return decay_curve(r1[:, None] + r2[None, :], alpha, mean_lam)
    rows, cols = i1.reshape(-1, 1), i2.reshape(1, -1)
    return tuple(t[rows, cols] for t in decay_curve(u1[:, None] + u2[None, :], alpha, mean_lam))


def matern52(r2: np.ndarray, signal_variance: float) -> np.ndarray:
    """Matérn-5/2 covariance ``s2 (1 + sqrt5 r + 5/3 r^2) exp(-sqrt5 r)`` for squared scaled
    distances ``r2`` (computed in place on temporaries: this runs on large candidate sets)."""
    r = np.sqrt(r2)
    e = r * -SQRT5
    np.exp(e, out=e)
    r *= SQRT5
    r += 1.0
    r += (5.0 / 3.0) * r2
    r *= e
    r *= signal_variance
    return r


def scaled_sqdist(X1: np.ndarray, X2: np.ndarray, lengthscales: np.ndarray) -> np.ndarray:
    """``sum_j ((x1_j - x2_j) / l_j)^2`` for all pairs, via one matrix product."""
    A, B = X1 / lengthscales, X2 / lengthscales
    r2 = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    return np.maximum(r2, 0.0)


def cholesky(K: np.ndarray) -> np.ndarray:
    """Lower Cholesky factor, adding jitter when ``K`` is numerically singular."""
    jitter = 0.0
    for _ in range(8):
        L, info = dpotrf(K + jitter * np.eye(len(K)) if jitter else K, lower=1, clean=1)
        if info == 0:
            return L
        jitter = max(jitter * 100, JITTER * float(np.mean(np.diag(K))))
    raise np.linalg.LinAlgError("the GP covariance matrix is not positive definite")


def inverse_from_cholesky(L: np.ndarray) -> np.ndarray:
    """``K^{-1}`` from the lower Cholesky factor of ``K`` (upper triangle of ``L`` zero)."""
    lower, info = dpotri(L, lower=1)
    if info != 0:  # pragma: no cover - L comes from a successful dpotrf
        raise np.linalg.LinAlgError("cannot invert the GP covariance matrix")
    Kinv = lower + lower.T  # dpotri fills the lower triangle only
    Kinv.flat[:: len(L) + 1] *= 0.5
    return Kinv


def negative_log_posterior(
    theta: np.ndarray, sqdiff: np.ndarray, y: np.ndarray, resources: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Negative log marginal likelihood minus log prior, and its gradient in ``theta``.

    ``sqdiff`` is ``(n * n, d)`` with ``sqdiff[a * n + b, j] = (x_a,j - x_b,j)^2``, fixed during
    a fit; ``theta`` holds log lengthscales, log signal variance, log noise variance and the mean,
    and with ``resources`` (the exp-decay resource kernel) log alpha, log mean_lam, log gamma.
    """
    d = sqdiff.shape[1]
    n = len(y)
    log_ls, log_s2, log_noise, mean = theta[:d], theta[d], theta[d + 1], theta[d + 2]
    inv_ls2 = np.exp(-2.0 * log_ls)
    s2, noise = math.exp(log_s2), math.exp(log_noise)
    r2 = (sqdiff @ inv_ls2).reshape(n, n)
    poly = np.sqrt(r2)
    e = poly * -SQRT5
    np.exp(e, out=e)
    poly *= SQRT5
    poly += 1.0  # 1 + sqrt5 r
    Kf = (5.0 / 3.0) * r2
    Kf += poly
    Kf *= e
    Kf *= s2
    K = Kf.copy()
    K.flat[:: n + 1] += noise
    resid = y - mean
    if resources is not None:
        alpha_r, lam, gamma = np.exp(theta[d + 3 : d + 6])
        k12, a12, b12 = pairwise_decay_curve(resources, resources, alpha_r, lam)
        k1, a1, b1 = decay_curve(resources, alpha_r, lam)
        Kr = k12 - np.outer(k1, k1)  # resource covariance per gamma^2
        K += gamma * gamma * Kr
        resid = resid - gamma * k1
    try:
        L = cholesky(K)
    except np.linalg.LinAlgError:
        return 1e10, np.zeros_like(theta)
    alpha = cho_solve((L, True), resid, check_finite=False)
    lower, info = dpotri(L, lower=1)
    if info != 0:  # pragma: no cover - L comes from a successful dpotrf
        return 1e10, np.zeros_like(theta)
    nll = 0.5 * resid @ alpha + np.log(np.diag(L)).sum() + 0.5 * n * math.log(2 * math.pi)
    # W = alpha alpha^T - K^{-1}: d nll / d K = -W / 2. dpotri fills the lower triangle only.
    W = np.outer(alpha, alpha)
    W -= lower
    W -= lower.T
    W.flat[:: n + 1] += np.diag(lower)
    # d K / d log l_j = s2 (5/3) (1 + sqrt5 r) e^{-sqrt5 r} (x_j - x'_j)^2 / l_j^2
    G = poly * e
    G *= W
    grad = np.empty_like(theta)
    grad[:d] = (-0.5 * s2 * (5.0 / 3.0)) * (G.ravel() @ sqdiff) * inv_ls2
    grad[d] = -0.5 * float(np.vdot(W, Kf))
    grad[d + 1] = -0.5 * noise * np.trace(W)
    grad[d + 2] = -alpha.sum()
    if resources is not None:
        g2 = gamma * gamma
        for j, (dk12, dk1) in enumerate(((a12, a1), (b12, b1))):
            # d kappa = kappa d log kappa; d (k1 k1^T) = dk1 k1^T + k1 dk1^T, W symmetric
            dk = k1 * dk1
            trace = float(np.vdot(W, k12 * dk12)) - 2.0 * float(dk @ W @ k1)
            grad[d + 3 + j] = -0.5 * g2 * trace - gamma * float(alpha @ dk)
        grad[d + 5] = -g2 * float(np.vdot(W, Kr)) - gamma * float(alpha @ k1)
    # Log priors (subtracted): lam = 1 / l^2 ~ exp(-(0.1 / lam + 0.1 lam)), s2 ~ Gamma(2, 1),
    # noise ~ Gamma(1.1, 30), mean ~ N(0, 1).
    lam = inv_ls2
    prior = -(0.1 / lam + 0.1 * lam).sum() + (log_s2 - s2) + (0.1 * log_noise - 30.0 * noise)
    prior -= 0.5 * mean * mean
    grad[:d] -= -(0.2 / lam - 0.2 * lam)  # d/d log l of -(0.1/lam + 0.1 lam), lam = e^{-2 log l}
    grad[d] -= 1.0 - s2
    grad[d + 1] -= 0.1 - 30.0 * noise
    grad[d + 2] -= -mean
    return float(nll - prior), grad


def fit_hyperparameters(
    X: np.ndarray,
    y: np.ndarray,
    start: Hyperparameters | None,
    random_state: Any,
    num_restarts: int = 1,
    maxiter: int = 50,
    decay: bool = False,
    ard: bool = True,
) -> Hyperparameters:
    """Hyperparameters maximising the log posterior for standardised targets ``y``.

    Starts from ``start`` (the previous fit: a warm start) or the defaults, plus
    ``num_restarts - 1`` random starting points; returns the best optimum found. With
    ``decay`` the last column of ``X`` is the resource of the exp-decay resource kernel;
    without ``ard`` one lengthscale is shared by all inputs (Syne Tune's ``matern52-noard``).
    """
    resources = X[:, -1] if decay else None
    Xc = X[:, :-1] if decay else X
    d = Xc.shape[1]
    sqdiff = ((Xc[:, None, :] - Xc[None, :, :]) ** 2).reshape(-1, d)
    box = bounds(d, decay)
    low, high = np.array([b[0] for b in box]), np.array([b[1] for b in box])
    if start is not None and (start.decay is not None) != decay:
        start = None
    starts = [np.clip((start or Hyperparameters.default(d, decay)).to_vector(), low, high)]
    for _ in range(num_restarts - 1):
        theta = Hyperparameters.default(d, decay).to_vector()
        theta[:d] = random_state.uniform(math.log(0.05), math.log(2.0), size=d)
        theta[d] = random_state.uniform(math.log(0.3), math.log(3.0))
        theta[d + 1] = random_state.uniform(math.log(1e-5), math.log(1e-1))
        if decay:
            theta[d + 3 :] += random_state.uniform(-1.0, 1.0, size=3)
        starts.append(np.clip(theta, low, high))
    objective: Any = negative_log_posterior
    if not ard:  # optimise one log lengthscale, repeated for every input
        box = box[d - 1 :]
        starts = [np.concatenate([[theta[:d].mean()], theta[d:]]) for theta in starts]

        def objective(t: np.ndarray, *args: Any) -> tuple[float, np.ndarray]:
            value, grad = negative_log_posterior(
                np.concatenate([np.repeat(t[:1], d), t[1:]]), *args
            )
            return value, np.concatenate([[grad[:d].sum()], grad[d:]])

    best_theta, best_value = starts[0], math.inf
    with single_threaded_blas():
        for theta0 in starts:
            result = minimize(
                objective,
                theta0,
                args=(sqdiff, y, resources),
                jac=True,
                method="L-BFGS-B",
                bounds=box,
                options={"maxiter": maxiter, "maxfun": 2 * maxiter},
            )
            value = float(result.fun)
            if math.isfinite(value) and value < best_value:
                best_theta, best_value = result.x, value
    if not ard:
        best_theta = np.concatenate([np.repeat(best_theta[:1], d), best_theta[1:]])
    return Hyperparameters.from_vector(np.clip(best_theta, low, high), decay)


class Posterior:
    """The GP conditioned on inputs ``X`` with target columns ``Y`` (one per fantasy sample).

    All columns share the covariance, so predictions cost one kernel evaluation whatever the
    number of fantasy samples. Means and variances are on the standardised scale of ``Y``.
    With an exp-decay resource kernel (``params.decay``) the last column of every input is the
    resource; gradients are then taken with respect to the configuration columns only (the
    resource column's entries are zero): acquisitions are optimised at a fixed resource.
    """

    def __init__(self, X: np.ndarray, Y: np.ndarray, params: Hyperparameters):
        self.X = X
        self.params = params
        self.Y = Y.reshape(len(X), -1)
        K = self._covariance(X, X)
        K[np.diag_indices_from(K)] += params.noise_variance
        self.L = cholesky(K)
        self.alpha = cho_solve((self.L, True), self.Y - self._prior_mean(X), check_finite=False)
        self._Kinv: np.ndarray | None = None

    # -- kernel and mean -----------------------------------------------------------------------
    def _configs(self, X: np.ndarray) -> np.ndarray:
        return X if self.params.decay is None else X[:, :-1]

    def _prior_mean(self, X: np.ndarray) -> np.ndarray:
        """Prior means ``(m, 1)``."""
        p = self.params
        if p.decay is None:
            return np.full((len(X), 1), p.mean)
        alpha, lam, gamma = p.decay
        return (p.mean + gamma * decay_curve(X[:, -1], alpha, lam)[0])[:, None]

    def _prior_variance(self, X: np.ndarray) -> np.ndarray:
        p = self.params
        if p.decay is None:
            return np.full(len(X), p.signal_variance)
        alpha, lam, gamma = p.decay
        r = X[:, -1]
        k1, k2 = decay_curve(r, alpha, lam)[0], decay_curve(2.0 * r, alpha, lam)[0]
        return p.signal_variance + gamma * gamma * (k2 - k1 * k1)

    def _covariance(self, X1: np.ndarray, X2: np.ndarray) -> np.ndarray:
        p = self.params
        K = matern52(
            scaled_sqdist(self._configs(X1), self._configs(X2), p.lengthscales),
            p.signal_variance,
        )
        if p.decay is not None:
            alpha, lam, gamma = p.decay
            r1, r2 = X1[:, -1], X2[:, -1]
            k12 = pairwise_decay_curve(r1, r2, alpha, lam)[0]
            k1, k2 = decay_curve(r1, alpha, lam)[0], decay_curve(r2, alpha, lam)[0]
            K += gamma * gamma * (k12 - np.outer(k1, k2))
        return K

    # -- predictions ---------------------------------------------------------------------------
    @property
    def Kinv(self) -> np.ndarray:
        """``K^{-1}``, computed on first use (sampling fantasies does not need it)."""
        if self._Kinv is None:
            self._Kinv = inverse_from_cholesky(self.L)
        return self._Kinv

    @property
    def num_samples(self) -> int:
        return self.Y.shape[1]

    def mean_at_data(self) -> np.ndarray:
        """Posterior means at the training inputs, ``(n, samples)``."""
        return self.Y - self.params.noise_variance * self.alpha

    def predict(self, Xs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means ``(m, samples)`` and variances ``(m,)`` of the latent function at ``Xs``."""
        Ks = self._covariance(Xs, self.X)
        mean = self._prior_mean(Xs) + Ks @ self.alpha
        # k K^{-1} k = |L^{-1} k|^2: one triangular solve, half the work of a product with
        # K^{-1}, and K^{-1} itself is never needed when scoring a finite space's candidates
        V = solve_triangular(self.L, Ks.T, lower=True, check_finite=False)
        var = self._prior_variance(Xs) - np.einsum("ij,ij->j", V, V)
        return mean, np.maximum(var, 1e-12)

    def predict_with_gradient(
        self, Xs: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``predict`` plus gradients: ``dmean (m, samples, d)`` and ``dvar (m, d)``."""
        p = self.params
        inv_ls2 = 1.0 / p.lengthscales**2
        diff = self._configs(Xs)[:, None, :] - self._configs(self.X)[None, :, :]  # (m, n, dc)
        r2 = (diff * diff) @ inv_ls2
        r = np.sqrt(r2)
        e = np.exp(-SQRT5 * r)
        Ks = p.signal_variance * (1.0 + SQRT5 * r + (5.0 / 3.0) * r2) * e
        # d k / d x_j = -s2 (5/3) (1 + sqrt5 r) e^{-sqrt5 r} (x_j - x'_j) / l_j^2
        dK = -(p.signal_variance * (5.0 / 3.0) * (1.0 + SQRT5 * r) * e)[:, :, None] * (
            diff * inv_ls2
        )
        if p.decay is not None:
            Ks = self._covariance(Xs, self.X)
            dK = np.concatenate([dK, np.zeros(dK.shape[:2] + (1,))], axis=2)
        mean = self._prior_mean(Xs) + Ks @ self.alpha
        KsKinv = Ks @ self.Kinv
        var = self._prior_variance(Xs) - (KsKinv * Ks).sum(1)
        dKt = dK.transpose(0, 2, 1)  # (m, d, n): batched matrix products instead of einsum
        dmean = np.matmul(dKt, self.alpha).transpose(0, 2, 1)
        dvar = -2.0 * np.matmul(dKt, KsKinv[:, :, None])[:, :, 0]
        small = var < 1e-12
        dvar[small] = 0.0
        return mean, np.maximum(var, 1e-12), dmean, dvar

    def joint_samples(self, Xs: np.ndarray, num_samples: int, random_state: Any) -> np.ndarray:
        """Samples of noisy observations at ``Xs`` from the posterior of the first column,
        ``(len(Xs), num_samples)``."""
        return self._samples(Xs, num_samples, random_state)[0]

    def _samples(
        self, Xs: np.ndarray, num_samples: int, random_state: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``joint_samples``, with ``V = L^{-1} K(X, Xs)`` and the Cholesky factor of the
        noisy predictive covariance at ``Xs``."""
        Ks = self._covariance(Xs, self.X)
        Kss = self._covariance(Xs, Xs)
        mean = self._prior_mean(Xs) + Ks @ self.alpha[:, :1]
        V = solve_triangular(self.L, Ks.T, lower=True, check_finite=False)
        cov = Kss - V.T @ V + self.params.noise_variance * np.eye(len(Xs))
        Lc = cholesky(0.5 * (cov + cov.T))
        z = random_state.standard_normal((len(Xs), num_samples))
        return mean + Lc @ z, V, Lc

    def with_fantasies(self, Xs: np.ndarray, num_samples: int, random_state: Any) -> Posterior:
        """This posterior also conditioned on ``num_samples`` joint samples at ``Xs`` (the
        draws of ``joint_samples``; the data column is repeated per sample).

        The same as ``Posterior(vstack([X, Xs]), Y, params)``, but the Cholesky factor of the
        extended covariance is this one's plus the blocks sampling computed anyway
        (``[[L, 0], [V^T, Lc]]``): no covariance over all pairs and no refactorisation.
        """
        samples, V, Lc = self._samples(Xs, num_samples, random_state)
        n, p = len(self.X), len(Xs)
        L = np.zeros((n + p, n + p))
        L[:n, :n] = self.L
        L[n:, :n] = V.T
        L[n:, n:] = Lc
        out = Posterior.__new__(Posterior)
        out.X = np.vstack([self.X, Xs])
        out.params = self.params
        out.Y = np.vstack([np.repeat(self.Y[:, :1], num_samples, axis=1), samples])
        out.L = L
        out.alpha = cho_solve((L, True), out.Y - out._prior_mean(out.X), check_finite=False)
        out._Kinv = None
        return out

    def leave_one_out(self) -> tuple[np.ndarray, np.ndarray]:
        """Leave-one-out predictive means and variances of the (noisy) training targets."""
        diag = np.diag(self.Kinv)
        y = self.Y[:, 0]
        return y - self.alpha[:, 0] / diag, 1.0 / diag


class Standardizer:
    """Affine map of raw targets to zero mean and unit variance (unit scale if constant)."""

    def __init__(self, y: np.ndarray):
        self.shift = float(np.mean(y)) if len(y) else 0.0
        scale = float(np.std(y)) if len(y) > 1 else 1.0
        self.scale = scale if scale > 1e-12 * max(1.0, abs(self.shift)) else 1.0

    def __call__(self, y: Any) -> Any:
        return (y - self.shift) / self.scale

    def inverse(self, z: np.ndarray) -> np.ndarray:
        return z * self.scale + self.shift
