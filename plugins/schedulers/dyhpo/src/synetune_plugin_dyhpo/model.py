"""DyHPO's surrogate: a Gaussian process on learned features (a deep kernel), in torch.

Wistuba, Kadra, Grabocka (NeurIPS 2022) model the metric of a configuration ``x`` at budget
``b`` given its learning curve so far. A small network maps ``(x, b, curve)`` to features (the
curve through a 1-d convolution and max pooling, then two dense layers), and a GP with a
squared-exponential kernel on those features predicts the metric. Network and kernel
hyperparameters are fitted together by maximising the GP's marginal likelihood with Adam.

Sizes are kept small on purpose (32 hidden units, 16 features, 4 convolution channels): the
data are a few hundred points, and a suggestion must stay well under a second on a CPU. This
module imports torch; the searcher imports it when it is created.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import nn

JITTER = 1e-6


class DeepKernelGP(nn.Module):
    """Feature extractor plus GP hyperparameters (log lengthscale, signal and noise variance)."""

    def __init__(self, dim: int, curve_len: int, hidden: int = 32, features: int = 16):
        super().__init__()
        channels = 4
        self.conv = nn.Conv1d(2, channels, kernel_size=3, padding=1)
        self.net = nn.Sequential(
            nn.Linear(dim + 1 + channels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Linear(hidden, features),
        )
        self.log_lengthscale = nn.Parameter(torch.tensor(0.0))
        self.log_signal = nn.Parameter(torch.tensor(0.0))
        self.log_noise = nn.Parameter(torch.tensor(math.log(1e-2)))
        self.curve_len = curve_len

    def features(self, x: torch.Tensor, budget: torch.Tensor, curve: torch.Tensor) -> torch.Tensor:
        """``curve`` is ``(n, 2, curve_len)``: values and a mask of the levels observed."""
        pooled = torch.relu(self.conv(curve)).amax(dim=2)
        return self.net(torch.cat([x, budget[:, None], pooled], dim=1))

    def kernel(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        scale = torch.exp(self.log_lengthscale)
        a, b = a / scale, b / scale
        # squared distances by expansion: torch.cdist's backward is many times slower here
        d2 = ((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T).clamp_min(0.0)
        return torch.exp(self.log_signal) * torch.exp(-0.5 * d2)

    def noise(self) -> torch.Tensor:
        return torch.exp(self.log_noise) + 1e-5

    def nll(self, feats: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Negative log marginal likelihood per data point."""
        n = y.shape[0]
        K = self.kernel(feats, feats) + (self.noise() + JITTER) * torch.eye(n, dtype=y.dtype)
        L = torch.linalg.cholesky(K)
        alpha = torch.cholesky_solve(y[:, None], L)
        fit = 0.5 * (y[:, None] * alpha).sum()
        return (fit + torch.log(torch.diagonal(L)).sum()) / n + 0.5 * math.log(2 * math.pi)


def to_tensors(data: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {k: torch.as_tensor(v, dtype=torch.float64) for k, v in data.items()}


def make_model(dim: int, curve_len: int, seed: int) -> DeepKernelGP:
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return DeepKernelGP(dim, curve_len).double()


def fit(model: DeepKernelGP, data: dict[str, np.ndarray], steps: int, lr: float) -> bool:
    """``steps`` of Adam on the marginal likelihood; False if the fit broke down (NaN, a
    Cholesky failure), in which case the model should be rebuilt."""
    t = to_tensors(data)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        try:
            loss = model.nll(model.features(t["x"], t["budget"], t["curve"]), t["y"])
        except torch.linalg.LinAlgError:
            return False
        if not torch.isfinite(loss):
            return False
        loss.backward()
        optimizer.step()
    return True


def predict(
    model: DeepKernelGP, data: dict[str, np.ndarray], query: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior mean and standard deviation of the (normalised) metric at ``query``, and the
    posterior mean at the observed points (the incumbents of EI are taken from these: a lucky
    noisy observation must not set the bar, as in Syne Tune's ``current_best``)."""
    t, q = to_tensors(data), to_tensors(query)
    model.eval()
    with torch.no_grad():
        feats = model.features(t["x"], t["budget"], t["curve"])
        qfeats = model.features(q["x"], q["budget"], q["curve"])
        n = feats.shape[0]
        K = model.kernel(feats, feats) + (model.noise() + JITTER) * torch.eye(n, dtype=feats.dtype)
        L = torch.linalg.cholesky(K)
        Ks = model.kernel(feats, qfeats)
        alpha = torch.cholesky_solve(t["y"][:, None], L)
        mean = Ks.T @ alpha
        observed = model.kernel(feats, feats) @ alpha
        v = torch.linalg.solve_triangular(L, Ks, upper=False)
        var = torch.exp(model.log_signal) - (v * v).sum(dim=0)
        std = torch.sqrt(var.clamp_min(1e-12))
    return mean[:, 0].numpy(), std.numpy(), observed[:, 0].numpy()


def expected_improvement(mean: np.ndarray, std: np.ndarray, best: np.ndarray) -> np.ndarray:
    """EI for minimisation below ``best`` (one incumbent per query)."""
    z = (best - mean) / std
    cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return std * (z * cdf + pdf)


def _erf(x: np.ndarray) -> np.ndarray:
    return torch.special.erf(torch.as_tensor(x)).numpy()


def single_thread() -> Any:
    """Run torch on one thread for the tiny matrices here (threads only add overhead), and
    restore the caller's setting afterwards."""

    class _Guard:
        def __enter__(self) -> None:
            self.previous = torch.get_num_threads()
            if self.previous != 1:
                torch.set_num_threads(1)

        def __exit__(self, *exc: Any) -> None:
            if self.previous != 1:
                torch.set_num_threads(self.previous)

    return _Guard()
