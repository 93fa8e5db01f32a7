"""Study files and benchmark definitions: what is accepted, and bad input refused up front."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from synetune_plugin_study import Benchmark, StudyError, load_study, run_study
from synetune_plugin_study.study import TUNER_NAME, parse_seeds, study_from_dict

import synetune
from synetune.plugin_api import create, names

EXAMPLE = Path(__file__).resolve().parents[4] / "examples" / "study" / "compare_methods.toml"


# the benchmarks of the in-repo recipes, each shipped by the plugin of its recipe
IN_REPO = {
    "synetune-plugin-analytic": [
        "branin",
        "branin-lc",
        "dtlz2",
        "hartmann3",
        "hartmann6",
        "zdt1",
        "zdt2",
        "zdt3",
    ],
    "synetune-plugin-digits-mlp": ["digits-mlp"],
    "synetune-plugin-mlp-tasks": [
        f"mlp-tasks-{task}"
        for task in (
            "breast_cancer",
            "digits",
            "iris",
            "synthetic-easy",
            "synthetic-hard",
            "synthetic-medium",
            "wine",
        )
    ],
}


def test_in_repo_recipes_ship_their_own_benchmarks():
    provides = {info.name: info.provides for info in synetune.plugins.list()}
    assert "benchmarks" not in provides["synetune-plugin-study"]
    for dist, expected in IN_REPO.items():
        assert provides[dist]["benchmarks"] == expected, dist
    lc = Benchmark.coerce(create("benchmarks", "branin-lc"), "branin-lc")
    assert lc.multi_fidelity and not lc.multi_objective and lc.optimum == 0.397887
    assert Benchmark.coerce(create("benchmarks", "zdt3"), "zdt3").multi_objective
    overridden = create("benchmarks", "hartmann6", n_workers=2)
    assert Benchmark.coerce(overridden, "hartmann6").n_workers == 2
    assert create("benchmarks", "hartmann6")["optimum"] == -3.32237
    iris = Benchmark.coerce(create("benchmarks", "mlp-tasks-iris"), "mlp-tasks-iris")
    assert (iris.blackbox, iris.dataset, iris.blackbox_kwargs) == ("mlp-tasks", "iris", {})


def test_every_registered_benchmark_is_a_valid_definition():
    for name in names("benchmarks"):
        bench = Benchmark.coerce(create("benchmarks", name), name)
        data = bench.to_dict()
        assert data.pop("name") == name
        assert Benchmark.coerce(data, name) == bench  # what a run records reads back the same


def test_study_uses_a_task_of_a_multi_task_blackbox(tmp_path):
    study = _study(
        methods={"ASHA": "asha"},
        benchmarks={"iris-short": {"base": "mlp-tasks-iris", "max_wallclock_time": 2.0}},
    )
    bench = study.benchmarks["iris-short"]
    assert (bench.dataset, bench.max_wallclock_time) == ("iris", 2.0)
    settings = study.combinations()[0].settings()["benchmark"]
    assert settings["dataset"] == "iris"
    # a benchmark without a task records what it recorded before the field existed
    assert "dataset" not in _study().combinations()[0].settings()["benchmark"]


def test_example_study_loads():
    study = load_study(EXAMPLE)
    assert len(study.methods) >= 5
    assert set(study.benchmarks) == {"branin-lc", "digits-mlp"}
    combos = study.combinations()
    assert len(combos) == len(study.methods) * 2 * len(study.seeds)
    tuner_names = [c.tuner_name for c in combos]
    assert len(set(tuner_names)) == len(tuner_names)
    assert all(TUNER_NAME.match(n) for n in tuner_names)
    asha = next(c for c in combos if c.method == "ASHA" and c.benchmark == "digits-mlp")
    metadata = asha.metadata()
    assert metadata["study_settings"]["method"]["arguments"] == {"reduction_factor": 3}
    assert (metadata["study"], metadata["benchmark"]) == ("compare-methods", "digits-mlp")
    assert asha.stop() == {"max_wallclock_time": 30.0}  # the benchmark's default


def _study(**changes):
    data = {
        "name": "s",
        "methods": {"RS": "random_search"},
        "benchmarks": ["hartmann6"],
        "seeds": [0],
    }
    data.update(changes)
    return study_from_dict(data)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"methods": {"A": "ashaa"}}, "Did you mean 'asha'"),
        ({"benchmarks": ["hartman6"]}, "Did you mean 'hartmann6'"),
        ({"methods": {"A": "asha"}}, "multi-fidelity but benchmark 'hartmann6'"),
        ({"methods": {"M": "moasha"}, "benchmarks": ["branin-lc"]}, "is multi-objective"),
        (
            {"methods": {"BO": "bayesian_optimization"}, "benchmarks": ["zdt1"]},
            "single-objective but benchmark 'zdt1' has 2 metric",
        ),
        ({"colour": "red"}, "unknown key(s) ['colour']"),
        ({"stop": {"max_trials": 3}}, "unknown stop criterion ['max_trials']"),
        ({"methods": {"RS": {"schedular": "random_search"}}}, "needs 'scheduler'"),
        ({"benchmarks": {"b": {"blackbox": "branin"}}}, "metric"),
        ({"benchmarks": {"b": {"blackbox": "branin", "metric": "y"}}}, "stop criterion"),
        (
            {"benchmarks": {"b": {"base": "mlp-tasks-iris", "blackbox_kwargs": {"task": "iris"}}}},
            "with 'dataset'",
        ),
        (
            {
                "benchmarks": {
                    "b": {
                        "script": "t.py",
                        "config_space": {"x": 1},
                        "metric": "loss",
                        "max_num_trials": 3,
                        "dataset": "iris",
                    },
                }
            },
            "a 'script' benchmark has none",
        ),
        ({"seeds": "1-x"}, "seeds '1-x'"),
        ({"name": "bad name"}, "'name' must be"),
    ],
)
def test_bad_study_is_refused(changes, message):
    with pytest.raises((StudyError, TypeError)) as info:
        _study(**changes)
    assert message in str(info.value)


def test_inline_benchmarks_and_overrides():
    study = _study(
        methods={"ASHA": {"scheduler": "asha", "arguments": {"grace_period": 3}}},
        benchmarks={
            "short-lc": {"base": "branin-lc", "max_wallclock_time": 60.0},
            "my-lc": {
                "blackbox": "branin-lc",
                "metric": "y",
                "resource_attr": "epoch",
                "max_resource_attr": "epochs",
                "max_num_trials": 5,
            },
        },
    )
    assert study.benchmarks["short-lc"].max_wallclock_time == 60.0
    assert study.benchmarks["short-lc"].resource_attr == "epoch"
    assert study.benchmarks["my-lc"].multi_fidelity
    assert study.methods["ASHA"].is_multi_fidelity()


def test_seeds_and_filters():
    assert parse_seeds("0-2,5") == [0, 1, 2, 5]
    assert parse_seeds(3) == [3]
    with pytest.raises(StudyError, match="repeat"):
        parse_seeds([1, 1])
    study = _study(methods={"RS": "random_search", "REA": "rea"}, seeds="0-3")
    assert len(study.combinations(methods=["REA"], seeds=[1, 2])) == 2
    with pytest.raises(StudyError, match="did you mean 'REA'"):
        study.combinations(methods=["RAE"])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_other_settings_on_the_same_seed_are_refused(tmp_path, synetune_folder):
    path = tmp_path / "s.toml"
    path.write_text(
        'name = "overlap"\nseeds = [0]\nbenchmarks = ["hartmann6"]\n'
        '[methods]\nRS = "random_search"\n[stop]\nmax_num_trials_finished = 3\n'
    )
    first = run_study(path, max_parallel=1)
    assert first.finished == 1 and not first.failed
    folder = synetune_folder / "overlap-RS-hartmann6-0"
    before = _snapshot(folder)
    assert json.loads(before["study.json"])["status"] == "finished"
    path.write_text(path.read_text().replace("= 3", "= 4"))
    with pytest.raises(StudyError, match="already ran .* with other settings \\(changed: stop\\)"):
        run_study(path, max_parallel=1)
    assert _snapshot(folder) == before  # nothing was touched
    # a foreign experiment in a folder the study would use is not overwritten either
    foreign = synetune_folder / "overlap-RS-hartmann6-1"
    foreign.mkdir()
    (foreign / "results.csv.zip").write_bytes(b"someone else's")
    with pytest.raises(StudyError, match="not part of study 'overlap'"):
        run_study(path, seeds=[1], max_parallel=1)
    assert (foreign / "results.csv.zip").read_bytes() == b"someone else's"


def test_sagemaker_executor_without_the_sagemaker_plugin_says_how_to_install_it(
    tmp_path, monkeypatch
):
    path = tmp_path / "sm.toml"
    path.write_text(
        'name = "sm"\nbenchmarks = ["branin"]\n[methods]\nRS = "random_search"\n'
        '[sagemaker]\nrole = "arn:aws:iam::123456789012:role/SageMakerRole"\n'
    )
    monkeypatch.setitem(sys.modules, "synetune_plugin_sagemaker", None)  # import fails
    with pytest.raises(StudyError, match=r"pip install 'synetune-plugin-study\[sagemaker\]'"):
        run_study(path, executor="sagemaker")


def test_sagemaker_executor_refuses_script_benchmarks(tmp_path):
    from synetune_plugin_study.on_sagemaker import resolve_options

    from synetune_sdk.config_space import uniform

    study = study_from_dict(
        {
            "name": "scripts",
            "methods": {"RS": "random_search"},
            "benchmarks": {
                "quad": {
                    "script": str(tmp_path / "train.py"),
                    "metric": "loss",
                    "config_space": {"x": uniform(0.0, 1.0)},
                    "max_num_trials": 3,
                },
            },
            "sagemaker": {"role": "arn:aws:iam::123456789012:role/SageMakerRole"},
        }
    )
    with pytest.raises(StudyError, match=r"blackbox benchmarks only; \['quad'\] run a training"):
        resolve_options(study, None)
