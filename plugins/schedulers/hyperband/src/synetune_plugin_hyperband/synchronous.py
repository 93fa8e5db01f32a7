"""Synchronous Hyperband (Syne Tune's ``SynchronousGeometricHyperbandScheduler``).

Brackets run one after the other. A bracket is a list of rungs, each with a fixed number of slots
at one resource level. Slots of the lowest unfilled rung are handed out to workers; once every
slot of a rung holds a result, the best ``size of next rung`` trials are promoted (resumed from
their pause) to fill the next rung. A free worker never waits: if the current (primary) bracket
has no free slot, it takes a slot of a later bracket, creating one if needed. ``brackets=1`` is
synchronous successive halving.

The bracket and manager classes are shared with DEHB (``dehb.py``), which fills higher rungs with
new configurations instead of promoted trials.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from synetune_plugin_hyperband.base import CONTINUE, PAUSE, STOP, MultiFidelityScheduler
from synetune_plugin_hyperband.common import (
    attach_searcher,
    check_positive_int,
    complete_config,
    draw_seed,
    read_result,
)
from synetune_sdk.max_resource import infer_max_t
from synetune_sdk.trial import Trial, TrialSuggestion

logger = logging.getLogger(__name__)


# (number of slots, resource level) per rung, lowest rung first
BracketRungs = list[tuple[int, int]]


def geometric_bracket_rungs(
    grace_period: Any, max_t: int, reduction_factor: Any, brackets: Any = None
) -> list[BracketRungs]:
    """Syne Tune's ``SynchronousHyperbandRungSystem.geometric``: bracket ``b`` has rung levels
    ``grace_period * reduction_factor**(r + b)`` and ``max_t``; rung sizes shrink by the factor and
    every bracket gets about the same budget."""
    grace_period = check_positive_int("grace_period", grace_period)
    if (
        isinstance(reduction_factor, bool)
        or not isinstance(reduction_factor, int | float)
        or reduction_factor < 2
    ):
        raise ValueError(f"reduction_factor must be a number >= 2, got {reduction_factor!r}")
    if grace_period >= max_t:
        raise ValueError(
            f"grace_period={grace_period} must be smaller than the maximum resource level {max_t} "
            "(lower grace_period or raise max_resource_level)"
        )
    s_max = 0
    while grace_period * reduction_factor**s_max < max_t:
        s_max += 1
    num_brackets = (
        s_max + 1 if brackets is None else min(check_positive_int("brackets", brackets), s_max + 1)
    )
    out = []
    for bracket in range(num_brackets):
        num_rungs_m1 = s_max - bracket
        pre_factor = (s_max + 1) / (num_rungs_m1 + 1)
        rungs = [
            (
                int(math.ceil(pre_factor * reduction_factor ** (num_rungs_m1 - rung))),
                int(round(grace_period * reduction_factor ** (rung + bracket))),
            )
            for rung in range(num_rungs_m1)
        ]
        rungs.append((int(math.ceil(pre_factor)), max_t))
        out.append(rungs)
    return out


@dataclass
class Slot:
    """A place in a rung handed out to a worker; ``trial_id`` is set for promoted trials."""

    bracket_id: int
    rung_index: int
    level: int
    slot_index: int
    trial_id: int | None


class Bracket:
    """Rungs of slots ``[trial_id, value]``; ``value`` None while pending, NaN when failed."""

    def __init__(self, rungs: BracketRungs, mode: str, promote: bool):
        self.levels = [level for _, level in rungs]
        self.slots: list[list[list[Any]]] = [
            [[None, None] for _ in range(size)] for size, _ in rungs
        ]
        self.mode = mode
        self.promote = promote
        self.current = 0
        self.first_free = 0
        self.filled = 0  # slots of the current rung holding a result

    def is_complete(self) -> bool:
        return self.current >= len(self.levels)

    def next_free_slot(self, bracket_id: int) -> Slot | None:
        if self.is_complete():
            return None
        rung = self.slots[self.current]
        if self.first_free >= len(rung):
            return None
        pos = self.first_free
        self.first_free += 1
        return Slot(bracket_id, self.current, self.levels[self.current], pos, rung[pos][0])

    def on_result(self, slot: Slot, trial_id: int | None, value: float) -> list[int]:
        """Fill ``slot``; returns the trials left behind when this completes a rung."""
        if slot.rung_index != self.current:
            raise RuntimeError(
                f"result for rung {slot.rung_index}, but rung {self.current} is open"
            )
        rung = self.slots[self.current]
        if rung[slot.slot_index][1] is None:
            self.filled += 1
        rung[slot.slot_index] = [trial_id, value]
        if self.filled == len(rung):
            self.current += 1
            self.first_free = 0
            self.filled = 0
            if self.promote and not self.is_complete():
                top = top_list(rung, len(self.slots[self.current]), self.mode)
                self.slots[self.current] = [[t, None] for t in top]
                return [t for t, _ in rung if t is not None and t not in top]
        return []

    def top_of_rung(self, rung_index: int, size: int) -> list[int | None]:
        return top_list(self.slots[rung_index], size, self.mode)


def top_list(rung: list[list[Any]], size: int, mode: str) -> list[int | None]:
    """The ``size`` best trials of a filled rung; failed ones (NaN) only if too few succeeded."""
    valid = [entry for entry in rung if not math.isnan(entry[1])]
    if len(valid) >= size:
        return [
            entry[0] for entry in sorted(valid, key=lambda e: e[1], reverse=mode == "max")[:size]
        ]
    failed = [entry[0] for entry in rung if math.isnan(entry[1])]
    return [entry[0] for entry in valid] + failed[: size - len(valid)]


class BracketManager:
    """Hands out slots: the primary (oldest unfinished) bracket first, later brackets when it has
    no free slot, a new bracket when none has (Syne Tune's ``SynchronousHyperbandBracketManager``)."""

    def __init__(self, bracket_rungs: list[BracketRungs], mode: str, promote: bool):
        self.bracket_rungs = bracket_rungs
        self.mode = mode
        self.promote = promote
        self.brackets: list[Bracket] = []
        self.primary = self._new_bracket()

    def offset(self, bracket_id: int) -> int:
        """Which of the bracket shapes ``bracket_id`` uses (brackets cycle through them)."""
        return bracket_id % len(self.bracket_rungs)

    def _new_bracket(self) -> int:
        bracket_id = len(self.brackets)
        self.brackets.append(
            Bracket(self.bracket_rungs[self.offset(bracket_id)], self.mode, self.promote)
        )
        return bracket_id

    def next_job(self) -> Slot:
        for bracket_id in range(self.primary, len(self.brackets)):
            slot = self.brackets[bracket_id].next_free_slot(bracket_id)
            if slot is not None:
                return slot
        bracket_id = self._new_bracket()
        slot = self.brackets[bracket_id].next_free_slot(bracket_id)
        assert slot is not None
        return slot

    def on_result(self, slot: Slot, trial_id: int | None, value: float) -> list[int]:
        bracket = self.brackets[slot.bracket_id]
        left_behind = bracket.on_result(slot, trial_id, value)
        if slot.bracket_id == self.primary:
            last = len(self.brackets) - 1
            while bracket.is_complete() and self.primary < last:
                self.primary += 1
                bracket = self.brackets[self.primary]
            if bracket.is_complete():
                self.primary = self._new_bracket()
        return left_behind

    def previous_level(self, bracket_id: int, rung_index: int) -> int:
        """Level of the rung below (0 for the lowest rung): results up to it were seen before."""
        levels = self.brackets[bracket_id].levels
        return levels[rung_index - 1] if rung_index > 0 else 0


@dataclass
class SyncTrial:
    config: dict[str, Any]
    slot: Slot | None = None  # the slot the running trial will fill
    decision: str = CONTINUE
    last_resource: int | None = None
    largest_update: int | None = None
    failed: bool = False


_SYNC_ARGUMENTS = (
    "config_space, metric, mode, resource_attr, max_resource_level, max_resource_attr, "
    "grace_period, reduction_factor, brackets, searcher, search_options, searcher_data, "
    "points_to_evaluate, random_seed"
)


class SynchronousGeometricHyperbandScheduler(MultiFidelityScheduler):
    """Synchronous Hyperband with geometric rungs; ``brackets=1`` is synchronous successive halving.

    Trials pause at their rung level (PAUSE) and are resumed with ``resume_suggestion`` when
    promoted; ``config[max_resource_attr]`` stays ``max_t`` (see the README). The last rung of every
    bracket is ``max_t``, where the answer is CONTINUE (the script ends by itself).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        resource_attr: str = "epoch",
        max_resource_level: int | None = None,
        max_resource_attr: str | None = None,
        grace_period: int = 1,
        reduction_factor: float = 3,
        brackets: int | None = None,
        searcher: str | Any = "random",
        search_options: dict[str, Any] | None = None,
        searcher_data: str = "rungs",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            config_space, metric, mode, resource_attr, max_resource_attr, kwargs, _SYNC_ARGUMENTS
        )
        if searcher_data not in ("rungs", "all"):
            raise ValueError(
                f"searcher_data must be 'rungs' or 'all' for synchronous Hyperband, got {searcher_data!r}"
            )
        self.searcher_data = searcher_data
        self.max_t = infer_max_t(
            self.config_space,
            max_resource_attr,
            max_resource_level,
            max_t_name="max_resource_level",
        )
        self.grace_period = grace_period
        self.reduction_factor = reduction_factor
        self.bracket_rungs = geometric_bracket_rungs(
            grace_period, self.max_t, reduction_factor, brackets
        )
        self.num_brackets = len(self.bracket_rungs)
        self.rung_levels = [level for _, level in self.bracket_rungs[0][:-1]]
        self.random_seed = draw_seed(random_seed)
        self._manager = BracketManager(self.bracket_rungs, mode, promote=True)
        self._trials: dict[int, SyncTrial] = {}
        self._not_promoted: list[int] = []
        attach_searcher(self, searcher, search_options, metric, mode, points_to_evaluate)

    def does_pause_resume(self) -> bool:
        return True

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        while True:
            slot = self._manager.next_job()
            if slot.trial_id is None:
                return self._start(trial_id, slot)
            record = self._trials[slot.trial_id]
            if record.failed:  # promoted only because too few trials succeeded: cannot resume it
                self._fill(slot, slot.trial_id, math.nan)
                continue
            record.slot = slot
            record.decision = CONTINUE
            record.last_resource = None
            self.searcher.register_pending(slot.trial_id, record.config, milestone=slot.level)
            return TrialSuggestion.resume_suggestion(slot.trial_id, dict(record.config))

    def _start(self, trial_id: int, slot: Slot) -> TrialSuggestion | None:
        bracket = self._manager.offset(slot.bracket_id)
        config = self.searcher.suggest(trial_id, bracket=bracket, milestone=slot.level)
        if config is None:
            logger.warning(
                "the searcher has no configuration left; the slot of trial %s is marked failed",
                trial_id,
            )
            self._fill(slot, None, math.nan)
            return None
        config = complete_config(config, self.config_space, self.searcher_name)
        if self.max_resource_attr is not None:
            config[self.max_resource_attr] = self.max_t
        self._trials[trial_id] = SyncTrial(config=dict(config), slot=slot)
        self.searcher.register_pending(trial_id, config, milestone=slot.level)
        return TrialSuggestion.start_suggestion(config)

    def _fill(self, slot: Slot, trial_id: int | None, value: float) -> None:
        self._not_promoted += self._manager.on_result(slot, trial_id, value)

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        trial_id = trial.trial_id
        value, resource = read_result(trial_id, result, self.metric, self.resource_attr)
        record = self._trials.get(trial_id)
        if record is None:
            logger.warning(
                "result of trial %s, which this scheduler did not start, is ignored (STOP)",
                trial_id,
            )
            return STOP
        if record.slot is None:
            return record.decision  # late result after PAUSE, or beyond max_t
        self._check_counting_up(trial_id, resource, record.last_resource)
        record.last_resource = resource
        slot = record.slot
        decision = CONTINUE
        if resource >= slot.level:
            if resource > slot.level:
                raise ValueError(
                    f"trial {trial_id} reported {self.resource_attr}={resource} but not its rung level "
                    f"{slot.level}; synchronous Hyperband needs a result at every rung level"
                )
            record.slot = None
            decision = PAUSE if slot.level < self.max_t else CONTINUE
            record.decision = decision
            self._fill(slot, trial_id, value)
        if resource > self._manager.previous_level(slot.bracket_id, slot.rung_index):
            update = self.searcher_data == "all" or resource == slot.level
            if update:
                record.largest_update = resource
            self.searcher.on_trial_result(trial_id, record.config, result, update=update)
        return decision

    def on_trial_error(self, trial: Trial) -> None:
        record = self._trials.get(trial.trial_id)
        self.searcher.on_trial_error(trial.trial_id)
        if record is None:
            return
        record.failed = True
        record.decision = STOP
        if record.slot is not None:  # ranked after every trial that succeeded
            slot, record.slot = record.slot, None
            self._fill(slot, trial.trial_id, math.nan)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        record = self._trials.get(trial.trial_id)
        if record is None:
            return
        if record.slot is not None:
            # The script ended before its rung level (e.g. a smaller epochs value): count it as
            # failed so that the rung can still fill.
            self.on_trial_error(trial)
            return
        resource = result.get(self.resource_attr)
        if isinstance(resource, int | float) and self.metric in result:
            if record.largest_update is not None and resource > record.largest_update:
                self.searcher.on_trial_complete(trial.trial_id, record.config, result)

    def trials_checkpoints_can_be_removed(self) -> list[int]:
        """Paused trials left behind when their rung filled: they are never resumed, so their
        checkpoints may go (Syne Tune's method of the same name; each id is returned once)."""
        out, self._not_promoted = self._not_promoted, []
        return out

    def metadata(self) -> dict[str, Any]:
        out = super().metadata()
        out["bracket_rungs"] = [list(map(list, rungs)) for rungs in self.bracket_rungs]
        return out
