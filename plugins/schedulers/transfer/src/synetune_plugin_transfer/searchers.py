"""The transfer searchers: zero-shot (average rank on earlier tasks) and quantile-based CTS.

Both are ``synetune_sdk.model_based.ModelBasedSearcher`` subclasses whose "model" is built once,
from the earlier tasks, when the searcher is created: ``points_to_evaluate`` come first, a
configuration is never suggested twice, and a random configuration not seen yet is drawn once
the transfer proposals run out. Earlier tasks go through
``synetune_sdk.transfer.check_transfer_learning_evaluations`` first (clear errors for a space
that differs, documented skips for empty or NaN tasks).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from synetune_sdk.config_space import config_key
from synetune_sdk.model_based import ModelBasedSearcher, row_keys
from synetune_sdk.transfer import (
    TransferLearningTaskEvaluations,
    check_transfer_learning_evaluations,
)

logger = logging.getLogger(__name__)

__all__ = ["QuantileBasedSurrogateSearcher", "ZeroShotSearcher", "gaussian_copula"]

# candidates scored by a surrogate: finite spaces up to this size are enumerated
MAX_ENUMERATED_CANDIDATES = 20_000


def checked_evaluations(
    config_space: dict[str, Any],
    transfer_learning_evaluations: dict[str, TransferLearningTaskEvaluations],
    metric: Any,
) -> dict[str, TransferLearningTaskEvaluations]:
    """The usable earlier tasks; raises if none is left (a transfer method needs one)."""
    if not isinstance(metric, str):
        raise ValueError(f"transfer methods optimise one metric, got {metric!r}")
    out = check_transfer_learning_evaluations(config_space, transfer_learning_evaluations, metric)
    if not out:
        raise ValueError(
            f"transfer_learning_evaluations holds no task with evaluations of {metric!r} "
            f"(given: {sorted(transfer_learning_evaluations)}); pass earlier tasks, or use a "
            "scheduler without transfer"
        )
    return out


def gaussian_copula(values: np.ndarray) -> np.ndarray:
    """Phi^-1 of the winsorized empirical CDF (Salinas et al. 2020): any task's objective
    becomes standard-normal-ish, so tasks with different scales can share one surrogate."""
    from statistics import NormalDist

    n = len(values)
    if n == 0:
        return values.astype(float)
    delta = 1.0 / (4.0 * n**0.25 * np.sqrt(np.pi * np.log(n))) if n > 1 else 0.25
    ranks = np.searchsorted(np.sort(values), values, side="left") / n
    quantiles = np.clip(ranks, delta, 1.0 - delta)
    inv = NormalDist().inv_cdf
    return np.array([inv(float(q)) for q in quantiles])


def _candidates(searcher: ModelBasedSearcher, num_candidates: int) -> tuple[np.ndarray, bool]:
    """Encoded rows a surrogate scores: the whole space when it is small enough (then True)."""
    rows = searcher.encoder.enumerate_encoded(MAX_ENUMERATED_CANDIDATES)
    if rows is None:
        return searcher.encoder.sample_encoded(num_candidates, searcher.random_state), False
    return rows, True


def _regressor(random_seed: Any) -> Any:
    """scikit-learn's gradient boosting with its defaults (depth 3). XGBoost's depth 6 (Syne
    Tune's surrogate) ranked mlp-tasks' configurations better when left one task out, but
    made quantile_based and asha_cts worse there on the true score (the plugin README)."""
    from sklearn.ensemble import GradientBoostingRegressor

    seed = None if random_seed is None else int(random_seed) % (2**31 - 1)
    return GradientBoostingRegressor(random_state=seed)


class ZeroShotSearcher(ModelBasedSearcher):
    """Zero-shot transfer (Wistuba et al., ICDM 2015; Syne Tune's ``ZeroShotTransfer``).

    Greedily picks the configuration with the best average rank over the earlier tasks, then
    caps every task's ranks at the picked configuration's rank there, so the next pick is one
    that does well where the picks so far do badly. Uses the configurations evaluated on every
    earlier task (matched by value, ``sort_transfer_learning_evaluations`` is accepted for Syne
    Tune's signature and has no effect); ``use_surrogates=True`` instead scores sampled
    configurations with one gradient-boosting surrogate per task (for tasks evaluated on
    different configurations).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        transfer_learning_evaluations: dict[str, TransferLearningTaskEvaluations],
        mode: str = "min",
        sort_transfer_learning_evaluations: bool = True,
        use_surrogates: bool = False,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            config_space,
            metric,
            mode,
            points_to_evaluate=[] if points_to_evaluate is None else points_to_evaluate,
            random_seed=random_seed,
            **kwargs,
        )
        tasks = checked_evaluations(self.config_space, transfer_learning_evaluations, metric)
        if use_surrogates and len(tasks) > 1:
            rows, scores = self._surrogate_scores(tasks)
        else:
            rows, scores = self._common_scores(tasks)
        self._rows = rows  # encoded candidates, one per column of the scores
        self._scores = self._sign * scores  # tasks x candidates, lower is better
        self._alive = np.ones(len(rows), dtype=bool)
        self._ranks = self._rank()
        # ties of the capped mean rank (common after a few picks) go to the configuration with
        # the better mean rank of its own (Syne Tune: the first in its sorted table)
        self._own_rank = self._ranks.mean(axis=0)

    def _common_scores(self, tasks: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        per_task, common = [], None
        for evals in tasks.values():
            values = evals.best_values(self.metric, self.mode)
            by_key = {}
            for record, value in zip(evals.hyperparameters.to_dict("records"), values):
                config = {**self.config_space, **record}
                by_key.setdefault(config_key(config, self.config_space), (record, value))
            per_task.append(by_key)
            keys = {k for k, (_, v) in by_key.items() if not np.isnan(v)}
            common = keys if common is None else common & keys
        common_keys = sorted(common or (), key=repr)
        if not common_keys:
            raise ValueError(
                "zero-shot transfer needs configurations evaluated on every earlier task, and "
                f"the tasks {sorted(tasks)} share none; pass use_surrogates=True"
            )
        if len(tasks) > 1 and any(len(t) != len(common_keys) for t in per_task):
            logger.warning(
                "zero_shot: %d configurations are evaluated on every earlier task and used; "
                "the others are ignored (use_surrogates=True scores them all)",
                len(common_keys),
            )
        configs = [{**self.config_space, **per_task[0][k][0]} for k in common_keys]
        scores = np.array([[t[k][1] for k in common_keys] for t in per_task])
        return self.encoder.encode(configs), scores

    def _surrogate_scores(self, tasks: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        d = len(self.encoder.names)
        rows, _ = _candidates(self, 10_000 if d >= 6 else 5**d)
        scores = []
        for evals in tasks.values():
            values = evals.best_values(self.metric, self.mode)
            keep = ~np.isnan(values)
            records = evals.hyperparameters.to_dict("records")
            X = self.encoder.encode(
                [{**self.config_space, **records[i]} for i in np.flatnonzero(keep)]
            )
            model = _regressor(self.random_seed).fit(X, values[keep])
            scores.append(model.predict(rows))
        return rows, np.array(scores)

    def _rank(self) -> np.ndarray:
        """Per task, the rank (1 = best; ties share their mean rank) of each candidate left."""
        import pandas as pd

        return pd.DataFrame(self._scores[:, self._alive]).rank(axis=1).to_numpy()

    def _model_ready(self) -> bool:
        return True

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        exclude = self._exclude()
        while self._alive.any():
            alive = np.flatnonzero(self._alive)
            means = np.round(self._ranks.mean(axis=0), 9)
            best = int(np.lexsort((self._own_rank[alive], means))[0])
            index = alive[best]
            # later picks are judged by how much they improve on this one, task by task
            self._ranks = np.minimum(self._ranks, self._ranks[:, best : best + 1])
            self._ranks = np.delete(self._ranks, best, axis=1)
            self._alive[index] = False
            if self._ranks.size and self._ranks.std(axis=1).sum() == 0:
                self._ranks = self._rank()
            row = self._rows[index]
            if row_keys(self.encoder.snap(row[None, :]))[0] not in exclude:
                return row
        return None


class QuantileBasedSurrogateSearcher(ModelBasedSearcher):
    """Copula Thompson sampling (Salinas, Shen and Perrone, ICML 2020; Syne Tune's
    ``QuantileBasedSurrogateSearcher``).

    Each earlier task's objective (mean over seeds at the highest fidelity a configuration
    reached) is mapped through a Gaussian copula (``normalization="gaussian"``; ``"standard"``:
    mean 0, standard deviation 1), one gradient-boosting surrogate is fitted on all tasks
    (at most ``max_fit_samples`` rows; 10% held out to estimate the noise), and each suggestion
    is the candidate with the best draw from N(prediction, held-out residual std). Candidates:
    ``num_candidates`` samples of the space (Syne Tune's 100,000); a finite space of at most
    20,000 configurations is enumerated instead, each configuration standing for its
    ``num_candidates // size`` samples (its draw is the best of that many), so on a small
    space suggestions follow the surrogate's mean closely, as Syne Tune's do.
    Observations of the current task are not used (as in Syne Tune). ``repeat_penalty``
    (default None): repeats are allowed at any time and each earlier suggestion of a candidate
    adds this much to its draw (``asha_cts`` uses 2.0). A configuration is not
    suggested twice until every candidate of a finite space has been; then Thompson sampling
    goes on over all of them with repeats (Syne Tune's CTS always allows repeats), so a
    multi-fidelity run that has tried the whole space spends its remaining budget instead of
    ending.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        transfer_learning_evaluations: dict[str, TransferLearningTaskEvaluations],
        mode: str | None = None,
        max_fit_samples: int = 100_000,
        normalization: str = "gaussian",
        num_candidates: int = 100_000,
        repeat_penalty: float | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ):
        mode = "min" if mode is None else mode
        super().__init__(
            config_space,
            metric,
            mode,
            points_to_evaluate=[] if points_to_evaluate is None else points_to_evaluate,
            random_seed=random_seed,
            **kwargs,
        )
        if normalization not in ("gaussian", "standard"):
            raise ValueError(
                f"normalization must be 'gaussian' or 'standard', got {normalization!r}"
            )
        for name, value in (
            ("max_fit_samples", max_fit_samples),
            ("num_candidates", num_candidates),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if repeat_penalty is not None:
            if isinstance(repeat_penalty, bool) or not isinstance(repeat_penalty, int | float):
                raise ValueError(f"repeat_penalty must be a number >= 0, got {repeat_penalty!r}")
            if not repeat_penalty >= 0:
                raise ValueError(f"repeat_penalty must be a number >= 0, got {repeat_penalty!r}")
            self.allow_duplicates = True
        self.repeat_penalty = repeat_penalty
        self.normalization = normalization
        tasks = checked_evaluations(self.config_space, transfer_learning_evaluations, metric)
        X, y = [], []
        for evals in tasks.values():
            values = evals.last_values(metric)
            keep = ~np.isnan(values)
            records = evals.hyperparameters.to_dict("records")
            X.append(
                self.encoder.encode(
                    [{**self.config_space, **records[i]} for i in np.flatnonzero(keep)]
                )
            )
            y.append(self._normalize(self._sign * values[keep]))
        X_all, y_all = np.concatenate(X), np.concatenate(y)
        order = self.random_state.permutation(len(y_all))
        n_val = max(1, len(order) // 10) if len(order) >= 10 else 0
        val, train = order[:n_val], order[n_val:][:max_fit_samples]
        self.model = _regressor(random_seed).fit(X_all[train], y_all[train])
        check = val if n_val else train
        self.sigma = float(np.std(y_all[check] - self.model.predict(X_all[check])))
        self.candidates, self._whole_space = _candidates(self, num_candidates)
        # Syne Tune draws num_candidates configurations of the space and one Thompson sample
        # for each: on a finite space a configuration appears about num_candidates / size
        # times and competes with the best of that many draws. The enumerated space gets the
        # same: the best of `_copies` draws per configuration (on mlp-tasks' 128
        # configurations, 781: close to greedy on the surrogate's mean)
        self._copies = max(1, num_candidates // len(self.candidates)) if self._whole_space else 1
        self.mu = self.model.predict(self.candidates)
        self._candidate_keys = row_keys(self.candidates)
        self._times_suggested = np.zeros(len(self.candidates))
        logger.info("quantile_based: residual std %.3f, %d candidates", self.sigma, len(self.mu))

    def _normalize(self, values: np.ndarray) -> np.ndarray:
        if self.normalization == "gaussian":
            return gaussian_copula(values)
        std = values.std()
        return (values - values.mean()) / (std if std > 0 else 1.0)

    def _model_ready(self) -> bool:
        return True

    def _draws(self) -> np.ndarray:
        """One Thompson sample per candidate: the best of its copies' draws."""
        sigma = max(self.sigma, 1e-12)
        if self._copies == 1:
            return self.random_state.normal(self.mu, sigma)
        noise = self.random_state.normal(size=(self._copies, len(self.mu))).min(axis=0)
        return self.mu + sigma * noise

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        samples = self._draws()
        if self.repeat_penalty is not None:
            # repeats at any time, each one costing its configuration repeat_penalty on the
            # normalized scale: the favourites run a few times, the rest still get their turn
            best = int(np.argmin(samples + self.repeat_penalty * self._times_suggested))
            self._times_suggested[best] += 1
            return self.candidates[best]
        exclude = self._exclude()
        if exclude:
            taken = np.fromiter((k in exclude for k in self._candidate_keys), bool, len(samples))
            if taken.all() and self._whole_space:
                # Every configuration of the (finite) space was suggested: go on as Syne Tune's
                # CTS always does, Thompson sampling over all of them, repeats allowed (a new
                # trial of a configuration is another draw of its training noise), rather than
                # ending the run with budget left.
                logger.info("quantile_based: every configuration suggested; repeats allowed")
                self.allow_duplicates = True
                return self.candidates[int(np.argmin(samples))]
            samples[taken] = np.inf
        best = int(np.argmin(samples))
        return None if not np.isfinite(samples[best]) else self.candidates[best]
