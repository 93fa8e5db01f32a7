"""Conformalized quantile regression with gradient-boosted trees (Romano et al. 2019), the
surrogate of Syne Tune's CQR searcher.

One gradient-boosting model per quantile level ``k / (quantiles + 1)``. Once more than
``min_samples_to_conformalize`` observations are in, a random ``valid_fraction`` of them is held
out and each symmetric pair of levels (lower, upper) is widened (or narrowed) by the conformal
correction: the finite-sample quantile of ``max(lower(x) - y, y - upper(x))`` on the held-out
points at the pair's nominal coverage, so that the corrected band covers held-out values as often
as it claims. The median is not corrected. scikit-learn is imported when a model is fitted.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

REGRESSORS = ("hist", "gbr")


def quantile_levels(quantiles: int) -> np.ndarray:
    """Syne Tune's levels: ``k / (quantiles + 1)`` for ``k = 1..quantiles``, rounded as it does
    (5 quantiles: 0.17, 0.33, 0.5, 0.67, 0.83)."""
    levels = np.arange(1, quantiles + 1) / (quantiles + 1)
    return np.around(levels, decimals=1 + int(np.log(quantiles)))


def make_regressor(kind: str, level: float, params: dict[str, Any], seed: int) -> Any:
    """One quantile regressor. ``"hist"``: scikit-learn's histogram gradient boosting with
    GradientBoostingRegressor's tree settings (same depth, leaves, learning rate and rounds,
    about twice as fast); ``"gbr"``: GradientBoostingRegressor, what Syne Tune uses."""
    if kind == "gbr":
        from sklearn.ensemble import GradientBoostingRegressor

        return GradientBoostingRegressor(loss="quantile", alpha=level, random_state=seed, **params)
    from sklearn.ensemble import HistGradientBoostingRegressor

    depth = params["max_depth"]
    return HistGradientBoostingRegressor(
        loss="quantile",
        quantile=level,
        max_iter=params["n_estimators"],
        learning_rate=params["learning_rate"],
        max_depth=depth,
        max_leaf_nodes=max(2, 2**depth) if depth is not None else None,
        min_samples_leaf=params["min_samples_leaf"],
        early_stopping=False,
        random_state=seed,
    )


class ConformalQuantileRegressor:
    """Quantile models at ``quantile_levels(quantiles)`` with symmetric conformal corrections."""

    def __init__(
        self,
        quantiles: int = 5,
        valid_fraction: float = 0.1,
        min_samples_to_conformalize: int = 32,
        regressor: str = "hist",
        params: dict[str, Any] | None = None,
    ):
        self.levels = quantile_levels(quantiles)
        self.valid_fraction = valid_fraction
        self.min_samples_to_conformalize = min_samples_to_conformalize
        self.regressor = regressor
        self.params = dict(params or {})
        self.models: list[Any] = []
        self.corrections = np.zeros(len(self.levels) // 2)

    def fit(
        self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator
    ) -> ConformalQuantileRegressor:
        n = len(y)
        seed = int(rng.integers(0, 2**31 - 1))
        conformalize = n > self.min_samples_to_conformalize or self.min_samples_to_conformalize == 0
        train = np.arange(n)
        valid = train[:0]
        if conformalize:
            order = rng.permutation(n)
            n_valid = min(n - 1, max(1, math.ceil(self.valid_fraction * n)))
            valid, train = order[:n_valid], order[n_valid:]
        self.models = [
            make_regressor(self.regressor, float(a), self.params, seed) for a in self.levels
        ]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for model in self.models:
                model.fit(X[train], y[train])
        self.corrections = np.zeros(len(self.levels) // 2)
        if len(valid):
            raw = self._raw(X[valid])
            for i in range(len(self.corrections)):
                lower, upper = raw[:, i], raw[:, -1 - i]
                residuals = np.maximum(lower - y[valid], y[valid] - upper)
                coverage = 1.0 - 2.0 * float(self.levels[i])
                level = min(1.0, coverage * (1.0 + 1.0 / len(valid)))
                self.corrections[i] = np.quantile(residuals, level, method="higher")
        return self

    def _raw(self, X: np.ndarray) -> np.ndarray:
        return np.stack([model.predict(X) for model in self.models], axis=1)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """``(len(X), quantiles)`` corrected quantile predictions, lowest level first."""
        out = self._raw(X)
        for i, correction in enumerate(self.corrections):
            out[:, i] -= correction
            out[:, -1 - i] += correction
        return out
