"""Tabulated blackboxes: ``BlackboxTabular`` (an array of objectives per configuration x seed
x fidelity, O(1) lookup of a configuration and of a fidelity) and ``BlackboxOffline`` (the same,
built from a long-format pandas DataFrame). numpy and pandas are imported when one is built.
"""

from __future__ import annotations

import math
from typing import Any

from synetune_plugin_blackbox_repository.base import (
    _fidelity_values_of,
    _hp_names,
    _key_value,
    _records,
    _TableMixin,
    check_configuration,
)
from synetune_sdk.blackbox import Blackbox

__all__ = ["BlackboxTabular", "BlackboxOffline", "NotInTableError"]


class NotInTableError(KeyError):
    """A configuration (or fidelity) of the space for which the table has no entry."""

    def __str__(self) -> str:
        return str(self.args[0])


class BlackboxTabular(_TableMixin, Blackbox):
    """Objectives tabulated per configuration x seed x fidelity (Syne Tune's ``BlackboxTabular``).

    Args:
        hyperparameters: one row per configuration (a pandas DataFrame or a list of dicts) with
            a column per hyperparameter of ``configuration_space``.
        configuration_space: the space the configurations come from.
        fidelity_space: e.g. ``{"epoch": randint(1, 27)}``; None or {} for no fidelity.
        objectives_evaluations: array of shape (configurations, seeds, fidelities, objectives).
        fidelity_values: the fidelities of axis 2 in increasing order (default: derived from a
            finite fidelity domain).
        objectives_names: names of the last axis.

    Looking up a configuration costs one dict access; a configuration in the space but not in
    the table raises a ``KeyError`` (use ``add_surrogate`` to answer those).
    """

    def __init__(
        self,
        hyperparameters: Any,
        configuration_space: dict[str, Any],
        fidelity_space: dict[str, Any] | None,
        objectives_evaluations: Any,
        fidelity_values: list[Any] | None = None,
        objectives_names: list[str] | None = None,
    ):
        import numpy as np

        values = np.asarray(objectives_evaluations, dtype=float)
        if values.ndim != 4:
            raise ValueError(
                "objectives_evaluations must have shape (configurations, seeds, fidelities, "
                f"objectives), got shape {values.shape}"
            )
        names = list(objectives_names or [f"objective{i}" for i in range(values.shape[3])])
        if len(names) != values.shape[3]:
            raise ValueError(
                f"objectives_names has {len(names)} names for {values.shape[3]} objectives"
            )
        super().__init__(configuration_space, fidelity_space, names)
        self._hp_names = _hp_names(self.configuration_space)
        rows = _records(hyperparameters, self._hp_names)
        if len(rows) != values.shape[0]:
            raise ValueError(
                f"{len(rows)} hyperparameter rows for {values.shape[0]} configurations in "
                "objectives_evaluations"
            )
        self._configs = rows
        self._rows: dict[tuple, int] = {}
        for position, row in enumerate(rows):
            key = self._key(row)
            if key in self._rows:
                raise ValueError(f"configuration {row!r} appears twice in the table")
            self._rows[key] = position
        if fidelity_values is None and self.fidelity_space:
            fidelity_values = _fidelity_values_of(self.fidelity_space)
        if self.fidelity_space:
            if fidelity_values is None or len(fidelity_values) != values.shape[2]:
                raise ValueError(
                    f"fidelity_values must list the {values.shape[2]} fidelities of axis 2, got "
                    f"{fidelity_values!r}"
                )
            self._set_fidelities(fidelity_values)
        else:
            if values.shape[2] != 1:
                raise ValueError("a blackbox without fidelity_space must have one fidelity")
            self._set_fidelities(None)
        self.objectives_evaluations = values
        self.metadata: dict[str, Any] = {}

    def _key(self, config: dict[str, Any]) -> tuple:
        return tuple(_key_value(config[name]) for name in self._hp_names)

    @property
    def num_seeds(self) -> int:
        return int(self.objectives_evaluations.shape[1])

    def __len__(self) -> int:
        return len(self._configs)

    def all_configurations(self) -> list[dict[str, Any]]:
        """The tabulated configurations (hyperparameters only)."""
        return [dict(c) for c in self._configs]

    @property
    def hyperparameters(self) -> Any:
        """The tabulated configurations as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self._configs, columns=self._hp_names)

    def _row(self, configuration: dict[str, Any]) -> int:
        try:  # fast path: a tabulated configuration needs no validation
            row = self._rows.get(self._key(configuration))
        except (KeyError, TypeError):
            row = None
        if row is not None:
            return row
        config = check_configuration(configuration, self.configuration_space)
        row = self._rows.get(self._key(config))
        if row is None:
            raise NotInTableError(
                f"configuration {config!r} is in the space but not in the table of this blackbox "
                f"({len(self._configs)} configurations): query one of "
                "blackbox.all_configurations() or answer any configuration with add_surrogate("
                "blackbox)"
            )
        return row

    def _seed(self, seed: int) -> int:
        if not isinstance(seed, int) or not 0 <= seed < self.num_seeds:
            raise ValueError(
                f"seed {seed!r} is not in the table: it has {self.num_seeds} seeds "
                f"(0..{self.num_seeds - 1})"
            )
        return seed

    def objective_curve(self, configuration: dict[str, Any], seed: int = 0) -> Any:
        """All objectives at every fidelity: array of shape (fidelities, objectives)."""
        return self.objectives_evaluations[self._row(configuration), self._seed(seed)]

    def objective_function(
        self, configuration: dict[str, Any], fidelity: Any = None, seed: int = 0
    ) -> dict[str, float]:
        position = self._fidelity_position(fidelity)
        values = self.objective_curve(configuration, seed)[position]
        if all(math.isnan(v) for v in values):
            raise NotInTableError(
                f"no evaluation recorded for {configuration!r} at fidelity {fidelity!r}, seed {seed}"
            )
        return self._as_dict(values)


class BlackboxOffline(BlackboxTabular):
    """A tabular blackbox built from a long-format DataFrame (Syne Tune's ``BlackboxOffline``).

    Args:
        df_evaluations: one row per configuration x seed x fidelity with a column per
            hyperparameter, the fidelity column (the key of ``fidelity_space``), the seed column
            and one column per objective. Missing combinations are NaN in the table.
        configuration_space, fidelity_space: as for ``BlackboxTabular``.
        objectives_names: objective columns (default: columns starting with ``metric_``).
        seed_col: the seed column (None: one seed). Seeds are numbered 0, 1, ... in the order
            of their sorted values.
    """

    def __init__(
        self,
        df_evaluations: Any,
        configuration_space: dict[str, Any],
        fidelity_space: dict[str, Any] | None = None,
        objectives_names: list[str] | None = None,
        seed_col: str | None = None,
    ):
        import numpy as np
        import pandas as pd

        df = df_evaluations
        hp_names = _hp_names(configuration_space)
        fidelity_space = dict(fidelity_space or {})
        fidelity_col = next(iter(fidelity_space), None)
        if objectives_names is None:
            objectives_names = [c for c in df.columns if str(c).startswith("metric_")]
            if not objectives_names:
                raise ValueError(
                    "no objective columns: pass objectives_names (default: columns named metric_*)"
                )
        needed = hp_names + list(objectives_names)
        needed += [c for c in (fidelity_col, seed_col) if c is not None]
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise ValueError(
                f"df_evaluations lacks columns {missing} (columns: {list(df.columns)})"
            )
        config_codes = df.groupby(hp_names, sort=False, dropna=False).ngroup().to_numpy()
        first_rows = pd.Series(np.arange(len(df))).groupby(config_codes).first().to_numpy()
        hyperparameters = df[hp_names].iloc[first_rows].reset_index(drop=True)
        if seed_col is not None:
            seed_values = sorted(df[seed_col].unique().tolist())
            seed_codes = df[seed_col].map({s: i for i, s in enumerate(seed_values)}).to_numpy()
        else:
            seed_values, seed_codes = [0], np.zeros(len(df), dtype=int)
        if fidelity_col is not None:
            fidelity_values = sorted(df[fidelity_col].unique().tolist())
            fid_codes = df[fidelity_col].map({f: i for i, f in enumerate(fidelity_values)})
            fid_codes = fid_codes.to_numpy()
        else:
            fidelity_values, fid_codes = None, np.zeros(len(df), dtype=int)
        shape = (len(hyperparameters), len(seed_values), len(fidelity_values or [0]))
        flat = np.ravel_multi_index((config_codes, seed_codes, fid_codes), shape)
        if len(np.unique(flat)) != len(df):
            raise ValueError(
                "df_evaluations has several rows for the same configuration, seed and fidelity; "
                "set seed_col if the rows differ by seed"
            )
        values = np.full((*shape, len(objectives_names)), np.nan)
        values.reshape(-1, len(objectives_names))[flat] = df[list(objectives_names)].to_numpy(
            dtype=float
        )
        super().__init__(
            hyperparameters,
            configuration_space,
            fidelity_space,
            values,
            fidelity_values=fidelity_values,
            objectives_names=list(objectives_names),
        )
        self.seed_col = seed_col
        self.seed_values = seed_values
