"""Surrogate blackboxes: a regressor fitted on whole learning curves answers any configuration of
the space (Syne Tune's ``add_surrogate``). scikit-learn is imported when a surrogate is built.

Configurations are encoded with ``synetune_sdk.encoding.ConfigEncoder`` (the encoding of the
model-based searchers): numbers in [0, 1] on the log scale where the domain is, categories
one-hot, so that a distance means the same along every hyperparameter (what k-NN needs).
"""

from __future__ import annotations

from typing import Any

from synetune_plugin_blackbox_repository.base import (
    _fidelity_values_of,
    _hp_names,
    _records,
    _TableMixin,
    check_configuration,
)
from synetune_plugin_blackbox_repository.tabular import BlackboxTabular
from synetune_sdk.blackbox import Blackbox

__all__ = ["BlackboxSurrogate", "add_surrogate"]


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

        from synetune_sdk.encoding import ConfigEncoder

        super().__init__(configuration_space, fidelity_space, objectives_names)
        configs = _records(X, _hp_names(self.configuration_space))
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
        self._set_fidelities(fidelity_values if self.fidelity_space else None)
        keep = ~np.isnan(targets).any(axis=(1, 2))
        if not keep.any():
            raise ValueError("no configuration has a complete curve to fit the surrogate on")
        self._shape = targets.shape[1:]
        self._encoder = ConfigEncoder(self.configuration_space)
        self.model = _make_regressor(surrogate, dict(surrogate_kwargs or {}))
        features = self._features([c for c, k in zip(configs, keep) if k])
        self.model.fit(features, targets[keep].reshape(int(keep.sum()), -1))
        self.metadata: dict[str, Any] = {}

    def objective_curve(self, configuration: dict[str, Any], seed: int = 0) -> Any:
        config = check_configuration(configuration, self.configuration_space)
        return self.model.predict(self._features([config]))[0].reshape(self._shape)

    def _features(self, configs: list[dict[str, Any]]) -> Any:
        legacy = self.__dict__.get("_encode")  # a surrogate pickled before the package existed
        return legacy(configs) if legacy is not None else self._encoder.encode(configs)

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


class _Encoder:
    """The encoding of surrogates pickled by ``synetune.blackbox_repository`` (before this
    package): their regressor was fitted on it, so an unpickled one must keep it. New surrogates
    use ``ConfigEncoder``. Integers and equally spaced ordinals span [0, 1] from the first to
    the last value; the rest is encoded as ``ConfigEncoder`` does."""

    columns: list[tuple[str, Any]]  # set by unpickling

    def __call__(self, configs: list[dict[str, Any]]) -> Any:
        import math

        import numpy as np

        from synetune_sdk.config_space import Categorical, FiniteRange, Float, Integer, Ordinal

        parts = []
        for name, domain in self.columns:
            raw = [c[name] for c in configs]
            if isinstance(domain, Ordinal) and domain.kind.startswith("nn"):
                lo, hi, log = domain.categories[0], domain.categories[-1], domain.kind == "nn-log"
            elif isinstance(domain, Ordinal):
                top = max(1, len(domain.categories) - 1)
                parts.append(np.asarray([domain.categories.index(v) / top for v in raw])[:, None])
                continue
            elif isinstance(domain, Categorical):
                onehot = np.zeros((len(raw), len(domain.categories)))
                for i, v in enumerate(raw):
                    onehot[i, domain.categories.index(v)] = 1.0
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
