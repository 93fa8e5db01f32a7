"""The classifiers BORE can use, built on demand (scikit-learn, xgboost only if installed).

BORE turns "which configuration is likely among the best ``gamma`` fraction?" into binary
classification; the acquisition is the classifier's probability of the "good" class. Every
classifier here is created when a model is fitted, so importing the plugin imports neither
scikit-learn nor xgboost.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

CLASSIFIERS = ("xgboost", "hgb", "logreg", "rf", "mlp", "gp")

# scikit-learn's HistGradientBoostingClassifier set up like xgboost's defaults (100 rounds,
# learning rate 0.3, depth 6, L2 penalty 1): the stand-in for classifier="xgboost" when xgboost
# is not installed. min_samples_leaf=1 plays the part of min_child_weight=0.1 below (a leaf may
# hold one point) on the small data sets BORE sees (tens of points), where scikit-learn's default
# of 20 would forbid any split (2 gave a median regret of 1.0 on Hartmann6, 1 gives 0.68).
HGB_DEFAULTS = {
    "max_iter": 100,
    "learning_rate": 0.3,
    "max_depth": 6,
    "max_leaf_nodes": None,
    "min_samples_leaf": 1,
    "l2_regularization": 1.0,
    "early_stopping": False,
}
# xgboost's defaults except min_child_weight (1 in xgboost): a child needs this much hessian,
# p (1 - p) summed over its points, which is at most 0.25 per point. BORE fits tens of points
# with a quarter of them good, so at 1 a leaf needs 5 or more points and for the first 20 or so
# observations hardly a split is allowed: the classifier is nearly constant and the "best"
# candidate is a random one. 0.1 lets a leaf hold a single point. Measured on Hartmann6 (50
# evaluations, 30 seeds): median regret 0.68 instead of 1.05 (plugin README, "Measured").
XGB_DEFAULTS = {"min_child_weight": 0.1}
# Syne Tune's MLP wrapper arguments (its defaults) and the GP classifier's kernel choice.
MLP_DEFAULTS = {"n_hidden": 32, "epochs": 100, "learning_rate": 1e-3, "activation": "relu"}
GP_KERNELS = ("matern52", "rbf")


@functools.cache
def xgboost_available() -> bool:
    """Whether xgboost imports (asked once: a failing import is slow to repeat)."""
    try:
        import xgboost  # noqa: F401
    except ImportError:
        return False
    return True


def make_classifier(name: str, dim: int, seed: int, options: dict[str, Any]) -> Any:
    """An unfitted classifier ``name`` with ``options`` (Syne Tune's ``classifier_kwargs``)."""
    options = dict(options)
    if name == "xgboost" and xgboost_available():
        import xgboost

        return xgboost.XGBClassifier(**{**XGB_DEFAULTS, "random_state": seed, **options})
    if name in ("xgboost", "hgb"):
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(**{**HGB_DEFAULTS, "random_state": seed, **options})
    if name == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(**options)
    if name == "rf":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(**{"random_state": seed, **options})
    if name == "mlp":
        from sklearn.neural_network import MLPClassifier

        unknown = sorted(set(options) - set(MLP_DEFAULTS))
        if unknown:
            raise ValueError(
                f"classifier_kwargs {unknown} not understood by classifier='mlp'; it takes "
                f"{sorted(MLP_DEFAULTS)}"
            )
        o = {**MLP_DEFAULTS, **options}
        return MLPClassifier(
            hidden_layer_sizes=(int(o["n_hidden"]),),
            activation=o["activation"],
            learning_rate_init=float(o["learning_rate"]),
            max_iter=int(o["epochs"]),
            random_state=seed,
        )
    if name == "gp":
        from sklearn.gaussian_process import GaussianProcessClassifier
        from sklearn.gaussian_process.kernels import RBF, ConstantKernel, Matern

        kernel_type = options.pop("kernel_type", "matern52")
        if kernel_type not in GP_KERNELS or options:
            raise ValueError(
                f"classifier='gp' takes classifier_kwargs={{'kernel_type': one of "
                f"{list(GP_KERNELS)}}}, got kernel_type={kernel_type!r} and {sorted(options)}"
            )
        scales = np.full(max(dim, 1), 0.5)
        base = Matern(scales, nu=2.5) if kernel_type == "matern52" else RBF(scales)
        return GaussianProcessClassifier(ConstantKernel(1.0) * base, random_state=seed)
    raise ValueError(f"classifier must be one of {list(CLASSIFIERS)}, got {name!r}")


def calibrated(model: Any) -> Any:
    """``model`` with its probabilities calibrated by 2-fold cross-validation (sigmoid)."""
    from sklearn.calibration import CalibratedClassifierCV

    return CalibratedClassifierCV(model, cv=2, method="sigmoid")


def fit(model: Any, X: np.ndarray, z: np.ndarray) -> Any:
    """Fit quietly: convergence warnings of small MLP / logistic fits are expected here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, z.astype(np.int64))
    return model


def probability_good(model: Any, X: np.ndarray) -> np.ndarray:
    """The fitted classifier's probability of class 1 ("among the best gamma fraction")."""
    column = list(model.classes_).index(1)
    return np.asarray(model.predict_proba(X))[:, column]


_controller: Any = None


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """One BLAS / OpenMP thread while fitting: the data are small, and threads on a machine busy
    with training jobs cost more than they gain (threadpoolctl comes with scikit-learn)."""
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        except Exception:  # noqa: BLE001 - threadpoolctl is optional
            _controller = False
    if not _controller:
        yield
        return
    with _controller.limit(limits=1):
        yield
