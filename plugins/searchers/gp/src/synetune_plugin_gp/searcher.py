"""Gaussian-process Bayesian optimisation searchers: ``bayesopt`` and its constrained and
cost-aware variants (Syne Tune's ``GPFIFOSearcher``, ``GPMultiFidelitySearcher``,
``ConstrainedGPFIFOSearcher``, ``CostAwareGPFIFOSearcher``).

One class serves single- and multi-fidelity scheduling. Under FIFO every trial contributes its
final result. Under a multi-fidelity scheduler (``configure_scheduler`` exposes ``rung_levels``)
every result the scheduler passes with ``update=True`` is a data point at its resource level, and
the model is either MOBSTER's joint GP over configuration and resource (``model="gp_multitask"``,
the resource is one more input, on the log scale) or one GP per resource level
(``model="gp_independent"``). Expected improvement is maximised at the resource level chosen by
``resource_acq``.

Suggestions: ``points_to_evaluate`` first, then random configurations until ``num_init_random``
configurations have data, then the maximiser of expected improvement. Configurations being
evaluated (``register_pending``) are fantasized: their values are drawn from the posterior
(``num_fantasy_samples`` joint samples) and EI is averaged over the draws, so asynchronous workers
get different suggestions. No configuration is suggested twice unless ``allow_duplicates``.
Results with NaN or infinite metric values are left out of the model (the configuration is not
suggested again); failed trials likewise.

The model behind the suggestions (GP inputs, warm-started fits, fantasies, the acquisition
function) is the ``GPSurrogate`` mixin of ``synetune_plugin_gp.surrogate``.
"""

from __future__ import annotations

import math
import warnings
from functools import partial
from typing import Any

import numpy as np

from synetune_plugin_gp import acquisition as acq
from synetune_plugin_gp.gp import Posterior

# re-exported here: WARM_MAXITER, and Observation and _FitState (pickled in saved searchers)
from synetune_plugin_gp.surrogate import WARM_MAXITER as WARM_MAXITER
from synetune_plugin_gp.surrogate import GPSurrogate, Observation, _FitState
from synetune_plugin_gp.threads import single_threaded_blas
from synetune_sdk.model_based import (
    ModelBasedSearcher,
    check_integers,
    finite_or_none,
    row_keys,
)
from synetune_sdk.searcher import MultiFidelitySearcher

# Syne Tune search_options this implementation accepts and has no use for (no input warping,
# Box-Cox, MCMC or debug log): accepted so that Syne Tune code runs unchanged.
IGNORED_OPTIONS = frozenset(
    {
        "debug_log",
        "opt_warmstart",
        "opt_verbose",
        "opt_debug_writer",
        "initial_scoring",
        "normalize_targets",
        "input_warping",
        "boxcox_transform",
        "max_size_top_fraction",
        "scheduler",
        "random_seed_generator",
        "opt_skip_num_max_resource",
        "issm_gamma_one",
        "expdecay_normalize_inputs",
        "separate_noise_variances",
        "hypertune_distribution_num_samples",
        "hypertune_distribution_num_brackets",
    }
)
# Ignored options that would change the search: a value other than Syne Tune's default warns.
UNIMPLEMENTED_VALUES = {
    "input_warping": False,
    "boxcox_transform": False,
    "normalize_targets": True,
}
MODELS = ("gp_multitask", "gp_independent")
RESOURCE_KERNELS = ("exp-decay-sum", "matern52")
BASE_KERNELS = ("matern52-ard", "matern52-noard")
RESOURCE_ACQ = ("bohb", "first", "final")
# Hyper-Tune learns its weights once a level has this many observations.
HYPERTUNE_MIN_DATA = 6
# Best candidates refined by L-BFGS-B per suggestion.
NUM_LOCAL_STARTS = 5


class GPSearcher(GPSurrogate, ModelBasedSearcher, MultiFidelitySearcher):
    """Bayesian optimisation with a Gaussian process and expected improvement (``bayesopt``).

    Arguments beyond the searcher contract (Syne Tune's names and defaults where they exist):
    ``num_init_random`` (configurations drawn at random before the model is used; default 3,
    6 under multi-fidelity scheduling), ``num_init_candidates=1000`` (random candidates scored
    per suggestion), ``num_fantasy_samples=20``, ``no_fantasizing=False``, ``allow_duplicates=
    False``, ``opt_maxiter=50`` and ``opt_nstarts=2`` (marginal-likelihood optimisation),
    ``skip_local_optimization=False``, ``max_size_data_for_model=500`` (larger data sets keep the
    best quarter and a random rest), and for multi-fidelity ``model`` (``"gp_multitask"``: joint
    GP over configuration and resource, or ``"gp_independent"``) and ``resource_acq``
    (``"bohb"``: EI at the largest level with at least ``resource_acq_bohb_threshold=3``
    observations, ``"first"``, ``"final"``). The joint model's ``gp_resource_kernel`` is
    ``"exp-decay-sum"`` (Syne Tune's default: learning curves as mixtures of exponential decays,
    see ``synetune_plugin_gp.gp``) or ``"matern52"`` (the log resource as one more Matérn input).
    ``acq_function`` is ``"ei"`` (log expected improvement) or ``"lcb"`` (lower confidence bound
    ``mean - kappa * stddev``, ``acq_function_kwargs={"kappa": 1.0}``). ``gp_base_kernel`` is
    ``"matern52-ard"`` (one lengthscale per input) or ``"matern52-noard"`` (one for all).
    """

    acq_functions: tuple[str, ...] = ("ei", "lcb")

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        num_init_random: int | None = None,
        num_init_candidates: int = 1000,
        num_fantasy_samples: int = 20,
        no_fantasizing: bool = False,
        allow_duplicates: bool = False,
        opt_maxiter: int = 50,
        opt_nstarts: int = 2,
        opt_skip_init_length: int = 100,
        opt_skip_period: int = 5,
        skip_local_optimization: bool = False,
        max_size_data_for_model: int = 500,
        model: str = "gp_multitask",
        gp_resource_kernel: str = "exp-decay-sum",
        resource_acq: str = "bohb",
        resource_acq_bohb_threshold: int = 3,
        acq_function: str = "ei",
        acq_function_kwargs: dict[str, Any] | None = None,
        gp_base_kernel: str = "matern52-ard",
        resource_attr: str | None = None,
        max_t: int | None = None,
        **kwargs: Any,
    ):
        if model not in MODELS:
            raise ValueError(f"model must be one of {list(MODELS)}, got {model!r}")
        if gp_resource_kernel not in RESOURCE_KERNELS:
            raise ValueError(
                f"gp_resource_kernel must be one of {list(RESOURCE_KERNELS)}, got "
                f"{gp_resource_kernel!r} (Syne Tune's other resource kernels are not implemented)"
            )
        if gp_base_kernel not in BASE_KERNELS:
            raise ValueError(
                f"gp_base_kernel must be one of {list(BASE_KERNELS)}, got {gp_base_kernel!r}"
            )
        if acq_function not in self.acq_functions:
            raise ValueError(
                f"{type(self).__name__} takes acq_function in {list(self.acq_functions)}, got "
                f"{acq_function!r}"
            )
        acq_kwargs = dict(acq_function_kwargs or {})
        kappa = acq_kwargs.pop("kappa", 1.0)
        if acq_kwargs or acq_function == "ei" and acq_function_kwargs:
            raise ValueError(
                f"acq_function_kwargs {acq_function_kwargs!r} not understood: only "
                "acq_function='lcb' takes one, {'kappa': float >= 0}"
            )
        if isinstance(kappa, bool) or not isinstance(kappa, int | float) or not kappa >= 0:
            raise ValueError(f"acq_function_kwargs['kappa'] must be a number >= 0, got {kappa!r}")
        if resource_acq not in RESOURCE_ACQ:
            raise ValueError(
                f"resource_acq must be one of {list(RESOURCE_ACQ)}, got {resource_acq!r}"
            )
        check_integers(
            (
                ("num_init_candidates", num_init_candidates, 1),
                ("num_fantasy_samples", num_fantasy_samples, 1),
                ("opt_maxiter", opt_maxiter, 1),
                ("opt_nstarts", opt_nstarts, 1),
                ("opt_skip_init_length", opt_skip_init_length, 0),
                ("opt_skip_period", opt_skip_period, 1),
                ("max_size_data_for_model", max_size_data_for_model, 2),
                ("resource_acq_bohb_threshold", resource_acq_bohb_threshold, 1),
            )
        )
        if num_init_random is not None and (
            isinstance(num_init_random, bool)
            or not isinstance(num_init_random, int)
            or num_init_random < 0
        ):
            raise ValueError(
                f"num_init_random must be a non-negative integer, got {num_init_random!r}"
            )
        for name, default in UNIMPLEMENTED_VALUES.items():
            if name in kwargs and kwargs[name] != default:
                warnings.warn(
                    f"{type(self).__name__}: {name}={kwargs[name]!r} is not implemented; the "
                    f"search runs as with {name}={default!r}",
                    UserWarning,
                    stacklevel=2,
                )
        super().__init__(
            config_space,
            metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            allow_duplicates=allow_duplicates,
            known_options=IGNORED_OPTIONS | set(self._extra_option_names()),
            **kwargs,
        )
        self._num_init_random = num_init_random
        self.num_init_candidates = num_init_candidates
        self.num_fantasy_samples = num_fantasy_samples
        self.no_fantasizing = bool(no_fantasizing)
        self.opt_maxiter = opt_maxiter
        self.opt_nstarts = opt_nstarts
        self.opt_skip_init_length = opt_skip_init_length
        self.opt_skip_period = opt_skip_period
        self.skip_local_optimization = bool(skip_local_optimization)
        self.max_size_data_for_model = max_size_data_for_model
        self.model = model
        self.gp_resource_kernel = gp_resource_kernel
        self.gp_base_kernel = gp_base_kernel
        self.resource_acq = resource_acq
        self.acq_function = acq_function
        self._score: acq.Score = (
            partial(acq.lower_confidence_bound, kappa=float(kappa))
            if acq_function == "lcb"
            else acq.log_expected_improvement
        )
        self.resource_acq_bohb_threshold = resource_acq_bohb_threshold
        self.resource_attr = resource_attr
        self.max_t = max_t
        self.rung_levels: list[int] = []
        self._data: dict[tuple[int, int | None], Observation] = {}
        self._pending: dict[tuple[int, int | None], np.ndarray] = {}
        self._configs: dict[int, dict[str, Any]] = {}
        self._fits = _FitState()
        self._data_version = 0

    # -- options of subclasses -----------------------------------------------------------------
    def _extra_option_names(self) -> tuple[str, ...]:
        return ()

    # -- scheduler wiring ----------------------------------------------------------------------
    def configure_scheduler(self, scheduler: Any) -> None:
        resource_attr = getattr(scheduler, "resource_attr", None)
        rung_levels = list(getattr(scheduler, "rung_levels", []) or [])
        max_t = getattr(scheduler, "max_t", None)
        if resource_attr is not None:
            self.resource_attr = resource_attr
        if max_t is not None:
            self.max_t = int(max_t)
        self.rung_levels = [int(r) for r in rung_levels]
        if self.multi_fidelity and self.max_t is None:
            raise ValueError(
                f"{type(self).__name__} under a multi-fidelity scheduler needs the maximum resource "
                "level: the scheduler must expose max_t"
            )

    @property
    def multi_fidelity(self) -> bool:
        return bool(self.rung_levels) and self.resource_attr is not None

    @property
    def num_init_random(self) -> int:
        if self._num_init_random is not None:
            return self._num_init_random
        return 6 if self.multi_fidelity else 3

    @property
    def levels(self) -> list[int]:
        """Resource levels results come at: rung levels and ``max_t``."""
        return sorted(set(self.rung_levels) | ({self.max_t} if self.max_t else set()))

    # -- data ----------------------------------------------------------------------------------
    def _resource_of(self, result: dict[str, Any]) -> int | None:
        if not self.multi_fidelity:
            return None
        value = result.get(self.resource_attr)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            return None
        return int(value)

    def _values_of(self, result: dict[str, Any]) -> dict[str, float] | None:
        """Target values of a result (objective minimised), None if unusable (missing, NaN)."""
        value = finite_or_none(result.get(self.metric))
        if value is None:
            return None
        return {"objective": self._sign * value}

    def _add(self, trial_id: int, config: dict[str, Any], result: dict[str, Any]) -> None:
        resource = self._resource_of(result)
        if self.multi_fidelity and resource is None:
            return
        key = (trial_id, resource)
        self._pending.pop(key, None)
        values = self._values_of(result)
        row = self._mark_seen(config)
        if values is None:
            if self._data.pop(key, None) is not None:
                self._data_version += 1
            return
        self._data[key] = Observation(dict(config), row, resource, values)
        self._data_version += 1

    def on_trial_result(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any], update: bool
    ) -> None:
        self._configs.setdefault(trial_id, dict(config))
        if update:
            self._add(trial_id, config, result)

    def on_trial_complete(
        self, trial_id: int, config: dict[str, Any], result: dict[str, Any]
    ) -> None:
        self._configs.setdefault(trial_id, dict(config))
        self._add(trial_id, config, result)
        self.evaluation_failed(trial_id)  # the trial is over: nothing of it is pending any more

    def register_pending(
        self, trial_id: int, config: dict[str, Any] | None = None, milestone: int | None = None
    ) -> None:
        config = config if config is not None else self._configs.get(trial_id)
        if config is None:
            return
        self._configs.setdefault(trial_id, dict(config))
        resource = int(milestone) if self.multi_fidelity and milestone is not None else None
        if self.multi_fidelity and resource is None:
            resource = self.max_t
        key = (trial_id, resource)
        if key not in self._data:
            self._pending[key] = self.encoder.encode(config)[0]

    def evaluation_failed(self, trial_id: int) -> None:
        """Forget what ``trial_id`` had pending (its configuration is not suggested again)."""
        for key in [k for k in self._pending if k[0] == trial_id]:
            del self._pending[key]

    def remove_case(self, trial_id: int, **kwargs: Any) -> None:
        resource = kwargs.get(self.resource_attr) if self.resource_attr else None
        key = (trial_id, int(resource) if resource is not None and self.multi_fidelity else None)
        if self._data.pop(key, None) is not None:
            self._data_version += 1

    def dataset_size(self) -> int:
        return len(self._data)

    def best_config(self) -> dict[str, Any] | None:
        """The best configuration observed so far (at the highest resource level with data)."""
        rows = self._incumbent_candidates()
        if not rows:
            return None
        return dict(min(rows, key=lambda o: o.values["objective"]).config)

    def _incumbent_candidates(self) -> list[Observation]:
        data = list(self._data.values())
        if self.multi_fidelity and data:
            top = max(o.resource for o in data)
            data = [o for o in data if o.resource == top]
        return data

    # -- suggest -------------------------------------------------------------------------------
    def _model_ready(self) -> bool:
        return len({key[0] for key in self._data}) >= self.num_init_random

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        with single_threaded_blas():
            return self._maximise_acquisition()

    def _maximise_acquisition(self) -> np.ndarray | None:
        target = self._target_resource() if self.multi_fidelity else None
        problem = self._acquisition(target)
        if problem is None:
            return None
        function, anchors, extra = problem
        return acq.optimize(
            function,
            self.encoder,
            self.random_state,
            self._exclude(),
            anchors=anchors,
            # scoring costs candidates x data^2: fewer random candidates for large data sets
            num_candidates=max(
                100, min(self.num_init_candidates, 100_000 // max(1, self.dataset_size()))
            ),
            num_local=0 if self.skip_local_optimization else NUM_LOCAL_STARTS,
            candidates=self._unseen_enumerated(),
            extra_columns=extra,
        )

    def _unseen_enumerated(self) -> np.ndarray | None:
        """The rows of a finite space that a suggestion may still return (None: the space is
        not enumerated). Scoring only these picks the same row as scoring all and skipping the
        excluded, at a fraction of the cost once much of the space has been tried."""
        exclude = self._exclude()
        if self._enumerated is None or not exclude:
            return self._enumerated
        keys = getattr(self, "_enumerated_row_keys", None)
        if keys is None:
            keys = self._enumerated_row_keys = row_keys(self._enumerated)
        return self._enumerated[np.fromiter((k not in exclude for k in keys), bool, len(keys))]


class ConstrainedGPSearcher(GPSearcher):
    """BO under a black-box constraint (``bayesopt_constrained``).

    A second GP models ``result[constraint_attr]``; a configuration is feasible when the value
    is <= 0. The acquisition is EI over the best feasible value times the probability of being
    feasible (only the latter while nothing feasible was seen). Results without the constraint
    value are left out.
    """

    acq_functions = ("ei",)

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        constraint_attr: str | None = None,
        **kwargs: Any,
    ):
        if not isinstance(constraint_attr, str) or not constraint_attr:
            raise ValueError(
                "bayesopt_constrained needs constraint_attr, the name of the reported constraint "
                "value (feasible when <= 0), e.g. search_options={'constraint_attr': 'c'}"
            )
        self.constraint_attr = constraint_attr
        super().__init__(config_space, metric, **kwargs)

    def _extra_option_names(self) -> tuple[str, ...]:
        return ("constraint_attr",)

    def configure_scheduler(self, scheduler: Any) -> None:
        super().configure_scheduler(scheduler)
        if self.multi_fidelity:
            raise ValueError(
                "bayesopt_constrained works with FIFO scheduling only (as in Syne Tune); use "
                "searcher='bayesopt' with multi-fidelity schedulers"
            )

    def _values_of(self, result: dict[str, Any]) -> dict[str, float] | None:
        values = super()._values_of(result)
        constraint = finite_or_none(result.get(self.constraint_attr))
        if values is None or constraint is None:
            return None
        values["constraint"] = constraint
        return values

    def _incumbent_candidates(self) -> list[Observation]:
        return [o for o in super()._incumbent_candidates() if o.values["constraint"] <= 0]

    def _acquisition(self, target: int | None) -> Any:
        data = self._model_data(target)
        if len(data) < 2:
            return None
        X = self._inputs(data, False)
        y = np.array([o.values["objective"] for o in data])
        c = np.array([o.values["constraint"] for o in data])
        posterior, _ = self._objective_posterior(
            ("objective", None), X, y, self._pending_inputs(None, False)
        )
        c_scale, c_params = self._fit(("constraint", None), X, c)
        c_posterior = Posterior(X, c_scale(c), c_params)
        threshold = float(c_scale(0.0))
        feasible = np.concatenate([c <= 0, np.zeros(len(posterior.X) - len(data), dtype=bool)])
        best = acq.current_best(posterior, feasible) if feasible.any() else None

        def acquisition(Xc: np.ndarray, with_gradient: bool) -> tuple[np.ndarray, Any]:
            if with_gradient:
                m, v, dm, dv = c_posterior.predict_with_gradient(Xc)
                lp, dlp = acq.log_probability_below(m, v, threshold, dm, dv)
            else:
                m, v = c_posterior.predict(Xc)
                lp, dlp = acq.log_probability_below(m, v, threshold)
            if best is None:
                return lp, dlp
            lei, dlei = acq.expected_improvement(posterior, best)(Xc, with_gradient)
            return lei + lp, None if dlei is None else dlei + dlp

        anchors = [o for o in data if o.values["constraint"] <= 0] or data
        return acquisition, self._anchors(anchors, None), None


class CostAwareGPSearcher(GPSearcher):
    """BO that trades improvement against cost (``bayesopt_cost``): expected improvement per unit
    of cost, ``EI(x) / c(x)^cost_exponent``, with a second GP on ``log(result[cost_attr])``."""

    acq_functions = ("ei",)

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        cost_attr: str = "elapsed_time",
        cost_exponent: float = 1.0,
        **kwargs: Any,
    ):
        if not isinstance(cost_attr, str) or not cost_attr:
            raise ValueError(f"cost_attr must be the name of the reported cost, got {cost_attr!r}")
        if not isinstance(cost_exponent, int | float) or cost_exponent < 0:
            raise ValueError(f"cost_exponent must be a non-negative number, got {cost_exponent!r}")
        self.cost_attr = cost_attr
        self.cost_exponent = float(cost_exponent)
        super().__init__(config_space, metric, **kwargs)

    def _extra_option_names(self) -> tuple[str, ...]:
        return ("cost_attr", "cost_exponent", "cost_model")

    def _values_of(self, result: dict[str, Any]) -> dict[str, float] | None:
        values = super()._values_of(result)
        cost = finite_or_none(result.get(self.cost_attr))
        if values is None or cost is None or cost <= 0:
            return None
        values["log_cost"] = math.log(cost)
        return values

    def _acquisition(self, target: int | None) -> Any:
        problem = super()._acquisition(target)
        if problem is None:
            return None
        ei, anchors, extra = problem
        joint = extra is not None
        data = self._model_data(target)
        X = self._inputs(data, joint)
        cost = np.array([o.values["log_cost"] for o in data])
        c_scale, c_params = self._fit(("log_cost", None if joint else target), X, cost)
        c_posterior = Posterior(X, c_scale(cost), c_params)
        factor = self.cost_exponent * c_scale.scale

        def acquisition(Xc: np.ndarray, with_gradient: bool) -> tuple[np.ndarray, Any]:
            lei, dlei = ei(Xc, with_gradient)
            if with_gradient:
                m, _, dm, _ = c_posterior.predict_with_gradient(Xc)
                return lei - factor * m[:, 0], dlei - factor * dm[:, 0, :]
            m, _ = c_posterior.predict(Xc)
            return lei - factor * m[:, 0], None

        return acquisition, anchors, extra
