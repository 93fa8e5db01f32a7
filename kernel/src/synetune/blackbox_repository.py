"""Blackboxes you can query instead of training, their on-disk format and the local repository.

A blackbox answers ``objective_function(config, fidelity, seed)`` from a table or a model, so a
tuning method can be replayed on simulated time (see the simulator backend). Implementations:

* ``BlackboxTabular``: a table of objectives per configuration x seed x fidelity, with O(1)
  lookup of a configuration and of a fidelity;
* ``BlackboxOffline``: the same, built from a long-format pandas DataFrame (one row per
  configuration, seed and fidelity);
* ``BlackboxSurrogate`` / ``add_surrogate``: answers configurations that are not in the table
  with a regressor (scikit-learn k-NN or random forest) fitted on whole learning curves;
* ``BlackboxFunction`` / ``from_function``: wraps a Python function.

Every one of them offers ``objective_curve(config, seed)``, all fidelities at once, which is
what the simulator uses.

**On-disk format** (one folder per blackbox, written by ``write_tabular`` / ``write_function``):

* ``metadata.json``: ``format_version``, ``kind`` (``"tabular"`` or ``"function"``),
  ``configuration_space`` and ``fidelity_space`` (``config_space_to_json``), ``fidelity_values``,
  ``objectives_names``, ``seed_col``, ``elapsed_time_attr``, ``tasks`` (null for one task),
  ``files`` (``{file name: {"sha256": ..., "bytes": ...}}``) and recipe information;
* tabular: ``evaluations.parquet`` (one task) or ``evaluations-<task>.parquet`` per task, in long
  format: one column per hyperparameter, the seed column, the fidelity column and one column
  per objective;
* function: ``metadata["factory"]`` (``"module:attr"``) called with ``metadata["factory_kwargs"]``
  returns the blackbox.

**Repository**: ``load_blackbox(name, **kwargs)`` (also ``synetune.blackboxes.load``) generates
the registered recipe on first use into
``$SYNETUNE_FOLDER/blackbox-repository/<name>-<hash of name, recipe version and kwargs>/``: the
recipe writes into ``<folder>.partial/``, which is renamed once its files are checked, so a
recipe that fails halfway never leaves a folder that looks complete. Every load checks the
sha256 of the data files; a corrupted or half-written folder is regenerated, never used.
pandas, pyarrow and scikit-learn are imported only when needed.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import logging
import math
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synetune_sdk.blackbox import Blackbox, BlackboxRecipe
from synetune_sdk.config_space import (
    Categorical,
    Domain,
    FiniteRange,
    Float,
    Integer,
    Ordinal,
    config_space_from_json,
    config_space_to_json,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
METADATA_FILE = "metadata.json"
DATA_FILE = "evaluations.parquet"
REPOSITORY_FOLDER = "blackbox-repository"
PARTIAL_SUFFIX = ".partial"

__all__ = [
    "BlackboxTabular",
    "BlackboxOffline",
    "BlackboxSurrogate",
    "BlackboxFunction",
    "CorruptBlackboxError",
    "NotInTableError",
    "add_surrogate",
    "file_sha256",
    "from_function",
    "check_configuration",
    "write_tabular",
    "write_function",
    "read_blackbox",
    "validate_folder",
    "repository_root",
    "cache_path",
    "generate_blackbox",
    "load_blackbox",
]


class CorruptBlackboxError(ValueError):
    """A blackbox folder is incomplete or its files do not match their recorded sha256."""


class NotInTableError(KeyError):
    """A configuration (or fidelity) of the space for which the table has no entry."""

    def __str__(self) -> str:
        return str(self.args[0])


# ------------------------------------------------------------------------------ helpers
def _plain(value: Any) -> Any:
    """numpy scalars to Python values (tables hand out numpy types)."""
    return value.item() if hasattr(value, "item") and not isinstance(value, str) else value


def _key_value(value: Any) -> Any:
    # 12 significant digits: a value that went through parquet or JSON still finds its row
    if isinstance(value, float):
        return float(f"{value:.12g}")
    return value


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


class _TableMixin:
    """What tabular and model blackboxes share: fidelities, curves as dicts, max-resource space."""

    configuration_space: dict[str, Any]
    fidelity_space: dict[str, Any]
    objectives_names: list[str]
    _fidelities: list[Any] | None
    _fidelity_index: dict[Any, int]

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


# ------------------------------------------------------------------------------ tabular
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
        self._hp_names = [k for k, v in self.configuration_space.items() if isinstance(v, Domain)]
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
            self._fidelities = [_plain(v) for v in fidelity_values]
        else:
            if values.shape[2] != 1:
                raise ValueError("a blackbox without fidelity_space must have one fidelity")
            self._fidelities = None
        self._fidelity_index = {_key_value(v): i for i, v in enumerate(self._fidelities or [])}
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


def _records(hyperparameters: Any, names: list[str]) -> list[dict[str, Any]]:
    if hasattr(hyperparameters, "to_dict"):
        missing = [n for n in names if n not in hyperparameters.columns]
        if missing:
            raise ValueError(
                f"hyperparameters lack columns {missing} of the configuration space (columns: "
                f"{list(hyperparameters.columns)})"
            )
        hyperparameters = hyperparameters[names].to_dict("records")
    return [{n: _plain(row[n]) for n in names} for row in hyperparameters]


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
        hp_names = [k for k, v in configuration_space.items() if isinstance(v, Domain)]
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


# ------------------------------------------------------------------------------ surrogate
class _Encoder:
    """Configurations to numbers in [0, 1] (log scale where the domain is), categories one-hot:
    distances then mean the same along every hyperparameter (what k-NN needs)."""

    def __init__(self, configuration_space: dict[str, Any]):
        self.columns = [(k, v) for k, v in configuration_space.items() if isinstance(v, Domain)]

    def __call__(self, configs: list[dict[str, Any]]) -> Any:
        import numpy as np

        parts = []
        for name, domain in self.columns:
            raw = [c[name] for c in configs]
            if isinstance(domain, Ordinal) and domain.kind.startswith("nn"):
                lo, hi, log = domain.categories[0], domain.categories[-1], domain.kind == "nn-log"
            elif isinstance(domain, Categorical):
                categories = domain.categories
                if isinstance(domain, Ordinal):  # equally spaced ranks
                    ranks = [categories.index(v) / max(1, len(categories) - 1) for v in raw]
                    parts.append(np.asarray(ranks, dtype=float)[:, None])
                else:
                    onehot = np.zeros((len(raw), len(categories)))
                    for i, v in enumerate(raw):
                        onehot[i, categories.index(v)] = 1.0
                    parts.append(onehot)
                continue
            elif isinstance(domain, FiniteRange):
                lo, hi, log = domain.lower, domain.upper, domain.log_scale
            elif isinstance(domain, Float | Integer):
                lo, hi, log = domain.lower, domain.upper, domain.log
            else:
                raise ValueError(f"hyperparameter {name!r}: cannot encode domain {domain!r}")
            x = np.asarray(raw, dtype=float)
            if log:
                x, lo, hi = np.log(x), math.log(lo), math.log(hi)
            parts.append(((x - lo) / (hi - lo))[:, None])
        return np.hstack(parts) if parts else np.zeros((len(configs), 0))


def _make_regressor(surrogate: Any, surrogate_kwargs: dict[str, Any]) -> Any:
    if not isinstance(surrogate, str):
        if not (callable(getattr(surrogate, "fit", None)) and hasattr(surrogate, "predict")):
            raise TypeError(
                "surrogate must be 'knn', 'random_forest' or a regressor with fit and predict, "
                f"got {surrogate!r}"
            )
        return surrogate
    key = surrogate.lower().replace("_", "").replace("-", "")
    if key in ("knn", "kneighborsregressor"):
        from sklearn.neighbors import KNeighborsRegressor

        return KNeighborsRegressor(**{"n_neighbors": 1, **surrogate_kwargs})
    if key in ("randomforest", "randomforestregressor"):
        from sklearn.ensemble import RandomForestRegressor

        defaults = {"n_estimators": 50, "random_state": 0, "n_jobs": 1}
        return RandomForestRegressor(**{**defaults, **surrogate_kwargs})
    raise ValueError(
        f"unknown surrogate {surrogate!r}: use 'knn' (KNeighborsRegressor), 'random_forest' "
        "(RandomForestRegressor) or pass a regressor instance"
    )


class BlackboxSurrogate(_TableMixin, Blackbox):
    """Answers any configuration of the space with a regressor fitted on whole learning curves.

    The regressor maps an encoded configuration to its curve (every fidelity and objective at
    once), so a predicted curve is consistent across fidelities: with the default 1-nearest
    neighbour it is the curve of the closest tabulated configuration.

    Args:
        X: tabulated configurations (DataFrame or list of dicts).
        y: array (configurations, fidelities, objectives), e.g. averaged over seeds.
        configuration_space, objectives_names, fidelity_space, fidelity_values: as for
            ``BlackboxTabular``.
        surrogate: ``"knn"`` (default, ``n_neighbors=1``), ``"random_forest"`` or any regressor
            with ``fit``/``predict``; ``surrogate_kwargs`` go to the scikit-learn constructor.

    The seed argument is accepted and ignored: the model predicts one curve per configuration.
    """

    def __init__(
        self,
        X: Any,
        y: Any,
        configuration_space: dict[str, Any],
        objectives_names: list[str],
        fidelity_space: dict[str, Any] | None = None,
        fidelity_values: list[Any] | None = None,
        surrogate: Any = "knn",
        surrogate_kwargs: dict[str, Any] | None = None,
    ):
        import numpy as np

        super().__init__(configuration_space, fidelity_space, objectives_names)
        hp_names = [k for k, v in self.configuration_space.items() if isinstance(v, Domain)]
        configs = _records(X, hp_names)
        targets = np.asarray(y, dtype=float)
        if targets.ndim == 2:
            targets = targets[:, None, :]
        if targets.shape[0] != len(configs) or targets.shape[2] != len(self.objectives_names):
            raise ValueError(
                f"y must have shape ({len(configs)}, fidelities, {len(self.objectives_names)}), "
                f"got {targets.shape}"
            )
        if fidelity_values is None and self.fidelity_space:
            fidelity_values = _fidelity_values_of(self.fidelity_space)
        self._fidelities = [_plain(v) for v in fidelity_values] if self.fidelity_space else None
        self._fidelity_index = {_key_value(v): i for i, v in enumerate(self._fidelities or [])}
        keep = ~np.isnan(targets).any(axis=(1, 2))
        if not keep.any():
            raise ValueError("no configuration has a complete curve to fit the surrogate on")
        self._shape = targets.shape[1:]
        self._encode = _Encoder(self.configuration_space)
        self.model = _make_regressor(surrogate, dict(surrogate_kwargs or {}))
        features = self._encode([c for c, k in zip(configs, keep) if k])
        self.model.fit(features, targets[keep].reshape(int(keep.sum()), -1))
        self.metadata: dict[str, Any] = {}

    def objective_curve(self, configuration: dict[str, Any], seed: int = 0) -> Any:
        config = check_configuration(configuration, self.configuration_space)
        return self.model.predict(self._encode([config]))[0].reshape(self._shape)

    def objective_function(
        self, configuration: dict[str, Any], fidelity: Any = None, seed: int = 0
    ) -> dict[str, float]:
        position = self._fidelity_position(fidelity)
        return self._as_dict(self.objective_curve(configuration, seed)[position])


def add_surrogate(
    blackbox: BlackboxTabular,
    surrogate: Any = "knn",
    configuration_space: dict[str, Any] | None = None,
    **surrogate_kwargs: Any,
) -> BlackboxSurrogate:
    """A surrogate answering any configuration, fitted on ``blackbox``'s table averaged over
    seeds (Syne Tune's ``add_surrogate``). ``configuration_space`` is the space it answers
    (default: the blackbox's), e.g. ``loguniform(1e-4, 1e-1)`` where the table has a grid."""
    import numpy as np

    if not isinstance(blackbox, BlackboxTabular):
        raise TypeError(f"add_surrogate needs a tabular blackbox, got {type(blackbox).__name__}")
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(blackbox.objectives_evaluations, axis=1)
    out = BlackboxSurrogate(
        blackbox.all_configurations(),
        mean,
        configuration_space or blackbox.configuration_space,
        blackbox.objectives_names,
        fidelity_space=blackbox.fidelity_space,
        fidelity_values=blackbox.fidelity_values(),
        surrogate=surrogate,
        surrogate_kwargs=surrogate_kwargs,
    )
    out.metadata = dict(blackbox.metadata)
    return out


# ------------------------------------------------------------------------------ function
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
        self._fidelities = list(fidelity_values) if fidelity_values is not None else None
        self._fidelity_index = {_key_value(v): i for i, v in enumerate(self._fidelities or [])}
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


# ------------------------------------------------------------------------------ on disk
def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _json_default(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else str(value)


def _file_entry(path: Path) -> dict[str, Any]:
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size}


def _write_metadata(path: Path, metadata: dict[str, Any]) -> None:
    tmp = path / (METADATA_FILE + ".tmp")
    tmp.write_text(json.dumps(metadata, indent=2, default=_json_default))
    os.replace(tmp, path / METADATA_FILE)


def _task_file(task: str | None) -> str:
    if task is None:
        return DATA_FILE
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", task):
        raise ValueError(f"task name {task!r} may only hold letters, digits, '_', '.' and '-'")
    return f"evaluations-{task}.parquet"


def write_tabular(
    path: str | Path,
    data: Any,
    configuration_space: dict[str, Any],
    objectives_names: list[str],
    fidelity_space: dict[str, Any] | None = None,
    seed_col: str | None = "seed",
    elapsed_time_attr: str | None = None,
    **metadata: Any,
) -> None:
    """Write a tabular blackbox into ``path`` (created if needed).

    ``data`` is a long-format DataFrame (one row per configuration x seed x fidelity) or a dict
    ``{task: DataFrame}`` for several tasks. Extra keyword arguments go into metadata.json.
    """
    import pandas as pd

    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    tasks = data if isinstance(data, dict) else {None: data}
    fidelity_space = dict(fidelity_space or {})
    fidelity_col = next(iter(fidelity_space), None)
    files = {}
    fidelity_values: list[Any] | None = None
    for task, df in tasks.items():
        if not isinstance(df, pd.DataFrame):
            raise TypeError(f"data must be a pandas DataFrame, got {type(df).__name__}")
        hp_names = [k for k, v in configuration_space.items() if isinstance(v, Domain)]
        columns = hp_names + [c for c in (seed_col, fidelity_col) if c] + list(objectives_names)
        missing = [c for c in columns if c not in df.columns]
        if missing:
            raise ValueError(f"data lacks columns {missing} (columns: {list(df.columns)})")
        name = _task_file(task)
        tmp = folder / (name + ".tmp")
        _to_parquet(df[columns].reset_index(drop=True), tmp)
        os.replace(tmp, folder / name)
        files[name] = _file_entry(folder / name)
        if fidelity_col is not None:
            fidelity_values = sorted(_plain(v) for v in df[fidelity_col].unique())
    _write_metadata(
        folder,
        {
            "format_version": FORMAT_VERSION,
            "kind": "tabular",
            "configuration_space": config_space_to_json(configuration_space),
            "fidelity_space": config_space_to_json(fidelity_space),
            "fidelity_values": fidelity_values,
            "objectives_names": list(objectives_names),
            "seed_col": seed_col,
            "elapsed_time_attr": elapsed_time_attr,
            "tasks": None if None in tasks else sorted(tasks),
            "files": files,
            **metadata,
        },
    )


def write_function(
    path: str | Path,
    factory: str,
    factory_kwargs: dict[str, Any] | None = None,
    **metadata: Any,
) -> None:
    """Write a blackbox computed by code: ``factory`` (``"module:attr"``) is called with
    ``factory_kwargs`` when the blackbox is read, and must return a ``Blackbox``."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    blackbox = _call_factory(factory, factory_kwargs or {})
    _write_metadata(
        folder,
        {
            "format_version": FORMAT_VERSION,
            "kind": "function",
            "factory": factory,
            "factory_kwargs": dict(factory_kwargs or {}),
            "configuration_space": config_space_to_json(blackbox.configuration_space),
            "fidelity_space": config_space_to_json(blackbox.fidelity_space),
            "fidelity_values": blackbox.fidelity_values(),
            "objectives_names": list(blackbox.objectives_names),
            "tasks": None,
            "files": {},
            **metadata,
        },
    )


def _to_parquet(df: Any, path: Path) -> None:
    try:
        df.to_parquet(path, index=False, compression="zstd")
    except ImportError as err:
        raise ImportError(
            f"writing a tabular blackbox needs pyarrow ({err}): pip install pyarrow"
        ) from err


def _read_parquet(path: Path) -> Any:
    import pandas as pd

    try:
        return pd.read_parquet(path)
    except ImportError as err:
        raise ImportError(
            f"reading a tabular blackbox needs pyarrow ({err}): pip install pyarrow"
        ) from err


def _call_factory(factory: str, kwargs: dict[str, Any]) -> Any:
    module_name, _, attr = factory.partition(":")
    if not attr:
        raise ValueError(f"factory must be a 'module:attr' string, got {factory!r}")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj(**kwargs)


def validate_folder(path: str | Path) -> dict[str, Any]:
    """The metadata of a complete blackbox folder, or ``CorruptBlackboxError`` saying what is
    missing or which file does not match its sha256."""
    folder = Path(path)
    try:
        metadata = json.loads((folder / METADATA_FILE).read_text())
    except FileNotFoundError:
        raise CorruptBlackboxError(f"{folder} has no {METADATA_FILE}") from None
    except (OSError, ValueError) as err:
        raise CorruptBlackboxError(f"{folder / METADATA_FILE} is unreadable: {err}") from None
    if not isinstance(metadata, dict) or metadata.get("format_version") != FORMAT_VERSION:
        raise CorruptBlackboxError(
            f"{folder / METADATA_FILE}: format_version is not {FORMAT_VERSION}"
        )
    if metadata.get("kind") not in ("tabular", "function"):
        raise CorruptBlackboxError(f"{folder}: unknown kind {metadata.get('kind')!r}")
    files = metadata.get("files")
    if not isinstance(files, dict) or (metadata["kind"] == "tabular" and not files):
        raise CorruptBlackboxError(f"{folder / METADATA_FILE} lists no data files")
    for name, entry in files.items():
        file = folder / name
        if not file.is_file():
            raise CorruptBlackboxError(f"{file} is missing")
        if file.stat().st_size != entry.get("bytes") or file_sha256(file) != entry.get("sha256"):
            raise CorruptBlackboxError(f"{file} does not match its sha256 in {METADATA_FILE}")
    return metadata


def read_blackbox(path: str | Path, task: str | None = None) -> Any:
    """The blackbox stored in ``path`` (a dict ``{task: blackbox}`` for several tasks unless
    ``task`` picks one). Files are checked against their sha256 first."""
    folder = Path(path)
    metadata = validate_folder(folder)
    if metadata["kind"] == "function":
        blackbox = _call_factory(metadata["factory"], metadata.get("factory_kwargs") or {})
        blackbox.metadata = metadata
        return blackbox
    space = config_space_from_json(metadata["configuration_space"])
    fidelity_space = config_space_from_json(metadata.get("fidelity_space") or {})
    tasks = metadata.get("tasks")
    if task is not None and (not tasks or task not in tasks):
        raise ValueError(f"task {task!r} is not in {folder}; it has tasks {tasks}")
    names = [task] if task is not None else (tasks or [None])
    out = {}
    for name in names:
        df = _read_parquet(folder / _task_file(name))
        blackbox = BlackboxOffline(
            df,
            space,
            fidelity_space,
            objectives_names=metadata["objectives_names"],
            seed_col=metadata.get("seed_col"),
        )
        blackbox.metadata = metadata
        out[name] = blackbox
    return out[names[0]] if len(names) == 1 else out


# ------------------------------------------------------------------------------ repository
def repository_root() -> Path:
    """``$SYNETUNE_FOLDER/blackbox-repository`` (default ``~/syne-tune/blackbox-repository``)."""
    from synetune.results import experiment_root

    return experiment_root() / REPOSITORY_FOLDER


def _recipe(name: str, kwargs: dict[str, Any]) -> tuple[str, BlackboxRecipe]:
    from synetune.registry import REGISTRIES

    entry = REGISTRIES["blackboxes"].entry(name)
    try:
        recipe = entry.load()(**kwargs)
    except TypeError as err:
        raise TypeError(f"blackbox recipe {name!r} rejected the arguments {kwargs}: {err}") from err
    return entry.name, recipe


def _folder_for(short_name: str, recipe: Any, kwargs: dict[str, Any]) -> Path:
    identity = json.dumps(
        {"name": short_name, "version": str(getattr(recipe, "version", "0")), "kwargs": kwargs},
        sort_keys=True,
        default=str,
    )
    digest = hashlib.sha256(identity.encode()).hexdigest()[:12]
    safe = re.sub(r"[^A-Za-z0-9_.-]", "-", short_name)
    return repository_root() / f"{safe}-{digest}"


def cache_path(name: str, **kwargs: Any) -> Path:
    """The folder where recipe ``name`` with ``kwargs`` is (or will be) generated."""
    short_name, recipe = _recipe(name, kwargs)
    return _folder_for(short_name, recipe, kwargs)


@contextlib.contextmanager
def _lock(path: Path) -> Any:
    """An exclusive lock so that two processes never generate the same blackbox at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def generate_blackbox(name: str, force: bool = False, **kwargs: Any) -> Path:
    """Generate recipe ``name`` into the repository unless a valid copy is there; its folder.

    A folder that fails validation (missing or corrupted file) is regenerated. The recipe
    writes into ``<folder>.partial``; a resumable recipe (``resumable = True``) finds there what
    an interrupted run checkpointed, any other recipe starts from an empty folder.
    """
    short_name, recipe = _recipe(name, kwargs)
    folder = _folder_for(short_name, recipe, kwargs)
    with _lock(folder.parent / ".locks" / (folder.name + ".lock")):
        if folder.exists() and not force:
            try:
                validate_folder(folder)
                return folder
            except CorruptBlackboxError as err:
                logger.warning("blackbox %r: %s; generating it again", short_name, err)
        partial = folder.with_name(folder.name + PARTIAL_SUFFIX)
        resumable = bool(getattr(recipe, "resumable", False))
        if partial.exists() and not resumable:
            shutil.rmtree(partial)
        partial.mkdir(parents=True, exist_ok=True)
        (partial / METADATA_FILE).unlink(missing_ok=True)
        if recipe.citation:
            logger.info("generating blackbox %r; please cite: %s", short_name, recipe.citation)
        try:
            recipe.generate(partial)
            metadata = validate_folder(partial)
        except BaseException:
            if not resumable:
                shutil.rmtree(partial, ignore_errors=True)
            raise
        metadata.update(
            {
                "name": short_name,
                "recipe": type(recipe).__name__,
                "recipe_version": str(getattr(recipe, "version", "0")),
                "recipe_kwargs": kwargs,
                "citation": recipe.citation,
            }
        )
        _write_metadata(partial, metadata)
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(partial, folder)
    return folder


def load_blackbox(name: str, task: str | None = None, **kwargs: Any) -> Any:
    """The blackbox of recipe ``name``, generated on first use and read from the repository
    afterwards; ``kwargs`` go to the recipe (each combination is cached separately)."""
    folder = generate_blackbox(name, **kwargs)
    try:
        return read_blackbox(folder, task=task)
    except CorruptBlackboxError as err:  # changed between generation and reading
        logger.warning("blackbox %r: %s; generating it again", name, err)
        return read_blackbox(generate_blackbox(name, force=True, **kwargs), task=task)
