"""Every registered scheduler takes ``random_seed``, so a loop over methods and seeds never breaks,
and the seed makes its first suggestions repeatable."""

from __future__ import annotations

import inspect

import pytest
from kernel_helpers import earlier_tasks

import synetune
from synetune.config_space import choice, randint, uniform

SPACE = {"x": uniform(0.0, 1.0), "n": randint(1, 8), "act": choice(["a", "b"]), "epochs": 9}
# what a scheduler's required (or wrapper) arguments get; everything else keeps its default
ARGUMENTS = {
    "config_space": SPACE,
    "metric": "loss",
    "mode": "min",
    "resource_attr": "epoch",
    "max_resource_attr": "epochs",
    "constraint_attr": "c",
    "scheduler": "fifo",
    "transfer_learning_evaluations": earlier_tasks(SPACE, "loss"),
}


def build(name: str, random_seed: int):
    factory = synetune.schedulers.get(name)
    params = inspect.signature(factory).parameters
    missing = [
        p.name
        for p in params.values()
        if p.default is p.empty
        and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
        and p.name not in ARGUMENTS
    ]
    assert not missing, f"{name}: no test value for the required argument(s) {missing}"
    kwargs = {k: v for k, v in ARGUMENTS.items() if k in params}
    try:
        return synetune.schedulers.create(name, **kwargs, random_seed=random_seed)
    except ValueError as err:
        if "at least two metric" not in str(err):
            raise
    # a multi-objective method: two objectives
    kwargs.update(metric=["loss", "epoch"], mode=["min", "max"])
    return synetune.schedulers.create(name, **kwargs, random_seed=random_seed)


def first_configs(scheduler, count: int = 3):
    out = []
    for trial_id in range(count):
        suggestion = scheduler.suggest(trial_id)
        out.append(None if suggestion is None else suggestion.config)
    return out


@pytest.mark.parametrize("name", synetune.schedulers.names())
def test_every_scheduler_accepts_random_seed(name):
    scheduler = build(name, random_seed=1)
    again = build(name, random_seed=1)
    assert first_configs(scheduler) == first_configs(again), f"{name}: random_seed=1 twice differs"
