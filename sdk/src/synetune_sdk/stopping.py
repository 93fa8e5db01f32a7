"""When to stop tuning: stop criteria are callables on the ``TuningStatus`` the tuner keeps.

* ``StoppingCriterion``: limits on time, trials, results, cost or metric values (OR-ed).
* ``PlateauStopper``: the best value so far stopped moving over the last trials.
* ``AutomaticTerminationCriterion``: a Gaussian process bounds how much the optimum could
  still improve (Makarova et al., 2022); stop once that bound is below a threshold.

Any callable taking a ``TuningStatus`` and returning True to stop works as well. The tuner calls
the criterion at every turn of its loop and also to look ahead (would starting one more trial
make it fire?), so a criterion with state must give the same answer while the results it sees
are unchanged; the two here do. Standard library at import; the automatic termination
criterion imports numpy when it first decides.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from synetune_sdk.context import MetricStatistics, TuningStatus

__all__ = [
    "AutomaticTerminationCriterion",
    "batch_horizon",
    "MetricStatistics",
    "PlateauStopper",
    "StoppingCriterion",
    "TuningStatus",
]


@dataclass
class StoppingCriterion:
    """Stop as soon as any of the given limits is exceeded (Syne Tune's semantics: strict ``>``).

    The tuner never starts a trial that would make the criterion fire, so
    ``max_num_trials_started=20`` runs exactly 20 trials. ``max_wallclock_time`` is in seconds
    of the backend's clock (simulated seconds on the simulator).
    """

    max_wallclock_time: float | None = None
    max_num_evaluations: int | None = None
    max_num_trials_started: int | None = None
    max_num_trials_completed: int | None = None
    max_num_trials_finished: int | None = None
    max_cost: float | None = None
    max_metric_value: dict[str, float] | None = None
    min_metric_value: dict[str, float] | None = None

    def __post_init__(self) -> None:
        limits = {
            "max_wallclock_time": self.max_wallclock_time,
            "max_num_evaluations": self.max_num_evaluations,
            "max_num_trials_started": self.max_num_trials_started,
            "max_num_trials_completed": self.max_num_trials_completed,
            "max_num_trials_finished": self.max_num_trials_finished,
            "max_cost": self.max_cost,
        }
        for name, limit in limits.items():
            if limit is None:
                continue
            if isinstance(limit, bool) or not isinstance(limit, int | float):
                raise TypeError(f"StoppingCriterion({name}=...) must be a number, got {limit!r}")
            if math.isnan(limit) or limit < 0:
                raise ValueError(
                    f"StoppingCriterion({name}={limit!r}) is not a usable limit: give a "
                    "number >= 0 (or None for no limit)"
                )
        for name, bounds in (
            ("max_metric_value", self.max_metric_value),
            ("min_metric_value", self.min_metric_value),
        ):
            for metric, limit in (bounds or {}).items():
                if not isinstance(limit, int | float) or math.isnan(limit):
                    raise ValueError(
                        f"StoppingCriterion({name}={{{metric!r}: {limit!r}}}): give a number"
                    )

    def __call__(self, status: TuningStatus) -> bool:
        checks = [
            (self.max_wallclock_time, status.wallclock_time),
            (self.max_num_evaluations, status.num_results),
            (self.max_num_trials_started, status.num_trials_started),
            (self.max_num_trials_completed, status.num_trials_completed),
            (self.max_num_trials_finished, status.num_trials_finished),
            (self.max_cost, status.cost),
        ]
        if any(limit is not None and value > limit for limit, value in checks):
            return True
        stats = status.overall_metric_statistics
        for metric, limit in (self.max_metric_value or {}).items():
            if metric in stats and stats[metric].max > limit:
                return True
        for metric, limit in (self.min_metric_value or {}).items():
            if metric in stats and stats[metric].min < limit:
                return True
        return False


def batch_horizon(criterion: Any) -> float | None:
    """Up to which time of the backend's clock results may be handed over in one batch
    without missing the moment ``criterion`` fires (``batch_results``): its
    ``max_wallclock_time`` (inf without one). None when it could also fire on a result (a
    count of results, a cost, a metric value) or is not a ``StoppingCriterion``."""
    if type(criterion) is not StoppingCriterion or criterion.max_num_evaluations is not None:
        return None
    if criterion.max_cost is not None or criterion.max_metric_value or criterion.min_metric_value:
        return None
    limit = criterion.max_wallclock_time
    return math.inf if limit is None else float(limit)


def _check_mode(mode: str) -> None:
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")


def _metric_values(status: TuningStatus, metric: str) -> list[tuple[dict[str, Any], float]]:
    """``(row, value)`` of every trial whose latest result has a numeric ``metric``, in the
    order the trials first reported (Syne Tune's ``trial_rows``)."""
    out = []
    for row in status.trial_rows.values():
        value = row.get(metric)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            out.append((row, float(value)))
    return out


class PlateauStopper:
    """Stop when the best ``metric`` so far has plateaued over the last ``num_trials`` trials
    (Syne Tune's ``PlateauStopper``, same arguments).

    Over the trials in the order they first reported, take each one's latest value and the
    running best; the run has plateaued when the standard deviation of the last ``num_trials``
    running-best values is at most ``std``. It stops once it has plateaued at ``patience + 1``
    checks in a row (``patience=0``: at once). Unlike Syne Tune, a check counts only when new
    results arrived since the previous one: the loop here wakes on events, and counting every
    wake-up would make ``patience`` depend on how often that is.
    """

    def __init__(
        self,
        metric: str,
        std: float = 0.001,
        num_trials: int = 10,
        mode: str = "min",
        patience: int = 0,
    ):
        _check_mode(mode)
        if isinstance(num_trials, bool) or not isinstance(num_trials, int) or num_trials <= 1:
            raise ValueError(f"num_trials must be an integer greater than 1, got {num_trials!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience must be an integer >= 0, got {patience!r}")
        if isinstance(std, bool) or not isinstance(std, int | float) or not std > 0:
            raise ValueError(f"std must be a number > 0, got {std!r}")
        self.metric, self.std, self.num_trials = metric, float(std), num_trials
        self.mode, self.patience = mode, patience
        self._iterations = 0
        self._seen: tuple[int, bool] | None = None  # (num_results, plateaued) of the last check

    def plateaued(self, status: TuningStatus) -> bool:
        """Whether the last ``num_trials`` running-best values are within ``std``."""
        sign = 1.0 if self.mode == "min" else -1.0
        trajectory: list[float] = []
        for _, value in _metric_values(status, self.metric):
            y = sign * value
            trajectory.append(y if not trajectory else min(trajectory[-1], y))
        top = trajectory[-self.num_trials :]
        if len(top) < self.num_trials:
            return False
        mean = sum(top) / len(top)
        return math.sqrt(sum((v - mean) ** 2 for v in top) / len(top)) <= self.std

    def __call__(self, status: TuningStatus) -> bool:
        if status.num_trials_finished == 0:
            return False
        if self._seen is None or self._seen[0] != status.num_results:
            plateaued = self.plateaued(status)
            self._iterations = self._iterations + 1 if plateaued else 0
            self._seen = (status.num_results, plateaued)
        return self._seen[1] and self._iterations > self.patience


class AutomaticTerminationCriterion:
    """Stop when the regret that further tuning could still remove is likely below
    ``threshold`` (Makarova et al., "Automatic Termination for Hyperparameter Optimization",
    AutoML 2022; Syne Tune's ``AutomaticTerminationCriterion``, same arguments).

    Once ``warm_up`` trials reported ``metric``, a Gaussian process is fitted to the best
    ``max(20, topq * n)`` of them (configurations encoded in the unit cube). The bound is the
    largest upper confidence bound over the search space minus the largest lower confidence
    bound at the evaluated configurations, ``mean +- beta * std`` (the upper bound scales the
    std by ``sqrt(beta)``, as BoTorch's UCB does in Syne Tune), in the metric's units.

    Differences from Syne Tune, which uses BoTorch: the GP here is numpy only (Matern 5/2,
    one length scale and a noise level chosen by marginal likelihood on a grid), the upper
    bound is maximised over random and locally refined candidates instead of by gradients, and
    the decision is computed once per new result (it is deterministic given ``seed``).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        threshold: float,
        mode: str = "min",
        beta: float = 1.0,
        seed: int | None = None,
        warm_up: int = 10,
        topq: float | None = 0.5,
    ):
        from synetune_sdk.config_space import validate_config_space

        _check_mode(mode)
        validate_config_space(config_space)
        for name, value in (("threshold", threshold), ("beta", beta)):
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        if isinstance(warm_up, bool) or not isinstance(warm_up, int) or warm_up < 1:
            raise ValueError(f"warm_up must be an integer >= 1, got {warm_up!r}")
        if topq is not None and not 0 < topq <= 1:
            raise ValueError(f"topq must be in (0, 1] or None, got {topq!r}")
        self.config_space, self.metric, self.mode = dict(config_space), metric, mode
        self.threshold, self.beta = float(threshold), float(beta)
        self.seed = seed if seed is not None else int.from_bytes(os.urandom(4))
        self.warm_up, self.topq = warm_up, topq
        self.last_bound: float | None = None  # the regret bound of the last decision
        self._seen: tuple[int, bool] | None = None

    def __call__(self, status: TuningStatus) -> bool:
        if self._seen is None or self._seen[0] != status.num_results:
            rows = _metric_values(status, self.metric)
            stop = False
            if rows and len(rows) >= self.warm_up:
                self.last_bound = self.regret_bound(rows)
                stop = self.last_bound < self.threshold
            self._seen = (status.num_results, stop)
        return self._seen[1]

    def regret_bound(self, rows: list[tuple[dict[str, Any], float]]) -> float:
        """``max UCB - max LCB`` of a GP fitted to ``(config, value)`` pairs."""
        import numpy as np

        from synetune_sdk.encoding import ConfigEncoder

        encoder = ConfigEncoder(self.config_space)
        y = np.array([v for _, v in rows]) * (1.0 if self.mode == "max" else -1.0)
        X = encoder.encode([row for row, _ in rows])
        if self.topq is not None:  # the GP models the good region only
            keep = np.argsort(-y, kind="stable")[: max(20, int(len(y) * self.topq))]
            X, y = X[keep], y[keep]
        scale = float(y.std()) or 1.0
        gp = _GP(X, (y - y.mean()) / scale)
        mean, std = gp.predict(X)
        max_lcb = float(np.max(mean - self.beta * std))
        rng = np.random.default_rng(self.seed)

        def ucb(Z: Any) -> Any:
            mean, std = gp.predict(Z)
            return mean + math.sqrt(self.beta) * std

        candidates = np.vstack([X, rng.uniform(size=(512, encoder.dim))])
        values = ucb(candidates)
        for step in (0.1, 0.03, 0.01):  # refine around the best few
            best = candidates[np.argsort(-values)[:5]]
            local = np.repeat(best, 20, axis=0) + rng.normal(0, step, (100, encoder.dim))
            candidates = np.vstack([best, np.clip(local, 0.0, 1.0)])
            values = ucb(candidates)
        return (float(values.max()) - max_lcb) * scale


class _GP:
    """A zero-mean GP on standardised targets: Matern 5/2 kernel with one length scale, signal
    variance in closed form, length scale and noise picked on a grid by marginal likelihood."""

    def __init__(self, X: Any, y: Any):
        import numpy as np

        self.X, n = X, len(y)
        best = None
        for length in np.geomspace(0.05, 5.0, 12):
            C = _matern52(X, X, length)
            for noise in (1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1.0):
                try:
                    L = np.linalg.cholesky(C + noise * np.eye(n))
                except np.linalg.LinAlgError:
                    continue
                alpha = np.linalg.solve(L.T, np.linalg.solve(L, y))
                signal = max(float(y @ alpha) / n, 1e-12)
                loglik = -0.5 * n * math.log(signal) - float(np.log(np.diag(L)).sum())
                if best is None or loglik > best[0]:
                    best = (loglik, length, L, alpha, signal)
        assert best is not None  # the largest noise level always factorises
        _, self.length, self.L, self.alpha, self.signal = best

    def predict(self, Z: Any) -> tuple[Any, Any]:
        """Mean and standard deviation of the latent function at the rows of ``Z``."""
        import numpy as np

        K = _matern52(Z, self.X, self.length)
        mean = K @ self.alpha  # signal variance cancels in the mean
        v = np.linalg.solve(self.L, K.T)
        var = self.signal * np.maximum(1.0 - (v * v).sum(axis=0), 0.0)
        return mean, np.sqrt(var)


def _matern52(A: Any, B: Any, length: float) -> Any:
    import numpy as np

    d2 = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * A @ B.T
    r = np.sqrt(5.0 * np.maximum(d2, 0.0)) / length
    return (1.0 + r + r * r / 3.0) * np.exp(-r)
