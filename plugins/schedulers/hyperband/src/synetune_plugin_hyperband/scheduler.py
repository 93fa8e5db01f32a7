"""Asynchronous Hyperband (Syne Tune's ``HyperbandScheduler``): ASHA stopping, promotion, PASHA.

Trials report a resource level (``resource_attr``, e.g. the epoch) with every result. At the rung
levels the scheduler compares a trial with all earlier trials that reached the same level:

* ``type="stopping"``: the trial goes on iff its value is within the top ``q`` quantile of the
  values recorded at the rung (``numpy.quantile``, linear), else it is stopped.
* ``type="promotion"``: the trial pauses at every rung; a free worker first resumes the best paused
  trial (highest rung first) that lies within the top ``q`` quantile and was not promoted from
  that rung yet, and only otherwise starts a new configuration.
* ``type="pasha"``: promotion, with promotions into higher rungs opened progressively (see
  ``pasha.py``).
* ``type="cost_promotion"``, ``"rush_stopping"``, ``"rush_promotion"``: see ``rung_types.py``;
  a type another plugin supplies (``"dyhpo"``) is decided by its searcher (``RungChooser``).

``q`` is Syne Tune's ``level / next level`` (``1 / reduction_factor`` for geometric rungs).
Decisions equal Syne Tune 0.13's for the same results, with the differences listed in the README
(mainly: a result at ``max_t`` is answered CONTINUE, since the script ends by itself).
"""

from __future__ import annotations

import bisect
import logging
import math
from dataclasses import dataclass
from typing import Any

from synetune_plugin_hyperband.base import CONTINUE, PAUSE, STOP, MultiFidelityScheduler
from synetune_plugin_hyperband.common import (
    check_early_removal,
    check_positive_int,
    complete_config,
    draw_seed,
    read_result,
    rung_levels_for,
)
from synetune_plugin_hyperband.pasha import PashaState
from synetune_plugin_hyperband.rung_types import (
    BUILT_IN,
    STOPPING_TYPES,
    Choice,
    PausedTrial,
    RushThresholds,
    attach_type_searcher,
    check_rung_system_kwargs,
    read_cost,
    rush_promotable,
)
from synetune_plugin_hyperband.rungs import Rung, bracket_distribution, promotion_quantiles
from synetune_sdk.config_space import make_random_state
from synetune_sdk.max_resource import infer_max_t
from synetune_sdk.scheduler import PauseResumeScheduler
from synetune_sdk.trial import Trial, TrialSuggestion

logger = logging.getLogger(__name__)

TYPES = BUILT_IN
SEARCHER_DATA = ("rungs", "all", "rungs_and_last")

_ARGUMENTS = (
    "config_space, metric, mode, resource_attr, max_resource_attr, max_t, grace_period, "
    "reduction_factor, rung_increment, rung_levels, brackets, type, searcher, search_options, "
    "searcher_data, points_to_evaluate, random_seed, early_checkpoint_removal_kwargs, "
    "cost_attr, rung_system_kwargs"
)


@dataclass
class TrialRecord:
    """What the scheduler remembers about a trial (running, paused or finished)."""

    config: dict[str, Any]
    bracket: int
    milestone: int  # next rung level (or max_t) the running trial heads to
    decision: str = CONTINUE  # last decision; anything but CONTINUE: results are ignored
    resume_from: int | None = None  # rung level it was last resumed from
    last_resource: int | None = None  # within the current run, to catch levels going backwards
    largest_update: int | None = None  # largest resource the searcher learned from
    last_reported: tuple[float, int] | None = None  # for searcher_data="rungs_and_last"
    keep_case: bool = False  # last_reported fell on a rung level: the searcher keeps it
    paused_rung: int | None = None  # rung index where it waits to be promoted


class HyperbandScheduler(MultiFidelityScheduler, PauseResumeScheduler):
    """Asynchronous successive halving / Hyperband with stopping, promotion or PASHA rungs.

    ``max_t`` comes from ``config_space[max_resource_attr]``, else from ``max_t``, else from the
    constants ``epochs``, ``max_t``, ``max_epochs`` of the config space. Rung levels are
    ``rung_levels`` if given, else ``grace_period * reduction_factor**k`` (``reduction_factor``
    defaults to 3 unless ``rung_increment`` is given), else ``grace_period + k * rung_increment``,
    all below ``max_t``. With ``brackets > 1`` every new trial draws a bracket ``b`` (seeded, with
    Syne Tune's default distribution) and competes only from rung ``b`` upwards.

    For ``type="promotion"``/``"pasha"`` the configuration handed to a trial holds
    ``config[max_resource_attr] = max_t`` (when ``max_resource_attr`` is set) and the scheduler
    answers PAUSE at rung levels; a resumed trial goes on from its checkpoint (results at levels
    it already reported are tolerated and not recorded again).

    It implements ``synetune_sdk.scheduler.PauseResumeScheduler`` (``does_pause_resume``,
    ``paused_trials``, ``rung_information``), the protocol the checkpoint-removal callbacks rely
    on. With ``early_checkpoint_removal_kwargs`` (promotion types only), ``default_callbacks()``
    gives the tuner the ``hyperband_checkpoint_removal`` callback built with them.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_resource_attr: str | None = None,
        max_t: int | None = None,
        grace_period: int = 1,
        reduction_factor: float | None = None,
        rung_increment: int | None = None,
        rung_levels: list[int] | None = None,
        brackets: int = 1,
        type: str = "stopping",  # noqa: A002 - Syne Tune's argument name
        searcher: str | Any | None = None,
        search_options: dict[str, Any] | None = None,
        searcher_data: str = "rungs",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        early_checkpoint_removal_kwargs: dict[str, Any] | None = None,
        cost_attr: str | None = None,
        rung_system_kwargs: dict[str, Any] | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            config_space, metric, mode, resource_attr, max_resource_attr, kwargs, _ARGUMENTS
        )
        if not isinstance(type, str) or not type:
            raise ValueError(f"type must be one of {list(TYPES)} or a plugin's type, got {type!r}")
        if type == "cost_promotion" and not (isinstance(cost_attr, str) and cost_attr):
            raise ValueError(
                "type='cost_promotion' needs cost_attr, the name of the reported cost (e.g. "
                "cost_attr='elapsed_time')"
            )
        if searcher is None:  # a plugin's type comes with its searcher of the same name
            searcher = "random" if type in TYPES else type
        self.cost_attr = cost_attr
        self.rung_system_kwargs = check_rung_system_kwargs(
            rung_system_kwargs, type, points_to_evaluate
        )
        if searcher_data not in SEARCHER_DATA:
            raise ValueError(
                f"searcher_data must be one of {list(SEARCHER_DATA)}, got {searcher_data!r}"
            )
        if not isinstance(resource_attr, str) or not resource_attr:
            raise ValueError(
                f"resource_attr must be the name of the reported resource, got {resource_attr!r}"
            )
        self.type = type
        self.early_checkpoint_removal_kwargs = check_early_removal(
            early_checkpoint_removal_kwargs, type
        )
        self.searcher_data = searcher_data
        self.max_t = infer_max_t(self.config_space, max_resource_attr, max_t)
        if reduction_factor is None and rung_increment is None:
            reduction_factor = 3
        self.reduction_factor = reduction_factor
        self.rung_increment = rung_increment
        self.grace_period = grace_period
        self.rung_levels = rung_levels_for(
            self.max_t, grace_period, reduction_factor, rung_increment, rung_levels
        )
        self.num_brackets = min(check_positive_int("brackets", brackets), len(self.rung_levels) + 1)
        self.bracket_distribution = bracket_distribution(
            self.rung_levels, self.max_t, self.num_brackets
        )
        self.random_seed = draw_seed(random_seed)
        self._random_state = make_random_state([self.random_seed, 1])
        self._sign = 1 if mode == "min" else -1
        self._level_index = {level: i for i, level in enumerate(self.rung_levels)}
        self._rungs = [
            Rung(level, q, self._sign, keep_order=type in ("pasha", "cost_promotion"))
            for level, q in zip(self.rung_levels, promotion_quantiles(self.rung_levels, self.max_t))
        ]
        self._pasha = (
            PashaState(self.rung_levels, self.max_t, self._sign) if type == "pasha" else None
        )
        self._trials: dict[int, TrialRecord] = {}
        self._seq = 0
        self._rush = (
            RushThresholds(self.rung_system_kwargs["num_threshold_candidates"], self._sign)
            if type.startswith("rush_")
            else None
        )
        self._cost_offset: dict[int, float] = {}  # total cost up to the last pause, per trial
        self._chooser = None
        attach_type_searcher(self, searcher, search_options, points_to_evaluate)

    # -- properties a searcher or the tuner reads ---------------------------------------------
    def does_pause_resume(self) -> bool:
        """Whether trials are paused at rungs and resumed later (they should checkpoint)."""
        return self.type not in STOPPING_TYPES

    def default_callbacks(self) -> list[Any]:
        """Syne Tune's ``early_checkpoint_removal_kwargs``: the ``hyperband_checkpoint_removal``
        callback of synetune-plugin-checkpoint-removal (a declared dependency), built with them;
        none without them."""
        if not self.early_checkpoint_removal_kwargs:
            return []
        from synetune.plugin_api import create

        kwargs = self.early_checkpoint_removal_kwargs
        return [create("callbacks", "hyperband_checkpoint_removal", **kwargs)]

    def first_milestone(self, bracket: int) -> int:
        """The first rung level a new trial of ``bracket`` reaches (``max_t`` if none)."""
        return self.rung_levels[bracket] if bracket < len(self.rung_levels) else self.max_t

    def _next_level(self, rung_index: int) -> int:
        return (
            self.rung_levels[rung_index + 1]
            if rung_index + 1 < len(self.rung_levels)
            else self.max_t
        )

    def _effective_max_t(self) -> int:
        return self._pasha.current_max_t if self._pasha is not None else self.max_t

    # -- suggest ------------------------------------------------------------------------------
    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        if self._chooser is not None:
            return self._suggest_chosen(trial_id)
        if self.does_pause_resume():
            promoted = self._promote()
            if promoted is not None:
                return promoted
        bracket = self._sample_bracket() if self.num_brackets > 1 else 0
        milestone = self.first_milestone(bracket)
        config = self.searcher.suggest(trial_id, bracket=bracket, milestone=milestone)
        if config is None:
            return None
        return self._start(trial_id, config, bracket, milestone)

    def _suggest_chosen(self, trial_id: int) -> TrialSuggestion | None:
        """A plugin's rung type: with probability ``probability_sh`` the successive-halving rule
        promotes first (Syne Tune's DyHPO hybrid), else the searcher chooses."""
        if self._random_state.random() <= self.rung_system_kwargs["probability_sh"]:
            promoted = self._promote()
            if promoted is not None:
                return promoted
        paused = [
            PausedTrial(t, dict(self._trials[t].config), rung.level, self._next_level(i), v)
            for i, rung in enumerate(self._rungs)
            for t, _, v in rung.paused()
        ]
        choice = self._chooser.choose(trial_id, paused, self.first_milestone(0))
        if choice is None:
            return self._promote()
        if not isinstance(choice, Choice):
            raise TypeError(
                f"searcher {self.searcher_name!r}: choose() must return a Choice or None, got "
                f"{choice!r}"
            )
        if choice.config is not None:
            return self._start(trial_id, choice.config, 0, self.first_milestone(0))
        for index, rung in enumerate(self._rungs):
            if choice.resume in rung.candidate_key:
                return self._resume(index, choice.resume)
        raise ValueError(
            f"searcher {self.searcher_name!r} chose to resume trial {choice.resume}, which is not "
            f"paused; paused trials: {[p.trial_id for p in paused]}"
        )

    def _start(
        self, trial_id: int, config: dict[str, Any], bracket: int, milestone: int
    ) -> TrialSuggestion:
        config = complete_config(config, self.config_space, self.searcher_name)
        if self.max_resource_attr is not None and self.does_pause_resume():
            config[self.max_resource_attr] = self.max_t
        self._trials[trial_id] = TrialRecord(
            config=dict(config), bracket=bracket, milestone=milestone
        )
        self._register_pending(trial_id, config, 0, milestone)
        if self._rush is not None:
            self._rush.on_start(trial_id)
        return TrialSuggestion.start_suggestion(config)

    def _sample_bracket(self) -> int:
        """A bracket for a new trial. A searcher that learns one (Hyper-Tune's
        ``bracket_distribution(num_brackets)``) replaces the head of the default distribution."""
        distribution = list(self.bracket_distribution)
        learned = getattr(self.searcher, "bracket_distribution", None)
        learned = learned(self.num_brackets) if callable(learned) else None
        if learned is not None and 0 < len(learned) <= self.num_brackets:
            head = sum(distribution[: len(learned)])
            distribution[: len(learned)] = [p * head for p in learned]
        return int(self._random_state.choice(self.num_brackets, p=distribution))

    def _promote(self) -> TrialSuggestion | None:
        """Resume the best promotable paused trial, looking at the highest rung first."""
        limit = self._effective_max_t()
        for index in range(len(self._rungs) - 1, -1, -1):
            rung = self._rungs[index]
            if rung.level >= limit:
                continue
            if self.type == "cost_promotion":
                trial_id = rung.cost_promotable()
            elif self._rush is not None:
                trial_id = rush_promotable(rung, self._rush)
            else:
                trial_id = rung.promotable()
            if trial_id is not None:
                return self._resume(index, trial_id)
        return None

    def _resume(self, index: int, trial_id: int) -> TrialSuggestion:
        """Promote paused ``trial_id`` from rung ``index`` to the next level."""
        rung = self._rungs[index]
        self._seq += 1
        rung.drop_candidate(trial_id, seq=self._seq)
        if self._pasha is not None:
            self._pasha.on_rung_change(index)
        record = self._trials[trial_id]
        record.decision = CONTINUE
        record.paused_rung = None
        record.resume_from = rung.level
        record.milestone = self._next_level(index)
        record.last_resource = None
        record.last_reported = None
        record.keep_case = False
        self._register_pending(trial_id, record.config, rung.level, record.milestone)
        return TrialSuggestion.resume_suggestion(trial_id, dict(record.config))

    def _register_pending(
        self, trial_id: int, config: dict[str, Any], done: int, milestone: int
    ) -> None:
        levels = [milestone] if self.searcher_data == "rungs" else range(done + 1, milestone + 1)
        for level in levels:
            self.searcher.register_pending(trial_id, config, milestone=level)

    # -- results ------------------------------------------------------------------------------
    def on_trial_add(self, trial: Trial) -> None:
        if trial.trial_id not in self._trials:
            self._adopt(trial)

    def _adopt(self, trial: Trial) -> TrialRecord:
        """A trial this scheduler did not suggest (e.g. started by hand): treat it as bracket 0."""
        record = TrialRecord(
            config=dict(trial.config), bracket=0, milestone=self.first_milestone(0)
        )
        self._trials[trial.trial_id] = record
        return record

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        trial_id = trial.trial_id
        value, resource = read_result(trial_id, result, self.metric, self.resource_attr)
        if math.isnan(value):
            value = math.inf * self._sign  # a diverged trial ranks last
        record = self._trials.get(trial_id) or self._adopt(trial)
        if record.decision != CONTINUE:
            # A late result of a trial already paused or stopped: it changes nothing.
            return record.decision
        self._check_counting_up(
            trial_id,
            resource,
            record.last_resource,
            advice=" (report the number of epochs done, counting up)",
        )
        record.last_resource = resource
        if not self.does_pause_resume():
            decision, reached, next_milestone, ignore = self._on_stopping(
                trial_id, record, value, resource
            )
        else:
            cost = self._total_cost(trial_id, record, result, resource)
            decision, reached, next_milestone, ignore = self._on_promotion(
                trial_id, record, value, resource, cost
            )
            if cost is not None:
                if reached:
                    self._cost_offset[trial_id] = cost
                result = {**result, "total_" + self.cost_attr: cost}
        record.decision = decision
        if not ignore:
            self._update_searcher(
                trial_id, record, result, value, resource, decision, reached, next_milestone
            )
        return decision

    def may_decide(self, trial_id: int, result: dict[str, Any]) -> bool:
        """ASHA decides on rung levels only (a promotion-type trial pauses at its milestone);
        anything unusual (another rung type, a subclass, a missing key) may decide."""
        if self.type not in ("stopping", "promotion") or (
            type(self).on_trial_result is not HyperbandScheduler.on_trial_result
        ):
            return True
        record, resource = self._trials.get(trial_id), result.get(self.resource_attr)
        if record is None or record.decision != CONTINUE or self.metric not in result:
            return True
        if type(resource) is not int or (record.last_resource or 0) >= resource:
            return True
        if self.type == "stopping":
            return resource in self._level_index or resource >= self.max_t
        return resource >= record.milestone

    def _on_stopping(
        self, trial_id: int, record: TrialRecord, value: float, resource: int
    ) -> tuple[str, bool, int | None, bool]:
        if resource >= self.max_t:
            return CONTINUE, True, None, False  # Syne Tune answers STOP; the script ends anyway
        index = bisect.bisect_right(self.rung_levels, resource) - 1
        if index < record.bracket:
            return CONTINUE, False, self.first_milestone(record.bracket), False
        rung = self._rungs[index]
        next_milestone = self._next_level(index)
        if trial_id in rung:
            return CONTINUE, False, next_milestone, False
        if resource > rung.level:
            logger.warning(
                "trial %s reported %s=%s without reporting rung level %s; the rung is skipped for "
                "it (report every resource level so no rung is missed)",
                trial_id,
                self.resource_attr,
                resource,
                rung.level,
            )
            return CONTINUE, False, next_milestone, False
        self._seq += 1
        rung.add(trial_id, value, self._seq, paused=False)
        continues = rung.passes(value)
        if continues and self._rush is not None:
            # Syne Tune's RUSHStoppingRungSystem: a hurdle counts only values that went on
            self._rush.record(trial_id, rung.level, value)
            continues = self._rush.meets(trial_id, rung.level, value)
        return (CONTINUE if continues else STOP), True, next_milestone, False

    def _total_cost(
        self, trial_id: int, record: TrialRecord, result: dict[str, Any], resource: int
    ) -> float | None:
        """Syne Tune's cumulative cost over pauses and resumes: the cost a resumed trial reports
        is added to its total at the last pause, unless the trial restarted from scratch (no
        checkpoint: it reports levels it had done already)."""
        if self.cost_attr is None or (
            self.type != "cost_promotion" and self.cost_attr not in result
        ):
            return None
        cost = read_cost(trial_id, result, self.cost_attr)
        if record.resume_from is not None and resource <= record.resume_from:
            self._cost_offset[trial_id] = 0.0
        return cost + self._cost_offset.get(trial_id, 0.0)

    def _on_promotion(
        self, trial_id: int, record: TrialRecord, value: float, resource: int, cost: float | None
    ) -> tuple[str, bool, int | None, bool]:
        if resource >= self.max_t:
            return CONTINUE, True, None, False  # Syne Tune answers STOP; the script ends anyway
        ignore = record.resume_from is not None and resource <= record.resume_from
        decision, reached, next_milestone = CONTINUE, False, None
        if resource >= record.milestone:
            level = resource
            if resource > record.milestone:
                # The rung level was skipped (a script reporting every few levels, or a backend
                # that pauses with a delay): rank the trial at the highest rung it has passed
                # instead of ending the whole run.
                levels = sorted(self._level_index)
                level = levels[bisect.bisect_right(levels, resource) - 1]
                logger.warning(
                    "trial %d reported %s=%s without reporting its rung level %s; it is ranked at "
                    "rung %s with this value",
                    trial_id,
                    self.resource_attr,
                    resource,
                    record.milestone,
                    level,
                )
            index = self._level_index[level]
            self._seq += 1
            self._rungs[index].add(trial_id, value, self._seq, paused=True, cost=cost)
            if self._rush is not None:
                self._rush.record(trial_id, level, value)
            record.paused_rung = index
            decision, reached, next_milestone = PAUSE, True, self._next_level(index)
            if self._pasha is not None:
                self._pasha.on_rung_change(index)
        if self._pasha is not None:
            self._pasha.on_report(trial_id, resource, value, self._rungs)
        return decision, reached, next_milestone, ignore

    def _update_searcher(
        self,
        trial_id: int,
        record: TrialRecord,
        result: dict[str, Any],
        value: float,
        resource: int,
        decision: str,
        reached: bool,
        next_milestone: int | None,
    ) -> None:
        """Pass the result on to the searcher (Syne Tune's ``_update_searcher``)."""
        continues = decision == CONTINUE and resource < self.max_t
        if self.searcher_data == "rungs":
            update = resource in self._level_index or resource == self.max_t
            pending = (
                [next_milestone] if update and continues and reached and next_milestone else []
            )
        else:
            update = True
            pending = (
                list(range(resource + 1, next_milestone + 1))
                if continues and reached and next_milestone
                else []
            )
        if update and self.searcher_data == "rungs_and_last":
            if record.last_reported is not None and not record.keep_case:
                old_value, old_resource = record.last_reported
                self.searcher.remove_case(
                    trial_id, **{self.metric: old_value, self.resource_attr: old_resource}
                )
        for level in pending:
            self.searcher.register_pending(trial_id, record.config, milestone=level)
        record.last_reported = (value, resource)
        record.keep_case = reached
        if update:
            if record.largest_update == resource:
                update = False  # already learned from this level
            else:
                record.largest_update = resource
        self.searcher.on_trial_result(trial_id, record.config, result, update=update)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        record = self._trials.get(trial.trial_id) or self._adopt(trial)
        resource = result.get(self.resource_attr)
        if (
            record.largest_update is not None
            and isinstance(resource, int | float)
            and resource > record.largest_update
            and self.metric in result
        ):
            # The final result was not learned from yet (searcher_data="rungs" between rungs).
            self.searcher.on_trial_complete(trial.trial_id, record.config, result)
        record.decision = STOP

    def on_trial_error(self, trial: Trial) -> None:
        record = self._trials.get(trial.trial_id) or self._adopt(trial)
        self.searcher.on_trial_error(trial.trial_id)
        record.decision = STOP
        if record.paused_rung is not None:  # a failed trial is never resumed
            self._rungs[record.paused_rung].drop_candidate(trial.trial_id)
            record.paused_rung = None

    def on_trial_remove(self, trial: Trial) -> None:
        # Called after our own PAUSE/STOP (already recorded) or when the trial was taken away
        # from outside while running: then it will not come back.
        record = self._trials.get(trial.trial_id)
        if record is not None and record.decision == CONTINUE:
            record.decision = STOP

    # -- reporting ----------------------------------------------------------------------------
    def paused_trials(self, resource: int | None = None) -> list[tuple[int, int, float, int]]:
        """``(trial_id, rank, value, level)`` of the paused trials not promoted yet (at rung level
        ``resource`` only, if given); ``rank`` counts the better values recorded at the rung (0:
        the best), as Syne Tune's ``paused_trials``."""
        return [
            (trial_id, rank, value, rung.level)
            for rung in self._rungs
            if resource is None or rung.level == resource
            for trial_id, rank, value in rung.paused()
        ]

    def rung_information(self) -> list[tuple[int, int, float]]:
        """``(level, number of entries, promotion quantile)`` per rung, highest first."""
        return [(r.level, len(r), r.prom_quant) for r in reversed(self._rungs)]

    def metadata(self) -> dict[str, Any]:
        out = super().metadata()
        out.update(
            type=self.type,
            rung_levels=list(self.rung_levels),
            brackets=self.num_brackets,
            searcher_data=self.searcher_data,
            cost_attr=self.cost_attr,
            rung_system_kwargs=dict(self.rung_system_kwargs),
        )
        return out
