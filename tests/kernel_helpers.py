"""In-process components for kernel tests: a thread backend, an objective and a minimal scheduler.

They live in ``synetune_sdk.testing`` (plugins' tests use them from there); this module keeps
the kernel tests' imports working. ``earlier_tasks`` gives transfer-learning methods, which
every registry-wide test builds, three earlier tasks on any configuration space.
"""

from __future__ import annotations

from typing import Any

from synetune_sdk.testing import RandomScheduler, ThreadBackend, quadratic

__all__ = ["RandomScheduler", "ThreadBackend", "earlier_tasks", "quadratic"]


def earlier_tasks(config_space: dict[str, Any], metric: str) -> dict[str, Any]:
    """Three earlier tasks of 20 random configurations each, scored by a smooth function of the
    configurations' encoded rows (a different optimum per task)."""
    import numpy as np
    import pandas as pd

    from synetune_sdk.config_space import Domain, sample_config
    from synetune_sdk.encoding import ConfigEncoder
    from synetune_sdk.transfer import TransferLearningTaskEvaluations

    rng = np.random.default_rng(0)
    searched = {k: v for k, v in config_space.items() if isinstance(v, Domain)}
    configs = [sample_config(searched, rng) for _ in range(20)]
    rows = ConfigEncoder(searched).encode(configs)
    hyperparameters = pd.DataFrame(configs)
    tasks = {}
    for i, optimum in enumerate((0.1, 0.5, 0.9)):
        values = ((rows - optimum) ** 2).sum(axis=1)
        tasks[f"task{i}"] = TransferLearningTaskEvaluations(
            config_space, hyperparameters, [metric], values.reshape(20, 1, 1, 1)
        )
    return tasks
