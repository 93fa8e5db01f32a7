"""Hyper-Tune (Li et al., VLDB 2022): one GP per resource level, combined by learned weights.

Syne Tune's ``HyperTuneSearcher``. Every resource level with data gets its own GP. The weight
``theta_r`` of level ``r`` measures how well that level's model ranks the configurations observed
at the highest level ``r*`` that has enough data: for ``r < r*`` by sampling the level-``r``
posterior at those configurations, for ``r*`` itself by leave-one-out predictions; ``theta_r`` is
the fraction of samples in which level ``r`` has the smallest number of discordant pairs. The
acquisition is expected improvement under the ensemble predictive distribution (mean
``sum theta_r mu_r``, variance ``sum theta_r^2 sigma_r^2``, in the metric's units).

``bracket_distribution(num_brackets)`` turns the weights into the probabilities of Hyperband
brackets (bracket ``b`` starts at rung level ``b``), for a scheduler that asks for it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from synetune_plugin_gp.gp import Posterior
from synetune_plugin_gp.searcher import HYPERTUNE_MIN_DATA, GPSearcher
from synetune_plugin_gp.threads import single_threaded_blas


class HyperTuneSearcher(GPSearcher):
    """Hyper-Tune's searcher (``hypertune``) for multi-fidelity schedulers such as Hyperband.

    Takes ``bayesopt``'s arguments (``model`` is fixed to ``"gp_independent"``) plus
    ``hypertune_distribution_num_samples=50`` (posterior samples used to learn the weights).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        hypertune_distribution_num_samples: int = 50,
        **kwargs: Any,
    ):
        kwargs.pop("model", None)
        if (
            isinstance(hypertune_distribution_num_samples, bool)
            or not isinstance(hypertune_distribution_num_samples, int)
            or hypertune_distribution_num_samples < 1
        ):
            raise ValueError(
                "hypertune_distribution_num_samples must be a positive integer, got "
                f"{hypertune_distribution_num_samples!r}"
            )
        self.hypertune_distribution_num_samples = hypertune_distribution_num_samples
        super().__init__(config_space, metric, model="gp_independent", **kwargs)
        self._weights: dict[int, float] | None = None
        self._weights_version = -1

    def configure_scheduler(self, scheduler: Any) -> None:
        super().configure_scheduler(scheduler)
        if not self.multi_fidelity:
            raise ValueError(
                "hypertune needs a multi-fidelity scheduler that exposes resource_attr, max_t and "
                "rung_levels (e.g. hyperband); use searcher='bayesopt' with FIFO scheduling"
            )

    # -- ensemble weights ----------------------------------------------------------------------
    def ensemble_weights(self) -> dict[int, float]:
        """``theta_r`` per resource level (they sum to 1), learned from the data."""
        if self._weights is not None and self._weights_version == self._data_version:
            return self._weights
        with single_threaded_blas():
            self._weights = self._compute_weights()
        self._weights_version = self._data_version
        return self._weights

    def _by_level(self) -> dict[int, list[Any]]:
        out: dict[int, list[Any]] = {}
        for obs in self._data.values():
            out.setdefault(obs.resource, []).append(obs)
        return out

    def _compute_weights(self) -> dict[int, float]:
        by_level = self._by_level()
        modelled = sorted(r for r, obs in by_level.items() if len(obs) >= 2)
        if not modelled:
            return {}
        enough = [r for r in modelled if len(by_level[r]) >= HYPERTUNE_MIN_DATA]
        if not enough:
            return {modelled[0]: 1.0}
        top = max(enough)
        levels = [r for r in modelled if r <= top]
        if len(levels) == 1:
            return {top: 1.0}
        top_data = by_level[top]
        targets = np.array([o.values["objective"] for o in top_data])
        X_top = np.array([o.row for o in top_data])
        num_samples = self.hypertune_distribution_num_samples
        losses = np.empty((len(levels), num_samples))
        for i, level in enumerate(levels):
            if level == top:
                posterior, _ = self._level_posterior(level, pending=False)
                mean, var = posterior.leave_one_out()
                z = self.random_state.standard_normal((len(mean), num_samples))
                samples = mean[:, None] + np.sqrt(np.maximum(var, 1e-12))[:, None] * z
            else:
                posterior, _ = self._level_posterior(level, pending=False)
                samples = posterior.joint_samples(X_top, num_samples, self.random_state)
            losses[i] = _ranking_losses(samples, targets)
        winners = losses == losses.min(axis=0, keepdims=True)
        theta = (winners / winners.sum(axis=0, keepdims=True)).mean(axis=1)
        return {level: float(t) for level, t in zip(levels, theta)}

    def bracket_distribution(self, num_brackets: int) -> list[float] | None:
        """Probabilities of brackets ``0 .. num_brackets - 1`` from the ensemble weights.

        Bracket ``b`` starts at the ``b``-th resource level; None until the weights are learned.
        """
        weights = self.ensemble_weights()
        if len(weights) < 2:
            return None
        probs = np.array([weights.get(level, 0.0) for level in self.levels[:num_brackets]])
        if probs.sum() <= 0:
            return None
        return [float(p) for p in probs / probs.sum()]

    # -- acquisition ---------------------------------------------------------------------------
    def _level_posterior(self, level: int, pending: bool) -> tuple[Posterior, Any]:
        data = self._cap([o for o in self._data.values() if o.resource == level])
        X = self._inputs(data, joint=False)
        y = np.array([o.values["objective"] for o in data])
        X_pending = self._pending_inputs(level, joint=False) if pending else X[:0]
        return self._objective_posterior(("objective", level), X, y, X_pending)

    def _acquisition(self, target: int | None) -> Any:
        if target is None:  # no multi-fidelity scheduler: plain BO
            return super()._acquisition(None)
        weights = {r: w for r, w in self.ensemble_weights().items() if w > 0}
        if not weights:
            return None
        models = []
        for level, weight in weights.items():
            posterior, scale = self._level_posterior(level, pending=True)
            models.append((weight, posterior, scale))
        top = max(weights)
        top_rows = np.array([o.row for o in self._data.values() if o.resource == top])

        def ensemble(Xc: np.ndarray, with_gradient: bool) -> tuple[Any, Any, Any, Any]:
            mean = var = dmean = dvar = 0.0
            for weight, posterior, scale in models:
                if with_gradient:
                    m, v, dm, dv = posterior.predict_with_gradient(Xc)
                    dmean = dmean + weight * scale.scale * dm
                    dvar = dvar + (weight * scale.scale) ** 2 * dv
                else:
                    m, v = posterior.predict(Xc)
                mean = mean + weight * (scale.shift + scale.scale * m)
                var = var + (weight * scale.scale) ** 2 * v
            return mean, var, dmean, dvar

        best = ensemble(top_rows, False)[0].min(axis=0)

        def acquisition(Xc: np.ndarray, with_gradient: bool) -> tuple[np.ndarray, Any]:
            mean, var, dmean, dvar = ensemble(Xc, with_gradient)
            if with_gradient:
                return self._score(mean, var, best, dmean, dvar)
            return self._score(mean, var, best)

        anchors = [o for o in self._data.values() if o.resource == top]
        return acquisition, self._anchors(anchors, None), None

    def _target_resource(self) -> int:
        weights = self.ensemble_weights()
        return max(weights) if weights else self.levels[0]


def _ranking_losses(samples: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Per sample column, the number of pairs ordered differently than in ``targets``."""
    diff_t = np.sign(targets[:, None] - targets[None, :])  # (n, n)
    diff_s = np.sign(samples[:, None, :] - samples[None, :, :])  # (n, n, S)
    discordant = (diff_t[:, :, None] * diff_s) < 0
    return discordant.sum(axis=(0, 1)) / 2.0
