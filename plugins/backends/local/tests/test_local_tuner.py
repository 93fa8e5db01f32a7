"""The local backends under the conformance kit and under the real Tuner."""

from __future__ import annotations

from typing import Any

from synetune_plugin_local.local_backend import LocalBackend

from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.testing import CONTRACT_SCRIPT, BackendContract
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion


class TestLocalBackendContract(BackendContract):
    def make_backend(self, entry_point: str) -> LocalBackend:
        return LocalBackend(entry_point=entry_point, kill_grace_period=2.0)


class PauseAndStopScheduler(Scheduler):
    """Runs fixed configs; pauses trial 0 at epoch 2 (then resumes it), stops trial 1 there."""

    def __init__(self, configs: list[dict[str, Any]]):
        super().__init__()
        self.configs = list(configs)
        self.to_resume: list[int] = []
        self.paused_once = False

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        if self.to_resume:
            return TrialSuggestion.resume_suggestion(self.to_resume.pop())
        if self.configs:
            return TrialSuggestion.start_suggestion(self.configs.pop(0))
        return None

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        if trial.trial_id == 0 and result["epoch"] == 2 and not self.paused_once:
            self.paused_once = True
            self.to_resume.append(0)
            return SchedulerDecision.PAUSE
        if trial.trial_id == 1 and result["epoch"] == 2:
            return SchedulerDecision.STOP
        return SchedulerDecision.CONTINUE

    def metric_names(self) -> list[str]:
        return ["loss"]

    def metric_mode(self) -> str:
        return "min"


def test_tuner_runs_pauses_resumes_and_stops_local_trials(tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    backend = LocalBackend(entry_point=CONTRACT_SCRIPT)
    scheduler = PauseAndStopScheduler(
        [{"epochs": 4, "sleep": 0.05}, {"epochs": 100, "sleep": 0.05}, {"epochs": 2}]
    )
    tuner = Tuner(
        trial_backend=backend,
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_wallclock_time=60),
        n_workers=2,
        sleep_time=0.1,
        tuner_name="local-e2e",
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()

    assert backend.status == {
        0: TrialStatus.COMPLETED,
        1: TrialStatus.STOPPED,
        2: TrialStatus.COMPLETED,
    }
    df = load_experiment("local-e2e").results
    epochs = df[df["trial_id"] == 0]["epoch"].tolist()
    assert epochs[:2] == [1, 2] and epochs[-1] == 4 and len(set(epochs)) == len(epochs)
    assert (tmp_path / "local-e2e" / "0" / "std.out").exists()
    assert (tmp_path / "local-e2e" / "tuner.dill").exists()
    assert backend.busy_trial_ids() == []
