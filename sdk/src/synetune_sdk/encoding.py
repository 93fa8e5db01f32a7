"""Encoding of a config space into the unit cube [0, 1]^d, shared by model-based searchers.

Surrogate models (Gaussian processes, BoTorch, density estimators) work on vectors; this module
maps configurations to rows of a matrix and back, vectorised over many configurations:

* ``Float``: one column, ``(v - lower) / (upper - lower)``, on the log scale for log domains
  (of ``-log(1 - v)`` for ``reverseloguniform``).
* ``Integer``: one column, continuous over ``[lower - 0.5, upper + 0.5]`` (log scale for log
  domains) so that every integer owns an interval of the same width; decoding rounds.
* Quantized ``Float`` / ``Integer`` (``quniform``, ``qrandint``, ...): as above, decoding rounds
  to the nearest multiple of ``q`` (integers: each multiple owns an interval of width ``q``).
* ``Categorical``: one-hot, one column per category; decoding takes the largest entry.
* ``Ordinal`` with ``kind="equal"``: one column, the rank in equal-width bins. ``kind="nn"`` /
  ``"nn-log"`` and ``FiniteRange``: one column over the numeric values (log scale where the
  domain is), decoding picks the nearest value.
* Constants and domains with a single value take no column; decoding puts them back.

Only searchers import this module (numpy is imported at module level).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from synetune_sdk.config_space import (
    Categorical,
    Domain,
    FiniteRange,
    Float,
    Integer,
    Ordinal,
    make_random_state,
    validate_config_space,
)

__all__ = ["ConfigEncoder"]

# Integers own [v - 0.5 + EPS, v + 0.5 - EPS] so that rounding a decoded value never leaves the
# domain.
_INT_EPS = 1e-6


@dataclass
class _Column:
    """How one hyperparameter maps to columns ``start:start + width`` of the encoded matrix."""

    name: str
    domain: Domain
    start: int
    width: int
    kind: str  # "numeric" (Float/Integer/nn ordinals), "rank" (equal ordinals), "onehot"
    low: float = 0.0  # numeric: internal lower bound (after log if log)
    high: float = 1.0
    log: bool = False
    values: np.ndarray | None = None  # finite numeric domains: allowed values (nearest decoding)
    grid: np.ndarray | None = None  # ``values`` on the internal (log) scale
    categories: list[Any] | None = None  # onehot / rank
    reverse: bool = False  # numeric: internal scale -log(1 - v) (reverseloguniform)


class ConfigEncoder:
    """Map configurations of ``config_space`` to rows of [0, 1]^dim and back.

    ``encode(configs)`` gives an ``(n, dim)`` array, ``decode(X)`` the configurations (with the
    constants of the space), ``snap(X)`` the encoding of the decoded rows (where rounding lands),
    ``sample_encoded(n, rng)`` rows of uniformly random configurations.
    """

    def __init__(self, config_space: dict[str, Any]):
        validate_config_space(config_space)
        self.config_space = dict(config_space)
        self.columns: list[_Column] = []
        self.constants: dict[str, Any] = {}
        start = 0
        for name, domain in self.config_space.items():
            column = _make_column(name, domain, start)
            if column is None:
                self.constants[name] = (
                    _single_value(domain) if isinstance(domain, Domain) else domain
                )
                continue
            self.columns.append(column)
            start += column.width
        self.dim = start

    @property
    def names(self) -> list[str]:
        """The hyperparameters that take columns, in column order."""
        return [c.name for c in self.columns]

    @property
    def onehot_slices(self) -> list[slice]:
        """Column ranges of the categorical hyperparameters (one-hot blocks)."""
        return [slice(c.start, c.start + c.width) for c in self.columns if c.kind == "onehot"]

    # -- configurations to matrix ------------------------------------------------------------
    def encode(self, configs: list[dict[str, Any]] | dict[str, Any]) -> np.ndarray:
        """An ``(n, dim)`` array for ``n`` configurations (a single dict gives ``(1, dim)``)."""
        if isinstance(configs, dict):
            configs = [configs]
        n = len(configs)
        X = np.zeros((n, self.dim))
        for column in self.columns:
            try:
                raw = [config[column.name] for config in configs]
            except KeyError:
                raise ValueError(
                    f"cannot encode a configuration without hyperparameter {column.name!r}"
                ) from None
            X[:, column.start : column.start + column.width] = _encode_column(column, raw)
        return X

    # -- matrix to configurations ------------------------------------------------------------
    def decode(self, X: np.ndarray) -> list[dict[str, Any]]:
        """Configurations for the rows of ``X`` (clipped to [0, 1], rounded to valid values)."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        self._check_shape(X)
        per_column = [self._decode_values(column, X) for column in self.columns]
        configs = []
        for i in range(X.shape[0]):
            config = {}
            for name in self.config_space:
                config[name] = self.constants.get(name)
            for column, values in zip(self.columns, per_column):
                config[column.name] = values[i]
            configs.append(config)
        return configs

    def snap(self, X: np.ndarray) -> np.ndarray:
        """``encode(decode(X))`` without building dicts: where each row's configuration lies."""
        X = np.atleast_2d(np.asarray(X, dtype=float))
        self._check_shape(X)
        out = np.empty_like(X)
        for c in self.columns:
            block = np.clip(X[:, c.start : c.start + c.width], 0.0, 1.0)
            if c.kind == "onehot":
                out[:, c.start : c.start + c.width] = _onehot(np.argmax(block, axis=1), c.width)
            elif c.kind == "rank":
                k = len(c.categories)
                out[:, c.start] = (_rank_index(block[:, 0], k) + 0.5) / k
            else:
                internal = _internal_values(c, self._decode_numeric(c, block[:, 0]))
                out[:, c.start] = (internal - c.low) / (c.high - c.low)
        return out

    def sample_encoded(self, n: int, random_state: Any = None) -> np.ndarray:
        """``n`` rows of configurations drawn uniformly in the encoded space (then snapped)."""
        rng = make_random_state(random_state)
        X = rng.uniform(0.0, 1.0, size=(n, self.dim))
        for c in self.onehot_slices:
            width = c.stop - c.start
            X[:, c] = _onehot(rng.integers(0, width, size=n), width)
        return self.snap(X)

    def enumerate_encoded(self, max_size: int) -> np.ndarray | None:
        """Every configuration of a finite space as rows, or None if infinite or larger."""
        sizes = [c.domain.size() for c in self.columns]
        if any(s is None for s in sizes) or math.prod(sizes) > max_size:
            return None
        grids = [_all_values(c) for c in self.columns]
        configs = [dict(zip(self.names, values)) for values in itertools.product(*grids)]
        return self.encode(configs) if configs else np.zeros((1, 0))

    # -- helpers -----------------------------------------------------------------------------
    def _check_shape(self, X: np.ndarray) -> None:
        if X.shape[1] != self.dim:
            raise ValueError(
                f"encoded configurations must have {self.dim} columns, got {X.shape[1]}"
            )

    def _decode_values(self, c: _Column, X: np.ndarray) -> list[Any]:
        block = np.clip(X[:, c.start : c.start + c.width], 0.0, 1.0)
        if c.kind == "onehot":
            return [c.categories[int(i)] for i in np.argmax(block, axis=1)]
        if c.kind == "rank":
            return [c.categories[int(i)] for i in _rank_index(block[:, 0], len(c.categories))]
        if isinstance(c.domain, Ordinal):
            internal = c.low + block[:, 0] * (c.high - c.low)
            return [c.categories[int(i)] for i in _nearest_index(c.grid, internal)]
        values = self._decode_numeric(c, block[:, 0])
        if isinstance(c.domain, Float):
            return [float(v) for v in values]
        if isinstance(c.domain, Integer) or (
            isinstance(c.domain, FiniteRange) and c.domain.cast_int
        ):
            return [int(v) for v in values]
        return [float(v) for v in values]

    def _decode_numeric(self, c: _Column, u: np.ndarray) -> np.ndarray:
        """Values in the domain's own units for column values ``u`` in [0, 1]."""
        internal = c.low + u * (c.high - c.low)
        if c.grid is not None:
            return c.values[_nearest_index(c.grid, internal)]
        if c.reverse:
            values = -np.expm1(-internal)
        else:
            values = np.exp(internal) if c.log else internal
        if isinstance(c.domain, Float):
            values = np.clip(values, c.domain.lower, c.domain.upper)
        else:
            values = np.clip(np.rint(values), c.domain.lower, c.domain.upper)
        return values if c.domain.q is None else np.asarray(c.domain._snap(values))


def _make_column(name: str, domain: Any, start: int) -> _Column | None:
    if not isinstance(domain, Domain) or domain.size() == 1:
        return None
    if isinstance(domain, Float):
        if domain.reverse_log:
            low, high = -math.log1p(-domain.lower), -math.log1p(-domain.upper)
            return _Column(name, domain, start, 1, "numeric", low, high, reverse=True)
        low, high = (
            (math.log(domain.lower), math.log(domain.upper))
            if domain.log
            else (
                domain.lower,
                domain.upper,
            )
        )
        return _Column(name, domain, start, 1, "numeric", low, high, domain.log)
    if isinstance(domain, Integer):
        lo, hi = domain.lower - 0.5 + _INT_EPS, domain.upper + 0.5 - _INT_EPS
        if domain.q is not None:  # every multiple of q owns an interval of width q
            first, last = domain._multiples()
            lo, hi = (first - 0.5) * domain.q + _INT_EPS, (last + 0.5) * domain.q - _INT_EPS
        if domain.log:
            lo, hi = math.log(max(lo, 0.5 * domain.lower)), math.log(hi)
        return _Column(name, domain, start, 1, "numeric", lo, hi, domain.log)
    if isinstance(domain, Ordinal):
        if domain.kind == "equal":
            return _Column(name, domain, start, 1, "rank", categories=list(domain.categories))
        values = np.asarray(domain.categories, dtype=float)
        return _grid_column(name, domain, start, values, domain.kind == "nn-log", domain.categories)
    if isinstance(domain, FiniteRange):
        values = np.asarray(domain.values, dtype=float)
        return _grid_column(name, domain, start, values, domain.log_scale)
    if isinstance(domain, Categorical):
        return _Column(
            name,
            domain,
            start,
            len(domain.categories),
            "onehot",
            categories=list(domain.categories),
        )
    raise ValueError(
        f"hyperparameter {name!r}: cannot encode domain {domain!r}; supported are Float, Integer, "
        "Categorical, Ordinal and FiniteRange"
    )


def _grid_column(
    name: str, domain: Any, start: int, values: Any, log: bool, categories: Any = None
) -> _Column:
    """A numeric column whose values lie on a sorted grid (ordinal numbers, finite ranges)."""
    low, high = (math.log(values[0]), math.log(values[-1])) if log else (values[0], values[-1])
    grid = np.log(values) if log else values
    extra = (list(categories),) if categories is not None else ()
    return _Column(name, domain, start, 1, "numeric", low, high, log, values, grid, *extra)


def _single_value(domain: Domain) -> Any:
    return domain.grid(1)[0]


def _encode_column(c: _Column, raw: list[Any]) -> np.ndarray:
    if c.kind == "onehot":
        index = {_category_key(v): i for i, v in enumerate(c.categories)}
        try:
            rows = [index[_category_key(v)] for v in raw]
        except KeyError as err:
            raise ValueError(
                f"hyperparameter {c.name!r}: value {err.args[0]!r} is not one of {c.categories!r}"
            ) from None
        return _onehot(np.asarray(rows, dtype=int), c.width)
    if c.kind == "rank":
        index = {_category_key(v): i for i, v in enumerate(c.categories)}
        try:
            ranks = np.asarray([index[_category_key(v)] for v in raw], dtype=float)
        except KeyError as err:
            raise ValueError(
                f"hyperparameter {c.name!r}: value {err.args[0]!r} is not one of {c.categories!r}"
            ) from None
        return ((ranks + 0.5) / len(c.categories))[:, None]
    values = np.asarray(raw, dtype=float)
    internal = _internal_values(c, values)
    return np.clip((internal - c.low) / (c.high - c.low), 0.0, 1.0)[:, None]


def _internal_values(c: _Column, values: np.ndarray) -> np.ndarray:
    if c.reverse:
        return -np.log1p(-np.minimum(values, 1.0 - 1e-16))
    if c.log:
        return np.log(np.maximum(values, 1e-300))
    return values


def _category_key(value: Any) -> Any:
    # True == 1 in Python; keep booleans and numbers apart.
    return (type(value).__name__ == "bool", value)


def _onehot(index: np.ndarray, width: int) -> np.ndarray:
    out = np.zeros((len(index), width))
    out[np.arange(len(index)), index] = 1.0
    return out


def _rank_index(u: np.ndarray, k: int) -> np.ndarray:
    return np.clip(np.floor(u * k), 0, k - 1).astype(int)


def _nearest_index(grid: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index of the nearest entry of the ascending ``grid`` for each value."""
    right = np.clip(np.searchsorted(grid, values), 1, len(grid) - 1)
    left = right - 1
    return np.where(np.abs(values - grid[left]) <= np.abs(grid[right] - values), left, right)


def _all_values(c: _Column) -> list[Any]:
    if c.categories is not None:
        return list(c.categories)
    return c.domain.grid(c.domain.size())
