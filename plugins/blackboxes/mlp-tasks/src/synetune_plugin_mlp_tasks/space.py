"""The configuration space and the tasks of the mlp-tasks benchmark.

The hyperparameters, their types and their ranges are those of digits-mlp (learning rate and L2
penalty on a log grid, batch size and width on integer log grids, depth, activation); the grid
is coarser (2-4 values each, 128 configurations instead of 648) so that generating 7 tasks
stays cheap. Every point of the grid is in the table, so a scheduler sampling from the space
always gets an exact lookup.
"""

from __future__ import annotations

import itertools
from typing import Any

from synetune_sdk.config_space import Domain, choice, logfinrange, randint

OBJECTIVES = ["val_error", "val_loss", "train_loss", "elapsed_time"]
RESOURCE_ATTR = "epoch"
SEED_COL = "seed"
# scikit-learn's bundled classification data sets (no download) and make_classification tasks
# of graded difficulty: (n_samples, n_features, n_informative, n_classes, class_sep, flip_y)
SYNTHETIC = {
    "synthetic-easy": (500, 10, 8, 2, 2.0, 0.0),
    "synthetic-medium": (500, 20, 8, 3, 1.2, 0.02),
    "synthetic-hard": (500, 20, 6, 4, 0.8, 0.05),
}
TASKS = ["digits", "breast_cancer", "wine", "iris", *SYNTHETIC]


def config_space(size: str = "full") -> dict[str, Any]:
    """``"full"``: 4 x 2 x 2 x 2 x 2 x 2 = 128 configurations; ``"small"``: 8 (for tests)."""
    if size == "full":
        return {
            "learning_rate_init": logfinrange(1e-4, 1e-1, 4),
            "alpha": logfinrange(1e-6, 1e-2, 2),
            "batch_size": logfinrange(32, 512, 2, cast_int=True),
            "num_layers": randint(1, 2),
            "num_units": logfinrange(16, 144, 2, cast_int=True),
            "activation": choice(["relu", "tanh"]),
        }
    if size == "small":
        return {
            "learning_rate_init": logfinrange(1e-3, 1e-1, 2),
            "alpha": 1e-4,
            "batch_size": 128,
            "num_layers": randint(1, 2),
            "num_units": 16,
            "activation": choice(["relu", "tanh"]),
        }
    raise ValueError(f"size must be 'full' or 'small', got {size!r}")


def grid(space: dict[str, Any]) -> list[dict[str, Any]]:
    """Every configuration of ``space`` in a fixed order (constants included)."""
    names = list(space)
    values = [v.grid(v.size()) if isinstance(v, Domain) else [v] for v in space.values()]
    return [dict(zip(names, combo)) for combo in itertools.product(*values)]


def load_task(task: str) -> tuple[Any, Any]:
    """``(X, y)`` of a task, features scaled to [0, 1] (fixed: seed 0 for synthetic tasks)."""
    import numpy as np
    from sklearn import datasets

    loaders = {
        "digits": datasets.load_digits,
        "breast_cancer": datasets.load_breast_cancer,
        "wine": datasets.load_wine,
        "iris": datasets.load_iris,
    }
    if task in loaders:
        X, y = loaders[task](return_X_y=True)
    elif task in SYNTHETIC:
        n, f, informative, classes, sep, flip = SYNTHETIC[task]
        X, y = datasets.make_classification(
            n_samples=n,
            n_features=f,
            n_informative=informative,
            n_redundant=0,
            n_classes=classes,
            class_sep=sep,
            flip_y=flip,
            random_state=0,
        )
    else:
        raise ValueError(f"unknown task {task!r}; tasks: {TASKS}")
    X = X.astype(float)
    low, high = X.min(axis=0), X.max(axis=0)
    X = (X - low) / np.where(high > low, high - low, 1.0)
    return X, np.asarray(y, dtype=int)
