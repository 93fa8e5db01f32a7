"""The tensorboard callback under real runs: the event files are read back and checked.

The local backend is created by name (synetune-plugin-local is a test dependency); the in-process
runs use ``synetune_sdk.testing``.
"""

from __future__ import annotations

import json
import math
import struct
from collections import defaultdict
from pathlib import Path

import dill
import pytest
from synetune_plugin_tensorboard.callback import TensorboardCallback
from tensorboardX.crc32c import crc32c
from tensorboardX.proto.event_pb2 import Event

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.config_space import uniform
from synetune_sdk.context import TuningContext, TuningStatus
from synetune_sdk.testing import CONTRACT_SCRIPT, RandomScheduler, ThreadBackend, quadratic
from synetune_sdk.trial import Trial


def _masked_crc(data: bytes) -> int:
    x = crc32c(data) & 0xFFFFFFFF
    return (((x >> 15) | (x << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_run(folder: Path) -> tuple[dict[str, list[tuple[int, float, float]]], list[Event]]:
    """Scalars ``tag -> [(step, value, wall_time)]`` and all events of one TensorBoard run.

    Parses the TFRecord framing (length, masked CRC32C of length and data) as TensorBoard does,
    checking both checksums, with the protobuf classes tensorboardX ships."""
    scalars: dict[str, list[tuple[int, float, float]]] = defaultdict(list)
    events: list[Event] = []
    files = sorted(folder.glob("events.out.tfevents.*"))
    assert files, f"no event file in {folder}"
    for path in files:
        data = path.read_bytes()
        pos = 0
        while pos < len(data):
            header = data[pos : pos + 8]
            (length,) = struct.unpack("<Q", header)
            (header_crc,) = struct.unpack("<I", data[pos + 8 : pos + 12])
            assert header_crc == _masked_crc(header), f"corrupt length in {path}"
            payload = data[pos + 12 : pos + 12 + length]
            (payload_crc,) = struct.unpack("<I", data[pos + 12 + length : pos + 16 + length])
            assert payload_crc == _masked_crc(payload), f"corrupt record in {path}"
            pos += 16 + length
            event = Event.FromString(payload)
            events.append(event)
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    scalars[value.tag].append((event.step, value.simple_value, event.wall_time))
    return scalars, events


def _texts(events: list[Event], tag: str) -> list[str]:
    out = []
    for event in events:
        for value in event.summary.value:
            if value.tag.startswith(tag) and value.HasField("tensor"):
                out.extend(s.decode() for s in value.tensor.string_val)
    return out


def _hparams_sessions(events: list[Event]) -> int:
    return sum(
        1
        for event in events
        for value in event.summary.value
        if value.metadata.plugin_data.plugin_name == "hparams"
    )


def test_local_run_is_logged_per_trial_with_best_so_far(synetune_folder):
    space = {"x": uniform(0.0, 1.0), "epochs": 3}
    tuner = Tuner(
        trial_backend=synetune.backends.create("local", entry_point=CONTRACT_SCRIPT),
        scheduler=RandomScheduler(space, seed=3),
        stop_criterion=StoppingCriterion(max_num_trials_started=4),
        n_workers=2,
        tuner_name="tb-local",
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=["tensorboard"],
    )
    tuner.run()
    df = load_experiment("tb-local").results
    out = synetune_folder / "tb-local" / "tensorboard_output"
    assert sorted(p.name for p in out.iterdir()) == [
        "trial-0",
        "trial-1",
        "trial-2",
        "trial-3",
        "tuner",
    ]

    for trial_id in range(4):
        scalars, events = read_run(out / f"trial-{trial_id}")
        rows = df[df["trial_id"] == trial_id]
        assert [s for s, _, _ in scalars["loss"]] == [1, 2, 3]  # step = epoch
        assert [v for _, v, _ in scalars["loss"]] == pytest.approx(rows["loss"].tolist(), rel=1e-6)
        assert [v for _, v, _ in scalars["epoch"]] == [1.0, 2.0, 3.0]
        assert not any(tag.startswith("st_") for tag in scalars)
        # wall times follow the tuner's clock: increasing, st_tuner_time apart
        walls = [w for _, _, w in scalars["loss"]]
        gaps = [b - a for a, b in zip(walls, walls[1:])]
        expected = [b - a for a, b in zip(rows["st_tuner_time"], rows["st_tuner_time"][1:])]
        assert gaps == pytest.approx(expected, abs=1e-3)
        assert _hparams_sessions(events) >= 1
        assert scalars["hparam/loss"][0][1] == pytest.approx(rows["loss"].iloc[-1], rel=1e-6)

    scalars, events = read_run(out / "tuner")
    best = [v for _, v, _ in scalars["best/loss"]]
    # the callback saw the results in the order of the results file
    running = [min(df["loss"].iloc[: i + 1]) for i in range(len(df))]
    assert best == pytest.approx(running, rel=1e-6)
    assert [s for s, _, _ in scalars["best/loss"]] == list(range(1, len(df) + 1))
    best_row = df.loc[df["loss"].idxmin()]
    assert scalars["best/trial_id"][-1][1] == best_row["trial_id"]
    assert scalars["best/config/x"][-1][1] == pytest.approx(best_row["config_x"], rel=1e-6)
    last_text = json.loads(_texts(events, "best/config")[-1])
    assert last_text["trial_id"] == best_row["trial_id"]
    assert last_text["x"] == pytest.approx(best_row["config_x"])


def test_paused_trial_continues_its_curve_and_tuner_pickles(synetune_folder):
    # 30 ms per epoch: the pause is handled before the paused run could report again
    space = {"x": uniform(0.0, 1.0), "epochs": 4, "sleep": 0.03}
    callback = synetune.callbacks.create("tensorboard", ignore_metrics=["epoch"])
    assert isinstance(callback, TensorboardCallback)
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(space, pause_at=2, seed=1),
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=1,
        tuner_name="tb-pause",
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=[callback],
    )
    tuner.run()
    out = tuner.tuner_path / "tensorboard_output"
    scalars, _ = read_run(out / "trial-0")
    assert [s for s, _, _ in scalars["loss"]] == [1, 2, 3, 4]  # paused at 2, resumed
    assert "epoch" not in scalars
    assert len(list((out / "trial-0").glob("events.out.tfevents.*"))) >= 2  # reopened
    assert callback._writers == {}  # everything closed at the end
    with open(tuner.tuner_path / "tuner.dill", "rb") as f:
        saved = dill.load(f)
    assert any(isinstance(cb, TensorboardCallback) for cb in saved.callbacks)


def test_maximised_target_metric_logs_the_running_maximum(synetune_folder):
    space = {"x": uniform(0.0, 1.0), "epochs": 3}
    tuner = Tuner(
        trial_backend=ThreadBackend(quadratic),
        scheduler=RandomScheduler(space, seed=5),
        stop_criterion=StoppingCriterion(max_num_trials_started=3),
        n_workers=1,
        tuner_name="tb-max",
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=[
            TensorboardCallback(target_metric="loss", mode="max", log_hyperparameters=False)
        ],
    )
    tuner.run()
    df = load_experiment("tb-max").results
    scalars, events = read_run(tuner.tuner_path / "tensorboard_output" / "tuner")
    running = [max(df["loss"].iloc[: i + 1]) for i in range(len(df))]
    assert [v for _, v, _ in scalars["best/loss"]] == pytest.approx(running, rel=1e-6)
    _, trial_events = read_run(tuner.tuner_path / "tensorboard_output" / "trial-0")
    assert _hparams_sessions(trial_events) == 0


def test_nan_results_do_not_become_the_best(synetune_folder):
    def diverging(config, report, start_epoch=0):
        report(epoch=1, loss=math.nan if config["x"] > 0.5 else config["x"])

    tuner = Tuner(
        trial_backend=ThreadBackend(diverging),
        scheduler=RandomScheduler({"x": uniform(0.0, 1.0)}, seed=0),
        stop_criterion=StoppingCriterion(max_num_trials_started=6),
        n_workers=2,
        tuner_name="tb-nan",
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=["tensorboard"],
    )
    tuner.run()
    df = load_experiment("tb-nan").results
    assert df["loss"].isna().any() and df["loss"].notna().any()
    scalars, _ = read_run(tuner.tuner_path / "tensorboard_output" / "tuner")
    assert scalars["best/loss"][-1][1] == pytest.approx(df["loss"].min(), rel=1e-6)


def test_context_gives_folder_metric_mode_and_resource(tmp_path):
    scheduler = RandomScheduler({"x": uniform(0.0, 1.0)}, metric="acc", mode="max")
    scheduler.resource_attr = "step"
    context = TuningContext(
        name="tb-context",
        tuner_path=tmp_path / "run",
        n_workers=1,
        scheduler=scheduler,
        trial_backend=None,
        stop_criterion=None,
        tuning_status=TuningStatus(wallclock_time=5.0),
        trials={},
    )
    callback = TensorboardCallback()
    callback.on_tuning_start(context)
    assert callback.output_folder == tmp_path / "run" / "tensorboard_output"
    assert (callback.target_metric, callback.mode, callback.resource_attr) == ("acc", "max", "step")
    trial = Trial(0, {"x": 0.5}, None)  # type: ignore[arg-type]
    callback.on_trial_add(trial)
    for step, acc in ((1, 0.5), (2, 0.75)):
        callback.on_trial_result(trial, "InProgress", {"step": step, "acc": acc}, "CONTINUE")
    callback.on_tuning_end()
    scalars, _ = read_run(callback.output_folder / "trial-0")
    assert [(s, v) for s, v, _ in scalars["acc"]] == [(1, 0.5), (2, 0.75)]
    scalars, _ = read_run(callback.output_folder / "tuner")
    assert [v for _, v, _ in scalars["best/acc"]] == [0.5, 0.75]


def test_bad_mode_is_refused():
    with pytest.raises(ValueError, match="mode"):
        TensorboardCallback(mode="best")
