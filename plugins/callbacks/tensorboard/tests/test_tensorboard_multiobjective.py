"""The tensorboard callback of a run with several metrics: the Pareto front's size and hypervolume
after every result instead of a best value (read back from the event files)."""

from __future__ import annotations

import struct
from collections import defaultdict
from pathlib import Path

import dill
import pytest
from synetune_plugin_tensorboard.callback import TensorboardCallback
from tensorboardX.proto.event_pb2 import Event

from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.config_space import uniform
from synetune_sdk.multiobjective import FrontTracker
from synetune_sdk.testing import RandomScheduler, ThreadBackend


class TwoMetrics(RandomScheduler):
    def metric_names(self):
        return ["err", "acc"]

    def metric_mode(self):
        return ["min", "max"]


def objective(config, report, start_epoch=0):
    x = config["x"]
    for epoch in range(start_epoch + 1, 4):
        result = dict(epoch=epoch, err=x**2 + 0.1 / epoch, acc=1 - (1 - x) ** 2 - 0.05 / epoch)
        if x > 0.8 and epoch == 1:
            result.pop("acc")  # a result lacking one metric is skipped, never a crash
        report(**result)


def scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    """``tag -> [(step, value)]`` of one TensorBoard run (TFRecord framing, checksums unread)."""
    out: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data, pos = path.read_bytes(), 0
        while pos < len(data):
            (length,) = struct.unpack("<Q", data[pos : pos + 8])
            event = Event.FromString(data[pos + 12 : pos + 12 + length])
            pos += 16 + length
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    out[value.tag].append((event.step, value.simple_value))
    return out


def run(name: str, **kwargs) -> Tuner:
    tuner = Tuner(
        trial_backend=ThreadBackend(objective),
        scheduler=TwoMetrics({"x": uniform(0.0, 1.0)}, seed=2),
        stop_criterion=StoppingCriterion(max_num_trials_started=8),
        n_workers=2,
        tuner_name=name,
        suffix_tuner_name=False,
        verbose="quiet",
        callbacks=[TensorboardCallback(**kwargs)],
    )
    tuner.run()
    return tuner


def test_front_size_and_hypervolume_after_every_result(synetune_folder):
    tuner = run("tb-mo")
    logged = scalars(tuner.tuner_path / "tensorboard_output" / "tuner")
    assert not any(tag.startswith("best/") for tag in logged)
    exp = load_experiment("tb-mo")
    rows = exp.results.sort_values("st_tuner_time", kind="stable")
    # replay the results in the order the callback saw them
    tracker = FrontTracker(["err", "acc"], ["min", "max"])
    expected_size, expected_hv = {}, {}
    for step, row in enumerate(rows.to_dict("records"), start=1):
        tracker.add({k: v for k, v in row.items() if v == v})
        if tracker.size:
            expected_size[step], expected_hv[step] = tracker.size, tracker.hypervolume()
    assert dict(logged["pareto/front_size"]) == expected_size
    assert dict(logged["pareto/hypervolume"]) == pytest.approx(expected_hv, rel=1e-6)
    assert tracker.skipped >= 1
    assert logged["pareto/hypervolume"][-1][1] == pytest.approx(exp.hypervolume(), rel=1e-6)
    assert logged["pareto/front_size"][-1][1] == len(exp.pareto_front())
    (saved,) = [
        cb
        for cb in dill.loads((tuner.tuner_path / "tuner.dill").read_bytes()).callbacks
        if isinstance(cb, TensorboardCallback)
    ]
    assert saved.front.size == tracker.size


def test_a_fixed_reference_point_or_a_target_metric(synetune_folder):
    tuner = run("tb-ref", reference_point=[2.0, -1.0])
    hv = [
        v
        for _, v in scalars(tuner.tuner_path / "tensorboard_output" / "tuner")["pareto/hypervolume"]
    ]
    assert hv == sorted(hv)  # a fixed reference point: the hypervolume only grows
    assert hv[-1] == pytest.approx(load_experiment("tb-ref").hypervolume([2.0, -1.0]), rel=1e-6)
    tuner = run("tb-target", target_metric="acc")
    logged = scalars(tuner.tuner_path / "tensorboard_output" / "tuner")
    assert "best/acc" in logged and "pareto/hypervolume" not in logged
    with pytest.raises(ValueError, match="reference_point has 1 values, expected 2"):
        run("tb-bad", reference_point=[1.0])
