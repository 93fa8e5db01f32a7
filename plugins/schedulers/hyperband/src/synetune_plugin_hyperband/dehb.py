"""DEHB: differential-evolution Hyperband (Awad, Mallik, Hutter 2021), after Syne Tune's
``GeometricDifferentialEvolutionHyperbandScheduler``.

The bracket structure is synchronous Hyperband's, except that a rung's size depends only on its
level, so later brackets spend less. The very first bracket is successive halving: random
configurations at the base rung, promoted (paused, then resumed) to higher rungs. In every later
bracket each slot gets a new configuration made by differential evolution in the encoded space
[0, 1]^d of ``synetune_sdk.encoding.ConfigEncoder`` (the one config encoder of the repository;
categoricals one-hot, decoded by argmax, like Syne Tune's hyperparameter-ranges encoding): rand/1
mutation ``a + F (b - c)`` of three parents drawn from the rung's parent pool
(the top trials of the rung below, or at a base rung the trials in the same slots of the previous
bracket), binomial crossover with the trial in the same slot of the previous bracket (the
target), and selection: the slot keeps the better of child and target. These trials run from
scratch up to their slot's level and are stopped there.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from typing import Any

from synetune_plugin_hyperband.base import CONTINUE, PAUSE, STOP, MultiFidelityScheduler
from synetune_plugin_hyperband.common import draw_seed, read_result
from synetune_plugin_hyperband.synchronous import BracketManager, Slot, geometric_bracket_rungs
from synetune_sdk.config_space import (
    Domain,
    config_key,
    config_space_size,
    impute_points_to_evaluate,
    make_random_state,
)
from synetune_sdk.encoding import ConfigEncoder
from synetune_sdk.max_resource import infer_max_t
from synetune_sdk.trial import Trial, TrialSuggestion

logger = logging.getLogger(__name__)

MAX_RETRIES = 50  # attempts to find a configuration not suggested before (half of them by DE)


@dataclass
class DETrial:
    encoded: Any  # numpy array in [0, 1]^d
    config: dict[str, Any]
    level: int  # rung level it runs to / reached
    value: float | None = None  # metric at ``level`` (None while running)
    values: dict[int, float] = field(default_factory=dict)  # metric at every rung level reached
    slot: Slot | None = None
    target: int | None = None  # trial it competes with in selection
    decision: str = CONTINUE
    last_resource: int | None = None
    failed: bool = False


_DEHB_ARGUMENTS = (
    "config_space, metric, mode, resource_attr, max_resource_level, max_resource_attr, "
    "grace_period, reduction_factor, brackets, mutation_factor, crossover_probability, "
    "points_to_evaluate, random_seed"
)


class GeometricDifferentialEvolutionHyperbandScheduler(MultiFidelityScheduler):
    """DEHB with geometric rungs ``grace_period * reduction_factor**k`` and ``max_t``.

    Configurations come from an internal random search in the encoded space (after
    ``points_to_evaluate``, by default one configuration of midpoints) and from differential
    evolution with ``mutation_factor`` (F) and ``crossover_probability`` (CR).
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
        mutation_factor: float = 0.5,
        crossover_probability: float = 0.5,
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(
            config_space, metric, mode, resource_attr, max_resource_attr, kwargs, _DEHB_ARGUMENTS
        )
        for name, value in (
            ("mutation_factor", mutation_factor),
            ("crossover_probability", crossover_probability),
        ):
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise ValueError(f"{name} must be a number in (0, 1], got {value!r}")
        self.mutation_factor = float(mutation_factor)
        self.crossover_probability = float(crossover_probability)
        self.max_t = infer_max_t(
            self.config_space,
            max_resource_attr,
            max_resource_level,
            max_t_name="max_resource_level",
        )
        first = geometric_bracket_rungs(grace_period, self.max_t, reduction_factor, brackets)
        self.num_brackets = len(first)
        self.bracket_rungs = [first[0][offset:] for offset in range(self.num_brackets)]
        self.rung_levels = [level for _, level in first[0][:-1]]
        self._levels = [level for _, level in first[0]]
        if not any(isinstance(domain, Domain) for domain in self.config_space.values()):
            raise ValueError("the config space has no hyperparameter to search (only constants)")
        self._encoder = ConfigEncoder(self.config_space)
        self.random_seed = draw_seed(random_seed)
        self._random_state = make_random_state([self.random_seed, 2])
        self._points = impute_points_to_evaluate(points_to_evaluate, self.config_space)
        self._size = config_space_size(self.config_space)
        self._manager = BracketManager(self.bracket_rungs, mode, promote=False)
        self._trials: dict[int, DETrial] = {}
        self._seen: set[tuple] = set()
        self._parent_pool: dict[int, list[int]] = {level: [] for level in self._levels}
        self._top_cache: dict[tuple[int, int], list[int | None]] = {}
        self.num_selection_skipped = 0
        # (shape offset, level) -> (how many brackets back, rung index there) of the parent slot
        self._parent_rung: dict[tuple[int, int], tuple[int, int]] = {}
        for offset, rungs in enumerate(self.bracket_rungs):
            for rung_index, (_, level) in enumerate(rungs):
                self._parent_rung[(offset, level)] = (
                    (1, rung_index + 1) if offset > 0 else (self.num_brackets - rung_index, 0)
                )

    # -- suggest ------------------------------------------------------------------------------
    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        while True:
            if self._size is not None and len(self._seen) >= self._size:
                logger.warning("DEHB: every configuration of the config space was suggested")
                return None
            slot = self._manager.next_job()
            suggestion = self._fill(trial_id, slot)
            if suggestion is not None:
                return suggestion
            # The slot could not be filled (its promoted trial is missing): count it as failed.
            self._manager.on_result(slot, None, math.nan)

    def _fill(self, trial_id: int, slot: Slot) -> TrialSuggestion | None:
        base = slot.rung_index == 0
        encoded, target, promoted = None, None, None
        for attempt in range(MAX_RETRIES):
            target = promoted = None
            if attempt >= MAX_RETRIES // 2:
                encoded = self._random_encoded()
            elif slot.bracket_id == 0 and not base:
                promoted = self._top_of_previous_rung(slot, slot.slot_index)
                if promoted is None:
                    return None
                return self._promote(trial_id, promoted, slot)
            elif base and (
                slot.bracket_id == 0 or self._parent_slot_trial(slot, slot.slot_index) is None
            ):
                encoded = self._random_encoded()
            else:
                encoded, target = self._mutation_crossover(slot)
            if config_key(self._decode(encoded), self.config_space) not in self._seen:
                break
        else:
            return None
        return self._start(trial_id, slot, encoded, target)

    def _start(
        self, trial_id: int, slot: Slot, encoded: Any, target: int | None
    ) -> TrialSuggestion:
        config = self._decode(encoded)
        self._seen.add(config_key(config, self.config_space))
        if self.max_resource_attr is not None:
            config[self.max_resource_attr] = self.max_t
        self._trials[trial_id] = DETrial(
            encoded=encoded, config=dict(config), level=slot.level, slot=slot, target=target
        )
        return TrialSuggestion.start_suggestion(config)

    def _promote(self, trial_id: int, promoted: int, slot: Slot) -> TrialSuggestion:
        record = self._trials[promoted]
        if record.failed:
            # Too few trials of the rung succeeded; a failed trial cannot be resumed, so its
            # configuration starts again as a new trial.
            return self._start(trial_id, slot, record.encoded, None)
        record.level, record.value, record.slot = slot.level, None, slot
        record.decision, record.last_resource, record.target = CONTINUE, None, None
        return TrialSuggestion.resume_suggestion(promoted, dict(record.config))

    def _decode(self, encoded: Any) -> dict[str, Any]:
        """The configuration at any point of R^d: clipped to [0, 1], one-hot blocks by argmax."""
        return self._encoder.decode(encoded)[0]

    def _random_encoded(self) -> Any:
        if self._points:
            return self._encoder.encode(self._points.pop(0))[0]
        # uniform in [0, 1]^d: the argmax of a uniform one-hot block is a uniform category
        return self._random_state.uniform(0.0, 1.0, self._encoder.dim)

    def _random_trial(self) -> int:
        ids = list(self._trials)
        return ids[int(self._random_state.integers(len(ids)))]

    def _parent_slot_trial(self, slot: Slot, slot_index: int) -> int | None:
        """The trial in the same slot at the same level in the latest earlier bracket that has one."""
        bracket_id, trial_id = slot.bracket_id, None
        while trial_id is None and bracket_id > 0:
            back, rung_index = self._parent_rung[(self._manager.offset(bracket_id), slot.level)]
            bracket_id -= back
            trial_id = self._manager.brackets[bracket_id].slots[rung_index][slot_index][0]
        return trial_id

    def _top_of_previous_rung(self, slot: Slot, position: int) -> int | None:
        key = (slot.bracket_id, slot.rung_index)
        top = self._top_cache.get(key)
        if top is None:
            bracket = self._manager.brackets[slot.bracket_id]
            size = len(bracket.slots[slot.rung_index])
            top = self._top_cache[key] = bracket.top_of_rung(slot.rung_index - 1, size)
        return top[position]

    def _mutation_crossover(self, slot: Slot) -> tuple[Any, int | None]:
        """rand/1 mutation from the rung's parent pool, binomial crossover with the target."""
        import numpy as np

        size = len(self._manager.brackets[slot.bracket_id].slots[slot.rung_index])
        pool_size, extra = size, []
        if size < 3:  # too small a rung: borrow trials that reached this level, then others
            extra = list(self._parent_pool[slot.level])
            for level in reversed(self._levels):
                if len(extra) + size >= 3:
                    break
                if level != slot.level:
                    extra += self._parent_pool[level]
            pool_size += len(extra)
        if pool_size < 3 or not self._trials:
            return self._random_encoded(), None
        parents = []
        for pos in self._random_state.choice(pool_size, 3, replace=False):
            pos = int(pos)
            if pos >= size:
                parent = extra[pos - size]
            elif slot.rung_index == 0:
                parent = self._parent_slot_trial(slot, pos)
            else:
                parent = self._top_of_previous_rung(slot, pos)
            parents.append(parent if parent is not None else self._random_trial())
        a, b, c = (self._trials[p].encoded for p in parents)
        mutant = a + self.mutation_factor * (b - c)
        outside = (mutant < 0) | (mutant > 1)
        if outside.any():
            mutant[outside] = self._random_state.uniform(0.0, 1.0, int(outside.sum()))
        target = self._parent_slot_trial(slot, slot.slot_index)
        if target is None:
            target = self._random_trial()
        # Binomial crossover per hyperparameter, not per encoded column: a categorical's one-hot
        # block comes whole from the mutant or whole from the target, so the child's category is
        # one of theirs and CR means the same for every hyperparameter whatever its number of
        # categories. (Syne Tune draws the mask per column, which can splice two one-hot blocks.)
        widths = [column.width for column in self._encoder.columns]
        mask = self._random_state.random(len(widths)) < self.crossover_probability
        if not mask.any():
            mask[int(self._random_state.integers(len(widths)))] = True
        mask = np.repeat(mask, widths)
        return np.where(mask, mutant, self._trials[target].encoded), target

    # -- results ------------------------------------------------------------------------------
    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        trial_id = trial.trial_id
        value, resource = read_result(trial_id, result, self.metric, self.resource_attr)
        record = self._trials.get(trial_id)
        if record is None:
            logger.warning(
                "result of trial %s, which DEHB did not start, is ignored (STOP)", trial_id
            )
            return STOP
        if record.slot is None:
            return record.decision
        self._check_counting_up(trial_id, resource, record.last_resource)
        record.last_resource = resource
        slot = record.slot
        if resource < slot.level:
            return CONTINUE
        if resource > slot.level:
            raise ValueError(
                f"trial {trial_id} reported {self.resource_attr}={resource} but not its rung level "
                f"{slot.level}; DEHB needs a result at every rung level"
            )
        record.slot, record.value = None, value
        record.values[slot.level] = value
        self._parent_pool[slot.level].append(trial_id)
        winner = self._select(trial_id, record, value, slot.level)
        self._manager.on_result(slot, winner, self._trials[winner].values[slot.level])
        if slot.level >= self.max_t:
            record.decision = CONTINUE
        else:
            record.decision = PAUSE if slot.bracket_id == 0 else STOP
        return record.decision

    def _select(self, trial_id: int, record: DETrial, value: float, level: int) -> int:
        """The slot keeps the better of the new trial and its target at this level (ties: the
        target). Syne Tune compares with the target's latest value, which may be from a higher
        level if the target was promoted since; here both are compared at the slot's level."""
        if record.target is None:
            return trial_id
        target_value = self._trials[record.target].values.get(level)
        if target_value is None or math.isnan(target_value):
            self.num_selection_skipped += 1
            return trial_id
        sign = 1 if self.mode == "min" else -1
        return record.target if sign * (value - target_value) >= 0 else trial_id

    def on_trial_error(self, trial: Trial) -> None:
        record = self._trials.get(trial.trial_id)
        if record is None:
            return
        record.failed, record.decision = True, STOP
        if record.slot is not None:
            slot, record.slot = record.slot, None
            self._manager.on_result(slot, trial.trial_id, math.nan)

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        record = self._trials.get(trial.trial_id)
        if record is not None and record.slot is not None:
            self.on_trial_error(trial)  # ended before its rung level: the slot counts as failed

    def metadata(self) -> dict[str, Any]:
        out = super().metadata()
        out.update(
            bracket_rungs=[list(map(list, rungs)) for rungs in self.bracket_rungs],
            mutation_factor=self.mutation_factor,
            crossover_probability=self.crossover_probability,
        )
        return out

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if not isinstance(self._encoder, ConfigEncoder):
            # Pickled before DEHB used ConfigEncoder: its points live in the old one-coordinate-
            # per-hyperparameter space. Re-encode every trial from its configuration.
            self._encoder = ConfigEncoder(self.config_space)
            for record in self._trials.values():
                record.encoded = self._encoder.encode(record.config)[0]


DEHB = GeometricDifferentialEvolutionHyperbandScheduler


class Encoder:
    """Stand-in for the removed ``synetune_plugin_hyperband.encoding.Encoder`` (mapped here by
    ``synetune.compat.RENAMED_MODULES``) so DEHB schedulers saved before can be unpickled; the
    scheduler's ``__setstate__`` replaces it by a ``ConfigEncoder``. Not for use."""
