"""BoTorch searcher (Syne Tune's ``BoTorchSearcher``): a ``SingleTaskGP`` fitted by marginal
likelihood and log expected improvement, optimised by ``optimize_acqf`` over the encoded space
[0, 1]^d (``synetune_sdk.encoding``). torch and botorch are imported when the searcher is
created, never when the plugin is listed.

Defaults differ from Syne Tune where that paid on Branin and Hartmann6 (benchmarks/bo_quality.py
``--botorch``): BoTorch's default noise prior (a noise level near 1% of the standardised
outcome) keeps the search from homing in on the optimum of a deterministic objective, so the
likelihood's prior favours small noise (still learned, so noisy objectives raise it); input
warping is off (it made suggestions 10-50x slower and regret worse); and while no trial is
pending the acquisition is analytic ``LogExpectedImprovement``, several times cheaper than the
Monte-Carlo ``qLogNoisyExpectedImprovement`` (``acquisition="qlognei"`` restores Syne Tune's).
With pending trials, ``qLogExpectedImprovement`` takes them as ``X_pending``.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from synetune_sdk.model_based import ModelBasedSearcher, check_integers, finite_or_none

IGNORED_OPTIONS = frozenset(
    {"debug_log", "resource_attr", "max_t", "scheduler", "random_seed_generator"}
)
ACQUISITIONS = ("logei", "qlognei")


class BoTorchSearcher(ModelBasedSearcher):
    """Suggest ``points_to_evaluate``, then ``num_init_random`` random configurations, then the
    maximiser of log noisy expected improvement under a BoTorch GP.

    Options (Syne Tune's names): ``num_init_random=3``, ``no_fantasizing=False`` (False:
    pending configurations go to the acquisition as ``X_pending``), ``max_num_observations=200``
    (the most recent ones are used), ``input_warping=False`` (Syne Tune: True),
    ``allow_duplicates=False``; plus ``acquisition="logei"`` (or ``"qlognei"``),
    ``num_restarts=3`` and ``raw_samples=256`` for ``optimize_acqf``. Results with NaN or
    infinite metric values are left out. Each fit of the GP hyperparameters starts from the
    previous fit's values.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        num_init_random: int = 3,
        no_fantasizing: bool = False,
        max_num_observations: int = 200,
        input_warping: bool = False,
        allow_duplicates: bool = False,
        acquisition: str = "logei",
        num_restarts: int = 3,
        raw_samples: int = 256,
        **kwargs: Any,
    ):
        check_integers(
            (
                ("num_init_random", num_init_random, 0),
                ("max_num_observations", max_num_observations, 2),
                ("num_restarts", num_restarts, 1),
                ("raw_samples", raw_samples, 1),
            )
        )
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
        if acquisition not in ACQUISITIONS:
            raise ValueError(
                f"acquisition={acquisition!r} is not supported: use one of {list(ACQUISITIONS)}"
            )
        import botorch  # noqa: F401
        import torch  # noqa: F401 - fail here, with the plugin's name, if torch is missing

        self.num_init_random = num_init_random
        self.no_fantasizing = bool(no_fantasizing)
        self.max_num_observations = max_num_observations
        self.input_warping = bool(input_warping)
        self.acquisition = acquisition
        self.num_restarts = num_restarts
        self.raw_samples = raw_samples
        self._observed: dict[int, tuple[np.ndarray, float]] = {}
        self._pending: dict[int, np.ndarray] = {}
        self._model_state: dict[str, Any] | None = None  # the last fit, to warm-start the next

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
        value = finite_or_none(result.get(self.metric))
        if value is not None:
            self._observed[trial_id] = (row, self._sign * value)

    def register_pending(
        self, trial_id: int, config: dict[str, Any] | None = None, milestone: int | None = None
    ) -> None:
        if config is not None and trial_id not in self._observed:
            self._pending[trial_id] = self.encoder.encode(config)[0]

    def evaluation_failed(self, trial_id: int) -> None:
        self._pending.pop(trial_id, None)

    # -- model ---------------------------------------------------------------------------------
    def _model_ready(self) -> bool:
        return len(self._observed) >= max(self.num_init_random, 2)

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        import torch
        from botorch.optim import optimize_acqf

        from synetune_plugin_botorch.gp import acquisition_starts, fit_gp, pending_rows

        torch.manual_seed(int(self.random_state.integers(2**31 - 1)))
        items = list(self._observed.values())[-self.max_num_observations :]
        X = torch.tensor(np.array([row for row, _ in items]), dtype=torch.double)
        # BoTorch maximises: the objective is the negated (minimised) value.
        Y = torch.tensor([[-value] for _, value in items], dtype=torch.double)
        d = X.shape[1]
        model, self._model_state = fit_gp(X, Y, self.input_warping, self._model_state)
        if model is None:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pending = pending_rows(self._pending, self.no_fantasizing)
            acquisition = self._acquisition(model, X, Y, pending)
            bounds = torch.stack(
                [torch.zeros(d, dtype=torch.double), torch.ones(d, dtype=torch.double)]
            )
            candidate, _ = optimize_acqf(
                acquisition,
                bounds=bounds,
                q=1,
                num_restarts=self.num_restarts,
                batch_initial_conditions=acquisition_starts(
                    acquisition,
                    X[torch.argsort(Y[:, 0], descending=True)[: self.num_restarts]],
                    self.raw_samples,
                    self.num_restarts,
                    int(self.random_state.integers(2**31 - 1)),
                ),
            )
        return self.encoder.snap(candidate.detach().numpy())[0]

    def _acquisition(self, model: Any, X: Any, Y: Any, pending: Any) -> Any:
        from botorch.acquisition.analytic import LogExpectedImprovement
        from botorch.acquisition.logei import qLogExpectedImprovement, qLogNoisyExpectedImprovement

        if self.acquisition == "qlognei":
            return qLogNoisyExpectedImprovement(model, X_baseline=X, X_pending=pending)
        best_f = float(Y.max())
        if pending is None:
            return LogExpectedImprovement(model, best_f=best_f)
        return qLogExpectedImprovement(model, best_f=best_f, X_pending=pending)
