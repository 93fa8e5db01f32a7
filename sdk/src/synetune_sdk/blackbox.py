"""Contracts for tabulated or surrogate objectives (blackboxes) and the recipes that build them."""

from __future__ import annotations

from pathlib import Path
from typing import Any


class Blackbox:
    """An objective that can be queried instead of training: ``f(config, fidelity, seed)``.

    ``configuration_space`` is a synetune config space (dict of domains), ``fidelity_space`` the
    same for the resource (e.g. ``{"epoch": randint(1, 27)}``), ``objectives_names`` the names of
    the values ``objective_function`` returns (one of them is usually an elapsed-time column).
    """

    def __init__(
        self,
        configuration_space: dict[str, Any],
        fidelity_space: dict[str, Any] | None = None,
        objectives_names: list[str] | None = None,
    ):
        self.configuration_space = dict(configuration_space)
        self.fidelity_space = dict(fidelity_space or {})
        self.objectives_names = list(objectives_names or [])

    def objective_function(
        self, configuration: dict[str, Any], fidelity: Any = None, seed: int = 0
    ) -> dict[str, float]:
        """All objectives for ``configuration`` at ``fidelity`` (None: the highest)."""
        raise NotImplementedError

    def fidelity_values(self) -> list[Any] | None:
        """The fidelities the blackbox has values for, in increasing order (None if continuous)."""
        return None

    def __call__(
        self, configuration: dict[str, Any], fidelity: Any = None, seed: int = 0
    ) -> dict[str, float]:
        return self.objective_function(configuration, fidelity=fidelity, seed=seed)


class BlackboxRecipe:
    """Builds one named blackbox from scratch into a local folder (no downloads).

    ``generate(path)`` must write the complete blackbox into ``path`` or raise; the repository
    writes into a temporary folder and renames it when ``generate`` returns, so a recipe that
    fails halfway never leaves a folder that looks complete.
    """

    name: str = ""
    citation: str = ""

    def generate(self, path: Path) -> None:
        raise NotImplementedError
