"""The surrogate model of the GP searchers: observations, warm-started hyperparameter fits, and
the posterior and acquisition function a suggestion maximises.

``GPSurrogate`` is a mixin of ``GPSearcher`` (``synetune_plugin_gp.searcher``): it turns the
searcher's data (``_data``, ``_pending``) into GP inputs (with the resource level as one more
column for MOBSTER's joint model: ``r / max_t`` under the exp-decay resource kernel, else on the
log scale), fits or reuses the hyperparameters per output, conditions on fantasies of pending
evaluations, and builds the acquisition over encoded configurations at the target resource level
(``resource_acq``). Subclasses override ``_acquisition`` to add outputs (constraint, cost) or to
combine per-level models (Hyper-Tune).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from synetune_plugin_gp import acquisition as acq
from synetune_plugin_gp.gp import Hyperparameters, Posterior, Standardizer, fit_hyperparameters

# L-BFGS-B iterations of a warm-started hyperparameter refit.
WARM_MAXITER = 20


@dataclass
class Observation:
    """One data point: a configuration (at a resource level) and its target values."""

    config: dict[str, Any]
    row: np.ndarray  # encoded configuration
    resource: int | None
    values: dict[str, float]  # "objective" (minimised) and extra outputs


@dataclass
class _FitState:
    """Hyperparameters per output (and resource level), reused as warm starts."""

    params: dict[Any, Hyperparameters] = field(default_factory=dict)
    data_version: dict[Any, int] = field(default_factory=dict)


class GPSurrogate:
    """The model half of ``GPSearcher``: from observations to posterior and acquisition."""

    def _target_resource(self) -> int:
        """The resource level at which expected improvement is maximised."""
        levels = self.levels
        if self.resource_acq == "first":
            return levels[0]
        if self.resource_acq == "final":
            return levels[-1]
        counts: dict[int, int] = {}
        for obs in self._data.values():
            counts[obs.resource] = counts.get(obs.resource, 0) + 1
        eligible = [r for r, c in counts.items() if c >= self.resource_acq_bohb_threshold]
        return max(eligible) if eligible else levels[0]

    @property
    def _decay(self) -> bool:
        """Whether the joint model uses the exp-decay resource kernel."""
        return self.gp_resource_kernel == "exp-decay-sum"

    def _resource_column(self, resources: Any) -> np.ndarray:
        """Resource levels as a model input in [0, 1]: ``r / max_t`` for the exp-decay kernel,
        else on the log scale (rungs are geometric)."""
        r = np.asarray(resources, dtype=float).reshape(-1, 1)
        if not self.max_t or self.max_t <= 1:
            return np.ones_like(r) if self._decay else np.zeros_like(r)
        if self._decay:
            return np.maximum(r, 1.0) / self.max_t
        return np.log(np.maximum(r, 1.0)) / math.log(self.max_t)

    def _model_data(self, target: int | None) -> list[Observation]:
        """Observations the objective model learns from (capped in size)."""
        data = list(self._data.values())
        if target is not None and self.model == "gp_independent":
            data = [o for o in data if o.resource == target]
        return self._cap(data)

    def _cap(self, data: list[Observation]) -> list[Observation]:
        limit = self.max_size_data_for_model
        if len(data) <= limit:
            return data
        # The best quarter, then the most recent of the others (under multi-fidelity scheduling
        # they tend to be at higher resource levels).
        order = sorted(range(len(data)), key=lambda i: data[i].values["objective"])
        top = set(order[: limit // 4])
        rest = [i for i in range(len(data)) if i not in top][-(limit - len(top)) :]
        return [data[i] for i in sorted(top | set(rest))]

    def _inputs(self, data: list[Observation], joint: bool) -> np.ndarray:
        X = np.array([o.row for o in data]).reshape(len(data), self.encoder.dim)
        if joint:
            r = self._resource_column([o.resource for o in data])
            X = np.hstack([X, r])
        return X

    def _pending_inputs(self, target: int | None, joint: bool) -> np.ndarray:
        items = [
            (key, row)
            for key, row in self._pending.items()
            if key not in self._data and (target is None or joint or key[1] == target)
        ]
        if not items:
            return np.zeros((0, self.encoder.dim + (1 if joint else 0)))
        X = np.array([row for _, row in items])
        if joint:
            r = self._resource_column([key[1] for key, _ in items])
            X = np.hstack([X, r])
        return X

    def _fit(
        self, name: Any, X: np.ndarray, y: np.ndarray, decay: bool = False
    ) -> tuple[Standardizer, Hyperparameters]:
        """Standardise ``y`` and fit (or reuse) hyperparameters for the output ``name``.

        Up to ``opt_skip_init_length`` observations the hyperparameters are refitted whenever
        the data changed; beyond, only once ``opt_skip_period`` new observations (and at least
        5% more) arrived: one new point among hundreds barely moves them. Refits start from the
        previous optimum with at most ``WARM_MAXITER`` L-BFGS-B iterations; the optimisation
        carries on at the next refit. ``decay``: the last column of ``X`` is the resource of the
        exp-decay resource kernel.
        """
        scale = Standardizer(y)
        fits = self._fits
        previous = fits.params.get(name)
        if (
            previous is not None
            and (previous.decay is not None) == decay
            and len(previous.lengthscales) == X.shape[1] - decay
        ):
            changes = self._data_version - fits.data_version.get(name, -1)
            if changes == 0:
                return scale, previous
            if len(y) > self.opt_skip_init_length and changes < max(
                self.opt_skip_period, 0.05 * len(y)
            ):
                return scale, previous
            restarts = self.opt_nstarts if len(y) < 20 else 1
            maxiter = min(self.opt_maxiter, WARM_MAXITER)
        else:
            previous = None
            restarts, maxiter = self.opt_nstarts, self.opt_maxiter
        params = fit_hyperparameters(
            X,
            scale(y),
            previous,
            self.random_state,
            num_restarts=restarts,
            maxiter=maxiter,
            decay=decay,
            ard=self.gp_base_kernel == "matern52-ard",
        )
        fits.params[name] = params
        fits.data_version[name] = self._data_version
        return scale, params

    def _objective_posterior(
        self, name: Any, X: np.ndarray, y: np.ndarray, X_pending: np.ndarray, joint: bool = False
    ) -> tuple[Posterior, Standardizer]:
        """The fitted objective GP conditioned on data and on fantasies at ``X_pending``."""
        scale, params = self._fit(name, X, y, decay=joint and self._decay)
        z = scale(y)
        posterior = Posterior(X, z, params)
        if len(X_pending) and not self.no_fantasizing:
            posterior = posterior.with_fantasies(
                X_pending, self.num_fantasy_samples, self.random_state
            )
        return posterior, scale

    def _acquisition(
        self, target: int | None
    ) -> tuple[acq.Acquisition, np.ndarray, np.ndarray | None] | None:
        """(acquisition over encoded configs, anchor rows, extra input columns) or None."""
        joint = target is not None and self.model == "gp_multitask"
        data = self._model_data(target)
        if len(data) < 2:
            return None
        X = self._inputs(data, joint)
        y = np.array([o.values["objective"] for o in data])
        name = ("objective", None if joint else target)
        posterior, _ = self._objective_posterior(
            name, X, y, self._pending_inputs(target, joint), joint
        )
        at_target = np.array(
            [target is None or o.resource == target for o in data]
            + [False] * (len(posterior.X) - len(data))
        )
        if not at_target.any():
            at_target[: len(data)] = True
        best = acq.current_best(posterior, at_target)
        extra = self._resource_column([target]) if joint else None
        function = acq.expected_improvement(posterior, best, self._score)
        return function, self._anchors(data, target), extra

    def _anchors(self, data: list[Observation], target: int | None) -> np.ndarray:
        """Encoded rows of the best few observations (at the target level)."""
        rows = [o for o in data if target is None or o.resource == target] or data
        rows = sorted(rows, key=lambda o: o.values["objective"])[:3]
        return np.array([o.row for o in rows]).reshape(len(rows), self.encoder.dim)
