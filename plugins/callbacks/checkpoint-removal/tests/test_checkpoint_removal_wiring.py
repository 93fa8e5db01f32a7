"""``early_checkpoint_removal_kwargs`` on a Hyperband scheduler: its ``default_callbacks()`` give
the tuner the callback, which checks ``max_num_checkpoints > n_workers`` when the run starts."""

from __future__ import annotations

import pytest
from synetune_plugin_checkpoint_removal.callback import HyperbandRemoveCheckpointsCallback

import synetune
from synetune import StoppingCriterion, Tuner
from synetune_sdk.config_space import uniform
from synetune_sdk.testing import ThreadBackend, quadratic

SPACE = {"x": uniform(0, 1), "epochs": 9}


def asha(**kwargs):
    return synetune.schedulers.create(
        "asha",
        config_space=SPACE,
        metric="loss",
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=0,
        **kwargs,
    )


def test_tuner_adds_the_removal_callback():
    scheduler = asha(type="promotion", early_checkpoint_removal_kwargs={"max_num_checkpoints": 3})
    [default] = scheduler.default_callbacks()
    assert isinstance(default, HyperbandRemoveCheckpointsCallback)
    tuner = Tuner(
        ThreadBackend(quadratic),
        scheduler,
        StoppingCriterion(max_num_trials_started=6, max_wallclock_time=60),
        n_workers=2,
        verbose="quiet",
    )
    tuner.run()
    [callback] = [
        cb for cb in tuner.callbacks if isinstance(cb, HyperbandRemoveCheckpointsCallback)
    ]
    assert callback.max_num_checkpoints == 3


def test_max_num_checkpoints_must_exceed_workers():
    scheduler = asha(type="promotion", early_checkpoint_removal_kwargs={"max_num_checkpoints": 2})
    tuner = Tuner(
        ThreadBackend(quadratic),
        scheduler,
        StoppingCriterion(max_num_trials_started=2),
        n_workers=2,
        verbose="quiet",
    )
    with pytest.raises(ValueError, match="larger than n_workers"):
        tuner.run()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (
            {"type": "stopping", "early_checkpoint_removal_kwargs": {"max_num_checkpoints": 5}},
            "pause-and-resume",
        ),
        (
            {"type": "promotion", "early_checkpoint_removal_kwargs": {"approx_steps": 5}},
            "max_num_checkpoints",
        ),
        (
            {
                "type": "promotion",
                "early_checkpoint_removal_kwargs": {"max_num_checkpoints": 5, "bogus": 1},
            },
            "bogus",
        ),
    ],
)
def test_bad_kwargs_are_rejected_when_building(kwargs, message):
    with pytest.raises(ValueError, match=message):
        asha(**kwargs)
