"""The ``bore`` searcher: Syne Tune's ``Bore`` and ``MultiFidelityBore`` in one class.

BORE (Tiao et al., ICML 2021) labels the observed configurations "good" when their value lies
below the ``gamma`` quantile and fits a probabilistic classifier; the probability of "good" is
proportional to expected improvement over that quantile, so the next configuration is the one
the classifier rates best among ``feval_acq`` random candidates (``acq_optimizer="rs"``),
random candidates drawn with replacement (``"rs_with_replacement"``, the multi-fidelity default)
or a differential-evolution search (``"de"``).

Under a multi-fidelity scheduler (``configure_scheduler`` exposes ``rung_levels``) every result
the scheduler passes with ``update=True`` is an observation at its resource level, and the
classifier is fitted on the highest level that has at least ``int(1 / gamma)`` observations, as
BOHB does with its densities.

Suggestions come from ``synetune_sdk.model_based.ModelBasedSearcher``: ``points_to_evaluate``
first, random configurations until ``init_random`` observations are in, never a configuration
twice (pending ones included) unless ``allow_duplicates``. Wherever the model cannot propose
(too few finite results, all values equal, a classifier that fails to fit) the suggestion is
random and the reason is logged once.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from synetune_plugin_bore import classifiers as clf
from synetune_plugin_bore.de import differential_evolution
from synetune_sdk.model_based import (
    ModelBasedSearcher,
    check_flat_space,
    check_integers,
    finite_or_none,
    row_keys,
)
from synetune_sdk.searcher import MultiFidelitySearcher

logger = logging.getLogger(__name__)

ACQ_OPTIMIZERS = ("rs", "rs_with_replacement", "de")


class Bore(ModelBasedSearcher, MultiFidelitySearcher):
    """BORE searcher (``bore``), Syne Tune's arguments and defaults.

    ``gamma=0.25`` (fraction of observations labelled good), ``calibrate=False`` (2-fold
    sigmoid calibration of the classifier), ``classifier="xgboost"`` (one of ``xgboost``,
    ``logreg``, ``rf``, ``mlp``, ``gp``, and ``hgb``: scikit-learn's histogram gradient
    boosting, which ``xgboost`` also falls back to when xgboost is not installed),
    ``acq_optimizer`` (``"rs"``; ``"rs_with_replacement"`` under multi-fidelity scheduling),
    ``feval_acq=500`` (candidates scored per suggestion), ``random_prob=0.0`` (probability of a
    random suggestion), ``init_random=6`` (observations before the classifier is used),
    ``classifier_kwargs`` (arguments of the classifier), ``allow_duplicates=False``.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        gamma: float = 0.25,
        calibrate: bool = False,
        classifier: str = "xgboost",
        acq_optimizer: str | None = None,
        feval_acq: int = 500,
        random_prob: float = 0.0,
        init_random: int = 6,
        classifier_kwargs: dict[str, Any] | None = None,
        allow_duplicates: bool = False,
        restrict_configurations: list[dict[str, Any]] | None = None,
        resource_attr: str | None = None,
        max_t: int | None = None,
        **kwargs: Any,
    ):
        check_flat_space(config_space, "bore")
        if isinstance(gamma, bool) or not isinstance(gamma, int | float) or not 0 < gamma < 1:
            raise ValueError(f"gamma must be a number in (0, 1), got {gamma!r}")
        if classifier not in clf.CLASSIFIERS:
            raise ValueError(
                f"classifier must be one of {list(clf.CLASSIFIERS)}, got {classifier!r}"
            )
        if acq_optimizer is not None and acq_optimizer not in ACQ_OPTIMIZERS:
            raise ValueError(
                f"acq_optimizer must be one of {list(ACQ_OPTIMIZERS)}, got {acq_optimizer!r}"
            )
        if (
            isinstance(random_prob, bool)
            or not isinstance(random_prob, int | float)
            or not 0 <= random_prob <= 1
        ):
            raise ValueError(f"random_prob must be a number in [0, 1], got {random_prob!r}")
        if classifier_kwargs is not None and not isinstance(classifier_kwargs, dict):
            raise ValueError(f"classifier_kwargs must be a dict, got {classifier_kwargs!r}")
        if restrict_configurations is not None:
            raise ValueError(
                "bore does not implement restrict_configurations; leave it None (Syne Tune's "
                "Bore restricts candidates to a given list, synetune's samples the whole space)"
            )
        check_integers((("feval_acq", feval_acq, 1), ("init_random", init_random, 0)))
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
        self.gamma = float(gamma)
        self.calibrate = bool(calibrate)
        self.classifier = classifier
        self._acq_optimizer = acq_optimizer
        self.feval_acq = feval_acq
        self.random_prob = float(random_prob)
        self.init_random = init_random
        self.classifier_kwargs = dict(classifier_kwargs or {})
        self.resource_attr = resource_attr
        self.max_t = max_t
        self.rung_levels: list[int] = []
        # (trial_id, resource level or None) -> (encoded row, value to minimise)
        self._data: dict[tuple[int, int | None], tuple[np.ndarray, float]] = {}
        self._non_finite = 0
        self._logged: set[str] = set()
        self.model: Any = None  # the classifier behind the latest suggestion
        if self.encoder.dim == 0:
            self._log_once(
                "empty",
                "the search space has no hyperparameter to tune: bore "
                "suggests the constant configuration once",
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

    @property
    def acq_optimizer(self) -> str:
        if self._acq_optimizer is not None:
            return self._acq_optimizer
        return "rs_with_replacement" if self.multi_fidelity else "rs"

    # -- data ----------------------------------------------------------------------------------
    def _add(self, trial_id: int, config: dict[str, Any], result: dict[str, Any]) -> None:
        resource = None
        if self.multi_fidelity:
            value = result.get(self.resource_attr)
            if isinstance(value, bool) or not isinstance(value, int | float):
                return
            if not math.isfinite(value):
                return
            resource = int(value)
        row = self._mark_seen(config)
        value = finite_or_none(result.get(self.metric))
        if value is None:
            self._non_finite += 1
            self._data.pop((trial_id, resource), None)
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
        resource = kwargs.get(self.resource_attr) if self.multi_fidelity else None
        self._data.pop((trial_id, int(resource) if resource is not None else None), None)

    def dataset_size(self) -> int:
        return len(self._data)

    def _training_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Rows and values the classifier learns from: all of them, or under multi-fidelity
        scheduling those of the highest level with at least ``int(1 / gamma)`` observations."""
        items = list(self._data.items())
        if self.multi_fidelity:
            levels: dict[int, int] = {}
            for (_, resource), _ in items:
                levels[resource] = levels.get(resource, 0) + 1
            enough = [r for r, n in levels.items() if n >= int(1 / self.gamma)]
            if not enough:
                self._log_once(
                    "levels",
                    f"no resource level has {int(1 / self.gamma)} observations yet "
                    "(int(1 / gamma)): bore suggests at random until one has",
                    logging.INFO,
                )
                return None
            top = max(enough)
            items = [item for item in items if item[0][1] == top]
        X = np.array([row for _, (row, _) in items])
        y = np.array([value for _, (_, value) in items])
        return X, y

    # -- suggest -------------------------------------------------------------------------------
    def _log_once(self, key: str, message: str, level: int = logging.WARNING) -> None:
        if key not in self._logged:
            self._logged.add(key)
            logger.log(level, message)

    def _model_ready(self) -> bool:
        if len(self._data) >= self.init_random:
            return True
        if self._non_finite and len(self._data) + self._non_finite >= self.init_random:
            self._log_once(
                "non_finite",
                f"{self._non_finite} result(s) had no finite value of {self.metric!r} and are "
                f"left out; bore suggests at random until {self.init_random} finite "
                "observations are in (init_random)",
            )
        return False

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        if self.random_prob > 0 and self.random_state.uniform() < self.random_prob:
            return None
        model = self._fit_classifier()
        if model is None:
            return None
        self.model = model

        def score(rows: np.ndarray) -> np.ndarray:
            with clf.single_threaded():
                return -clf.probability_good(model, rows)

        exclude = self._exclude()
        if self.acq_optimizer == "de":
            rows, scores = differential_evolution(
                score, self.encoder.snap, self.encoder.dim, self.feval_acq, self.random_state
            )
        else:
            rows = self._candidates(self.acq_optimizer == "rs_with_replacement", exclude)
            if rows is None:
                return None
            scores = score(rows)
        # stable order: among equal scores (trees give many) the first random candidate wins
        for i in np.argsort(scores, kind="stable"):
            if row_keys(rows[i : i + 1])[0] not in exclude:
                return rows[i]
        return None

    def _candidates(self, with_replacement: bool, exclude: set[bytes]) -> np.ndarray | None:
        """``feval_acq`` random encoded configurations, unseen ones unless with replacement."""
        n, rng = self.feval_acq, self.random_state
        if self._enumerated is not None:
            rows = self._enumerated
            if with_replacement:
                return rows[rng.integers(0, len(rows), size=n)]
            keys = row_keys(rows)
            rows = rows[[i for i, k in enumerate(keys) if k not in exclude]]
            if not len(rows):
                return None
            return rows[rng.permutation(len(rows))[:n]]
        rows = self.encoder.sample_encoded(n, rng)
        if not with_replacement and exclude:
            rows = rows[[k not in exclude for k in row_keys(rows)]]
        if len(rows) < n:
            self._log_once(
                "few_candidates",
                f"only {len(rows)} of feval_acq={n} random candidates were new configurations",
                logging.INFO,
            )
        return rows if len(rows) else None

    def _fit_classifier(self) -> Any:
        data = self._training_data()
        if data is None:
            return None
        X, y = data
        if len(y) < 2:
            self._log_once(
                "few",
                f"bore needs two observations to label one of them good (it has {len(y)}); "
                "suggesting at random until there are",
            )
            return None
        z = y < np.quantile(y, self.gamma)
        if z.all() or not z.any():
            self._log_once(
                "one_class",
                f"all {len(y)} observed values of {self.metric!r} are equal, so none is below "
                f"the gamma={self.gamma} quantile: bore suggests at random until they differ",
            )
            return None
        seed = int(self.random_state.integers(0, 2**31 - 1))
        model = clf.make_classifier(self.classifier, X.shape[1], seed, self.classifier_kwargs)
        if self.classifier == "xgboost" and not clf.xgboost_available():
            self._log_once(
                "no_xgboost",
                "xgboost is not installed: classifier='xgboost' uses scikit-learn's "
                "HistGradientBoostingClassifier with xgboost's settings (pip install xgboost "
                "for the original)",
                logging.INFO,
            )
        if self.calibrate:
            if min(int(z.sum()), int((~z).sum())) >= 2:
                model = clf.calibrated(model)
            else:
                self._log_once(
                    "calibrate",
                    "calibrate=True needs two observations of each class for 2-fold "
                    "cross-validation; fitting uncalibrated until there are",
                    logging.INFO,
                )
        try:
            with clf.single_threaded():
                return clf.fit(model, X, z)
        except (ValueError, np.linalg.LinAlgError) as err:
            self._log_once(
                f"fit:{type(err).__name__}",
                f"the {self.classifier} classifier failed to fit {len(y)} observations "
                f"({err}); bore suggests at random for this trial",
            )
            return None
