"""DyHPO's searcher (Syne Tune's ``DynamicHPOSearcher``): decides what a free worker runs next.

At every free worker of ``HyperbandScheduler(type="dyhpo")`` (unless the successive-halving rule
promoted a trial first, with probability ``probability_sh``), the searcher scores

* every paused trial at the next rung level it would reach, given its learning curve so far, and
* ``max(num_init_candidates, number paused)`` random new configurations at the first rung level,

with expected improvement under the deep-kernel GP of ``model.py``; the incumbent is the best
value observed at the same level (the best overall while that level has no data). The winner is
resumed for one more rung, or started as a new trial. Until ``num_init_random`` configurations
have started (``points_to_evaluate`` first), new configurations are drawn at random.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from synetune_sdk.model_based import ModelBasedSearcher, check_integers, finite_or_none
from synetune_sdk.searcher import MultiFidelitySearcher

logger = logging.getLogger(__name__)

# Options of Syne Tune's GP searcher that mean nothing for this model (accepted silently).
IGNORED_OPTIONS = frozenset(
    {
        "debug_log", "model", "opt_skip_init_length", "opt_maxiter", "opt_nstarts",
        "opt_warmstart", "opt_verbose", "opt_debug_writer", "num_fantasy_samples",
        "initial_scoring", "skip_local_optimization", "gp_resource_kernel", "resource_acq",
        "normalize_targets", "no_fantasizing", "input_warping", "boxcox_transform",
        "max_size_top_fraction", "cost_attr", "resource_attr", "max_t", "scheduler",
        "random_seed_generator", "searcher_data", "hypertune_distribution_num_brackets",
    }
)  # fmt: skip


class DyHPOSearcher(ModelBasedSearcher, MultiFidelitySearcher):
    """Deep-kernel GP over (configuration, budget, learning curve); see the module docstring.

    Options (Syne Tune's names and defaults where Syne Tune has them): ``num_init_random=6``,
    ``num_init_candidates=250``, ``opt_skip_period=3`` (the network and kernel are trained at
    every ``opt_skip_period``-th decision with new data; the GP posterior always uses all
    data), ``max_size_data_for_model=500`` (a seeded subsample beyond that),
    ``allow_duplicates=False``; model options ``num_fit_steps_initial=300``,
    ``num_fit_steps=30``, ``learning_rate=0.01``.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        num_init_random: int = 6,
        num_init_candidates: int = 250,
        opt_skip_period: int = 3,
        max_size_data_for_model: int = 500,
        max_size_data_for_fit: int = 200,
        allow_duplicates: bool = False,
        num_fit_steps_initial: int = 300,
        num_fit_steps: int = 30,
        learning_rate: float = 0.01,
        **kwargs: Any,
    ):
        check_integers(
            (
                ("num_init_random", num_init_random, 0),
                ("num_init_candidates", num_init_candidates, 1),
                ("opt_skip_period", opt_skip_period, 1),
                ("max_size_data_for_model", max_size_data_for_model, 2),
                ("max_size_data_for_fit", max_size_data_for_fit, 2),
                ("num_fit_steps_initial", num_fit_steps_initial, 1),
                ("num_fit_steps", num_fit_steps, 0),
            )
        )
        if not isinstance(learning_rate, int | float) or not learning_rate > 0:
            raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
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
        from synetune_plugin_dyhpo import model  # torch: imported when the searcher is created

        self._torch_model = model
        self.num_init_random = num_init_random
        self.num_init_candidates = num_init_candidates
        self.opt_skip_period = opt_skip_period
        self.max_size_data_for_model = max_size_data_for_model
        self.max_size_data_for_fit = max_size_data_for_fit
        self.num_fit_steps_initial = num_fit_steps_initial
        self.num_fit_steps = num_fit_steps
        self.learning_rate = float(learning_rate)
        self.resource_attr: str | None = None
        self.max_t: int | None = None
        self.levels: list[int] = [1]  # where curves are recorded; set by configure_scheduler
        self._rows: dict[int, np.ndarray] = {}  # trial id -> encoded configuration
        self._curves: dict[int, dict[int, float]] = {}  # trial id -> {level: signed value}
        self._started = 0
        self._net: Any = None
        self._decisions_with_new_data = 0
        self._data_version = 0
        self._fitted_version = -1
        self._last_new = True  # the last model decision started a new configuration
        # Syne Tune's summary_schedule_records, for the searcher's own decisions
        self.schedule_records = {"promoted_by_dyhpo": 0, "started_by_dyhpo": 0, "started": 0}

    def configure_scheduler(self, scheduler: Any) -> None:
        if getattr(scheduler, "type", None) != "dyhpo":
            raise ValueError(
                "searcher 'dyhpo' decides which trial runs next and needs "
                "HyperbandScheduler(type='dyhpo') (or the 'dyhpo' scheduler); got "
                f"{type(scheduler).__name__} with type={getattr(scheduler, 'type', None)!r}"
            )
        super().configure_scheduler(scheduler)
        self.levels = sorted(set(self.rung_levels) | {int(self.max_t)})
        if getattr(scheduler, "searcher_data", "rungs") != "rungs":
            self.levels = list(range(1, int(self.max_t) + 1))

    # -- data ----------------------------------------------------------------------------------
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
        row = self._mark_seen(config)
        value = finite_or_none(result.get(self.metric))
        level = self._level(result)
        if value is None or level is None:
            return
        self._rows[trial_id] = row
        self._curves.setdefault(trial_id, {})[level] = self._sign * value
        self._data_version += 1

    def _level(self, result: dict[str, Any]) -> int | None:
        if self.resource_attr is None:
            return self.levels[-1]  # used without a scheduler: one fidelity
        level = finite_or_none(result.get(self.resource_attr))
        return None if level is None else int(level)

    def remove_case(self, trial_id: int, **kwargs: Any) -> None:
        level = self._level(kwargs)
        curve = self._curves.get(trial_id)
        if curve is not None and level in curve:
            del curve[level]
            self._data_version += 1

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any] | None:
        config = super().suggest(trial_id, **kwargs)
        if config is not None:
            self._started += 1
        return config

    # -- decisions -----------------------------------------------------------------------------
    def _num_observations(self) -> int:
        return sum(len(curve) for curve in self._curves.values())

    def _model_ready(self) -> bool:
        return self._started >= self.num_init_random and self._num_observations() >= 2

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        """A new configuration for ``suggest``: the best of the random candidates."""
        new = self._candidates(self.num_init_candidates)
        if len(new) == 0:
            return None
        scores = self._scores([], new, self.levels[0])
        return None if scores is None else new[int(np.argmax(scores))]

    def choose(self, trial_id: int, paused: list[Any], min_resource: int) -> Any:
        """``RungChooser.choose`` for ``HyperbandScheduler(type="dyhpo")``."""
        from synetune_plugin_hyperband.rung_types import Choice

        scores = None
        if not self.points_to_evaluate and self._model_ready():
            new = self._candidates(max(self.num_init_candidates, len(paused)))
            scores = self._scores(paused, new, min_resource)
        if scores is None:  # initial phase, or the model failed: points, then random
            config = self.suggest(trial_id)
            if config is None:
                return None
            self.schedule_records["started"] += 1
            return Choice(config=config)
        if len(scores) == 0:
            return None
        best = int(np.argmax(scores))
        self._last_new = best >= len(paused)
        if best < len(paused):
            self.schedule_records["promoted_by_dyhpo"] += 1
            return Choice(resume=paused[best].trial_id)
        row = new[best - len(paused)]
        self._claim(row[None, :])
        self._started += 1
        self.schedule_records["started_by_dyhpo"] += 1
        return Choice(config=self.encoder.decode(row[None, :])[0])

    def _candidates(self, n: int) -> np.ndarray:
        """Up to ``n`` random configurations (encoded) not suggested before."""
        exclude = self._exclude()
        if self._enumerated is not None:
            if self._enumerated_keys is None:
                from synetune_sdk.model_based import row_keys

                self._enumerated_keys = row_keys(self._enumerated)
            free = [i for i, k in enumerate(self._enumerated_keys) if k not in exclude]
            picks = self.random_state.permutation(len(free))[:n]
            return self._enumerated[[free[i] for i in picks]].reshape(-1, self.encoder.dim)
        rows = self.encoder.sample_encoded(n, self.random_state)
        keys = [self._key(row[None, :]) for row in rows]
        return rows[[k not in exclude for k in keys]]

    # -- the model -----------------------------------------------------------------------------
    def _curve(self, values: dict[int, float], below: int, shift: float, scale: float):
        curve = np.zeros((2, len(self.levels)))
        for j, level in enumerate(self.levels):
            if level < below and level in values:
                curve[0, j] = (values[level] - shift) / scale
                curve[1, j] = 1.0
        return curve

    def _training_data(self) -> tuple[dict[str, np.ndarray], float, float]:
        points = [(t, level) for t, curve in self._curves.items() for level in sorted(curve)]
        if len(points) > self.max_size_data_for_model:
            keep = self.random_state.choice(len(points), self.max_size_data_for_model, False)
            points = [points[i] for i in sorted(keep)]
        y = np.array([self._curves[t][level] for t, level in points])
        shift, scale = float(y.mean()), float(y.std()) or 1.0
        max_t = float(self.levels[-1])
        data = {
            "x": np.array([self._rows[t] for t, _ in points]).reshape(len(points), -1),
            "budget": np.array([level / max_t for _, level in points]),
            "curve": np.array([self._curve(self._curves[t], lv, shift, scale) for t, lv in points]),
            "y": (y - shift) / scale,
        }
        return data, shift, scale

    def _fit(self, data: dict[str, np.ndarray]) -> bool:
        m = self._torch_model
        fresh = self._net is None
        if fresh:
            seed = int(self.random_state.integers(2**31 - 1))
            self._net = m.make_model(self.encoder.dim, len(self.levels), seed)
        if self._data_version == self._fitted_version and not fresh:
            return True
        self._decisions_with_new_data += 1
        skip = (self._decisions_with_new_data - 1) % self.opt_skip_period or not self._last_new
        if not fresh and skip:
            self._fitted_version = self._data_version
            return True  # reuse the last fit; the posterior below uses the new data
        steps = self.num_fit_steps_initial if fresh else self.num_fit_steps
        ok = m.fit(self._net, self._fit_subset(data), steps, self.learning_rate)
        if not ok:
            logger.info("DyHPO: the deep-kernel GP fit broke down; fitting it again from scratch")
            self._net = None
            seed = int(self.random_state.integers(2**31 - 1))
            self._net = m.make_model(self.encoder.dim, len(self.levels), seed)
            ok = m.fit(
                self._net, self._fit_subset(data), self.num_fit_steps_initial, self.learning_rate
            )
        self._fitted_version = self._data_version
        if not ok:
            self._net = None
        return ok

    def _fit_subset(self, data: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """At most ``max_size_data_for_fit`` observations (seeded) for training: the cost of a
        step grows with the cube of the data size; the posterior still uses all data."""
        n = len(data["y"])
        if n <= self.max_size_data_for_fit:
            return data
        keep = np.sort(self.random_state.choice(n, self.max_size_data_for_fit, replace=False))
        return {k: v[keep] for k, v in data.items()}

    def _scores(self, paused: list[Any], new: np.ndarray, min_resource: int) -> np.ndarray | None:
        """EI of each paused trial at its next level, then of each new row at ``min_resource``."""
        m = self._torch_model
        if len(paused) + len(new) == 0:
            return np.zeros(0)
        data, shift, scale = self._training_data()
        with m.single_thread():
            if not self._fit(data):
                return None
            x = [
                self._rows[p.trial_id]
                if p.trial_id in self._rows
                else self.encoder.encode(p.config)[0]
                for p in paused
            ] + list(new)
            levels = [p.next_level for p in paused] + [min_resource] * len(new)
            curves = [
                self._curve(self._curves.get(p.trial_id, {}), p.next_level, shift, scale)
                for p in paused
            ] + [self._curve({}, 0, shift, scale)] * len(new)
            max_t = float(self.levels[-1])
            query = {
                "x": np.array(x).reshape(len(x), -1),
                "budget": np.array(levels) / max_t,
                "curve": np.array(curves),
            }
            try:
                mean, std, fitted = m.predict(self._net, data, query)
            except Exception:  # noqa: BLE001 - a broken posterior falls back to random
                logger.info("DyHPO: the GP posterior failed; starting a random configuration")
                self._net = None
                return None
        # incumbent per level: the lowest posterior mean at the points observed there, else over
        # all points (Syne Tune's current_best): the raw minimum would be the luckiest noisy
        # observation, and EI would then favour trials whose curves ride on the same luck
        best_at = {b: float(fitted[data["budget"] == b].min()) for b in set(data["budget"])}
        overall = float(fitted.min())
        best = np.array([best_at.get(level / max_t, overall) for level in levels])
        return m.expected_improvement(mean, std, best)
