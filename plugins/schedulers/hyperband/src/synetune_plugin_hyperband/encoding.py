"""Encode configurations as points of [0, 1]^d, so DEHB can mix them by differential evolution.

One dimension per searched hyperparameter: floats linearly (or in log space for log domains),
integers by equal-width bins (log-spaced for log domains), categorical, ordinal and finite-range
domains by equal-width bins over their values. Decoding any point of [0, 1]^d gives a valid
configuration, and ``decode(encode(config))`` gives ``config`` back (floats up to rounding).
"""

from __future__ import annotations

import math
from typing import Any

from synetune_sdk.config_space import Categorical, Domain, FiniteRange, Float, Integer


class Encoder:
    """Maps configurations of ``config_space`` to lists of floats in [0, 1] and back."""

    def __init__(self, config_space: dict[str, Any]):
        self.config_space = dict(config_space)
        self.names = [
            name for name, domain in self.config_space.items() if isinstance(domain, Domain)
        ]
        for name in self.names:
            domain = self.config_space[name]
            if not isinstance(domain, Float | Integer | Categorical | FiniteRange):
                raise ValueError(
                    f"hyperparameter {name!r}: DEHB cannot encode domains of type {type(domain).__name__} "
                    "(supported: uniform/loguniform, randint/lograndint, choice/ordinal, finrange)"
                )
        if not self.names:
            raise ValueError("the config space has no hyperparameter to search (only constants)")

    @property
    def size(self) -> int:
        return len(self.names)

    def encode(self, config: dict[str, Any]) -> list[float]:
        return [_encode(self.config_space[name], config[name]) for name in self.names]

    def decode(self, point: Any) -> dict[str, Any]:
        """The configuration (with the config space's constants) at ``point``."""
        values = {
            name: _decode(self.config_space[name], float(u)) for name, u in zip(self.names, point)
        }
        return {name: values.get(name, value) for name, value in self.config_space.items()}


def _choices(domain: Domain) -> list[Any]:
    return domain.values if isinstance(domain, FiniteRange) else domain.categories


def _encode(domain: Domain, value: Any) -> float:
    if isinstance(domain, Float):
        if domain.log:
            u = (math.log(value) - math.log(domain.lower)) / (
                math.log(domain.upper) - math.log(domain.lower)
            )
        else:
            u = (value - domain.lower) / (domain.upper - domain.lower)
    elif isinstance(domain, Integer):
        if domain.log:
            low, high = math.log(domain.lower), math.log(domain.upper + 1)
            u = (math.log(value + 0.5) - low) / (high - low)
        else:
            u = (value - domain.lower + 0.5) / (domain.upper - domain.lower + 1)
    else:
        choices = _choices(domain)
        u = (_index_of(choices, value) + 0.5) / len(choices)
    return min(max(u, 0.0), 1.0)


def _decode(domain: Domain, u: float) -> Any:
    u = min(max(u, 0.0), 1.0)
    if isinstance(domain, Float):
        if domain.log:
            low, high = math.log(domain.lower), math.log(domain.upper)
            value = math.exp(low + u * (high - low))
        else:
            value = domain.lower + u * (domain.upper - domain.lower)
        return min(max(value, domain.lower), domain.upper)
    if isinstance(domain, Integer):
        if domain.log:
            low, high = math.log(domain.lower), math.log(domain.upper + 1)
            value = int(math.floor(math.exp(low + u * (high - low))))
        else:
            value = domain.lower + int(math.floor(u * (domain.upper - domain.lower + 1)))
        return min(max(value, domain.lower), domain.upper)
    choices = _choices(domain)
    return choices[min(int(math.floor(u * len(choices))), len(choices) - 1)]


def _index_of(choices: list[Any], value: Any) -> int:
    for i, choice in enumerate(choices):
        if choice == value:
            return i
    if all(isinstance(c, int | float) for c in choices):  # finrange floats: the nearest value
        return min(range(len(choices)), key=lambda i: abs(choices[i] - value))
    raise ValueError(f"{value!r} is not one of {choices!r}")
