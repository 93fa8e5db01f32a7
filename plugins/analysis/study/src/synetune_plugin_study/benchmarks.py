"""Benchmark definitions: what a study runs each method on, and how one run is built.

A benchmark is either a blackbox recipe replayed on the simulator backend (``blackbox``) or a
training script run by the local backend (``script`` with its ``config_space``), plus the
metric(s), mode(s), resource attributes and default stop criterion and worker count. Plugins
ship named ones through the kernel's ``register_benchmarks`` hook; the factory returns a
``Benchmark`` or a plain dict of its fields (so a third party need not import this plugin). The
in-repo recipes ship theirs in their own plugins (analytic, digits-mlp, mlp-tasks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any


@dataclass
class Benchmark:
    """One named benchmark; ``blackbox`` xor ``script``."""

    name: str
    metric: str | list[str]
    mode: str | list[str] = "min"
    blackbox: str | None = None
    blackbox_kwargs: dict[str, Any] = field(default_factory=dict)
    dataset: str | None = None  # the task of a blackbox with several (the simulator's dataset)
    script: str | None = None
    config_space: dict[str, Any] | None = None
    resource_attr: str | None = None
    max_resource_attr: str | None = None
    elapsed_time_attr: str | None = "elapsed_time"
    max_wallclock_time: float | None = None
    max_num_trials: int | None = None  # finished trials
    n_workers: int = 4
    optimum: float | None = None

    def __post_init__(self) -> None:
        if (self.blackbox is None) == (self.script is None):
            raise ValueError(
                f"benchmark {self.name!r}: give exactly one of 'blackbox' (a recipe name, run "
                "on the simulator) or 'script' (a training script, run by the local backend)"
            )
        if self.script is not None and not self.config_space:
            raise ValueError(f"benchmark {self.name!r}: a 'script' needs its 'config_space'")
        modes = [self.mode] if isinstance(self.mode, str) else list(self.mode)
        if any(m not in ("min", "max") for m in modes):
            raise ValueError(f"benchmark {self.name!r}: mode must be 'min' or 'max', got {modes}")
        if "task" in self.blackbox_kwargs:
            raise ValueError(
                f"benchmark {self.name!r}: pick the task of a blackbox with 'dataset' (the "
                "simulator's argument), not with blackbox_kwargs['task']"
            )
        if self.dataset is not None and self.blackbox is None:
            raise ValueError(
                f"benchmark {self.name!r}: 'dataset' picks a task of a blackbox; a 'script' "
                "benchmark has none"
            )
        if self.max_wallclock_time is None and self.max_num_trials is None:
            raise ValueError(
                f"benchmark {self.name!r}: give a default stop criterion, 'max_wallclock_time' "
                "or 'max_num_trials'"
            )

    @property
    def metrics(self) -> list[str]:
        return [self.metric] if isinstance(self.metric, str) else list(self.metric)

    @property
    def multi_objective(self) -> bool:
        return len(self.metrics) > 1

    @property
    def multi_fidelity(self) -> bool:
        return self.resource_attr is not None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if out["dataset"] is None:  # runs recorded before the field existed keep their settings
            del out["dataset"]
        if out["config_space"] is not None and self.script is not None:
            from synetune_sdk.config_space import config_space_to_json

            out["config_space"] = config_space_to_json(self.config_space)
        return out

    @classmethod
    def coerce(cls, value: Any, name: str) -> Benchmark:
        """A ``Benchmark`` from a registered factory's answer or an inline study definition."""
        if isinstance(value, Benchmark):
            return value
        if not isinstance(value, dict):
            raise TypeError(f"benchmark {name!r} must be a Benchmark or a dict, got {value!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ValueError(
                f"benchmark {name!r}: unknown field(s) {unknown}; known: {sorted(known - {'name'})}"
            )
        data = {"name": name, **value}
        space = data.get("config_space")
        if data.get("script") and isinstance(space, dict) and _is_json_space(space):
            from synetune_sdk.config_space import config_space_from_json

            data["config_space"] = config_space_from_json(space)
        return cls(**data)


def _is_json_space(space: dict[str, Any]) -> bool:
    return any(isinstance(v, dict) and "domain_cls" in v for v in space.values())


def build_tuner(
    benchmark: Benchmark,
    scheduler_factory: Any,
    scheduler_kwargs: dict[str, Any],
    *,
    multi_fidelity: bool,
    seed: int,
    stop: dict[str, Any],
    n_workers: int,
    tuner_name: str,
    metadata: dict[str, Any],
    callbacks: list[Any],
) -> Any:
    """One run of a method on ``benchmark`` as a normal synetune ``Tuner`` (not started)."""
    import synetune
    from synetune import StoppingCriterion, Tuner

    if benchmark.blackbox is not None:
        task = {} if benchmark.dataset is None else {"task": benchmark.dataset}
        blackbox = synetune.blackboxes.load(benchmark.blackbox, **task, **benchmark.blackbox_kwargs)
        if isinstance(blackbox, dict):
            raise ValueError(
                f"benchmark {benchmark.name!r}: blackbox {benchmark.blackbox!r} has several "
                f"tasks {sorted(blackbox)}: pick one with 'dataset'"
            )
        space = (
            blackbox.configuration_space_with_max_resource_attr(benchmark.max_resource_attr)
            if benchmark.max_resource_attr
            else blackbox.configuration_space
        )
        backend = synetune.backends.create(
            "simulator",
            blackbox_name=benchmark.blackbox,
            blackbox_kwargs=dict(benchmark.blackbox_kwargs),
            dataset=benchmark.dataset,
            elapsed_time_attr=benchmark.elapsed_time_attr,
            max_resource_attr=benchmark.max_resource_attr,
            random_seed=seed,
        )
    else:
        space = dict(benchmark.config_space or {})
        backend = synetune.backends.create("local", entry_point=benchmark.script)
    kwargs = dict(config_space=space, metric=benchmark.metric, mode=benchmark.mode)
    kwargs["random_seed"] = seed
    if multi_fidelity:
        kwargs.update(resource_attr=benchmark.resource_attr)
        if benchmark.max_resource_attr:
            kwargs.update(max_resource_attr=benchmark.max_resource_attr)
    kwargs.update(scheduler_kwargs)
    return Tuner(
        trial_backend=backend,
        scheduler=scheduler_factory(**kwargs),
        stop_criterion=StoppingCriterion(**stop),
        n_workers=n_workers,
        sleep_time=0.0 if benchmark.blackbox is not None else 0.05,
        tuner_name=tuner_name,
        suffix_tuner_name=False,
        metadata=metadata,
        callbacks=callbacks,
        verbose="quiet",
        overwrite=True,
    )
