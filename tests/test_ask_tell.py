"""Using a scheduler without a backend through ask/tell."""

from __future__ import annotations

import pytest
from kernel_helpers import RandomScheduler

from synetune import AskTellScheduler
from synetune.config_space import uniform
from synetune_sdk import SchedulerDecision


def test_ask_tell_finds_best_trial():
    ask_tell = AskTellScheduler(RandomScheduler({"x": uniform(-1.0, 1.0)}, seed=1))
    told = []
    for _ in range(30):
        trial = ask_tell.ask()
        loss = trial.config["x"] ** 2
        told.append(loss)
        assert ask_tell.tell(trial, {"loss": loss}) == SchedulerDecision.CONTINUE
        ask_tell.complete(trial)
    trial, result = ask_tell.best_trial("loss")
    assert result["loss"] == min(told)
    assert trial.config["x"] ** 2 == pytest.approx(min(told))


def test_ask_tell_resumes_paused_trial_with_same_id():
    ask_tell = AskTellScheduler(RandomScheduler({"x": uniform(0.0, 1.0)}, pause_at=1))
    trial = ask_tell.ask()
    assert ask_tell.tell(trial, {"loss": 1.0, "epoch": 1}) == SchedulerDecision.PAUSE
    again = ask_tell.ask()
    assert again.trial_id == trial.trial_id


def test_tell_unknown_trial_raises():
    from datetime import datetime

    from synetune_sdk import Trial

    ask_tell = AskTellScheduler(RandomScheduler({"x": uniform(0.0, 1.0)}))
    with pytest.raises(ValueError, match="not returned by ask"):
        ask_tell.tell(Trial(42, {}, datetime.now()), {"loss": 1.0})
