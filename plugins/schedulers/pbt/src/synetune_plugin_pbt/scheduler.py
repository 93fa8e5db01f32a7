"""Population Based Training (Jaderberg et al., 2017), after Syne Tune's ``PopulationBasedTraining``.

A population of trials trains side by side. Each time a trial has used another
``perturbation_interval`` of resource, it is ranked against the population: a trial in the
bottom ``quantile_fraction`` is paused and replaced by a new trial that starts from a copy of
the checkpoint of a top trial (exploit) with a mutated copy of its configuration (explore).
Training scripts must checkpoint (``st_checkpoint_dir``) for the copy to carry anything over.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from synetune_sdk import Scheduler, SchedulerDecision, Trial, TrialSuggestion
from synetune_sdk.config_space import (
    Categorical,
    Domain,
    FiniteRange,
    Float,
    Integer,
    make_random_state,
    validate_config_space,
)


@dataclass
class MemberState:
    """What PBT knows about one trial of the population."""

    trial: Trial
    score: float | None = None  # last reported metric, lower is better (negated for mode "max")
    resource: float | None = None  # last reported resource
    last_perturbation: float = 0.0  # resource at which the trial was last ranked
    inherited_resource: float | None = None  # resource of the checkpoint a clone started from


@dataclass
class Exploit:
    """A pending replacement: start ``config`` from the checkpoint of ``source_trial_id``."""

    source_trial_id: int
    config: dict[str, Any]
    source_resource: float | None


class PopulationBasedTraining(Scheduler):
    """Exploit and explore over a population of ``population_size`` trials.

    The first trials come from ``searcher`` (a name resolved through the searchers registry, or
    an instance). When a trial reaches ``last_perturbation + perturbation_interval`` of
    ``resource_attr``, it is ranked by its last ``metric`` among the running trials: if it is in
    the bottom ``quantile_fraction``, it is paused and the next ``suggest`` starts a new trial
    from the checkpoint of a random trial of the top ``quantile_fraction`` with an explored copy
    of that trial's config: each hyperparameter is resampled with ``resample_probability``,
    otherwise a number is multiplied by 0.8 or 1.2 (clipped to its domain) and a categorical
    value moves to a neighbouring category. ``custom_explore_fn(config) -> config`` replaces
    that. A trial whose resource reaches ``max_t`` (or its config's ``max_resource_attr``
    value) is stopped. The first ``population_size`` suggestions come from the searcher; after
    that a free worker starts the oldest pending replacement, or else a new config from the
    searcher (after a trial stopped at ``max_t``, completed or failed). A replacement whose source
    left the population before a worker was free clones a current top trial instead: the
    source's checkpoint would have nothing left to train.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        resource_attr: str = "time_total_s",
        max_t: float | None = 100,
        population_size: int = 4,
        perturbation_interval: float = 60.0,
        quantile_fraction: float = 0.25,
        resample_probability: float = 0.25,
        custom_explore_fn: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        searcher: Any = "random",
        search_options: dict[str, Any] | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        max_resource_attr: str | None = None,
    ):
        validate_config_space(config_space)
        if not isinstance(metric, str) or not metric:
            raise ValueError(f"metric must be the name of one reported metric, got {metric!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if population_size < 1:
            raise ValueError(f"population_size must be at least 1, got {population_size}")
        if not perturbation_interval > 0:
            raise ValueError(f"perturbation_interval must be positive, got {perturbation_interval}")
        if not 0 < quantile_fraction <= 0.5:
            raise ValueError(f"quantile_fraction must be in (0, 0.5], got {quantile_fraction}")
        if not 0 <= resample_probability <= 1:
            raise ValueError(f"resample_probability must be in [0, 1], got {resample_probability}")
        if custom_explore_fn is not None and not callable(custom_explore_fn):
            raise ValueError("custom_explore_fn must be a function config -> config")
        if max_resource_attr is not None and max_resource_attr not in config_space:
            raise ValueError(
                f"max_resource_attr={max_resource_attr!r} is not a key of config_space; it names "
                "the config entry holding the maximum resource (e.g. 'epochs')"
            )
        if max_t is None and max_resource_attr is None:
            raise ValueError("pass max_t or max_resource_attr: trials must stop somewhere")
        if max_t is not None and not max_t > 0:
            raise ValueError(f"max_t must be positive, got {max_t}")
        super().__init__(config_space)
        self.metric = metric
        self.mode = mode
        self.resource_attr = resource_attr
        self.max_t = max_t
        self.max_resource_attr = max_resource_attr
        self.population_size = int(population_size)
        self.perturbation_interval = perturbation_interval
        self.quantile_fraction = quantile_fraction
        self.resample_probability = resample_probability
        self.custom_explore_fn = custom_explore_fn
        if random_seed is None:
            random_seed = int(make_random_state(None).integers(0, 2**31 - 1))
        self.random_seed = random_seed
        self.random_state = make_random_state(random_seed + 1)
        from synetune.plugin_api import make_searcher

        self.searcher = make_searcher(
            searcher,
            config_space=self.config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=points_to_evaluate,
            random_seed=random_seed,
            search_options=search_options,
        )
        self.searcher.configure_scheduler(self)
        self.num_searcher_suggestions = 0
        # the population: running trials only, so that ranking costs O(population size)
        self._members: dict[int, MemberState] = {}
        self._replaced: set[int] = set()  # paused by PBT, their place taken by a clone
        self._queue: deque[Exploit] = deque()
        self._pending: dict[int, Exploit] = {}  # trial id suggested -> replacement it carries

    # ---------------------------------------------------------------- starting trials
    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        while self._queue and self.num_searcher_suggestions >= self.population_size:
            exploit = self._current(self._queue.popleft())
            if exploit is None:
                continue
            self._pending[trial_id] = exploit
            return TrialSuggestion.start_suggestion(
                exploit.config, checkpoint_trial_id=exploit.source_trial_id
            )
        config = self.searcher.suggest(trial_id)
        if config is None:
            return None
        self.num_searcher_suggestions += 1
        return TrialSuggestion.start_suggestion(config)

    def on_trial_add(self, trial: Trial) -> None:
        state = MemberState(trial=trial)
        exploit = self._pending.pop(trial.trial_id, None)
        if exploit is not None:
            state.inherited_resource = exploit.source_resource
        self._members[trial.trial_id] = state

    # ---------------------------------------------------------------- results
    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        for key, arg in ((self.metric, "metric"), (self.resource_attr, "resource_attr")):
            if key not in result:
                raise ValueError(
                    f"result of trial {trial.trial_id} has no {key!r} ({arg} of "
                    f"PopulationBasedTraining); it reported {sorted(result)}. Report it from the "
                    f"training script or fix {arg}."
                )
        if trial.trial_id in self._replaced:  # a late result does not revive it
            return SchedulerDecision.PAUSE
        state = self._members.get(trial.trial_id)
        if state is None:  # a trial PBT did not see start (e.g. restored by the tuner)
            state = self._members[trial.trial_id] = MemberState(trial=trial)
        resource = float(result[self.resource_attr])
        score = float(result[self.metric])
        score = -score if self.mode == "max" else score
        state.score = math.inf if math.isnan(score) else score
        if state.resource is None and state.inherited_resource is not None:
            # a clone is next ranked one interval after the checkpoint it copied, if its resource
            # carries on from the checkpoint; if the script restarted its count, after one of its own
            if resource >= state.inherited_resource:
                state.last_perturbation = state.inherited_resource
        state.resource = resource
        self.searcher.on_trial_result(trial.trial_id, trial.config, result, update=False)
        if resource >= self._max_resource(trial):
            del self._members[trial.trial_id]
            return SchedulerDecision.STOP
        if resource - state.last_perturbation < self.perturbation_interval:
            return SchedulerDecision.CONTINUE
        state.last_perturbation = resource
        bottom, top = self._quantiles()
        if trial.trial_id not in bottom:
            return SchedulerDecision.CONTINUE
        self._queue.append(self._exploit(top))
        del self._members[trial.trial_id]
        self._replaced.add(trial.trial_id)
        return SchedulerDecision.PAUSE

    def _exploit(self, top: list[int]) -> Exploit:
        """Clone a random trial of ``top`` with an explored config."""
        source = self._members[top[int(self.random_state.integers(len(top)))]]
        config = self.explore(dict(source.trial.config))
        return Exploit(source.trial.trial_id, config, source.resource)

    def _current(self, exploit: Exploit) -> Exploit | None:
        """``exploit`` as it can start now. A source that left the population meanwhile (it
        reached its last resource level, or failed) has a checkpoint with nothing left to train:
        another top trial is cloned instead (None if there is none)."""
        source = self._members.get(exploit.source_trial_id)
        if source is not None:
            exploit.source_resource = source.resource  # its checkpoint is this far by now
            return exploit
        top = self._quantiles()[1]
        return self._exploit(top) if top else None

    def _max_resource(self, trial: Trial) -> float:
        if self.max_resource_attr is not None and self.max_resource_attr in trial.config:
            return float(trial.config[self.max_resource_attr])
        return float(self.max_t) if self.max_t is not None else math.inf

    def _quantiles(self) -> tuple[list[int], list[int]]:
        """Trial ids of the bottom and the top quantile of the running, ranked population."""
        ranked = sorted(
            (state.score, trial_id)
            for trial_id, state in self._members.items()
            if state.score is not None
        )
        if len(ranked) <= 1:
            return [], []
        size = min(math.ceil(len(ranked) * self.quantile_fraction), len(ranked) // 2)
        ids = [trial_id for _, trial_id in ranked]
        return ids[-size:], ids[:size]

    # ---------------------------------------------------------------- explore
    def explore(self, config: dict[str, Any]) -> dict[str, Any]:
        """A mutated copy of ``config`` (``custom_explore_fn`` if given)."""
        if self.custom_explore_fn is not None:
            return {**config, **self.custom_explore_fn(dict(config))}
        rng = self.random_state
        new_config = dict(config)
        for name, domain in self.config_space.items():
            if not isinstance(domain, Domain):
                continue
            value = config.get(name)
            if rng.random() < self.resample_probability or value is None:
                new_config[name] = domain.sample(rng)
            elif isinstance(domain, Categorical | FiniteRange):
                new_config[name] = self._neighbour(domain, value)
            elif isinstance(domain, Float | Integer):
                new_config[name] = self._perturb(domain, value)
            else:  # a domain PBT does not know how to perturb
                new_config[name] = domain.sample(rng)
        return new_config

    def _neighbour(self, domain: Categorical | FiniteRange, value: Any) -> Any:
        values = domain.categories if isinstance(domain, Categorical) else domain.values
        try:
            index = values.index(value)
        except ValueError:
            return domain.sample(self.random_state)
        shift = 1 if self.random_state.random() < 0.5 else -1
        return values[min(max(index + shift, 0), len(values) - 1)]

    def _perturb(self, domain: Float | Integer, value: float) -> float | int:
        factor = 1.2 if self.random_state.random() < 0.5 else 0.8
        new_value = value * factor
        if isinstance(domain, Integer):
            new_value = int(round(new_value))
            if new_value == value:  # small integers would never move under the factor
                new_value += 1 if factor > 1 else -1
        return min(max(new_value, domain.lower), domain.upper)

    # ---------------------------------------------------------------- ends of trials
    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self._leave(trial)
        self.searcher.on_trial_complete(trial.trial_id, trial.config, result)

    def on_trial_error(self, trial: Trial) -> None:
        self._leave(trial)
        self.searcher.on_trial_error(trial.trial_id)

    def on_trial_remove(self, trial: Trial) -> None:
        self._leave(trial)

    def _leave(self, trial: Trial) -> None:
        self._members.pop(trial.trial_id, None)

    def metric_names(self) -> list[str]:
        return [self.metric]

    def metric_mode(self) -> str:
        return self.mode

    def metadata(self) -> dict[str, Any]:
        return {**super().metadata(), "population_size": self.population_size}
