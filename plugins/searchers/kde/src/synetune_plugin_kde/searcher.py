"""The ``kde`` searcher: Syne Tune's ``KernelDensityEstimator`` and, under a multi-fidelity
scheduler, its ``MultiFidelityKernelDensityEstimator`` (BOHB's model), on synetune's
model-based searcher base.

Suggestions: ``points_to_evaluate`` first, random configurations until the KDEs can be fitted,
then with probability ``random_fraction`` a random configuration and otherwise the best of
``num_candidates`` candidates drawn around the good observations, scored by the ratio of the
"good" density to the "bad" one (``synetune_plugin_kde.model``). The ``top_n_percent`` best
observations (at least ``num_min_data_points``) are good, the rest bad; both groups need more
observations than there are hyperparameters.

Under a multi-fidelity scheduler (Hyperband: BOHB) every result passed with ``update=True`` is
an observation at its resource level, and the KDEs are fitted on the largest level with enough
observations, as BOHB does. No configuration is suggested twice unless ``allow_duplicates``;
configurations being evaluated count as suggested. Results without a finite metric value are
left out.
"""

from __future__ import annotations

import logging
import numbers
from typing import Any

import numpy as np

from synetune_plugin_kde.model import KDE, make_variables, to_features, to_rows
from synetune_sdk.model_based import (
    ModelBasedSearcher,
    check_flat_space,
    check_integers,
    finite_or_none,
    row_keys,
)
from synetune_sdk.searcher import MultiFidelitySearcher

logger = logging.getLogger(__name__)

# Syne Tune options accepted and not needed here.
IGNORED_OPTIONS = frozenset({"debug_log", "restrict_configurations", "random_seed_generator"})
# Syne Tune's default min_bandwidth: KernelDensityEstimator / MultiFidelityKernelDensityEstimator
MIN_BANDWIDTH = 1e-3
MIN_BANDWIDTH_MULTI_FIDELITY = 0.1


def _check_number(name: str, value: Any, low: float, high: float | None = None) -> None:
    ok = (
        not isinstance(value, bool)
        and isinstance(value, numbers.Real)
        and np.isfinite(value)
        and value >= low
        and (high is None or value <= high)
    )
    if not ok:
        bounds = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise ValueError(f"{name} must be a number {bounds}, got {value!r}")


class KernelDensityEstimator(ModelBasedSearcher, MultiFidelitySearcher):
    """BOHB's KDE searcher (``kde``), with Syne Tune's arguments and defaults.

    ``num_min_data_points`` (None: the number of hyperparameters; the least size of the good
    group), ``top_n_percent=15``, ``min_bandwidth`` (None: 1e-3, under a
    multi-fidelity scheduler 0.1, as Syne Tune), ``num_candidates=64``, ``bandwidth_factor=3``,
    ``random_fraction=0.33``, ``allow_duplicates=False``, ``resource_attr`` (None: the
    scheduler's).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        num_min_data_points: int | None = None,
        top_n_percent: float = 15,
        min_bandwidth: float | None = None,
        num_candidates: int = 64,
        bandwidth_factor: float = 3,
        random_fraction: float = 0.33,
        allow_duplicates: bool = False,
        resource_attr: str | None = None,
        **kwargs: Any,
    ):
        check_flat_space(config_space, "kde")
        if num_min_data_points is not None:
            check_integers((("num_min_data_points", num_min_data_points, 1),))
        check_integers((("num_candidates", num_candidates, 1),))
        _check_number("top_n_percent", top_n_percent, 0, 100)
        if min_bandwidth is not None:
            _check_number("min_bandwidth", min_bandwidth, 0)
            if min_bandwidth <= 0:
                raise ValueError(f"min_bandwidth must be > 0, got {min_bandwidth!r}")
        _check_number("bandwidth_factor", bandwidth_factor, 0)
        _check_number("random_fraction", random_fraction, 0, 1)
        super().__init__(
            config_space,
            metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            known_options=IGNORED_OPTIONS,
            **kwargs,
        )
        if self.encoder.dim == 0:
            logger.warning(
                "kde: the config space has no hyperparameter to search; its one configuration "
                "is suggested once"
            )
        self.variables = make_variables(self.encoder)
        self.num_min_data_points = (
            max(1, len(self.variables)) if num_min_data_points is None else num_min_data_points
        )
        self.top_n_percent = float(top_n_percent)
        self._min_bandwidth = min_bandwidth
        self.num_candidates = num_candidates
        self.bandwidth_factor = float(bandwidth_factor)
        self.random_fraction = float(random_fraction)
        self.resource_attr = resource_attr
        self.rung_levels: list[int] = []
        # (trial id, resource level or None) -> (encoded row, minimised value)
        self._data: dict[tuple[int, int | None], tuple[np.ndarray, float]] = {}
        self._num_unusable = 0
        self._warned_unusable = False
        self._fit_level: int | None = None  # the level the last model was fitted on

    # -- scheduler wiring ----------------------------------------------------------------------
    def configure_scheduler(self, scheduler: Any) -> None:
        resource_attr = self.resource_attr
        super().configure_scheduler(scheduler)
        if resource_attr is not None:
            self.resource_attr = resource_attr

    @property
    def multi_fidelity(self) -> bool:
        return bool(self.rung_levels) and self.resource_attr is not None

    @property
    def min_bandwidth(self) -> float:
        if self._min_bandwidth is not None:
            return self._min_bandwidth
        return MIN_BANDWIDTH_MULTI_FIDELITY if self.multi_fidelity else MIN_BANDWIDTH

    # -- data ----------------------------------------------------------------------------------
    def _add(self, trial_id: int, config: dict[str, Any], result: dict[str, Any]) -> None:
        row = self._mark_seen(config)
        resource = None
        if self.multi_fidelity:
            level = finite_or_none(result.get(self.resource_attr))
            if level is None:
                return
            resource = int(level)
        value = finite_or_none(result.get(self.metric))
        if value is None:
            self._num_unusable += 1
            return
        self._data[(trial_id, resource)] = (row, self._sign * value)

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
        level = kwargs.get(self.resource_attr) if self.resource_attr else None
        resource = int(level) if self.multi_fidelity and level is not None else None
        self._data.pop((trial_id, resource), None)

    def dataset_size(self) -> int:
        return len(self._data)

    # -- model ---------------------------------------------------------------------------------
    def num_good(self, n: int) -> int | None:
        """How many of ``n`` observations are good, None if the KDEs cannot be fitted: as in
        Syne Tune, both groups need more observations than there are hyperparameters (with
        fewer, the good KDE's bandwidths collapse to ``min_bandwidth`` around the first good
        points and the search stops exploring)."""
        n_good = max(self.num_min_data_points, int(self.top_n_percent * n) // 100)
        return n_good if min(n_good, n - n_good) > len(self.variables) else None

    def _training_level(self) -> int | None | bool:
        """The resource level to fit on (None: all data, FIFO), False if none has enough."""
        if not self.multi_fidelity:
            return None if self.num_good(len(self._data)) is not None else False
        counts: dict[int, int] = {}
        for _, level in self._data:
            counts[level] = counts.get(level, 0) + 1
        for level in sorted(counts, reverse=True):
            if self.num_good(counts[level]) is not None:
                return level
        return False

    def fit(self) -> tuple[KDE, KDE] | None:
        """The good and the bad KDE on the largest level with enough data, or None."""
        level = self._training_level()
        self._fit_level = None if level is False else level
        if level is False:
            return None
        data = [v for (_, r), v in self._data.items() if r == level]
        X = np.array([row for row, _ in data])
        y = np.array([value for _, value in data])
        n_good = self.num_good(len(y))
        order = np.argsort(y, kind="stable")
        F = to_features(self.variables, X)
        good = KDE(self.variables, F[order[:n_good]], self.min_bandwidth)
        bad = KDE(self.variables, F[order[n_good:]], self.min_bandwidth)
        return good, bad

    # -- suggest -------------------------------------------------------------------------------
    def _model_ready(self) -> bool:
        if self._training_level() is not False:
            return True
        if not self._data and self._num_unusable > 0:
            if not self._warned_unusable:
                self._warned_unusable = True
                logger.warning(
                    "kde: none of the %d results so far has a finite value of %r (NaN, infinite "
                    "or missing); suggesting configurations at random until results have one",
                    self._num_unusable,
                    self.metric,
                )
        else:
            logger.debug(
                "kde: %d observations, too few for the good and the bad KDE (each needs more "
                "than %d, the number of hyperparameters); suggesting at random",
                len(self._data),
                len(self.variables),
            )
        return False

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        if self.random_state.random() < self.random_fraction:
            return None  # BOHB's share of random configurations
        models = self.fit()
        if models is None:
            return None
        good, bad = models
        F = good.sample_around(self.random_state, self.num_candidates, self.bandwidth_factor)
        rows = self.encoder.snap(to_rows(self.variables, F, self.encoder.dim))
        F = to_features(self.variables, rows)
        score = good.log_pdf(F) - bad.log_pdf(F)
        exclude = self._exclude()
        keys = row_keys(rows)
        for i in np.argsort(-score, kind="stable"):
            if keys[i] not in exclude:
                return rows[i]
        logger.info(
            "kde: every candidate was suggested before (the space may be nearly exhausted); "
            "suggesting at random"
        )
        return None
