"""Each distribution's wheel installs and works on its own in a fresh virtual environment.

One shared development environment hides undeclared dependencies; these tests install the built
wheels (not the editable tree) into empty virtual environments, each with only what the
distribution declares:

* the in-repo distributions it needs (the sdk, the kernel, the plugin distributions it declares,
  transitively), read from the wheels' metadata and installed from the wheels built here once
  per session, never from an index;
* their third-party requirements from the package index, pinned to the versions of the
  development environment (so torch is the CPU wheel pip finds locally, and uv's cache makes a
  second environment with the same packages cheap).

Each plugin then passes a conformance check in its environment: ``python -m synetune plugins``
exits 0 with ``SYNETUNE_STRICT_PLUGINS=1`` and lists the same names as in the development
environment, every registered name imports (``synetune.<kind>.get(name)``), and a smoke test
builds what the plugin builds by name from other plugins (fifo's ``random_search`` needs the
``random`` searcher: fifo must declare synetune-plugin-random).

uv (requirements-dev.txt) creates the environments and installs into them: pip takes minutes
for what uv does in seconds.
"""

from __future__ import annotations

import email
import os
import re
import shlex
import subprocess
import sys
import textwrap
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UV = Path(sys.executable).parent / "uv"
PLUGIN_FOLDERS = sorted(p.parent for p in ROOT.glob("plugins/*/*/pyproject.toml"))
SOURCES = [ROOT / "sdk", ROOT / "kernel", *PLUGIN_FOLDERS]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_name(folder: Path) -> str:
    return normalise(tomllib.loads((folder / "pyproject.toml").read_text())["project"]["name"])


PLUGINS = [dist_name(f) for f in PLUGIN_FOLDERS]

# The extras a plugin's registered names need (pip install synetune-plugin-ray[tune] for raytune)
EXTRAS = {"synetune-plugin-ray": ["tune"]}

# What each plugin builds by name in its own environment, beyond importing its registered names:
# the components it creates from other plugins must be there (declared dependencies).
SPACE = (
    "from synetune_sdk.config_space import uniform; SPACE = {'x': uniform(0.0, 1.0), 'epochs': 9}"
)
MULTI_FIDELITY = (
    "config_space=SPACE, metric='loss', resource_attr='epoch', max_resource_attr='epochs'"
)
SMOKE = {
    "synetune-plugin-fifo": f"""
        {SPACE}
        for name in ("fifo", "random_search", "grid_search"):
            scheduler = synetune.schedulers.create(name, config_space=SPACE, metric="loss")
            assert scheduler.suggest(0).config["x"] is not None, name
        """,
    "synetune-plugin-random": f"""
        {SPACE}
        for name in ("random", "grid"):
            searcher = synetune.searchers.create(name, config_space=SPACE, metric="loss")
            assert "x" in searcher.suggest(0), name
        """,
    "synetune-plugin-hyperband": f"""
        {SPACE}
        for name in ("asha", "hyperband", "pasha", "sync_hyperband", "dehb"):
            scheduler = synetune.schedulers.create(name, {MULTI_FIDELITY})
            assert scheduler.suggest(0).config["x"] is not None, name
            getattr(scheduler, "default_callbacks", list)()
        scheduler = synetune.schedulers.create("hyperband", type="promotion", {MULTI_FIDELITY})
        getattr(scheduler, "default_callbacks", list)()
        """,
    "synetune-plugin-pbt": f"""
        {SPACE}
        scheduler = synetune.schedulers.create(
            "pbt", config_space=SPACE, metric="loss", resource_attr="epoch", max_t=9
        )
        assert scheduler.suggest(0).config["x"] is not None
        getattr(scheduler, "default_callbacks", list)()
        """,
    "synetune-plugin-gp": f"""
        {SPACE}
        for name in ("bayesian_optimization", "constrained_bayesian_optimization"):
            kwargs = {{"constraint_attr": "c"}} if name.startswith("constrained") else {{}}
            scheduler = synetune.schedulers.create(name, config_space=SPACE, metric="loss", **kwargs)
            assert scheduler.suggest(0).config["x"] is not None, name
        for name in ("mobster", "hypertune", "sync_mobster"):
            scheduler = synetune.schedulers.create(
                name, config_space=SPACE, metric="loss", resource_attr="epoch",
                max_resource_attr="epochs",
            )
            assert scheduler.suggest(0).config["x"] is not None, name
        """,
    "synetune-plugin-botorch": f"""
        {SPACE}
        scheduler = synetune.schedulers.create("botorch", config_space=SPACE, metric="loss")
        assert scheduler.suggest(0).config["x"] is not None
        """,
    "synetune-plugin-ray": f"""
        {SPACE}
        scheduler = synetune.schedulers.create(
            "raytune", config_space=SPACE, metric="loss", mode="min"
        )
        assert scheduler.suggest(0).config["x"] is not None
        """,
    "synetune-plugin-local": """
        import pathlib, tempfile
        script = pathlib.Path(tempfile.mkdtemp()) / "train.py"
        script.write_text("")
        synetune.backends.create("local", entry_point=str(script))
        """,
    "synetune-plugin-checkpoint-removal": """
        synetune.callbacks.create("checkpoint_removal")
        """,
}

CHECK = """
import sys
import synetune
from synetune.registry import REGISTRIES

expected = {expected!r}
for kind, names in expected.items():
    registry = REGISTRIES[kind]
    missing = sorted(set(names) - set(registry.names()))
    assert not missing, f"{{kind}} {{missing}} not registered; have {{registry.names()}}"
    for name in names:
        registry.get(name)
    print(kind, registry.names())
{smoke}
print("CONFORMANCE OK")
"""


# -- building and installing ------------------------------------------------------------------


def run(command: list, **kwargs) -> subprocess.CompletedProcess:
    out = subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)
    if out.returncode != 0:
        pytest.fail(f"$ {shlex.join(str(c) for c in command)}\n{out.stdout}\n{out.stderr}")
    return out


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the development venv on the paths."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != Path(sys.executable).parent
    )
    return {**env, **extra}


def pip_config(key: str) -> list[str]:
    """Values pip would use for ``key`` (find-links, index-url), from its config and env."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True
    ).stdout
    values = []
    for line in out.splitlines():
        name, _, value = line.partition("=")
        if name.rsplit(".", 1)[-1] == key:
            values += value.strip("'\"").split()
    return list(dict.fromkeys(values))


@pytest.fixture(scope="session")
def uv_index_options() -> list[str]:
    """uv reads no pip config: hand it pip's find-links (where the CPU torch wheel lies) and
    index."""
    if not UV.exists():
        pytest.fail(f"{UV} is missing: pip install -r requirements-dev.txt")
    options = []
    for link in pip_config("find-links"):
        options += ["--find-links", link]
    for index in pip_config("index-url")[:1]:
        options += ["--default-index", index]
    return options


@pytest.fixture(scope="session")
def constraints(tmp_path_factory) -> Path:
    """The development venv's third-party versions (not its synetune packages)."""
    frozen = run([UV, "pip", "freeze", "--python", sys.executable]).stdout.splitlines()
    pins = [
        line
        for line in frozen
        if line
        and not line.startswith("-e")
        and " @ " not in line
        and not normalise(line.split("==")[0]).startswith("synetune")
    ]
    path = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


@pytest.fixture(scope="session")
def wheels(tmp_path_factory, uv_index_options) -> dict[str, Path]:
    """One wheel per distribution (sdk, kernel, every plugin), built once per session with
    hatchling's PEP 517 hook in one process."""
    tmp = tmp_path_factory.mktemp("wheels")
    builder = tmp / "build-env"
    run([UV, "venv", "-q", "--python", sys.executable, builder])
    run(
        [UV, "pip", "install", "-q", "--python", builder / "bin/python", *uv_index_options]
        + ["hatchling"]
    )
    out = tmp / "dist"
    out.mkdir()
    script = (
        "import os, sys\n"
        "from hatchling.build import build_wheel\n"
        "for source in sys.argv[2:]:\n"
        "    os.chdir(source)\n"
        "    print(os.path.join(sys.argv[1], build_wheel(sys.argv[1])))\n"
    )
    built = run([builder / "bin/python", "-c", script, out, *SOURCES]).stdout.split()
    wheels = {normalise(Path(w).name.split("-")[0]): Path(w) for w in built}
    assert set(wheels) == {dist_name(s) for s in SOURCES}
    return wheels


def requirements(wheel: Path, extras: tuple[str, ...] = ()) -> list[str]:
    """The wheel's Requires-Dist: unconditional ones and those of ``extras``."""
    with zipfile.ZipFile(wheel) as archive:
        [meta] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = email.message_from_bytes(archive.read(meta))
    out = []
    for requirement in message.get_all("Requires-Dist") or []:
        extra = re.search(r"""extra\s*==\s*["']([^"']+)["']""", requirement)
        if extra is None:
            out.append(requirement)
        elif extra.group(1) in extras:
            out.append(requirement.split(";", 1)[0].strip())
    return out


def requirement_name(requirement: str) -> str:
    return normalise(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement).group(1))


def closure(dist: str, wheels: dict[str, Path]) -> tuple[list[str], list[str]]:
    """The in-repo distributions ``dist`` needs (itself included, with its EXTRAS) and their
    third-party requirements, following the declared dependencies of the wheels."""
    todo, seen, third_party = [dist], [], []
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        extras = tuple(EXTRAS.get(name, ())) if name == dist else ()
        for requirement in requirements(wheels[name], extras):
            if requirement_name(requirement) in wheels:
                todo.append(requirement_name(requirement))
            else:
                third_party.append(requirement)
    return seen, sorted(set(third_party))


@pytest.fixture
def make_env(tmp_path, wheels, constraints, uv_index_options):
    """``make_env(dist, leave_out=())``: a fresh venv with ``dist`` and what it declares;
    returns its python."""

    def make(dist: str, leave_out: tuple[str, ...] = ()) -> Path:
        venv = tmp_path / f"venv-{dist}"
        run([UV, "venv", "-q", "--python", sys.executable, venv])
        python = venv / "bin/python"
        ours, theirs = closure(dist, wheels)
        install = [UV, "pip", "install", "-q", "--python", python]
        if theirs:
            run([*install, "-c", constraints, *uv_index_options, *theirs])
        run([*install, "--no-deps", *(wheels[d] for d in ours if d not in leave_out)])
        return python

    return make


# -- the development environment's view -------------------------------------------------------


def provides(listing: str) -> dict[str, dict[str, list[str]]]:
    """``synetune plugins``' table as {distribution: {kind: [names]}}."""
    out = {}
    for line in listing.splitlines()[1:]:
        parts = line.split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("synetune"):
            continue
        kinds = {}
        for group in (parts[2] if len(parts) == 3 else "").split(";"):
            kind, _, names = group.strip().partition(": ")
            names = re.sub(r" \([^)]*\)", "", names)  # aliases, e.g. "asha (ASHA)"
            if names:
                kinds[kind] = names.split(", ")
        out[normalise(parts[0])] = kinds
    return out


@pytest.fixture(scope="session")
def dev_provides() -> dict[str, dict[str, list[str]]]:
    out = run(
        [sys.executable, "-m", "synetune", "plugins"], env=clean_env(SYNETUNE_STRICT_PLUGINS="1")
    )
    return provides(out.stdout)


# -- the tests ---------------------------------------------------------------------------------


def test_sdk_wheel_alone_gives_a_working_reporter(make_env):
    python = make_env("synetune-sdk")
    code = "from synetune_sdk import Reporter; Reporter()(epoch=1, loss=0.5)"
    out = run([python, "-c", code], env=clean_env())
    assert out.stdout.startswith("[tune-metric]: {") and '"loss": 0.5' in out.stdout
    listed = run([UV, "pip", "freeze", "--python", python]).stdout.splitlines()
    assert [requirement_name(line) for line in listed] == ["synetune-sdk"]


@pytest.mark.slow
@pytest.mark.parametrize("dist", PLUGINS)
def test_plugin_wheel_works_with_only_its_declared_dependencies(
    dist, make_env, dev_provides, tmp_path
):
    python = make_env(dist)
    env = clean_env(SYNETUNE_STRICT_PLUGINS="1", SYNETUNE_FOLDER=str(tmp_path / "results"))
    listing = subprocess.run(
        [python, "-m", "synetune", "plugins"], capture_output=True, text=True, env=env
    )
    assert listing.returncode == 0, listing.stdout + listing.stderr
    assert provides(listing.stdout).get(dist) == dev_provides.get(dist), listing.stdout
    check = CHECK.format(
        expected=dev_provides.get(dist, {}), smoke=textwrap.dedent(SMOKE.get(dist, ""))
    )
    out = subprocess.run(
        [python, "-c", check], capture_output=True, text=True, env=env, timeout=300
    )
    assert out.returncode == 0 and "CONFORMANCE OK" in out.stdout, (
        f"{dist} does not work with only its declared dependencies:\n{out.stdout}\n{out.stderr}"
    )


@pytest.mark.slow
def test_the_check_fails_when_a_dependency_is_not_declared(make_env, tmp_path):
    """fifo without synetune-plugin-random installed: random_search cannot find its searcher."""
    python = make_env("synetune-plugin-fifo", leave_out=("synetune-plugin-random",))
    check = CHECK.format(expected={}, smoke=textwrap.dedent(SMOKE["synetune-plugin-fifo"]))
    out = subprocess.run(
        [python, "-c", check],
        capture_output=True,
        text=True,
        env=clean_env(SYNETUNE_FOLDER=str(tmp_path / "results")),
    )
    assert out.returncode != 0 and "random" in out.stderr, out.stdout + out.stderr


def test_kernel_with_one_plugin_wheel_lists_and_runs_it(make_env, tmp_path):
    python = make_env("synetune-plugin-local")
    listing = run([python.parent / "synetune", "plugins"], env=clean_env())
    assert provides(listing.stdout) == {
        "synetune-plugin-local": {"backends": ["local", "python"]}
    }, listing.stdout
    script = tmp_path / "train.py"
    script.write_text(
        textwrap.dedent(
            """
            import argparse
            from synetune_sdk import Reporter
            p = argparse.ArgumentParser(); p.add_argument("--x", type=float); p.add_argument("--st_checkpoint_dir")
            a = p.parse_args()
            Reporter()(loss=(a.x - 0.3) ** 2)
            """
        )
    )
    launcher = tmp_path / "launch.py"
    launcher.write_text(
        textwrap.dedent(
            f"""
            import synetune
            from synetune import StoppingCriterion, Tuner
            from synetune_sdk import Scheduler, SchedulerDecision, TrialSuggestion

            class Grid(Scheduler):
                def __init__(self):
                    super().__init__({{}})
                    self.xs = [0.1, 0.3, 0.9]
                def suggest(self, trial_id):
                    return TrialSuggestion.start_suggestion({{"x": self.xs[trial_id]}}) if trial_id < 3 else None
                def on_trial_result(self, trial, result):
                    return SchedulerDecision.CONTINUE
                def metric_names(self):
                    return ["loss"]
                def metric_mode(self):
                    return "min"

            tuner = Tuner(synetune.backends.create("local", entry_point={str(script)!r}), Grid(),
                          StoppingCriterion(max_wallclock_time=60), n_workers=2, verbose="quiet")
            tuner.run()
            print("BEST", tuner.best_config())
            """
        )
    )
    env = {"SYNETUNE_FOLDER": str(tmp_path / "results"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [python, str(launcher)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert "BEST (1, {'x': 0.3})" in out.stdout


def test_every_plugin_is_in_the_all_extra():
    extras = tomllib.loads((ROOT / "kernel/pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    in_all = {requirement_name(r) for r in extras["all"]}
    assert set(PLUGINS) <= in_all, f"add to synetune[all]: {sorted(set(PLUGINS) - in_all)}"
    for extra, reqs in extras.items():
        unknown = {requirement_name(r) for r in reqs if r.startswith("synetune")} - set(PLUGINS)
        assert not unknown, f"synetune[{extra}] names no in-repo plugin {sorted(unknown)}"
