"""Meta-tests that keep the plugin contract honest across the whole repository.

* (hooks are documented and exercised: tests/test_docs.py);
* every ``plugins/*/*/pyproject.toml`` is well formed and listed in requirements-dev.txt;
* importing a plugin's module imports none of the heavy libraries;
* every registered scheduler and searcher passes the conformance kit.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from kernel_helpers import earlier_tasks

import synetune
from synetune import hookspecs
from synetune_sdk.testing import SchedulerContract, SearcherContract

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_DIRS = sorted(p.parent for p in ROOT.glob("plugins/*/*/pyproject.toml"))
HEAVY = (
    "torch",
    "botorch",
    "boto3",
    "sklearn",
    "tensorboardX",
    "ray",
    "scipy",
    "pandas",
    "matplotlib",
)
HOOKS = [
    name for name, obj in vars(hookspecs).items() if name.startswith("register_") and callable(obj)
]


def test_there_are_hooks_and_plugins():
    assert len(HOOKS) == 9
    assert len(PLUGIN_DIRS) >= 3


@pytest.mark.parametrize("folder", PLUGIN_DIRS, ids=lambda p: p.name)
def test_plugin_distribution_is_well_formed(folder):
    data = tomllib.loads((folder / "pyproject.toml").read_text())
    project = data["project"]
    name = project["name"]
    assert name == f"synetune-plugin-{folder.name}", (
        "distribution name must be synetune-plugin-<folder>"
    )
    package = name.replace("-", "_")
    entry_points = project.get("entry-points", {}).get("synetune", {})
    targets = list(entry_points.values())
    assert len(targets) == 1 and targets[0] in (package, f"{package}.hooks"), (
        "exactly one synetune entry point, pointing at the package (or its hooks module)"
    )
    assert any(
        dep.startswith("synetune") and not dep.startswith("synetune-plugin")
        for dep in project["dependencies"]
    )
    assert (folder / "src" / package / "__init__.py").exists()
    assert (folder / "README.md").exists()
    tests = list((folder / "tests").glob("test_*.py"))
    assert tests, "a plugin needs a tests/ folder with test_*.py files"
    requirements = (ROOT / "requirements-dev.txt").read_text()
    assert f"-e ./{folder.relative_to(ROOT).as_posix()}" in requirements, (
        "add the plugin to requirements-dev.txt"
    )


def test_test_file_names_are_unique():
    # files git would track (ignored folders hold virtual environments with their own tests)
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*test_*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    names = [Path(p).name for p in listed if Path(p).name.startswith("test_")]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, f"test file names must be unique across the repository: {duplicates}"


@pytest.mark.parametrize("folder", PLUGIN_DIRS, ids=lambda p: p.name)
def test_importing_a_plugin_imports_nothing_heavy(folder):
    package = f"synetune_plugin_{folder.name.replace('-', '_')}"
    code = f"import sys, {package}; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", f"importing {package} imported {out.stdout.strip()}"


def _build(factory, base_kwargs, extra_candidates):
    params = inspect.signature(factory).parameters
    accepts_any = any(p.kind == p.VAR_KEYWORD for p in params.values())
    kwargs = dict(base_kwargs)
    for key, value in extra_candidates.items():
        if key in params:
            kwargs[key] = value
    if not accepts_any:
        kwargs = {k: v for k, v in kwargs.items() if k in params}
    return factory(**kwargs)


# schedulers that wrap another scheduler get one built by name
WRAPPER_ARGS = {"scheduler": "fifo"}


def _scheduler_names():
    return [n for n in synetune.schedulers.names()]


@pytest.mark.parametrize("name", _scheduler_names())
class TestEveryRegisteredScheduler(SchedulerContract):
    @pytest.fixture(autouse=True)
    def _name(self, name):
        self.name = name

    def make_scheduler(self, config_space, metric, mode, random_seed):
        try:
            return self._make_scheduler(config_space, metric, mode, random_seed)
        except ValueError as err:
            if "at least two metric" not in str(err):
                raise
        # a multi-objective method: the kit's metric and "epoch" are its two objectives
        return self._make_scheduler(config_space, [metric, "epoch"], [mode, "max"], random_seed)

    def _make_scheduler(self, config_space, metric, mode, random_seed):
        factory = synetune.schedulers.get(self.name)
        # constrained / cost-aware methods read these result keys; the kit reports loss and epoch
        extra = {
            "resource_attr": "epoch",
            "max_resource_attr": "epochs",
            "random_seed": random_seed,
            "constraint_attr": "loss",
            "cost_attr": "epoch",
            "transfer_learning_evaluations": earlier_tasks(config_space, metric),
        }
        params = inspect.signature(factory).parameters
        if "scheduler" in params:
            inner = synetune.schedulers.create(
                "fifo", config_space=config_space, metric=metric, mode=mode, random_seed=random_seed
            )
            return _build(factory, {"scheduler": inner}, {**extra, "metric": metric, "mode": mode})
        return _build(
            factory, {"config_space": config_space, "metric": metric, "mode": mode}, extra
        )


@pytest.mark.parametrize("name", [n for n in synetune.searchers.names()])
class TestEveryRegisteredSearcher(SearcherContract):
    @pytest.fixture(autouse=True)
    def _name(self, name):
        self.name = name

    def make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        args = (config_space, metric, mode, random_seed, points_to_evaluate)
        try:
            return self._make_searcher(*args)
        except ValueError as err:
            if "at least two metric" not in str(err):
                raise
        # a multi-objective searcher: the kit's metric and "epoch" are its two objectives
        return self._make_searcher(config_space, [metric, "epoch"], *args[2:])

    def _make_searcher(self, config_space, metric, mode, random_seed, points_to_evaluate):
        factory = synetune.searchers.get(self.name)
        extra = {"constraint_attr": "loss", "cost_attr": "epoch"}
        extra["transfer_learning_evaluations"] = earlier_tasks(config_space, metric)
        params = inspect.signature(factory).parameters
        kwargs = {k: v for k, v in extra.items() if k in params}
        return synetune.searchers.create(
            self.name,
            **kwargs,
            config_space=config_space,
            metric=metric,
            mode=mode,
            random_seed=random_seed,
            points_to_evaluate=points_to_evaluate,
        )
