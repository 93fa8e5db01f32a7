"""Multi-objective Bayesian optimisation (Syne Tune's ``EHVI``): one GP per objective and
BoTorch's ``qLogNoisyExpectedHypervolumeImprovement``, optimised by ``optimize_acqf`` over the
encoded space [0, 1]^d. torch and botorch are imported when the searcher is created.

Objectives are turned into minimisation form with ``synetune_sdk.multiobjective.to_minimization``
and negated for BoTorch, which maximises. Unless ``reference_point`` is given, the reference point
is ``synetune_sdk.multiobjective.default_reference_point`` of the observations the model is fitted
on, computed again at each suggestion (``nadir + 0.1 * (nadir - ideal)``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from synetune_sdk.model_based import ModelBasedSearcher, check_integers, finite_or_none

IGNORED_OPTIONS = frozenset(
    {"debug_log", "resource_attr", "max_t", "scheduler", "random_seed_generator"}
)


def metrics_and_modes(
    metric: str | Sequence[str], mode: str | Sequence[str], who: str = "ehvi"
) -> tuple[list[str], list[str]]:
    """The metric names and one mode per metric, checked: at least two distinct metrics."""
    if isinstance(metric, str) or not isinstance(metric, Sequence):
        raise ValueError(
            f"{who} is multi-objective: pass metric as a list of at least two metric names "
            f"(got {metric!r}); for a single metric use the 'botorch' searcher"
        )
    metrics = list(metric)
    if len(metrics) < 2 or not all(isinstance(m, str) and m for m in metrics):
        raise ValueError(
            f"{who} needs metric to be a list of at least two metric names, got {metric!r}; "
            "for a single metric use the 'botorch' searcher"
        )
    if len(set(metrics)) != len(metrics):
        raise ValueError(f"metric names must be distinct, got {metrics}")
    modes = [mode] * len(metrics) if isinstance(mode, str) else list(mode)
    if len(modes) != len(metrics):
        raise ValueError(
            f"mode has {len(modes)} entries but metric has {len(metrics)}: give one mode per "
            f"metric or a single mode for all (metric={metrics!r}, mode={mode!r})"
        )
    for m in modes:
        if m not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max' (or a list of them), got {m!r}")
    return metrics, modes


class EHVISearcher(ModelBasedSearcher):
    """Suggest ``points_to_evaluate``, then ``num_init_random`` random configurations, then the
    maximiser of log noisy expected hypervolume improvement under one GP per objective.

    ``metric`` is a list of at least two metric names, ``mode`` one string for all of them or a
    list with one per metric. ``reference_point`` (one value per metric, in the metrics' own
    units: for a ``"max"`` metric the value below which a result adds nothing) defaults to the
    data-dependent ``default_reference_point`` of the sdk. Options (Syne Tune's EHVI names where
    it has them): ``num_init_random=3`` (at least 2), ``no_fantasizing=False`` (False: pending
    configurations go to the acquisition as ``X_pending``), ``max_num_observations=200`` (the
    most recent ones), ``input_warping=False``, ``mc_samples=128``, ``num_restarts=3``,
    ``raw_samples=128`` (uniform points scored for the starts; BoTorch's usual 256 doubled the
    cost of a suggestion), ``baseline_fronts=2`` (the acquisition's baseline: observations on
    the first two non-dominated fronts), ``front_starts=5`` (at most this many observed
    Pareto-optimal points, drawn at random, and small moves around them are scored as starts
    too), ``allow_duplicates=False``. A result whose objectives are not all
    finite (NaN, infinite or missing) is left out of the model. A failed fit falls back to a
    random configuration.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        reference_point: Sequence[float] | None = None,
        num_init_random: int = 3,
        no_fantasizing: bool = False,
        max_num_observations: int = 200,
        input_warping: bool = False,
        mc_samples: int = 128,
        num_restarts: int = 3,
        raw_samples: int = 128,
        baseline_fronts: int = 2,
        front_starts: int = 5,
        allow_duplicates: bool = False,
        **kwargs: Any,
    ):
        metrics, modes = metrics_and_modes(metric, mode)
        check_integers(
            (
                ("num_init_random", num_init_random, 2),
                ("max_num_observations", max_num_observations, 2),
                ("mc_samples", mc_samples, 1),
                ("num_restarts", num_restarts, 1),
                ("raw_samples", raw_samples, 1),
                ("baseline_fronts", baseline_fronts, 1),
                ("front_starts", front_starts, 0),
            )
        )
        self._reference_min = self._check_reference(reference_point, metrics, modes)
        # the base class checks one metric; the objectives are kept here
        super().__init__(
            config_space,
            metrics[0],
            mode=modes[0],
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            known_options=IGNORED_OPTIONS,
            **kwargs,
        )
        import botorch  # noqa: F401
        import torch  # noqa: F401 - fail here, with the plugin's name, if torch is missing

        self.metric = metrics
        self.mode = modes
        self.reference_point = None if reference_point is None else list(reference_point)
        self._signs = np.array([1.0 if m == "min" else -1.0 for m in modes])
        self.num_init_random = num_init_random
        self.no_fantasizing = bool(no_fantasizing)
        self.max_num_observations = max_num_observations
        self.input_warping = bool(input_warping)
        self.mc_samples = mc_samples
        self.num_restarts = num_restarts
        self.raw_samples = raw_samples
        self.baseline_fronts = baseline_fronts
        self.front_starts = front_starts
        self._observed: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # row, minimised values
        self._pending: dict[int, np.ndarray] = {}
        self._model_state: dict[str, Any] | None = None

    @staticmethod
    def _check_reference(
        reference_point: Sequence[float] | None, metrics: list[str], modes: list[str]
    ) -> np.ndarray | None:
        if reference_point is None:
            return None
        try:
            values = [float(v) for v in reference_point]
        except (TypeError, ValueError):
            raise ValueError(
                f"reference_point must be a list of numbers, one per metric {metrics}, got "
                f"{reference_point!r}"
            ) from None
        if len(values) != len(metrics) or not all(math.isfinite(v) for v in values):
            raise ValueError(
                f"reference_point must hold {len(metrics)} finite numbers, one per metric "
                f"{metrics} in the metrics' own units, got {reference_point!r}"
            )
        return np.array([v if m == "min" else -v for v, m in zip(values, modes)])

    # -- bookkeeping ---------------------------------------------------------------------------
    def on_trial_result(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any], update: bool
    ) -> None:
        if update:
            self._record(trial_id, config, result)

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        self._record(trial_id, config, result)

    def _record(self, trial_id: int, config: dict[str, Any], result: dict[str, Any]) -> None:
        self._pending.pop(trial_id, None)
        row = self._mark_seen(config)
        values = [finite_or_none(result.get(name)) for name in self.metric]
        if all(v is not None for v in values):
            self._observed[trial_id] = (row, self._signs * np.array(values, dtype=float))

    def register_pending(
        self, trial_id: int, config: dict[str, Any] | None = None, milestone: int | None = None
    ) -> None:
        if config is not None and trial_id not in self._observed:
            self._pending[trial_id] = self.encoder.encode(config)[0]

    def evaluation_failed(self, trial_id: int) -> None:
        self._pending.pop(trial_id, None)

    # -- model ---------------------------------------------------------------------------------
    def _model_ready(self) -> bool:
        return len(self._observed) >= self.num_init_random

    def current_reference_point(self) -> np.ndarray:
        """The reference point of the next suggestion, in minimisation form."""
        if self._reference_min is not None:
            return self._reference_min
        from synetune_sdk.multiobjective import default_reference_point

        items = list(self._observed.values())[-self.max_num_observations :]
        return np.asarray(default_reference_point(np.array([y for _, y in items])), dtype=float)

    def _baseline(self, Y_min: np.ndarray) -> Any:
        """Indices of the observations whose front the acquisition improves on: the first
        ``baseline_fronts`` non-dominated fronts of the observed values. BoTorch's own pruning
        (``prune_baseline``) draws 2,048 posterior samples of every observation, which made a
        suggestion at 100 observations several times slower; points far behind the observed
        front have a negligible chance to be on the true one."""
        from synetune_sdk.multiobjective import nondominated_sort

        ranks = nondominated_sort(Y_min)
        return np.flatnonzero(ranks < self.baseline_fronts).tolist()

    def _pareto_rows(self, Y_min: np.ndarray) -> list[int]:
        """At most ``front_starts`` observations of the first non-dominated front, drawn at
        random: the local optimisation also starts next to them, to refine the front found so
        far (Optuna's GPSampler starts from Pareto-optimal points too). Every point of the front
        made a suggestion on zdt1 at 100 observations (a front of 50 or more) 4x slower, since
        each is scored by the acquisition with its eight moves; a few random ones cover the
        front over successive suggestions."""
        from synetune_sdk.multiobjective import nondominated_sort

        front = np.flatnonzero(nondominated_sort(Y_min) == 0)
        if len(front) > self.front_starts:
            front = np.sort(self.random_state.choice(front, self.front_starts, replace=False))
        return front.tolist()

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        import torch
        from botorch.acquisition.multi_objective.logei import (
            qLogNoisyExpectedHypervolumeImprovement,
        )
        from botorch.optim import optimize_acqf
        from botorch.sampling import SobolQMCNormalSampler

        from synetune_plugin_botorch.gp import acquisition_starts, fit_gp, pending_rows

        torch.manual_seed(int(self.random_state.integers(2**31 - 1)))
        items = list(self._observed.values())[-self.max_num_observations :]
        X = torch.tensor(np.array([row for row, _ in items]), dtype=torch.double)
        Y_min = np.array([y for _, y in items])
        reference = self.current_reference_point()
        # BoTorch maximises: objectives and reference point are negated
        Y = torch.tensor(-Y_min, dtype=torch.double)
        d = X.shape[1]
        # a batched multi-output GP: one independent GP per objective, fitted at once
        model, self._model_state = fit_gp(X, Y, self.input_warping, self._model_state)
        if model is None:
            return None
        baseline = self._baseline(Y_min)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pending = pending_rows(self._pending, self.no_fantasizing)
            acquisition = qLogNoisyExpectedHypervolumeImprovement(
                model,
                ref_point=(-torch.tensor(reference, dtype=torch.double)).tolist(),
                X_baseline=X[baseline],
                sampler=SobolQMCNormalSampler(sample_shape=torch.Size([self.mc_samples])),
                X_pending=pending,
                prune_baseline=False,
            )
            bounds = torch.stack(
                [torch.zeros(d, dtype=torch.double), torch.ones(d, dtype=torch.double)]
            )
            try:
                candidate, _ = optimize_acqf(
                    acquisition,
                    bounds=bounds,
                    q=1,
                    num_restarts=self.num_restarts,
                    batch_initial_conditions=acquisition_starts(
                        acquisition,
                        X[self._pareto_rows(Y_min)],
                        self.raw_samples,
                        self.num_restarts,
                        int(self.random_state.integers(2**31 - 1)),
                    ),
                )
            except Exception:  # noqa: BLE001 - a numerical failure falls back to random search
                return None
        return self.encoder.snap(candidate.detach().numpy())[0]
