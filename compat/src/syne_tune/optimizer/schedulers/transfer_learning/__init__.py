"""``syne_tune.optimizer.schedulers.transfer_learning``: Syne Tune's record of earlier tasks'
evaluations (``synetune_sdk.transfer``) and its transfer schedulers, built through
``synetune.schedulers.create`` (synetune-plugin-transfer)."""

from __future__ import annotations

from typing import Any

from syne_tune._facade import Component, create
from syne_tune._missing import missing
from synetune_sdk.transfer import TransferLearningTaskEvaluations


class BoundingBox(Component):
    """The wrapped scheduler searches the box spanned by the best earlier configurations
    (``bounding_box``). ``scheduler_fun`` is Syne Tune's ``(config_space, mode, metric) ->
    scheduler``, e.g. ``lambda cs, mode, metric: RandomSearch(cs, metric=metric, mode=mode)``."""

    registered = "bounding_box"

    def __new__(
        cls,
        scheduler_fun: Any,
        config_space: dict[str, Any],
        metric: str,
        transfer_learning_evaluations: dict[str, TransferLearningTaskEvaluations],
        mode: str | None = None,
        num_hyperparameters_per_task: int = 1,
    ) -> Any:
        return create(
            "schedulers",
            "bounding_box",
            scheduler_fun=scheduler_fun,
            config_space=config_space,
            metric=metric,
            transfer_learning_evaluations=transfer_learning_evaluations,
            mode=mode,
            num_hyperparameters_per_task=num_hyperparameters_per_task,
        )


class RUSHScheduler(Component):
    """ASHA that runs the best earlier configurations first, as rung hurdles (``rush``)."""

    registered = "rush"

    def __new__(
        cls,
        config_space: dict[str, Any],
        transfer_learning_evaluations: dict[str, TransferLearningTaskEvaluations],
        metric: str,
        type: str = "stopping",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        custom_rush_points: list[dict[str, Any]] | None = None,
        num_hyperparameters_per_task: int = 1,
        **kwargs: Any,
    ) -> Any:
        return create(
            "schedulers",
            "rush",
            config_space=config_space,
            transfer_learning_evaluations=transfer_learning_evaluations,
            metric=metric,
            type=type,
            points_to_evaluate=points_to_evaluate,
            custom_rush_points=custom_rush_points,
            num_hyperparameters_per_task=num_hyperparameters_per_task,
            **kwargs,
        )


__all__ = ["BoundingBox", "RUSHScheduler", "TransferLearningTaskEvaluations"]

MISSING = {
    "TransferLearningMixin": "synetune_sdk.transfer.check_transfer_learning_evaluations in a "
    "scheduler plugin of your own (sdk README 'Writing a plugin')",
}

__getattr__ = missing(__name__, globals(), MISSING)
