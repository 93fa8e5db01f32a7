"""The training-script side: Reporter lines, metric parsing, checkpoint and config helpers."""

from __future__ import annotations

import argparse
import json

import pluggy
import pytest

from synetune_sdk import Reporter, hookimpl
from synetune_sdk.checkpoint import (
    add_checkpointing_to_argparse,
    add_config_json_to_argparse,
    checkpoint_model_at_rung_level,
    load_config_json,
    pytorch_load_save_functions,
    resume_from_checkpointed_model,
)
from synetune_sdk.reporter import parse_metric_line


def test_reporter_prints_syne_tune_line(capsys):
    report = Reporter()
    report(epoch=1, val_loss=0.5)
    report(epoch=2, val_loss=0.25)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(line.startswith("[tune-metric]: {") for line in lines)
    first, second = (json.loads(line[len("[tune-metric]: ") :]) for line in lines)
    assert (
        first["val_loss"] == 0.5 and first["st_worker_iter"] == 0 and second["st_worker_iter"] == 1
    )
    assert second["st_worker_time"] >= first["st_worker_time"] >= 0
    assert "st_worker_timestamp" in first


@pytest.mark.parametrize("metrics", [{"st_time": 1}, {"loss": None}, {"blob": "x" * 60_000}])
def test_reporter_refuses_bad_metrics(metrics):
    with pytest.raises(ValueError):
        Reporter()(**metrics)


def test_reporter_accepts_numpy_values(capsys):
    np = pytest.importorskip("numpy")
    Reporter(add_time=False)(loss=np.float32(0.5), epoch=np.int64(3))
    line = capsys.readouterr().out
    assert parse_metric_line(line)["epoch"] == 3
    assert "st_worker_time" not in parse_metric_line(line)


def test_parse_metric_line():
    assert parse_metric_line("epoch 3 done") is None
    assert parse_metric_line('[tune-metric]: {"a": 1}\n') == {"a": 1}
    assert parse_metric_line('INFO: [tune-metric]: {"a": NaN}')["a"] != 0
    with pytest.raises(ValueError, match="malformed"):
        parse_metric_line("[tune-metric]: {not json")
    with pytest.raises(ValueError, match="JSON object"):
        parse_metric_line("[tune-metric]: [1, 2]")


def test_hookimpl_is_understood_by_pluggy():
    spec = pluggy.HookspecMarker("synetune")

    class Spec:
        @spec
        def register_schedulers(self, register):
            pass

    class Plugin:
        @hookimpl
        def register_schedulers(self, register):
            register("x")

    pm = pluggy.PluginManager("synetune")
    pm.add_hookspecs(Spec)
    pm.register(Plugin())
    seen = []
    pm.hook.register_schedulers(register=seen.append)
    assert seen == ["x"]


def test_checkpoint_helpers_round_trip(tmp_path):
    parser = argparse.ArgumentParser()
    add_checkpointing_to_argparse(parser)
    add_config_json_to_argparse(parser)
    args = vars(parser.parse_args(["--st_checkpoint_dir", str(tmp_path / "ckpt")]))
    assert resume_from_checkpointed_model(args, lambda path: 99) == 0  # nothing saved yet
    saved = {}

    def save(path, resource):
        (tmp_path / "ckpt" / "state").write_text(str(resource))
        saved["resource"] = resource

    checkpoint_model_at_rung_level(args, save, 4)
    assert saved == {"resource": 4}
    assert resume_from_checkpointed_model(args, lambda path: int(open(f"{path}/state").read())) == 4


def test_load_config_json_merges(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"lr": 0.1, "epochs": 3}))
    config = load_config_json({"st_config_json_filename": str(path), "st_checkpoint_dir": "/c"})
    assert config["lr"] == 0.1 and config["epochs"] == 3 and config["st_checkpoint_dir"] == "/c"


def test_pytorch_load_save_functions(tmp_path):
    torch = pytest.importorskip("torch")
    model = torch.nn.Linear(3, 1)
    state = {"best": 1.0}
    load, save = pytorch_load_save_functions({"model": model}, state)
    save(str(tmp_path), 5)
    other = torch.nn.Linear(3, 1)
    other_state = {}
    load2, _ = pytorch_load_save_functions({"model": other}, other_state)
    assert load2(str(tmp_path)) == 5
    assert torch.equal(other.weight, model.weight) and other_state == {"best": 1.0}
