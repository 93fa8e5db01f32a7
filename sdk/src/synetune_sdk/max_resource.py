"""The maximum resource level ``max_t`` of a run (e.g. the number of epochs), read as Syne Tune does.

One rule for every scheduler that needs it (FIFO, the Hyperband family, DEHB, ...):

1. ``config_space[max_resource_attr]``, when ``max_resource_attr`` is given and names a constant
   of the config space (a searched hyperparameter there is an error: the maximum must be fixed);
   an explicit ``max_t`` that differs from it is a contradiction and raises;
2. else the explicit ``max_t`` argument;
3. else the first constant among the config-space keys ``epochs``, ``max_t``, ``max_epochs``;
4. else ``None``, or a ``ValueError`` that says what to pass when the scheduler needs it.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["MAX_T_KEYS", "infer_max_t"]

# Config-space keys holding the maximum resource when neither max_t nor max_resource_attr says
# (Syne Tune's order).
MAX_T_KEYS = ("epochs", "max_t", "max_epochs")


def infer_max_t(
    config_space: dict[str, Any],
    max_resource_attr: str | None = None,
    max_t: int | None = None,
    *,
    required: bool = True,
    max_t_name: str = "max_t",
) -> int | None:
    """The maximum resource level, by the rule of this module.

    ``max_t_name`` is the argument's name in the caller's signature (``max_resource_level`` for
    the synchronous schedulers), used in error messages. With ``required=False`` a run without
    any maximum gives ``None`` instead of an error.
    """
    if max_resource_attr is not None and not isinstance(max_resource_attr, str):
        raise ValueError(
            f"max_resource_attr must be a config-space key (a string), got {max_resource_attr!r}"
        )
    if max_t is not None:
        max_t = _positive_int(max_t_name, max_t)
    if max_resource_attr and max_resource_attr in config_space:
        from_attr = _constant(config_space[max_resource_attr])
        if from_attr is None:
            raise ValueError(
                f"max_resource_attr={max_resource_attr!r} must name a constant positive integer "
                f"of the config space, got config_space[{max_resource_attr!r}] = "
                f"{config_space[max_resource_attr]!r}"
            )
        if max_t is not None and max_t != from_attr:
            raise ValueError(
                f"{max_t_name}={max_t} contradicts config_space[{max_resource_attr!r}] = "
                f"{from_attr}; pass only max_resource_attr (preferred) or make them equal"
            )
        return from_attr
    if max_t is not None:
        return max_t
    for name in MAX_T_KEYS:
        value = _constant(config_space.get(name))
        if value is not None:
            return value
    if not required:
        return None
    raise ValueError(
        f"the maximum resource level cannot be inferred: pass {max_t_name}=..., or "
        "max_resource_attr naming a constant of the config space (e.g. max_resource_attr='epochs' "
        "with config_space['epochs'] = 27), or put one of the constants "
        f"{', '.join(repr(k) for k in MAX_T_KEYS)} into the config space"
    )


def _positive_int(name: str, value: Any) -> int:
    if _constant(value) is None:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _constant(value: Any) -> int | None:
    """``value`` as an int if it is a whole number >= 1 (not a bool, not a domain), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value != int(value) or value < 1:
        return None
    return int(value)
