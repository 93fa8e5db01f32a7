"""The progress callback under real runs: plain lines when captured, a live table on a terminal.

The unit tests drive it with a ``TuningContext`` built by hand; the runs through the ``Tuner``
need the tuner to create default callbacks, pass the context and read ``prints_progress``.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import dill
import pytest
from rich.console import Console
from synetune_plugin_progress.callback import ProgressCallback

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.config_space import uniform
from synetune_sdk.context import TuningContext, TuningStatus
from synetune_sdk.testing import RandomScheduler, ThreadBackend, quadratic
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
    progress = synetune.callbacks.create("progress", print_interval=0.1)
    tuner = make_tuner("progress-plain", callbacks=[progress], print_update_interval=0.1)
    tuner.run()
    out = capsys.readouterr().out
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
    assert "synetune: finished 'progress-plain'" in out  # the tuner's closing line


def test_the_tuner_adds_one_progress_by_default(capsys):
    tuner = make_tuner("progress-default")
    tuner.run()
    [progress] = [cb for cb in tuner.callbacks if isinstance(cb, ProgressCallback)]
    assert progress.level == "normal" and progress.print_interval == 30.0
    out = capsys.readouterr().out
    assert out.count("synetune progress-default:") == 1  # the block at the end


def test_quiet_tuner_shows_no_progress(capsys):
    tuner = make_tuner("progress-quiet", verbose="quiet")
    tuner.run()
    for callback in tuner.callbacks:
        if isinstance(callback, ProgressCallback):
            assert not callback.active and callback.prints_progress is False
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


def context(statuses: dict[int, str], verbose: str = "normal") -> TuningContext:
    """What the tuner hands a callback at the start, built by hand."""
    return TuningContext(
        name="fake",
        tuner_path=Path("/nonexistent"),
        n_workers=2,
        scheduler=RandomScheduler(SPACE),
        trial_backend=None,
        stop_criterion=StoppingCriterion(max_wallclock_time=60),
        tuning_status=TuningStatus(metric_names=["loss"], trial_status=statuses),
        trials={t: Trial(t, {"x": t / 10}, None) for t in statuses},  # type: ignore[arg-type]
        verbose=verbose,
    )


def test_rows_show_running_first_then_recently_finished():
    statuses = {t: "InProgress" for t in range(15)} | {15: "Completed", 16: "Stopped"}
    normal = ProgressCallback(console=Console(file=io.StringIO()))
    normal.on_tuning_start(context(statuses))
    for trial_id in (15, 16):
        normal.on_trial_complete(Trial(trial_id, {}, None), {})  # type: ignore[arg-type]
    assert [r["trial_id"] for r in normal.rows()] == list(range(10))
    small = ProgressCallback(console=Console(file=io.StringIO()), max_rows=12)
    small.on_tuning_start(context({0: "InProgress", 15: "Completed", 16: "Stopped"}))
    small._finished.extend([15, 16])
    assert [r["trial_id"] for r in small.rows()] == [0, 16, 15]
    debug = ProgressCallback(verbose="debug", console=Console(file=io.StringIO()))
    debug.on_tuning_start(context(statuses))
    debug._finished.extend([15, 16])
    assert [r["trial_id"] for r in debug.rows()] == [*range(15), 16, 15]
    # the run's verbose applies unless the callback was given one
    from_run = ProgressCallback(console=Console(file=io.StringIO()))
    from_run.on_tuning_start(context(statuses, verbose="debug"))
    from_run._finished.extend([15, 16])
    assert len(from_run.rows()) == 17
    quiet = ProgressCallback(verbose="quiet")
    quiet.on_tuning_start(context(statuses, verbose="debug"))
    assert not quiet.active and quiet.prints_progress is False
    quiet_run = ProgressCallback()
    quiet_run.on_tuning_start(context(statuses, verbose="quiet"))
    assert not quiet_run.active and quiet_run.prints_progress is False


def test_constructible_without_arguments_and_declares_it_prints_progress():
    assert ProgressCallback.prints_progress is True
    assert isinstance(synetune.callbacks.create("progress"), ProgressCallback)
    assert synetune.callbacks.entry("progress").default is True  # the tuner adds it to every run


def test_plain_blocks_read_the_context_and_come_every_print_interval():
    buffer = io.StringIO()
    progress = ProgressCallback(console=Console(file=buffer, width=200), print_interval=0.001)
    ctx = context({0: "InProgress", 1: "Completed"})
    ctx.tuning_status.num_results = 3
    ctx.tuning_status.wallclock_time = 12.5
    progress.on_tuning_start(ctx)
    progress.on_trial_result(Trial(1, {}, None), "Completed", {"loss": 0.25}, "CONTINUE")  # type: ignore[arg-type]
    progress.on_trial_complete(Trial(1, {}, None), {})  # type: ignore[arg-type]
    time.sleep(0.01)  # more than print_interval
    progress.on_loop_end()
    progress.on_tuning_end()
    out = buffer.getvalue()
    assert "\x1b[" not in out
    headers = [line for line in out.splitlines() if line.startswith("synetune fake: 12.5s")]
    assert len(headers) == 2  # once in the loop, once at the end
    assert "stop at 12.5/60s" in headers[-1] and "best loss=0.25 (trial 1)" in headers[-1]
    assert "  trial 0 [InProgress]" in out and "  trial 1 [Completed]" in out
    assert not progress.active


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="verbose"):
        ProgressCallback(verbose="loud")
    with pytest.raises(ValueError, match="max_rows"):
        ProgressCallback(max_rows=0)
    with pytest.raises(ValueError, match="refresh_interval"):
        ProgressCallback(refresh_interval=-1)
