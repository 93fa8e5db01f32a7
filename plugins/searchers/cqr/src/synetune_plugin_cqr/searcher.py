"""The ``cqr`` searcher: Syne Tune's conformalized quantile regression searcher
(``ConformalQuantileRegression``; ``SurrogateSearcher`` in Syne Tune 0.13.0's baselines).

Salinas et al. (ICML 2023): a gradient-boosted quantile regression surrogate, conformally
corrected once there are enough observations (``synetune_plugin_cqr.quantile``), replaces the
Gaussian process of Bayesian optimisation. After every ``update_frequency`` new observations (by
default 5% of those the last fit saw, at least one) the model is refitted and ``num_candidates`` random configurations are scored at every quantile;
each suggestion then draws one quantile at random per candidate (a Thompson-sampling-like
draw from the predictive distribution) and takes the candidate with the lowest draw.

Under a multi-fidelity scheduler the surrogate learns from each trial's latest result among
those the scheduler passes with ``update=True`` (its highest rung so far), as Syne Tune's does.

Suggestions come from ``synetune_sdk.model_based.ModelBasedSearcher``: ``points_to_evaluate``
first, random configurations until ``num_init_random_draws`` trials have finite results, never a
configuration twice (pending ones included) unless ``allow_duplicates``. Wherever the model
cannot propose (a single observation, all values equal, a fit that fails) the suggestion is
random and the reason is logged once.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from synetune_plugin_cqr.quantile import REGRESSORS, ConformalQuantileRegressor
from synetune_sdk.model_based import (
    ModelBasedSearcher,
    check_flat_space,
    check_integers,
    finite_or_none,
    row_keys,
)
from synetune_sdk.searcher import MultiFidelitySearcher

logger = logging.getLogger(__name__)


class ConformalQuantileRegression(ModelBasedSearcher, MultiFidelitySearcher):
    """CQR searcher (``cqr``), Syne Tune's arguments and defaults.

    ``num_init_random_draws=5`` (trials with results before the model is used),
    ``update_frequency=None`` (refit after this many new trials with results; ``None``: after
    ``max(1, n // 20)`` with n observations at the last fit; Syne Tune's default is 1),
    ``max_fit_samples=None`` (fit on a random subset of at most this many observations),
    ``quantiles=5`` (odd number of quantile levels), ``valid_fraction=0.1`` and
    ``min_samples_to_conformalize=32`` (conformal correction once more observations than this
    are in), ``num_candidates=2000`` (random candidates scored per refit), the boosting
    settings of scikit-learn's GradientBoostingRegressor (``n_estimators=100``,
    ``learning_rate=0.1``, ``max_depth=3``, ``min_samples_leaf=1``), ``regressor="hist"``
    (histogram gradient boosting with those settings) or ``"gbr"`` (GradientBoostingRegressor
    itself, as Syne Tune), ``allow_duplicates=False``.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        num_init_random_draws: int = 5,
        update_frequency: int | None = None,
        max_fit_samples: int | None = None,
        quantiles: int = 5,
        valid_fraction: float = 0.1,
        min_samples_to_conformalize: int = 32,
        num_candidates: int = 2000,
        regressor: str = "hist",
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        max_depth: int = 3,
        min_samples_leaf: int = 1,
        allow_duplicates: bool = False,
        resource_attr: str | None = None,
        max_t: int | None = None,
        **kwargs: Any,
    ):
        check_flat_space(config_space, "cqr")
        check_integers(
            (
                ("num_init_random_draws", num_init_random_draws, 0),
                ("quantiles", quantiles, 1),
                ("min_samples_to_conformalize", min_samples_to_conformalize, 0),
                ("num_candidates", num_candidates, 1),
                ("n_estimators", n_estimators, 1),
                ("max_depth", max_depth, 1),
                ("min_samples_leaf", min_samples_leaf, 1),
            )
        )
        if update_frequency is not None:
            check_integers((("update_frequency", update_frequency, 1),))
        if quantiles % 2 == 0:
            raise ValueError(
                f"quantiles must be odd (symmetric pairs around the median), got {quantiles}"
            )
        if max_fit_samples is not None:
            check_integers((("max_fit_samples", max_fit_samples, 2),))
        if (
            isinstance(valid_fraction, bool)
            or not isinstance(valid_fraction, int | float)
            or not 0 < valid_fraction < 1
        ):
            raise ValueError(f"valid_fraction must be a number in (0, 1), got {valid_fraction!r}")
        if (
            isinstance(learning_rate, bool)
            or not isinstance(learning_rate, int | float)
            or not learning_rate > 0
        ):
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
        if regressor not in REGRESSORS:
            raise ValueError(f"regressor must be one of {list(REGRESSORS)}, got {regressor!r}")
        super().__init__(
            config_space,
            metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            known_options=("debug_log",),
            **kwargs,
        )
        self.num_init_random_draws = num_init_random_draws
        self.update_frequency = update_frequency
        self.max_fit_samples = max_fit_samples
        self.num_candidates = num_candidates
        self.regressor = regressor
        self.model = ConformalQuantileRegressor(
            quantiles=quantiles,
            valid_fraction=float(valid_fraction),
            min_samples_to_conformalize=min_samples_to_conformalize,
            regressor=regressor,
            params={
                "n_estimators": n_estimators,
                "learning_rate": float(learning_rate),
                "max_depth": max_depth,
                "min_samples_leaf": min_samples_leaf,
            },
        )
        self.resource_attr = resource_attr
        self.max_t = max_t
        self.rung_levels: list[int] = []
        # trial_id -> (resource level or -1, encoded row, value to minimise): its latest result
        self._latest: dict[int, tuple[int, np.ndarray, float]] = {}
        self._non_finite = 0
        self._fitted_at: int | None = None  # number of trials with data at the last fit
        self._candidates: np.ndarray | None = None
        self._predictions: np.ndarray | None = None
        self._logged: set[str] = set()
        if self.encoder.dim == 0:
            self._log_once(
                "empty",
                "the search space has no hyperparameter to tune: cqr suggests the constant "
                "configuration once",
                logging.INFO,
            )

    # -- scheduler wiring ----------------------------------------------------------------------
    def configure_scheduler(self, scheduler: Any) -> None:
        resource_attr = getattr(scheduler, "resource_attr", None)
        if resource_attr is not None:
            self.resource_attr = resource_attr
        max_t = getattr(scheduler, "max_t", None)
        if max_t is not None:
            self.max_t = int(max_t)
        self.rung_levels = [int(r) for r in getattr(scheduler, "rung_levels", []) or []]

    @property
    def multi_fidelity(self) -> bool:
        return bool(self.rung_levels) and self.resource_attr is not None

    # -- data ----------------------------------------------------------------------------------
    def _add(self, trial_id: int, config: dict[str, Any], result: dict[str, Any]) -> None:
        resource = -1
        if self.multi_fidelity:
            value = result.get(self.resource_attr)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return
            if not math.isfinite(value):
                return
            resource = int(value)
        row = self._mark_seen(config)
        latest = self._latest.get(trial_id)
        if latest is not None and latest[0] > resource:
            return  # an older result arriving late
        value = finite_or_none(result.get(self.metric))
        if value is None:
            self._non_finite += 1
            self._latest.pop(trial_id, None)
            return
        self._latest[trial_id] = (resource, row, self._sign * value)

    def on_trial_result(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any], update: bool
    ) -> None:
        if update:
            self._add(trial_id, config, result)

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        self._add(trial_id, config, result)

    def remove_case(self, trial_id: int, **kwargs: Any) -> None:
        resource = kwargs.get(self.resource_attr) if self.multi_fidelity else None
        latest = self._latest.get(trial_id)
        if latest is not None and (resource is None or int(resource) == latest[0]):
            del self._latest[trial_id]

    def dataset_size(self) -> int:
        return len(self._latest)

    # -- suggest -------------------------------------------------------------------------------
    def _log_once(self, key: str, message: str, level: int = logging.WARNING) -> None:
        if key not in self._logged:
            self._logged.add(key)
            logger.log(level, message)

    def _model_ready(self) -> bool:
        n = len(self._latest)
        if n >= max(self.num_init_random_draws, 2):
            return True
        if n >= self.num_init_random_draws:
            self._log_once(
                "single",
                "cqr needs at least two observations to fit its quantile models; suggesting "
                "at random until there are",
                logging.INFO,
            )
        elif self._non_finite and n + self._non_finite >= self.num_init_random_draws:
            self._log_once(
                "non_finite",
                f"{self._non_finite} result(s) had no finite value of {self.metric!r} and are "
                f"left out; cqr suggests at random until {self.num_init_random_draws} trials "
                "have finite results (num_init_random_draws)",
            )
        return False

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        n = len(self._latest)
        if self._fitted_at is None or n - self._fitted_at >= self._refit_after(self._fitted_at):
            self._fit()
        if self._predictions is None:
            return None
        draws = self._predictions[
            np.arange(len(self._predictions)),
            self.random_state.integers(0, self._predictions.shape[1], size=len(self._predictions)),
        ]
        exclude = self._exclude()
        keys = row_keys(self._candidates)
        for i in np.argsort(draws, kind="stable"):
            if keys[i] not in exclude:
                return self._candidates[i]
        return None

    def _refit_after(self, fitted: int) -> int:
        """New observations that trigger a refit. By default 5% of the data: one more point
        moves five boosted models fitted on hundreds little, and a refit costs a second of CPU
        (measured in the README: the same regret as refitting every time)."""
        if self.update_frequency is not None:
            return self.update_frequency
        return max(1, fitted // 20)

    def _fit(self) -> None:
        self._fitted_at = len(self._latest)
        self._candidates = self._predictions = None
        data = list(self._latest.values())
        X = np.array([row for _, row, _ in data])
        y = np.array([value for _, _, value in data])
        if np.ptp(y) == 0:
            self._log_once(
                "constant",
                f"all {len(y)} observed values of {self.metric!r} are equal: the surrogate "
                "cannot rank configurations, cqr suggests at random until they differ",
            )
            return
        if self.max_fit_samples is not None and len(y) > self.max_fit_samples:
            keep = self.random_state.permutation(len(y))[: self.max_fit_samples]
            X, y = X[keep], y[keep]
        try:
            with _single_threaded():
                self.model.fit(X, y, self.random_state)
                candidates = self._new_candidates()
                predictions = self.model.predict(candidates) if len(candidates) else None
        except (ValueError, np.linalg.LinAlgError) as err:
            self._log_once(
                f"fit:{type(err).__name__}",
                f"the quantile models failed to fit {len(y)} observations ({err}); cqr "
                "suggests at random until the next refit",
            )
            return
        if predictions is not None:
            self._candidates, self._predictions = candidates, predictions

    def _new_candidates(self) -> np.ndarray:
        """``num_candidates`` random encoded configurations (unseen ones for enumerated spaces)."""
        rng, n = self.random_state, self.num_candidates
        if self._enumerated is not None:
            exclude = self._exclude()
            rows = self._enumerated
            rows = rows[[k not in exclude for k in row_keys(rows)]]
            return rows[rng.permutation(len(rows))[:n]]
        return self.encoder.sample_encoded(n, rng)


_controller: Any = None


@contextlib.contextmanager
def _single_threaded() -> Iterator[None]:
    """One OpenMP / BLAS thread while fitting: the data are small, and threads on a machine busy
    with training jobs cost more than they gain (threadpoolctl comes with scikit-learn)."""
    global _controller
    if _controller is None:
        try:
            # the controller only limits the runtimes loaded when it is built: load
            # scikit-learn's OpenMP first, else the boosting runs on every core and, on a
            # loaded machine, spins (the cqr tests took 10 minutes so)
            import sklearn.ensemble  # noqa: F401
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        except Exception:  # noqa: BLE001 - threadpoolctl is optional
            _controller = False
    if not _controller:
        yield
        return
    with _controller.limit(limits=1):
        yield
