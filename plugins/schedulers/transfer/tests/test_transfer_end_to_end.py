"""Transfer end to end: a multi-task tabular blackbox and earlier synetune runs as the record of
earlier tasks, the Tuner on the simulator."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from synetune_plugin_blackbox_repository import read_blackbox, write_tabular

import synetune
from synetune import StoppingCriterion, Tuner, load_experiment
from synetune_sdk.config_space import choice, finrange, randint
from synetune_sdk.transfer import from_blackboxes, from_experiments

SPACE = {"x": finrange(0.0, 1.0, 11), "c": choice(["a", "b"])}
SHIFTS = {"t1": 0.2, "t2": 0.3, "t3": 0.4, "held-out": 0.3}


def loss(x, c, shift, epoch, seed):
    return (x - shift) ** 2 + 0.1 * (c == "b") + 0.5 / epoch + 0.001 * seed


@pytest.fixture(scope="module")
def blackboxes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("multi-task")
    data = {}
    for task, shift in SHIFTS.items():
        rows = []
        for x, c in itertools.product(SPACE["x"].values, SPACE["c"].categories):
            for seed, epoch in itertools.product(range(2), range(1, 4)):
                value = loss(x, c, shift, epoch, seed)
                rows.append(
                    {
                        "x": x,
                        "c": c,
                        "seed": seed,
                        "epoch": epoch,
                        "loss": value,
                        "time": epoch * 1.0,
                    }
                )
        data[task] = pd.DataFrame(rows)
    write_tabular(
        folder,
        data,
        SPACE,
        ["loss", "time"],
        fidelity_space={"epoch": randint(1, 3)},
        seed_col="seed",
        elapsed_time_attr="time",
    )
    return read_blackbox(folder)


def tune(blackbox, scheduler, name, trials=6):
    tuner = Tuner(
        trial_backend=synetune.backends.create(
            "simulator",
            blackbox=blackbox,
            elapsed_time_attr="time",
            max_resource_attr="epochs",
            random_seed=0,
        ),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_started=trials),
        n_workers=2,
        sleep_time=0.0,
        tuner_name=name,
        save_tuner=False,
        verbose="quiet",
    )
    tuner.run()
    return load_experiment(tuner.tuner_path)


def first_config(experiment):
    df = experiment.results
    row = df[df["trial_id"] == 0].iloc[0]
    return {"x": round(float(row["config_x"]), 6), "c": row["config_c"]}


@pytest.mark.parametrize(
    "method", ["zero_shot", "rush", "asha_cts", "bounding_box", "quantile_based"]
)
def test_transfer_from_a_multi_task_blackbox(blackboxes, method, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    assert sorted(blackboxes) == sorted(SHIFTS)
    evals = from_blackboxes(
        {t: b for t, b in blackboxes.items() if t != "held-out"}, objectives=["loss"]
    )
    held_out = blackboxes["held-out"]
    space = held_out.configuration_space_with_max_resource_attr("epochs")
    kwargs = {}
    if method in ("rush", "asha_cts"):
        kwargs = {"resource_attr": "epoch", "max_resource_attr": "epochs"}
    scheduler = synetune.schedulers.create(
        method,
        config_space=space,
        metric="loss",
        mode="min",
        transfer_learning_evaluations=evals,
        random_seed=0,
        **kwargs,
    )
    experiment = tune(held_out, scheduler, f"e2e-{method.replace('_', '-')}")
    # the box of the three earlier optima holds 3 configurations: x in 0.2..0.4, c = "a"
    assert experiment.results["trial_id"].nunique() == (3 if method == "bounding_box" else 6)
    first = first_config(experiment)
    if method in ("zero_shot", "rush"):
        # t2's optimum (x=0.3, a) has the best average rank over t1..t3 and is the first
        # threshold of RUSH (earlier tasks in their order: t1's best comes first)
        expected = {"zero_shot": {"x": 0.3, "c": "a"}, "rush": {"x": 0.2, "c": "a"}}[method]
        assert first == expected
    if method == "bounding_box":
        assert all(0.2 - 1e-9 <= x <= 0.4 + 1e-9 for x in experiment.results["config_x"])
        assert set(experiment.results["config_c"]) == {"a"}
    if method in ("asha_cts", "quantile_based"):
        assert abs(first["x"] - 0.3) <= 0.2 and first["c"] == "a"


def test_transfer_from_earlier_synetune_runs(blackboxes, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNETUNE_FOLDER", str(tmp_path))
    space = blackboxes["t1"].configuration_space_with_max_resource_attr("epochs")
    runs = {}
    for task in ("t1", "t3"):
        scheduler = synetune.schedulers.create(
            "random_search", config_space=space, metric="loss", mode="min", random_seed=1
        )
        runs[task] = tune(blackboxes[task], scheduler, f"earlier-{task}", trials=10)
    evals = from_experiments(runs, space, "loss", resource_attr="epoch")
    assert evals["t1"].objectives_evaluations.shape == (10, 1, 3, 1)
    best = {t: e.top_k_hyperparameter_configurations(1, "min", "loss")[0] for t, e in evals.items()}
    df = runs["t1"].results
    top = df.loc[df["loss"].idxmin()]
    assert best["t1"] == {"x": top["config_x"], "c": top["config_c"]}
    scheduler = synetune.schedulers.create(
        "rush",
        config_space=space,
        metric="loss",
        transfer_learning_evaluations=evals,
        resource_attr="epoch",
        max_resource_attr="epochs",
        random_seed=0,
    )
    experiment = tune(blackboxes["held-out"], scheduler, "from-runs")
    assert first_config(experiment) == {"x": round(best["t1"]["x"], 6), "c": best["t1"]["c"]}
