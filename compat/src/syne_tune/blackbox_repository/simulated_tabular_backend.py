"""``syne_tune.blackbox_repository.simulated_tabular_backend``: the blackbox backends, as
synetune's ``simulator`` backend (synetune-plugin-simulator). Simulated time needs no
``SimulatorCallback`` there, and ``Tuner(sleep_time=0)`` is not required (it never sleeps)."""

from __future__ import annotations

from typing import Any

from syne_tune._facade import Component, create
from syne_tune._missing import missing, not_in_synetune

# Syne Tune's surrogate names -> the simulator's
SURROGATES = {"KNeighborsRegressor": "knn", "RandomForestRegressor": "random_forest"}
# SimulatorBackend arguments without a meaning in synetune's simulator (no latency model, no
# sleeping), accepted and ignored
IGNORED = ("simulator_config", "tuner_sleep_time", "debug_resource_attr")


def _simulator(
    surrogate: Any, add_surrogate_kwargs: Any, config_space_surrogate: Any, kwargs: dict
) -> dict[str, Any]:
    module = __name__
    if isinstance(surrogate, str) and surrogate not in SURROGATES.values():
        if surrogate not in SURROGATES:
            raise not_in_synetune(
                module,
                f"surrogate={surrogate!r}",
                "surrogate='KNeighborsRegressor' or "
                "'RandomForestRegressor' (synetune's 'knn', 'random_forest')",
            )
        surrogate = SURROGATES[surrogate]
    if add_surrogate_kwargs is not None:
        raise not_in_synetune(module, "add_surrogate_kwargs", "surrogate_kwargs")
    if config_space_surrogate is not None:
        raise not_in_synetune(
            module, "config_space_surrogate", "none (the surrogate covers the blackbox's space)"
        )
    for name in IGNORED:
        kwargs.pop(name, None)
    return dict(surrogate=surrogate, **kwargs)


class BlackboxRepositoryBackend(Component):
    """Replays blackbox ``blackbox_name`` (``dataset`` picks a task) on simulated time."""

    kind = "backends"
    registered = "simulator"

    def __new__(
        cls,
        blackbox_name: str,
        elapsed_time_attr: str,
        max_resource_attr: str | None = None,
        seed: int | None = None,
        support_checkpointing: bool = True,
        dataset: str | None = None,
        surrogate: Any = None,
        surrogate_kwargs: dict[str, Any] | None = None,
        add_surrogate_kwargs: dict[str, Any] | None = None,
        config_space_surrogate: dict[str, Any] | None = None,
        **simulatorbackend_kwargs: Any,
    ) -> Any:
        return create(
            "backends",
            "simulator",
            blackbox_name=blackbox_name,
            dataset=dataset,
            elapsed_time_attr=elapsed_time_attr,
            max_resource_attr=max_resource_attr,
            seed=seed,
            support_checkpointing=support_checkpointing,
            surrogate_kwargs=surrogate_kwargs,
            **_simulator(
                surrogate, add_surrogate_kwargs, config_space_surrogate, simulatorbackend_kwargs
            ),
        )


class UserBlackboxBackend(Component):
    """Replays the blackbox object ``blackbox`` on simulated time."""

    kind = "backends"
    registered = "simulator"

    def __new__(
        cls,
        blackbox: Any,
        elapsed_time_attr: str,
        max_resource_attr: str | None = None,
        seed: int | None = None,
        support_checkpointing: bool = True,
        **simulatorbackend_kwargs: Any,
    ) -> Any:
        return create(
            "backends",
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr=elapsed_time_attr,
            max_resource_attr=max_resource_attr,
            seed=seed,
            support_checkpointing=support_checkpointing,
            **_simulator(None, None, None, simulatorbackend_kwargs),
        )


__all__ = ["BlackboxRepositoryBackend", "UserBlackboxBackend"]

__getattr__ = missing(__name__, globals(), {})
