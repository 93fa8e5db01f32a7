"""The progress callback under real runs: plain lines when captured, a live table on a terminal."""

from __future__ import annotations

import io
import re

import dill
import pytest
from kernel_helpers import RandomScheduler, ThreadBackend, quadratic
from rich.console import Console
from synetune_plugin_progress.callback import ProgressCallback

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.context import TuningStatus
from synetune_sdk.config_space import uniform
from synetune_sdk.trial import Trial

SPACE = {"x": uniform(0.0, 1.0), "epochs": 4, "sleep": 0.03}


def make_tuner(name: str, verbose: str = "normal", callbacks=None, **kwargs) -> Tuner:
    return Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(SPACE, seed=11, stop_above=0.7),
        stop_criterion=StoppingCriterion(max_num_trials_started=6),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose=verbose,
        callbacks=callbacks,
        **kwargs,
    )


def test_captured_run_prints_plain_periodic_blocks(capsys):
    tuner = make_tuner("progress-plain", print_update_interval=0.1)
    tuner.run()
    out = capsys.readouterr().out
    assert any(isinstance(cb, ProgressCallback) for cb in tuner.callbacks)  # added by default
    assert "\x1b[" not in out  # no escape codes in a log
    headers = [line for line in out.splitlines() if line.startswith("synetune progress-plain:")]
    assert len(headers) >= 2  # periodic, then once at the end
    assert "elapsed" not in out  # the tuner's own periodic lines gave way
    assert "stop at 6/6 trials started" in headers[-1]
    for trial_id in range(6):
        assert re.search(rf"^  trial {trial_id} \[(Completed|Stopped)\] epoch=\d", out, re.M), (
            trial_id
        )
    best = load_experiment("progress-plain").best_config()
    assert f"best loss={best['loss']:.6g} (trial {best['trial_id']})" in headers[-1]
    assert re.search(rf"trial {best['trial_id']} .*x={best['x']:.4g}", out)
    assert tuner.progress_active is False  # the tuner prints its closing line itself
    assert "synetune: finished 'progress-plain'" in out


def test_quiet_tuner_adds_no_progress(capsys):
    tuner = make_tuner("progress-quiet", verbose="quiet")
    tuner.run()
    assert not any(isinstance(cb, ProgressCallback) for cb in tuner.callbacks)
    assert capsys.readouterr().out == ""


def test_terminal_gets_a_live_table_and_the_tuner_keeps_one_progress():
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=140, color_system="standard")
    progress = synetune.callbacks.create("progress", console=console, refresh_interval=0.0)
    tuner = make_tuner("progress-live", callbacks=[progress])
    tuner.run()
    assert sum(isinstance(cb, ProgressCallback) for cb in tuner.callbacks) == 1
    out = buffer.getvalue()
    assert "\x1b[" in out and "┃" in out  # drawn (and redrawn) in place as a table
    assert out.count("synetune progress-live:") >= 2
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out)
    final = text[text.rindex("synetune progress-live:") :]
    best = load_experiment("progress-live").best_config()
    header = " ".join(final.split("┏")[0].split())  # the header line wraps on narrow terminals
    assert f"best loss={best['loss']:.6g} (trial {best['trial_id']})" in header
    for column in ("trial", "status", "epoch", "loss", "config"):
        assert column in final
    assert re.search(r"│\s+\d+ │ (Completed|Stopped)", final)
    # the tuner pickled the callback without its terminal
    with open(tuner.tuner_path / "tuner.dill", "rb") as f:
        saved = dill.load(f)
    (restored,) = [cb for cb in saved.callbacks if isinstance(cb, ProgressCallback)]
    assert restored.console is None and restored.best == progress.best


class _FakeTuner:
    def __init__(self, statuses: dict[int, str], verbose: str = "normal"):
        self.name = "fake"
        self.tuning_status = TuningStatus(metric_names=["loss"], trial_status=statuses)
        self.trials = {t: Trial(t, {"x": t / 10}, None) for t in statuses}  # type: ignore[arg-type]
        self.stop_criterion = StoppingCriterion(max_wallclock_time=60)
        self.scheduler = RandomScheduler(SPACE)
        self.print_update_interval = 30.0
        self.progress_active = False


def test_rows_show_running_first_then_recently_finished():
    statuses = {t: "InProgress" for t in range(15)} | {15: "Completed", 16: "Stopped"}
    normal = ProgressCallback(console=Console(file=io.StringIO()))
    normal.on_tuning_start(_FakeTuner(statuses))
    for trial_id in (15, 16):
        normal.on_trial_complete(Trial(trial_id, {}, None), {})  # type: ignore[arg-type]
    assert [r["trial_id"] for r in normal.rows()] == list(range(10))
    small = ProgressCallback(console=Console(file=io.StringIO()), max_rows=12)
    small.on_tuning_start(_FakeTuner({0: "InProgress", 15: "Completed", 16: "Stopped"}))
    small._finished.extend([15, 16])
    assert [r["trial_id"] for r in small.rows()] == [0, 16, 15]
    debug = ProgressCallback(verbose="debug", console=Console(file=io.StringIO()))
    debug.on_tuning_start(_FakeTuner(statuses))
    debug._finished.extend([15, 16])
    assert [r["trial_id"] for r in debug.rows()] == [*range(15), 16, 15]
    quiet = ProgressCallback(verbose="quiet")
    tuner = _FakeTuner(statuses)
    quiet.on_tuning_start(tuner)
    assert not quiet.active and tuner.progress_active is False


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="verbose"):
        ProgressCallback(verbose="loud")
    with pytest.raises(ValueError, match="max_rows"):
        ProgressCallback(max_rows=0)
    with pytest.raises(ValueError, match="refresh_interval"):
        ProgressCallback(refresh_interval=-1)
