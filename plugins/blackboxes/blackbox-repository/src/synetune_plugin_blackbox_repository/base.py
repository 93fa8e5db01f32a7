"""What every blackbox of this package shares: configuration checks, fidelity handling, curves.

``check_configuration`` is public; the rest is private to the package. No numpy at import.
"""

from __future__ import annotations

from typing import Any

from synetune_sdk.config_space import Categorical, Domain, FiniteRange, Integer


def _plain(value: Any) -> Any:
    """numpy scalars to Python values (tables hand out numpy types)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def _key_value(value: Any) -> Any:
    # 12 significant digits: a value that went through parquet or JSON still finds its row
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


def _hp_names(configuration_space: dict[str, Any]) -> list[str]:
    """The searched hyperparameters (constants excluded), in the space's order."""
    return [k for k, v in configuration_space.items() if isinstance(v, Domain)]


def check_configuration(
    configuration: dict[str, Any], configuration_space: dict[str, Any]
) -> dict[str, Any]:
    """The searched hyperparameters of ``configuration`` as plain values, or a ``ValueError``
    naming the first one that is missing or outside its domain. Other keys are ignored."""
    out = {}
    for name, domain in configuration_space.items():
        if not isinstance(domain, Domain):
            continue
        if name not in configuration:
            raise ValueError(
                f"configuration {configuration!r} lacks hyperparameter {name!r} of the "
                f"blackbox's configuration space {sorted(configuration_space)}"
            )
        value = _plain(configuration[name])
        if isinstance(domain, Integer) and isinstance(value, float) and value.is_integer():
            value = int(value)
        if not domain.is_valid(value):
            raise ValueError(
                f"configuration outside the blackbox's space: hyperparameter {name!r}={value!r} "
                f"is not in {domain!r}. Sample configurations from blackbox.configuration_space."
            )
        out[name] = value
    return out


def _fidelity_values_of(fidelity_space: dict[str, Any]) -> list[Any] | None:
    """The fidelity values a finite fidelity domain allows (None if continuous or absent)."""
    domains = [d for d in fidelity_space.values() if isinstance(d, Domain)]
    if not domains:
        return None
    domain = domains[0]
    if isinstance(domain, Integer):
        return list(range(domain.lower, domain.upper + 1))
    if isinstance(domain, FiniteRange):
        return domain.values
    if isinstance(domain, Categorical):
        return list(domain.categories)
    return None


def _records(hyperparameters: Any, names: list[str]) -> list[dict[str, Any]]:
    """Rows of a DataFrame or a list of dicts as plain dicts over ``names``."""
    if hasattr(hyperparameters, "to_dict"):
        missing = [n for n in names if n not in hyperparameters.columns]
        if missing:
            raise ValueError(
                f"hyperparameters lack columns {missing} of the configuration space (columns: "
                f"{list(hyperparameters.columns)})"
            )
        hyperparameters = hyperparameters[names].to_dict("records")
    return [{n: _plain(row[n]) for n in names} for row in hyperparameters]


class _TableMixin:
    """What tabular and model blackboxes share: fidelities, curves as dicts, max-resource space."""

    configuration_space: dict[str, Any]
    fidelity_space: dict[str, Any]
    objectives_names: list[str]
    _fidelities: list[Any] | None
    _fidelity_index: dict[Any, int]

    def _set_fidelities(self, fidelity_values: list[Any] | None) -> None:
        self._fidelities = None if fidelity_values is None else [_plain(v) for v in fidelity_values]
        self._fidelity_index = {_key_value(v): i for i, v in enumerate(self._fidelities or [])}

    def fidelity_name(self) -> str | None:
        """Name of the fidelity (resource) attribute, e.g. ``"epoch"``; None without fidelity."""
        return next(iter(self.fidelity_space), None)

    def fidelity_values(self) -> list[Any] | None:
        return None if self._fidelities is None else list(self._fidelities)

    def _fidelity_position(self, fidelity: Any) -> int:
        if self._fidelities is None:
            if fidelity is not None:
                raise ValueError(
                    f"fidelity {fidelity!r} given, but this blackbox has no fidelity: pass "
                    "fidelity=None"
                )
            return 0
        if fidelity is None:
            return len(self._fidelities) - 1
        position = self._fidelity_index.get(_key_value(_plain(fidelity)))
        if position is None:
            values = self._fidelities
            shown = (
                f"{values[0]}..{values[-1]} ({len(values)} values)"
                if len(values) > 10
                else repr(values)
            )
            raise ValueError(
                f"fidelity {self.fidelity_name()}={fidelity!r} is not in the table; the blackbox "
                f"has values for {shown}"
            )
        return position

    def configuration_space_with_max_resource_attr(self, max_resource_attr: str) -> dict[str, Any]:
        """The configuration space plus the constant ``max_resource_attr`` = highest fidelity,
        the space to give a multi-fidelity scheduler (Syne Tune's method of that name)."""
        space = dict(self.configuration_space)
        if self._fidelities is not None:
            space[max_resource_attr] = _plain(self._fidelities[-1])
        return space

    def _as_dict(self, row: Any) -> dict[str, float]:
        return dict(zip(self.objectives_names, (float(v) for v in row)))
