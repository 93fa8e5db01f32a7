"""Rung types beyond ASHA's stopping and promotion, and the extension point for rung types that
other plugins supply.

* ``cost_promotion`` (Syne Tune's ``CostPromotionRungSystem``): promotion where a paused trial is
  promotable iff the trials ranked at least as well at its rung together cost no more than
  ``q`` times the rung's total cost (``cost_attr``, summed over a trial's pauses and resumes).
* ``rush_stopping`` / ``rush_promotion`` (Syne Tune's ``RUSHStoppingRungSystem`` /
  ``RUSHPromotionRungSystem``, Zappella et al. 2021): the first ``num_threshold_candidates``
  trials (started from ``points_to_evaluate``) set a hurdle at every rung, the best value they
  reached there; any other trial has to be at least as good as the hurdle to go on, on top of
  the usual quantile rule.

**Rung types from other plugins.** ``HyperbandScheduler(type=T)`` with a ``T`` that is not
built in takes the searcher named ``T`` (unless ``searcher=`` names another) and asks it, at
every free worker, what to run next: the searcher implements ``choose`` of ``RungChooser``.
Results are handled as for ``type="promotion"`` (trials pause at every rung level). With
probability ``rung_system_kwargs["probability_sh"]`` the successive-halving rule promotes a
trial first. synetune-plugin-dyhpo supplies ``type="dyhpo"`` this way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

logger = logging.getLogger(__name__)

__all__ = ["Choice", "PausedTrial", "RungChooser", "RushThresholds"]

BUILT_IN = ("stopping", "promotion", "pasha", "cost_promotion", "rush_stopping", "rush_promotion")
STOPPING_TYPES = ("stopping", "rush_stopping")
DEFAULT_SH_PROBABILITY = 0.25  # Syne Tune's DEFAULT_SH_PROBABILITY
RUNG_SYSTEM_KEYS = ("num_threshold_candidates", "probability_sh")


@dataclass(frozen=True)
class PausedTrial:
    """A paused trial a ``RungChooser`` may resume: it waits at rung ``level`` with ``value``
    and would run to ``next_level`` (the next rung level, or ``max_t``)."""

    trial_id: int
    config: dict[str, Any]
    level: int
    next_level: int
    value: float


@dataclass(frozen=True)
class Choice:
    """A ``RungChooser``'s answer: resume paused trial ``resume``, or start ``config`` as a new
    trial (exactly one of them is set)."""

    resume: int | None = None
    config: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if (self.resume is None) == (self.config is None):
            raise ValueError("a Choice resumes a paused trial or starts a config, exactly one")


@runtime_checkable
class RungChooser(Protocol):
    """A searcher that decides what a free worker runs next (Syne Tune's DyHPO searcher).

    ``choose(trial_id, paused, min_resource)``: ``trial_id`` is the id a new trial gets,
    ``paused`` the paused trials not promoted yet (best first within a rung), ``min_resource``
    the level a new trial runs to first. Returns a ``Choice``, or None when nothing is left to
    start (the scheduler then tries a successive-halving promotion). The chooser still gets
    ``on_trial_result`` / ``register_pending`` / ``on_trial_complete`` as any searcher, with
    ``searcher_data`` as given to the scheduler.
    """

    def choose(self, trial_id: int, paused: list[PausedTrial], min_resource: int) -> Choice | None:
        """What the free worker runs next."""


def check_rung_system_kwargs(
    kwargs: dict[str, Any] | None,
    type: str,
    points_to_evaluate: list[Any] | None,  # noqa: A002
) -> dict[str, Any]:
    """Syne Tune's ``rung_system_kwargs`` with its defaults; ``num_threshold_candidates``
    defaults to the number of ``points_to_evaluate`` for the RUSH types (Syne Tune: 0)."""
    out = dict(kwargs or {})
    unknown = sorted(set(out) - set(RUNG_SYSTEM_KEYS))
    if unknown:
        raise ValueError(
            f"rung_system_kwargs has unknown keys {unknown}; valid keys: {list(RUNG_SYSTEM_KEYS)}"
        )
    probability = out.setdefault("probability_sh", DEFAULT_SH_PROBABILITY)
    if isinstance(probability, bool) or not isinstance(probability, int | float):
        raise ValueError(f"probability_sh must be a number in [0, 1), got {probability!r}")
    if not 0 <= probability < 1:
        raise ValueError(f"probability_sh must be a number in [0, 1), got {probability!r}")
    num = out.get("num_threshold_candidates")
    if type.startswith("rush_"):
        given = len(points_to_evaluate or [])
        if num is None:
            num = given
        if isinstance(num, bool) or not isinstance(num, int) or num < 0:
            raise ValueError(f"num_threshold_candidates must be an integer >= 0, got {num!r}")
        if num > given:
            raise ValueError(
                f"num_threshold_candidates={num} exceeds the {given} points_to_evaluate: the "
                "threshold candidates are the first points_to_evaluate (pass the configurations "
                "that set the hurdles there)"
            )
        if num == 0:
            logger.warning(
                "type=%r without threshold candidates (no points_to_evaluate): it behaves "
                "exactly like %r",
                type,
                type[len("rush_") :],
            )
    out["num_threshold_candidates"] = num or 0
    return out


@dataclass
class RushThresholds:
    """RUSH hurdles: per rung level, the best value the threshold trials reported there.

    The threshold trials are the first ``num`` trials the scheduler starts (their
    configurations are the first ``points_to_evaluate``; Syne Tune takes trial ids below
    ``num``, the same trials when ids count from 0).
    """

    num: int
    sign: int  # +1 minimising, -1 maximising
    trials: set[int] | None = None
    hurdles: dict[int, float] | None = None

    def __post_init__(self) -> None:
        self.trials = set()
        self.hurdles = {}

    def on_start(self, trial_id: int) -> None:
        if len(self.trials) < self.num:
            self.trials.add(trial_id)

    def record(self, trial_id: int, level: int, value: float) -> None:
        """A threshold trial reached ``level``: the hurdle there may get tighter."""
        if trial_id in self.trials:
            old = self.hurdles.get(level)
            if old is None or self.sign * value < self.sign * old:
                self.hurdles[level] = value

    def meets(self, trial_id: int, level: int, value: float) -> bool:
        """Threshold trials always meet the hurdle; others need a value at least as good."""
        if trial_id in self.trials:
            return True
        hurdle = self.hurdles.get(level)
        return hurdle is None or self.sign * value <= self.sign * hurdle


def rush_promotable(rung: Any, rush: RushThresholds) -> int | None:
    """The best paused trial of ``rung`` that meets the hurdle and lies within the top quantile
    (Syne Tune's RUSH promotion: the first entry passing the hurdle, then the quantile test)."""
    best = rung.best_candidate()
    if best is None:
        return None
    key = best
    if not rush.meets(best[2], rung.level, rung.sign * best[0]):
        # Later candidates are worse: only a threshold trial among them can pass the hurdle.
        keys = [rung.candidate_key[t] for t in rush.trials if t in rung.candidate_key]
        if not keys:
            return None
        key = min(keys)
    cutoff = rung.cutoff()
    value = rung.sign * key[0]
    if cutoff is None or not (value <= cutoff if rung.sign > 0 else value >= cutoff):
        return None
    return key[2]


def read_cost(trial_id: int, result: dict[str, Any], cost_attr: str) -> float:
    """The cost a result reports; ``cost_promotion`` needs it in every result."""
    if cost_attr not in result:
        raise ValueError(
            f"trial {trial_id} reported a result without cost_attr={cost_attr!r}; reported keys: "
            f"{sorted(result)}. type='cost_promotion' needs the cost (e.g. elapsed time) of "
            "reaching each resource level in every result"
        )
    try:
        cost = float(result[cost_attr])
    except (TypeError, ValueError):
        raise ValueError(
            f"trial {trial_id}: {cost_attr}={result[cost_attr]!r} is not a number"
        ) from None
    if not cost >= 0:
        raise ValueError(f"trial {trial_id}: {cost_attr}={cost!r} must be a number >= 0")
    return cost


def attach_type_searcher(
    owner: Any,
    searcher: Any,
    search_options: dict[str, Any] | None,
    points_to_evaluate: list[dict[str, Any]] | None,
) -> None:
    """Give ``owner`` (a ``HyperbandScheduler``) its searcher; for a type that is not built in
    the searcher must be a ``RungChooser``, which then decides what runs next."""
    from synetune.plugin_api import UnknownNameError
    from synetune_plugin_hyperband.common import attach_searcher

    external = owner.type not in BUILT_IN
    hint = (
        f"type={owner.type!r} is not a rung type of synetune-plugin-hyperband ({list(BUILT_IN)}); "
        "another plugin supplies such a type as a searcher of the same name that implements "
        "synetune_plugin_hyperband.rung_types.RungChooser"
        + (
            " (for type='dyhpo': pip install synetune-plugin-dyhpo)"
            if owner.type == "dyhpo"
            else ""
        )
    )
    try:
        attach_searcher(
            owner, searcher, search_options, owner.metric, owner.mode, points_to_evaluate
        )
    except UnknownNameError as err:
        if external and searcher == owner.type:
            raise ValueError(f"{hint}; no searcher {owner.type!r} is installed") from err
        raise
    if external:
        if not isinstance(owner.searcher, RungChooser):
            raise ValueError(f"{hint}; searcher {owner.searcher_name!r} does not")
        owner._chooser = owner.searcher
