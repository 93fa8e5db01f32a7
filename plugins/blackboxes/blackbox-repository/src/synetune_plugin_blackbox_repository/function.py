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
    gives 1..81); they are needed for ``objective_curve`` (the simulator).
    """

    def __init__(
        self,
        configuration_space: dict[str, Any],
        eval_fun: Callable[..., dict[str, float]],
        fidelity_space: dict[str, Any] | None = None,
        objectives_names: list[str] | None = None,
        fidelity_values: list[Any] | None = None,
    ):
        if not callable(eval_fun):
            raise TypeError("eval_fun must be a function eval_fun(config, fidelity, seed) -> dict")
        super().__init__(configuration_space, fidelity_space, objectives_names)
        self.eval_fun = eval_fun
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
        out = self.eval_fun(config, value, seed)
        if not self.objectives_names:
            self.objectives_names = list(out)
        return {name: float(out[name]) for name in self.objectives_names}

    def objective_curve(self, configuration: dict[str, Any], seed: int = 0) -> Any:
        import numpy as np

        fidelities = self._fidelities if self.fidelity_space else [None]
        if fidelities is None:
            raise ValueError("objective_curve needs fidelity_values (the fidelity is continuous)")
        rows = [self.objective_function(configuration, f, seed) for f in fidelities]
        return np.array([[row[n] for n in self.objectives_names] for row in rows])


def from_function(
    configuration_space: dict[str, Any],
    eval_fun: Callable[..., dict[str, float]],
    fidelity_space: dict[str, Any] | None = None,
    objectives_names: list[str] | None = None,
    fidelity_values: list[Any] | None = None,
) -> BlackboxFunction:
    """Wrap ``eval_fun(config, fidelity, seed)`` as a blackbox (Syne Tune's ``from_function``)."""
    return BlackboxFunction(
        configuration_space, eval_fun, fidelity_space, objectives_names, fidelity_values
    )
