"""Pieces every Hyperband-family scheduler of this plugin shares.

Argument checks that name the argument, rung levels (geometric, linear or explicit), numpy's
quantile interpolation between two order statistics (so a decision costs no sort), attaching the
searcher (built by ``synetune.plugin_api.make_searcher``), and completing a searcher's
configuration with the config space's constants. The maximum resource ``max_t`` follows
``synetune_sdk.max_resource.infer_max_t``, the rule FIFO shares.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from synetune_sdk.config_space import Domain, cast_config


def check_unknown(owner: str, kwargs: dict[str, Any], valid: str) -> None:
    """Unknown keyword arguments raise, as Syne Tune's ``assert_no_invalid_options`` does."""
    if kwargs:
        raise TypeError(
            f"{owner} got unknown argument(s) {sorted(kwargs)}; valid arguments are {valid}"
        )


def check_metric_mode(metric: Any, mode: Any) -> None:
    if not isinstance(metric, str) or not metric:
        raise ValueError(
            f"metric must be the name of one reported metric (a non-empty string), got {metric!r}; "
            "Hyperband schedulers optimise a single objective"
        )
    if mode not in ("min", "max"):
        raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")


def check_positive_int(name: str, value: Any) -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or value != int(value)
        or value < 1
    ):
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def draw_seed(random_seed: int | None) -> int:
    """The seed to use: ``random_seed``, or one drawn now (recorded in ``metadata()``)."""
    if random_seed is None:
        return secrets.randbelow(2**31 - 1)
    if isinstance(random_seed, bool) or not isinstance(random_seed, int):
        raise ValueError(f"random_seed must be an integer or None, got {random_seed!r}")
    return random_seed


def geometric_levels(grace_period: int, reduction_factor: float, max_t: int) -> list[int]:
    """``round(grace_period * reduction_factor**k)`` for every k with a value below ``max_t``."""
    levels = []
    k = 0
    while grace_period * reduction_factor**k < max_t:
        levels.append(int(round(grace_period * reduction_factor**k)))
        k += 1
    return levels


def rung_levels_for(
    max_t: int,
    grace_period: Any = 1,
    reduction_factor: Any = None,
    rung_increment: Any = None,
    rung_levels: Any = None,
) -> list[int]:
    """Rung levels (all below ``max_t``), as Syne Tune's ``successive_halving_rung_levels``.

    Explicit ``rung_levels`` win (a last entry equal to ``max_t`` is dropped); else geometric
    ``grace_period * reduction_factor**k`` when ``reduction_factor`` is given; else linear
    ``grace_period + k * rung_increment``.
    """
    if rung_levels is not None:
        if not isinstance(rung_levels, list | tuple) or not rung_levels:
            raise ValueError(
                f"rung_levels must be a non-empty list of positive integers, got {rung_levels!r}"
            )
        levels = [check_positive_int("rung_levels entries", x) for x in rung_levels]
        if any(a >= b for a, b in zip(levels, levels[1:])):
            raise ValueError(f"rung_levels must be strictly increasing, got {list(rung_levels)}")
        if levels[-1] > max_t:
            raise ValueError(f"rung_levels must not exceed max_t={max_t}, got {list(rung_levels)}")
        if levels[-1] == max_t:
            levels = levels[:-1]
        if not levels:
            raise ValueError(
                f"rung_levels={list(rung_levels)} leaves no rung level below max_t={max_t}; give at "
                "least one level smaller than max_t"
            )
        return levels
    grace_period = check_positive_int("grace_period", grace_period)
    if grace_period >= max_t:
        raise ValueError(
            f"grace_period={grace_period} must be smaller than max_t={max_t}: the first rung level "
            "has to lie below the maximum resource (lower grace_period or raise max_t)"
        )
    if reduction_factor is not None:
        if (
            isinstance(reduction_factor, bool)
            or not isinstance(reduction_factor, int | float)
            or reduction_factor < 2
        ):
            raise ValueError(f"reduction_factor must be a number >= 2, got {reduction_factor!r}")
        return geometric_levels(grace_period, float(reduction_factor), max_t)
    if rung_increment is None:
        raise ValueError("give reduction_factor, rung_increment or rung_levels")
    rung_increment = check_positive_int("rung_increment", rung_increment)
    return list(range(grace_period, max_t, rung_increment))


def lerp(a: float, b: float, t: float) -> float:
    """numpy's linear interpolation (``numpy.lib._function_base_impl._lerp``), bit for bit."""
    diff = b - a
    if t >= 0.5:
        return b - diff * (1.0 - t)
    return a + diff * t


def sorted_quantile(values: list[float], q: float) -> float:
    """``numpy.quantile(values, q)`` (method "linear") for an ascending list, in O(1)."""
    n = len(values)
    virtual = (n - 1) * q
    below = min(max(math.floor(virtual), 0), n - 1)
    above = min(below + 1, n - 1)
    return interpolate(values[below], values[above], virtual - below)


def interpolate(a: float, b: float, t: float) -> float:
    """numpy's interpolation between neighbouring order statistics ``a <= b``."""
    if math.isinf(a) or math.isinf(b):
        # A NaN metric is recorded as the worst value (+-inf); numpy would answer NaN here, which
        # would stop every trial. The limit of the interpolation is the useful answer.
        return a if t == 0 or a == b else (b if math.isinf(b) else a)
    return lerp(a, b, t)


def complete_config(
    config: dict[str, Any], config_space: dict[str, Any], searcher_name: str
) -> dict[str, Any]:
    """Cast the searcher's values to their domains and add the constants it left out."""
    missing = [
        name
        for name, domain in config_space.items()
        if isinstance(domain, Domain) and name not in config
    ]
    if missing:
        raise ValueError(
            f"searcher {searcher_name!r} suggested {config!r}, which lacks the hyperparameter(s) {missing}"
        )
    config = cast_config(config, config_space)
    out = {name: config.get(name, value) for name, value in config_space.items()}
    out.update({k: v for k, v in config.items() if k not in out})
    return out


def read_result(
    trial_id: int, result: dict[str, Any], metric: str, resource_attr: str
) -> tuple[float, int]:
    """``(metric value, resource level)`` of a result; bad input raises a ValueError that says why."""
    if resource_attr not in result:
        raise ValueError(
            f"trial {trial_id} reported a result without the resource attribute "
            f"resource_attr={resource_attr!r}; reported keys: {sorted(result)}. Report it in every "
            "result (e.g. Reporter()(epoch=epoch, ...)) or set resource_attr to the reported key"
        )
    if metric not in result:
        raise ValueError(
            f"trial {trial_id} reported a result without the metric {metric!r} this scheduler "
            f"optimises; reported keys: {sorted(result)}. Report it in every result, or set metric= "
            "to a reported key"
        )
    resource = result[resource_attr]
    if isinstance(resource, bool) or not isinstance(resource, int | float) or resource != resource:
        raise ValueError(
            f"trial {trial_id}: {resource_attr}={resource!r} must be a positive integer"
        )
    if resource < 1 or resource != int(resource):
        raise ValueError(
            f"trial {trial_id}: {resource_attr}={resource!r} must be a positive integer (the number "
            "of epochs done, starting at 1)"
        )
    value = result[metric]
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"trial {trial_id}: metric {metric}={value!r} is not a number") from None
    return value, int(resource)


def attach_searcher(
    owner: Any,
    searcher: Any,
    search_options: dict[str, Any] | None,
    metric: str,
    mode: str,
    points_to_evaluate: list[dict[str, Any]] | None,
) -> None:
    """Give a scheduler its searcher (``owner.searcher``, ``owner.searcher_name``) and let the
    searcher read the scheduler's settings (rung levels, resource attribute, ...)."""
    owner.searcher_name = searcher if isinstance(searcher, str) else type(searcher).__name__
    from synetune.plugin_api import make_searcher

    owner.searcher = make_searcher(
        searcher,
        config_space=owner.config_space,
        metric=metric,
        mode=mode,
        points_to_evaluate=points_to_evaluate,
        random_seed=owner.random_seed,
        search_options=search_options,
    )
    owner.searcher.configure_scheduler(owner)


EARLY_REMOVAL_KEYS = (
    "max_num_checkpoints",
    "approx_steps",
    "max_wallclock_time",
    "prior_beta_mean",
    "prior_beta_size",
    "min_data_at_rung",
)


def check_early_removal(kwargs: dict[str, Any] | None, type: str) -> dict[str, Any] | None:  # noqa: A002
    """Validate ``early_checkpoint_removal_kwargs``; ``default_callbacks()`` turns them into the
    ``hyperband_checkpoint_removal`` callback (which checks ``max_num_checkpoints > n_workers``
    when the run starts)."""
    if kwargs is None:
        return None
    unknown = sorted(set(kwargs) - set(EARLY_REMOVAL_KEYS))
    if unknown:
        raise ValueError(
            f"early_checkpoint_removal_kwargs has unknown keys {unknown}; valid keys: {list(EARLY_REMOVAL_KEYS)}"
        )
    if not isinstance(kwargs.get("max_num_checkpoints"), int) or kwargs["max_num_checkpoints"] < 1:
        raise ValueError(
            "early_checkpoint_removal_kwargs needs max_num_checkpoints, a positive int"
        )
    if type in ("stopping", "rush_stopping"):
        raise ValueError(
            "early_checkpoint_removal_kwargs only applies to pause-and-resume types "
            f"('promotion', 'pasha', ...); type={type!r} never keeps paused checkpoints"
        )
    return dict(kwargs)
