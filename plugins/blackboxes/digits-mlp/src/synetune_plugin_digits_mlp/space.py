"""The grids of MLP hyperparameters the digits-mlp benchmark tabulates.

Every configuration space here is a full grid and the table holds every point of it, so any
scheduler sampling from ``blackbox.configuration_space`` gets exact lookups. The two continuous
hyperparameters (learning rate and L2 penalty) take values on a log-spaced grid
(``logfinrange``), the integer ones on integer grids, the activation is categorical.
"""

from __future__ import annotations

import itertools
from typing import Any

from synetune_sdk.config_space import Domain, choice, logfinrange, randint

# measured while training (the shipped table's columns)
MEASURED_OBJECTIVES = ["val_error", "val_loss", "train_loss", "elapsed_time"]
# derived from the hyperparameters when the blackbox is written: a deterministic size objective
OBJECTIVES = [*MEASURED_OBJECTIVES, "n_params"]
INPUT_FEATURES = 64  # 8x8 pixels
NUM_CLASSES = 10
RESOURCE_ATTR = "epoch"
SEED_COL = "seed"


def config_space(size: str = "full") -> dict[str, Any]:
    """``"full"``: 6 x 3 x 3 x 2 x 3 x 2 = 648 configurations; ``"small"``: 16 (for tests)."""
    if size == "full":
        return {
            "learning_rate_init": logfinrange(1e-4, 1e-1, 6),
            "alpha": logfinrange(1e-6, 1e-2, 3),
            "batch_size": logfinrange(32, 512, 3, cast_int=True),
            "num_layers": randint(1, 2),
            "num_units": logfinrange(16, 144, 3, cast_int=True),
            "activation": choice(["relu", "tanh"]),
        }
    if size == "small":
        return {
            "learning_rate_init": logfinrange(1e-3, 1e-1, 2),
            "alpha": 1e-4,
            "batch_size": logfinrange(64, 256, 2, cast_int=True),
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


def n_params(num_layers: int, num_units: int) -> int:
    """Weights and biases of the MLP: 64 inputs, ``num_layers`` hidden layers of ``num_units``,
    10 outputs (1,210 to 31,690 on the full grid)."""
    sizes = [INPUT_FEATURES] + [int(num_units)] * int(num_layers) + [NUM_CLASSES]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:]))
