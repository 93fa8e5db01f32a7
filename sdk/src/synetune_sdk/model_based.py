"""What every model-based searcher does around its model, in one place.

A searcher plugin (Gaussian processes, BoTorch, ...) subclasses ``ModelBasedSearcher`` and
implements ``_model_ready()`` (enough data for the model) and ``_model_row(**kwargs)`` (the
encoded row the model proposes, or None). The base class validates the common arguments, hands
out ``points_to_evaluate`` first, draws random configurations until the model is ready or when
it proposes nothing, and never suggests a configuration twice unless ``allow_duplicates``:
configurations are compared on the snapped encoded rows of ``synetune_sdk.encoding``, and small
finite spaces are enumerated so that random draws only pick configurations not seen yet.

Only searchers import this module (numpy is imported at module level).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from synetune_sdk.config_space import (
    Domain,
    impute_points_to_evaluate,
    make_random_state,
    validate_config_space,
)
from synetune_sdk.encoding import ConfigEncoder
from synetune_sdk.searcher import Searcher

__all__ = ["ModelBasedSearcher", "check_integers", "finite_or_none", "row_keys"]

# Finite spaces up to this size are enumerated: random draws pick among unseen configurations.
MAX_ENUMERATED = 2048


def row_keys(X: np.ndarray) -> list[bytes]:
    """Hashable identities of snapped encoded rows (equal configurations give equal keys)."""
    return [row.tobytes() for row in np.round(X, 9) + 0.0]


def check_integers(checks: Iterable[tuple[str, Any, int]]) -> None:
    """Raise a ValueError naming the first ``(name, value, lowest)`` that is not an integer
    >= lowest."""
    for name, value, low in checks:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def finite_or_none(value: Any) -> float | None:
    """``value`` as a finite float, None for missing, non-numeric, NaN or infinite values."""
    if isinstance(value, bool):
        return float(value)
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def check_flat_space(config_space: Any, searcher: str) -> None:
    """Refuse conditional or nested spaces (a domain inside a dict or list, or a callable):
    a model needs every hyperparameter, as one fixed column, in every configuration."""
    if not isinstance(config_space, dict):
        return  # validate_config_space reports it
    for name, value in config_space.items():
        if _holds_domain(value) or (callable(value) and not isinstance(value, Domain)):
            raise ValueError(
                f"{searcher}: hyperparameter {name!r} is {type(value).__name__} {value!r} (a "
                "conditional or nested space), which the model cannot use. Flatten the space "
                "into one dict of domains and constants (e.g. a choice() for the branch and every "
                "branch's hyperparameters side by side; a training script ignores those of the "
                "branches not taken), or use searcher='random'"
            )


def _holds_domain(value: Any) -> bool:
    """Whether a constant (a dict, list or tuple) has a domain or a callable inside."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list | tuple):
        return any(isinstance(v, Domain) or callable(v) or _holds_domain(v) for v in value)
    return False


class ModelBasedSearcher(Searcher):
    """Base of searchers that propose configurations with a model over the encoded space.

    ``known_options`` are Syne Tune ``search_options`` a subclass accepts without using them:
    other unknown keyword arguments get a warning naming them (a misspelt option should not
    pass silently). Multi-fidelity searchers also derive from
    ``synetune_sdk.searcher.MultiFidelitySearcher``.
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        allow_duplicates: bool = False,
        known_options: Iterable[str] = (),
        **kwargs: Any,
    ):
        validate_config_space(config_space)
        if not isinstance(metric, str) or not metric:
            raise ValueError(
                f"metric must be the name of one reported metric, got {metric!r}; "
                f"{type(self).__name__} optimises a single objective"
            )
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        unknown = sorted(set(kwargs) - set(known_options))
        if unknown:
            warnings.warn(
                f"{type(self).__name__} ignores the unknown option(s) {unknown}; check their "
                "spelling",
                UserWarning,
                stacklevel=3,
            )
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=impute_points_to_evaluate(points_to_evaluate, config_space),
            random_seed=random_seed,
        )
        self.encoder = ConfigEncoder(self.config_space)
        self.random_state = make_random_state(random_seed)
        self.allow_duplicates = bool(allow_duplicates)
        self._sign = 1.0 if mode == "min" else -1.0
        self._seen: set[bytes] = set()
        self._enumerated = (
            self.encoder.enumerate_encoded(MAX_ENUMERATED) if self.encoder.dim else None
        )
        self._enumerated_keys: list[bytes] | None = None

    # -- what subclasses provide ---------------------------------------------------------------
    def _model_ready(self) -> bool:
        """Whether the model has enough data to propose configurations."""
        raise NotImplementedError

    def _model_row(self, **kwargs: Any) -> np.ndarray | None:
        """The encoded row the model proposes (not seen before), or None."""
        raise NotImplementedError

    # -- suggest -------------------------------------------------------------------------------
    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any] | None:
        while self.points_to_evaluate:
            config = self.next_initial_config()
            if self._claim(self.encoder.encode(config)):
                return config
        if self.encoder.dim == 0:
            config = self.encoder.decode(np.zeros((1, 0)))[0]
            return config if self._claim(np.zeros((1, 0))) else None
        row = self._model_row(**kwargs) if self._model_ready() else None
        if row is None or not self._claim(row[None, :]):
            row = self._random_row()
            if row is None:
                return None
            self._claim(row[None, :])
        return self.encoder.decode(row[None, :])[0]

    # -- duplicates ----------------------------------------------------------------------------
    def _key(self, rows: np.ndarray) -> bytes:
        return row_keys(self.encoder.snap(rows))[0]

    def _mark_seen(self, config: dict[str, Any]) -> np.ndarray:
        """Record an evaluated configuration (never suggested again); returns its encoded row."""
        row = self.encoder.encode(config)
        self._seen.add(self._key(row))
        return row[0]

    def _claim(self, rows: np.ndarray) -> bool:
        """Record a configuration as suggested; False if it was suggested before."""
        key = self._key(rows)
        if key in self._seen and not self.allow_duplicates:
            return False
        self._seen.add(key)
        return True

    def _exclude(self) -> set[bytes]:
        """Keys of rows a proposal must avoid."""
        return set() if self.allow_duplicates else self._seen

    def _random_row(self) -> np.ndarray | None:
        """A random encoded row not seen yet (None once a finite space is exhausted)."""
        exclude = self._exclude()
        if self._enumerated is not None:
            if self._enumerated_keys is None:
                self._enumerated_keys = row_keys(self._enumerated)
            free = [i for i, k in enumerate(self._enumerated_keys) if k not in exclude]
            if not free:
                return None
            return self._enumerated[free[int(self.random_state.integers(len(free)))]]
        for _ in range(100):
            row = self.encoder.sample_encoded(1, self.random_state)[0]
            if row_keys(row[None, :])[0] not in exclude:
                return row
        return None
