"""RayTuneScheduler: a Ray Tune searcher and/or trial scheduler used as a synetune scheduler.

Syne Tune's ``RayTuneScheduler``, so a Ray Tune user keeps the algorithm and gains synetune's
backends and results. Ray's schedulers expect Ray's ``TuneController`` and ``Trial`` objects;
as Syne Tune did, the adapter hands them small stand-ins (``RayTrialStub``: ``trial_id``,
``config``, ``status``, ``last_result``; ``_TrialTable``: ``get_trials``, ``get_live_trials``)
and calls the hooks in the order Ray's controller does:

* result: ``scheduler.on_trial_result``; then ``searcher.on_trial_result`` unless the decision
  is STOP, in which case ``scheduler.on_trial_complete`` and ``searcher.on_trial_complete``
  with that result (Ray stops a running trial that way);
* script exited: ``on_trial_complete`` of both; failure: ``scheduler.on_trial_error`` and
  ``searcher.on_trial_complete(error=True)``.

Supported Ray schedulers: ``FIFOScheduler``, ``AsyncHyperBandScheduler`` / ``ASHAScheduler``,
``MedianStoppingRule``, and others that only use these. Not supported (they need Ray's own
trial runner: they exploit checkpoints or pause synchronously): ``HyperBandScheduler``,
``HyperBandForBOHB``, ``PopulationBasedTraining``, ``PB2``, ``ResourceChangingScheduler``.
Trials a Ray scheduler pauses are resumed, through its ``choose_trial_to_run``, once the
searcher has no new configuration: Ray Tune also runs pending trials before paused ones.

Ray results get Ray's automatic keys when the training script does not report them:
``training_iteration`` (1, 2, ... per trial, the default ``time_attr`` of Ray's schedulers),
``time_total_s`` (``st_worker_time``) and ``trial_id``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from synetune_sdk.config_space import (
    Categorical,
    Domain,
    FiniteRange,
    Float,
    Integer,
    cast_config,
    config_space_to_json,
    impute_points_to_evaluate,
    validate_config_space,
)
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.trial import SchedulerDecision, Trial, TrialSuggestion

# Ray Trial status strings (ray.tune.experiment.Trial)
PENDING, RUNNING, PAUSED, TERMINATED, ERROR = "PENDING", "RUNNING", "PAUSED", "TERMINATED", "ERROR"
UNSUPPORTED_SCHEDULERS = (
    "HyperBandScheduler",
    "HyperBandForBOHB",
    "PopulationBasedTraining",
    "PopulationBasedTrainingReplay",
    "PB2",
    "ResourceChangingScheduler",
)
_DECISIONS = {
    "CONTINUE": SchedulerDecision.CONTINUE,
    "PAUSE": SchedulerDecision.PAUSE,
    "STOP": SchedulerDecision.STOP,
}


@dataclass(eq=False)
class RayTrialStub:
    """What Ray's schedulers read of a ``ray.tune.experiment.Trial`` (hashed by identity)."""

    trial_id: str
    config: dict[str, Any]
    status: str = RUNNING
    last_result: dict[str, Any] = field(default_factory=dict)
    num_results: int = 0
    start_time: float = field(default_factory=time.time)

    def __str__(self) -> str:
        return self.trial_id


class _TrialTable:
    """Stands in for Ray's ``TuneController`` towards a scheduler: the trials and their status."""

    def __init__(self) -> None:
        self.trials: dict[int, RayTrialStub] = {}

    def get_trials(self) -> list[RayTrialStub]:
        return list(self.trials.values())

    def get_live_trials(self) -> list[RayTrialStub]:
        return [t for t in self.trials.values() if t.status in (PENDING, RUNNING, PAUSED)]


class RayTuneScheduler(Scheduler):
    """Run a Ray Tune ``Searcher`` and/or ``TrialScheduler`` on synetune's tuner and backends.

    Args:
        config_space: synetune config space; it is converted to Ray Tune domains for
            ``ray_searcher`` (``randint``'s inclusive upper bound becomes Ray's exclusive one).
        metric, mode: the metric and direction; may be left out if the Ray objects carry them
            (they must agree when both are given).
        ray_scheduler: a Ray Tune trial scheduler (``ASHAScheduler(time_attr="epoch",
            max_t=..)``, ``MedianStoppingRule(...)``); None runs every trial to its end.
        ray_searcher: a Ray Tune searcher (``OptunaSearch()``, ``HyperOptSearch()``, ...). Its
            search space is set from ``config_space`` unless it has one already. None: the
            synetune searcher named by ``searcher``.
        searcher, search_options: a registered synetune searcher (default ``"random"``) and its
            extra arguments, used when ``ray_searcher`` is None.
        points_to_evaluate: configurations to run first. With ``ray_searcher`` the adapter runs
            them and then tells the searcher their outcome with ``add_evaluated_point`` where
            it supports that.
        random_seed: seed of the synetune searcher.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str | None = None,
        mode: str | None = None,
        ray_scheduler: Any = None,
        ray_searcher: Any = None,
        searcher: str | Any = "random",
        search_options: dict[str, Any] | None = None,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
    ):
        validate_config_space(config_space)
        super().__init__(config_space)
        if ray_scheduler is not None:
            name = type(ray_scheduler).__name__
            if name in UNSUPPORTED_SCHEDULERS:
                raise ValueError(
                    f"ray_scheduler {name} needs Ray Tune's own trial runner and cannot run under "
                    "synetune; use ASHAScheduler / AsyncHyperBandScheduler, MedianStoppingRule or "
                    "FIFOScheduler, or synetune's own schedulers ('hyperband', 'pbt', ...)"
                )
            if not callable(getattr(ray_scheduler, "on_trial_result", None)):
                raise TypeError(
                    f"ray_scheduler must be a ray.tune.schedulers.TrialScheduler, got {name}"
                )
        else:
            from ray.tune.schedulers import FIFOScheduler

            ray_scheduler = FIFOScheduler()
        if ray_searcher is not None and not callable(getattr(ray_searcher, "suggest", None)):
            raise TypeError(
                "ray_searcher must be a ray.tune.search.Searcher, got "
                f"{type(ray_searcher).__name__}"
            )
        self.metric, self.mode = _metric_and_mode(metric, mode, ray_scheduler, ray_searcher)
        self.ray_scheduler = ray_scheduler
        self.ray_scheduler.set_search_properties(self.metric, self.mode)
        self.ray_searcher = ray_searcher
        self.random_seed = random_seed
        self._table = _TrialTable()
        self._searched: set[int] = set()  # trials whose config came from ray_searcher
        if ray_searcher is not None:
            self.searcher = None
            self.searcher_name = type(ray_searcher).__name__
            self._points = impute_points_to_evaluate(points_to_evaluate or [], self.config_space)
            ray_searcher.set_search_properties(
                self.metric, self.mode, to_ray_config_space(self.config_space)
            )
        else:
            self._points = []
            self.searcher_name = searcher if isinstance(searcher, str) else type(searcher).__name__
            from synetune.plugin_api import make_searcher

            self.searcher = make_searcher(
                searcher,
                config_space=self.config_space,
                metric=self.metric,
                mode=self.mode,
                points_to_evaluate=points_to_evaluate,
                random_seed=random_seed,
                search_options=search_options,
            )
            self.searcher.configure_scheduler(self)

    # ----------------------------------------------------------------- what to run
    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        config = self._new_config(trial_id)
        if config is not None:
            return TrialSuggestion.start_suggestion(config)
        chosen = self.ray_scheduler.choose_trial_to_run(self._table)
        if chosen is not None and chosen.status == PAUSED:
            chosen.status = RUNNING
            return TrialSuggestion.resume_suggestion(int(chosen.trial_id))
        return None

    def _new_config(self, trial_id: int) -> dict[str, Any] | None:
        if self._points:
            return self._points.pop(0)
        if self.searcher is not None:
            config = self.searcher.suggest(trial_id)
            if config is None:
                return None
            config = self._complete(config)
            self.searcher.register_pending(trial_id, config)
            return config
        config = self.ray_searcher.suggest(str(trial_id))
        if config is None or config == "FINISHED":
            return None
        self._searched.add(trial_id)
        return self._complete(from_ray_config(config, self.config_space))

    def _complete(self, config: dict[str, Any]) -> dict[str, Any]:
        """Cast values to their domains and add the constants of the config space."""
        config = cast_config(config, self.config_space)
        out = {name: config.get(name, value) for name, value in self.config_space.items()}
        out.update({k: v for k, v in config.items() if k not in out})
        return out

    # ----------------------------------------------------------------- what happened
    def on_trial_add(self, trial: Trial) -> None:
        stub = RayTrialStub(str(trial.trial_id), dict(trial.config))
        self._table.trials[trial.trial_id] = stub
        self.ray_scheduler.on_trial_add(self._table, stub)

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        stub = self._stub(trial)
        if stub.status == PAUSED:  # resumed by the tuner, not through suggest
            stub.status = RUNNING
        ray_result = self._to_ray_result(stub, result)
        stub.last_result = ray_result
        decision = self.ray_scheduler.on_trial_result(self._table, stub, ray_result)
        if decision not in _DECISIONS:
            raise ValueError(
                f"ray_scheduler {type(self.ray_scheduler).__name__} answered {decision!r}; only "
                "CONTINUE, PAUSE and STOP work outside Ray Tune's trial runner"
            )
        if decision == "STOP":
            self._complete_trial(trial, stub, ray_result)
        else:
            if decision == "PAUSE":
                stub.status = PAUSED
            self._searcher_result(trial, ray_result)
        return _DECISIONS[decision]

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        stub = self._stub(trial)
        if stub.status in (TERMINATED, ERROR):
            return
        self._complete_trial(trial, stub, stub.last_result or self._to_ray_result(stub, result))

    def on_trial_error(self, trial: Trial) -> None:
        stub = self._stub(trial)
        if stub.status in (TERMINATED, ERROR):
            return
        stub.status = ERROR
        self.ray_scheduler.on_trial_error(self._table, stub)
        if self.searcher is not None:
            self.searcher.on_trial_error(trial.trial_id)
        elif trial.trial_id in self._searched:
            self.ray_searcher.on_trial_complete(stub.trial_id, error=True)

    def on_trial_remove(self, trial: Trial) -> None:
        stub = self._stub(trial)
        if stub.status == RUNNING:
            # stopped from outside the Ray scheduler: Ray ends a running trial like this
            self._complete_trial(trial, stub, stub.last_result)

    def _complete_trial(self, trial: Trial, stub: RayTrialStub, ray_result: dict[str, Any]) -> None:
        stub.status = TERMINATED
        if ray_result:
            self.ray_scheduler.on_trial_complete(self._table, stub, ray_result)
        else:
            self.ray_scheduler.on_trial_remove(self._table, stub)
        if self.searcher is not None:
            if ray_result:
                self.searcher.on_trial_complete(trial.trial_id, trial.config, ray_result)
            else:
                self.searcher.evaluation_failed(trial.trial_id)
        elif trial.trial_id in self._searched:
            self.ray_searcher.on_trial_complete(stub.trial_id, result=ray_result or None)
        elif ray_result and self.metric in ray_result:
            self._add_evaluated_point(trial, ray_result)

    def _searcher_result(self, trial: Trial, ray_result: dict[str, Any]) -> None:
        if self.searcher is not None:
            self.searcher.on_trial_result(trial.trial_id, trial.config, ray_result, update=False)
        elif trial.trial_id in self._searched:
            self.ray_searcher.on_trial_result(str(trial.trial_id), ray_result)

    def _add_evaluated_point(self, trial: Trial, ray_result: dict[str, Any]) -> None:
        """Tell the Ray searcher the outcome of a point of ``points_to_evaluate``."""
        parameters = {
            k: v for k, v in trial.config.items() if isinstance(self.config_space.get(k), Domain)
        }
        try:
            self.ray_searcher.add_evaluated_point(parameters, ray_result[self.metric])
        except NotImplementedError:
            pass

    def _stub(self, trial: Trial) -> RayTrialStub:
        stub = self._table.trials.get(trial.trial_id)
        if stub is None:  # the tuner did not call on_trial_add (e.g. resumed experiment)
            stub = RayTrialStub(str(trial.trial_id), dict(trial.config))
            self._table.trials[trial.trial_id] = stub
            self.ray_scheduler.on_trial_add(self._table, stub)
        return stub

    @staticmethod
    def _to_ray_result(stub: RayTrialStub, result: dict[str, Any]) -> dict[str, Any]:
        stub.num_results += 1
        out = dict(result)
        out.setdefault("training_iteration", stub.num_results)
        out.setdefault("time_total_s", result.get("st_worker_time", time.time() - stub.start_time))
        out.setdefault("trial_id", stub.trial_id)
        return out

    # ----------------------------------------------------------------- description
    def metric_names(self) -> list[str]:
        return [self.metric]

    def metric_mode(self) -> str:
        return self.mode

    def metadata(self) -> dict[str, Any]:
        out = super().metadata()
        out.update(
            config_space=config_space_to_json(self.config_space),
            ray_scheduler=type(self.ray_scheduler).__name__,
            searcher=self.searcher_name,
            random_seed=self.random_seed,
        )
        return out


def _metric_and_mode(
    metric: str | None, mode: str | None, ray_scheduler: Any, ray_searcher: Any
) -> tuple[str, str]:
    """The metric and mode, from the arguments or the Ray objects; they must agree."""
    found: dict[str, set[str]] = {"metric": set(), "mode": set()}
    for obj in (ray_scheduler, ray_searcher):
        if obj is None:
            continue
        for key in found:
            value = getattr(obj, f"_{key}", None)
            if isinstance(value, str) and value and value != "_metric":
                found[key].add(value)
    for key, given in (("metric", metric), ("mode", mode)):
        if given is not None:
            others = found[key] - {given}
            if others:
                raise ValueError(
                    f"{key}={given!r} but the Ray scheduler/searcher was built with {key} "
                    f"{sorted(others)}: pass the same {key} everywhere, or leave one out"
                )
            found[key] = {given}
        elif len(found[key]) > 1:
            raise ValueError(
                f"the Ray scheduler and searcher disagree on {key}: {sorted(found[key])}"
            )
    if not found["metric"] or not found["mode"]:
        raise ValueError(
            "RayTuneScheduler needs metric and mode: pass metric= and mode= ('min' or 'max'), "
            "or build the Ray scheduler or searcher with them"
        )
    metric, mode = found["metric"].pop(), found["mode"].pop()
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
    return metric, mode


def to_ray_config_space(config_space: dict[str, Any]) -> dict[str, Any]:
    """Ray Tune domains for the hyperparameters of ``config_space`` (constants are left out)."""
    from ray import tune

    out: dict[str, Any] = {}
    for name, domain in config_space.items():
        if isinstance(domain, Float):
            sample = tune.loguniform if domain.log else tune.uniform
            out[name] = sample(domain.lower, domain.upper)
        elif isinstance(domain, Integer):
            # synetune's upper bound is inclusive, Ray's is exclusive
            sample = tune.lograndint if domain.log else tune.randint
            out[name] = sample(domain.lower, domain.upper + 1)
        elif isinstance(domain, Categorical):
            out[name] = tune.choice(list(domain.categories))
        elif isinstance(domain, FiniteRange):
            out[name] = tune.choice(list(domain.values))
        elif isinstance(domain, Domain):
            raise ValueError(
                f"hyperparameter {name!r}: {type(domain).__name__} has no Ray Tune counterpart"
            )
    return out


def from_ray_config(config: dict[str, Any], config_space: dict[str, Any]) -> dict[str, Any]:
    """A Ray searcher's suggestion as plain Python values (numpy scalars become numbers)."""
    out = {}
    for name, value in config.items():
        item = getattr(value, "item", None)
        out[name] = item() if callable(item) else value
    missing = [k for k, d in config_space.items() if isinstance(d, Domain) and k not in out]
    if missing:
        raise ValueError(
            f"the Ray searcher suggested {config!r}, which lacks {missing}: give it a search "
            "space with every hyperparameter of config_space, or let the adapter set it"
        )
    return out
