"""``BlackboxFunction`` / ``from_function``: a blackbox computed by a Python function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from synetune_plugin_blackbox_repository.base import (
    _fidelity_values_of,
    _plain,
    _TableMixin,
    check_configuration,
)
from synetune_sdk.blackbox import Blackbox
from synetune_sdk.config_space import Domain

__all__ = ["BlackboxFunction", "from_function"]


class BlackboxFunction(_TableMixin, Blackbox):
    """A blackbox computed by ``eval_fun(config, fidelity, seed) -> dict of objectives``.

    ``fidelity_values`` default to the values of a finite fidelity domain (``randint(1, 81)``
    gives 1..81); they are needed for ``objective_curve`` (the simulator). A function that
    computes a whole learning curve at once is cheaper as ``curve_fun(config, seed)``: it
    returns, per objective name, one value per fidelity (a dict of sequences), or an array of
    shape (fidelities, objectives) in ``objectives_names`` order. The simulator then makes one
    call per trial instead of one per fidelity, and the configuration is validated once.
    """

    def __init__(
        self,
        configuration_space: dict[str, Any],
        eval_fun: Callable[..., dict[str, float]] | None = None,
        fidelity_space: dict[str, Any] | None = None,
        objectives_names: list[str] | None = None,
        fidelity_values: list[Any] | None = None,
        curve_fun: Callable[..., Any] | None = None,
    ):
        if eval_fun is None and curve_fun is None:
            raise TypeError(
                "pass eval_fun(config, fidelity, seed) -> dict of objectives, or "
                "curve_fun(config, seed) -> {objective: [value per fidelity]}"
            )
        for name, fun in (("eval_fun", eval_fun), ("curve_fun", curve_fun)):
            if fun is not None and not callable(fun):
                raise TypeError(f"{name} must be a function, got {type(fun).__name__}")
        super().__init__(configuration_space, fidelity_space, objectives_names)
        self.eval_fun = eval_fun
        self.curve_fun = curve_fun
        if fidelity_values is None:
            fidelity_values = _fidelity_values_of(self.fidelity_space)
        self._set_fidelities(fidelity_values)
        self.metadata: dict[str, Any] = {}

    def _check_fidelity(self, fidelity: Any) -> Any:
        if not self.fidelity_space:
            self._fidelity_position(fidelity)  # raises unless fidelity is None
            return None
        if fidelity is None:
            if self._fidelities is None:
                raise ValueError("pass a fidelity: this blackbox's fidelity domain is continuous")
            return self._fidelities[-1]
        name, domain = next(iter(self.fidelity_space.items()))
        value = _plain(fidelity)
        if isinstance(domain, Domain) and not domain.is_valid(value):
            raise ValueError(f"fidelity {name}={fidelity!r} is outside {domain!r}")
        return value

    def objective_function(
        self, configuration: dict[str, Any], fidelity: Any = None, seed: int = 0
    ) -> dict[str, float]:
        config = check_configuration(configuration, self.configuration_space)
        value = self._check_fidelity(fidelity)
        if self.eval_fun is None:
            row = self._curve(config, seed)[self._fidelity_position(value)]
            return self._as_dict(row)
        return self._evaluate(config, value, seed)

    def _evaluate(self, config: dict[str, Any], fidelity: Any, seed: int) -> dict[str, float]:
        out = self.eval_fun(config, fidelity, seed)
        if not self.objectives_names:
            self.objectives_names = list(out)
        return {name: float(out[name]) for name in self.objectives_names}

    def objective_curve(self, configuration: dict[str, Any], seed: int = 0) -> Any:
        """Objectives at every fidelity, shape (fidelities, objectives): one validation."""
        import numpy as np

        config = check_configuration(configuration, self.configuration_space)
        if self.curve_fun is not None:
            return self._curve(config, seed)
        fidelities = self._fidelities if self.fidelity_space else [None]
        if fidelities is None:
            raise ValueError("objective_curve needs fidelity_values (the fidelity is continuous)")
        rows = [self._evaluate(config, f, seed) for f in fidelities]
        return np.array([[row[n] for n in self.objectives_names] for row in rows], dtype=float)

    def _curve(self, config: dict[str, Any], seed: int) -> Any:
        import numpy as np

        out = self.curve_fun(config, seed)
        if isinstance(out, dict):
            if not self.objectives_names:
                self.objectives_names = list(out)
            missing = [n for n in self.objectives_names if n not in out]
            if missing:
                raise ValueError(f"curve_fun returned no values for objectives {missing}")
            curve = np.column_stack(
                [np.asarray(out[n], dtype=float) for n in self.objectives_names]
            )
        else:
            if not self.objectives_names:
                raise ValueError("curve_fun returns an array: pass objectives_names (its columns)")
            curve = np.asarray(out, dtype=float).reshape(-1, len(self.objectives_names))
        expected = len(self._fidelities) if self.fidelity_space and self._fidelities else 1
        if curve.shape[0] != expected:
            raise ValueError(
                f"curve_fun returned {curve.shape[0]} values per objective, expected {expected} "
                "(one per fidelity value)"
            )
        return curve


def from_function(
    configuration_space: dict[str, Any],
    eval_fun: Callable[..., dict[str, float]] | None = None,
    fidelity_space: dict[str, Any] | None = None,
    objectives_names: list[str] | None = None,
    fidelity_values: list[Any] | None = None,
    curve_fun: Callable[..., Any] | None = None,
) -> BlackboxFunction:
    """Wrap ``eval_fun(config, fidelity, seed)`` (Syne Tune's ``from_function``) or a whole-curve
    ``curve_fun(config, seed)`` as a blackbox."""
    return BlackboxFunction(
        configuration_space, eval_fun, fidelity_space, objectives_names, fidelity_values, curve_fun
    )
