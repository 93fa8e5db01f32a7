"""How likely a paused Hyperband trial is to be resumed: the score behind speculative removal.

The model is the one of Syne Tune's ``HyperbandRemoveCheckpointsCallback``. A trial paused at a
rung with ``n`` entries, where it ranks ``k`` (1 = best), is promoted once its rank lies within
the top ``alpha`` quantile, ``k' <= alpha * n'``. Until the experiment ends, ``n * beta`` more
trials are expected to arrive at the rung (``beta``: time left / time spent, arrivals keep their
pace); each ranks better than our trial with probability ``p``, independently. After ``m``
arrivals of which ``J(m)`` ranked better, the condition reads ``alpha * m - J(m) >= c`` with
``c = k - alpha * n``.

``J`` only grows, so the trial is resumed iff at some ``l_i = ceil((c + i) / alpha)`` arrivals
(within the horizon) at most ``i`` ranked better; the first such ``i`` has ``J(l_i) = i``
exactly. A dynamic programme over ``i = 0 .. approx_steps`` carries the distribution of ``J``
(binomial increments between consecutive ``l_i``) and collects that first-passage mass. Cost:
``O(approx_steps^2)`` vectorised operations over all trials at once (``approx_steps^3`` in all).
"""

from __future__ import annotations

import numpy as np


def binomial_pmf(trials: np.ndarray, p: np.ndarray, max_successes: int) -> np.ndarray:
    """``P(Bin(trials, p) = j)`` for ``j = 0 .. max_successes``, shape ``(len(trials), j)``.

    Built with the ratio recurrence from ``(1 - p) ** trials`` (no scipy needed).
    """
    trials = np.asarray(trials, dtype=float)
    p = np.asarray(p, dtype=float)
    out = np.zeros((trials.size, max_successes + 1))
    out[:, 0] = np.exp(trials * np.log1p(-p))
    odds = p / (1.0 - p)
    for j in range(max_successes):
        out[:, j + 1] = out[:, j] * np.maximum(trials - j, 0.0) / (j + 1) * odds
    return out


def resume_probabilities(
    ranks: np.ndarray,
    rung_lens: np.ndarray,
    prom_quants: np.ndarray,
    p_vals: np.ndarray,
    time_ratio: float,
    approx_steps: int = 25,
) -> np.ndarray:
    """Approximate probability of each paused trial to be resumed before the experiment ends.

    Args:
        ranks: rank of each trial in its rung, 1 for the best.
        rung_lens: number of entries of its rung.
        prom_quants: promotion quantile ``alpha`` of its rung.
        p_vals: probability that a new arrival at its rung ranks better.
        time_ratio: time left divided by time spent (``beta``), > 0.
        approx_steps: how many better-ranked arrivals are followed; more is more exact.
    """
    if time_ratio <= 0:
        raise ValueError(f"time_ratio must be > 0, got {time_ratio}")
    if int(approx_steps) < 1:
        raise ValueError(f"approx_steps must be at least 1, got {approx_steps}")
    steps = int(approx_steps)
    ranks, rung_lens, prom_quants, p_vals = (
        np.asarray(a, dtype=float).ravel() for a in (ranks, rung_lens, prom_quants, p_vals)
    )
    out = np.ones(ranks.size)
    c = ranks - prom_quants * rung_lens
    open_ = c > 0  # the others can be promoted right now
    if not open_.any():
        return out
    c, alpha, p, n = c[open_], prom_quants[open_], p_vals[open_], rung_lens[open_]
    horizon = np.ceil(n * time_ratio)  # arrivals expected before the end
    # l_i; the tolerance keeps a boundary case like (1 - 2/3) / (1/3) from rounding up to 2
    needed = np.ceil((c[:, None] + np.arange(steps + 1)[None, :]) / alpha[:, None] - 1e-9)
    dist = np.zeros((c.size, steps + 1))  # distribution of J over 0..steps, mass still open
    dist[:, 0] = 1.0
    arrived = np.zeros(c.size)
    resumed = np.zeros(c.size)
    for i in range(steps + 1):
        active = needed[:, i] <= horizon
        if not active.any():
            break
        pmf = binomial_pmf(np.where(active, needed[:, i] - arrived, 0.0), p, steps)
        new = np.zeros_like(dist)
        for j in range(steps + 1):  # truncated convolution of J with the new arrivals
            new[:, j:] += dist[:, : steps + 1 - j] * pmf[:, j : j + 1]
        dist = np.where(active[:, None], new, 0.0)
        resumed += dist[:, i]
        dist[:, i] = 0.0
        arrived = np.where(active, needed[:, i], arrived)
    out[open_] = resumed
    return out
