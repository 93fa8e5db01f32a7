"""Plugin discovery from entry points, quarantine of broken plugins, switches and registries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest

import synetune
from synetune import plugins
from synetune.registry import AmbiguousNameError, UnknownNameError
from synetune_sdk import hookimpl


def make_distribution(
    root: Path, dist: str, module: str, source: str, entry_name: str | None = None
) -> None:
    """A minimal installed distribution on ``root`` with one ``synetune`` entry point."""
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-0.3.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.3.1\n")
    (info / "entry_points.txt").write_text(f"[synetune]\n{entry_name or module} = {module}\n")


GOOD = """
from synetune_sdk import hookimpl

@hookimpl
def register_schedulers(register):
    register("fake_sched", "fake_heavy_impl:FakeScheduler", summary="a fake scheduler")

@hookimpl
def register_searchers(register):
    register("fake_search", lambda **kw: ("searcher", kw))
"""

HEAVY_IMPL = """
import json  # stands in for a heavy dependency
class FakeScheduler:
    def __init__(self, **kwargs):
        self.kwargs = kwargs
"""


FAKE_MODULES = (
    "fakegood",
    "fakebroken",
    "fakeraises",
    "fake_heavy_impl",
    "fakeother",
    "fakeexit",
    "fakeacme",
    "fakeacme2",
)


@pytest.fixture
def fake_site(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("SYNETUNE_STRICT_PLUGINS", raising=False)
    for name in FAKE_MODULES:
        sys.modules.pop(name, None)
    plugins.reset()
    yield site
    plugins.reset()
    for name in FAKE_MODULES:
        sys.modules.pop(name, None)


def test_entry_point_plugin_is_listed_lazily(fake_site):
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    (fake_site / "fake_heavy_impl.py").write_text(HEAVY_IMPL)
    assert "fake_sched" in synetune.schedulers.names()
    assert "fake_heavy_impl" not in sys.modules, "listing must not import the factory's module"
    info = {i.name: i for i in plugins.list()}["synetune-plugin-fakegood"]
    assert info.version == "0.3.1"
    assert info.hooks == ["register_schedulers", "register_searchers"]
    assert info.provides == {"schedulers": ["fake_sched"], "searchers": ["fake_search"]}
    scheduler = synetune.schedulers.create("fake_sched", metric="loss")
    assert "fake_heavy_impl" in sys.modules and scheduler.kwargs == {"metric": "loss"}
    assert synetune.searchers.create("fake_search", a=1) == ("searcher", {"a": 1})


def test_broken_plugin_is_quarantined(fake_site):
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    (fake_site / "fake_heavy_impl.py").write_text(HEAVY_IMPL)
    make_distribution(
        fake_site, "synetune-plugin-fakebroken", "fakebroken", "import h5py_does_not_exist\n"
    )
    infos = {i.name: i for i in plugins.list()}
    assert "ModuleNotFoundError" in infos["synetune-plugin-fakebroken"].error
    assert "fake_sched" in synetune.schedulers.names()
    with pytest.raises(UnknownNameError, match="fakebroken"):
        synetune.schedulers.get("something_missing")


def test_hook_that_raises_is_contained(fake_site):
    make_distribution(
        fake_site,
        "synetune-plugin-fakeraises",
        "fakeraises",
        """
        from synetune_sdk import hookimpl

        @hookimpl
        def register_schedulers(register):
            raise RuntimeError("cannot register today")
        """,
    )
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    (fake_site / "fake_heavy_impl.py").write_text(HEAVY_IMPL)
    assert "fake_sched" in synetune.schedulers.names()
    infos = {i.name: i for i in plugins.list()}
    assert "cannot register today" in infos["synetune-plugin-fakeraises"].error


def test_strict_mode_reraises(fake_site, monkeypatch):
    make_distribution(
        fake_site, "synetune-plugin-fakebroken", "fakebroken", "raise ImportError('nope')\n"
    )
    monkeypatch.setenv("SYNETUNE_STRICT_PLUGINS", "1")
    with pytest.raises(plugins.PluginError, match="nope"):
        plugins.list()


def test_disable_blocks_before_import(fake_site, monkeypatch):
    make_distribution(
        fake_site, "synetune-plugin-fakebroken", "fakebroken", "raise SystemExit('imported!')\n"
    )
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    monkeypatch.setenv("SYNETUNE_DISABLE_PLUGINS", "synetune-plugin-fakebroken")
    names = [i.name for i in plugins.list()]
    assert "synetune-plugin-fakebroken" not in names
    assert "fakebroken" not in sys.modules


def test_load_allow_list(fake_site, monkeypatch):
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    make_distribution(
        fake_site,
        "synetune-plugin-fakeother",
        "fakeother",
        GOOD.replace("fake_sched", "other_sched").replace("fake_search", "other_search"),
    )
    monkeypatch.setenv("SYNETUNE_LOAD_PLUGINS", "fakeother")
    names = [i.name for i in plugins.list()]
    assert names == ["synetune-plugin-fakeother"]
    assert "fakegood" not in sys.modules


def test_ambiguous_short_name_needs_qualification(fake_site):
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    make_distribution(fake_site, "synetune-plugin-fakeother", "fakeother", GOOD)
    (fake_site / "fake_heavy_impl.py").write_text(HEAVY_IMPL)
    with pytest.raises(AmbiguousNameError) as err:
        synetune.schedulers.get("fake_sched")
    assert "fakegood" in str(err.value) and "fakeother" in str(err.value)
    assert "synetune-plugin-fakegood/fake_sched" in synetune.schedulers.names()
    assert synetune.schedulers.create("fakeother/fake_sched").kwargs == {}
    assert synetune.schedulers.create("synetune-plugin-fakegood/fake_sched").kwargs == {}


def test_unknown_name_lists_close_matches():
    module = types.ModuleType("inproc")

    @hookimpl
    def register_schedulers(register):
        register("hyperband_like", lambda **kw: kw)

    module.register_schedulers = register_schedulers
    plugins.register(module, name="inproc")
    try:
        with pytest.raises(UnknownNameError, match="Did you mean 'hyperband_like'"):
            synetune.schedulers.create("hyperbandlike")
    finally:
        plugins.unregister("inproc")


def test_lazy_target_import_error_names_plugin():
    module = types.ModuleType("inproc2")

    @hookimpl
    def register_backends(register):
        register("ghost", "no_such_module_xyz:Backend")

    module.register_backends = register_backends
    plugins.register(module, name="inproc2")
    try:
        with pytest.raises(ImportError, match="inproc2.*no_such_module_xyz"):
            synetune.backends.create("ghost")
    finally:
        plugins.unregister("inproc2")


def run_cli(args, site: Path | None = None, **env):
    environ = dict(os.environ, **env)
    if site is not None:
        environ["PYTHONPATH"] = str(site) + os.pathsep + environ.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "synetune.cli", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=60,
    )


def test_cli_lists_plugins_with_errors(fake_site):
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    make_distribution(
        fake_site, "synetune-plugin-fakebroken", "fakebroken", "import h5py_does_not_exist\n"
    )
    out = run_cli(["plugins"], fake_site, SYNETUNE_STRICT_PLUGINS="0")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].split() == ["NAME", "VERSION", "PROVIDES"]
    assert "synetune-plugin-fakegood" in out.stdout and "schedulers: fake_sched" in out.stdout
    assert "ERROR ModuleNotFoundError" in out.stdout
    data = json.loads(run_cli(["plugins", "--json"], fake_site, SYNETUNE_STRICT_PLUGINS="0").stdout)
    by_name = {d["name"]: d for d in data}
    assert by_name["synetune-plugin-fakegood"]["provides"]["schedulers"] == ["fake_sched"]
    assert (
        "error" in by_name["synetune-plugin-fakebroken"]
        and "error" not in by_name["synetune-plugin-fakegood"]
    )
    only = json.loads(
        run_cli(
            ["plugins", "--json", "--kind", "searchers"], fake_site, SYNETUNE_STRICT_PLUGINS="0"
        ).stdout
    )
    assert all("searchers" in d["provides"] for d in only)
    strict = run_cli(["plugins"], fake_site, SYNETUNE_STRICT_PLUGINS="1")
    assert strict.returncode != 0 and "fakebroken" in strict.stderr


def test_cli_version():
    out = run_cli(["--version"])
    assert out.returncode == 0 and synetune.__version__ in out.stdout


def test_plugin_commands_hook(fake_site):
    make_distribution(
        fake_site,
        "synetune-plugin-fakegood",
        "fakegood",
        """
        import click
        from synetune_sdk import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello():
                click.echo("hello from a plugin")
        """,
    )
    out = run_cli(["hello"], fake_site)
    assert out.returncode == 0 and "hello from a plugin" in out.stdout


def test_import_synetune_is_cheap():
    code = "import sys, synetune; bad = [m for m in ('numpy', 'pandas', 'dill', 'pluggy') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    code = "import sys; from synetune_sdk import Reporter; print(sorted(m for m in sys.modules if m.startswith('synetune')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (
        out.stdout.strip()
        == "['synetune_sdk', 'synetune_sdk.constants', 'synetune_sdk.jsonutil', 'synetune_sdk.reporter']"
    )


def test_callbacks_and_blackbox_recipes_register_and_resolve(tmp_path):
    from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

    from synetune import StoppingCriterion, Tuner
    from synetune.config_space import uniform
    from synetune_sdk import BlackboxRecipe, Callback

    ends = []

    class CountEnds(Callback):
        def on_tuning_end(self):
            ends.append(True)

    class TinyRecipe(BlackboxRecipe):
        name = "tiny"
        citation = "none"

        def generate(self, path):
            (path / "data.json").write_text("{}")

    module = types.ModuleType("inproc3")

    @hookimpl
    def register_callbacks(register):
        register("count_ends", CountEnds, summary="counts tuning ends")

    @hookimpl
    def register_blackbox_recipes(register):
        register("tiny", TinyRecipe)

    module.register_callbacks = register_callbacks
    module.register_blackbox_recipes = register_blackbox_recipes
    plugins.register(module, name="inproc3")
    try:
        assert "count_ends" in synetune.callbacks.names() and "tiny" in synetune.blackboxes.names()
        recipe = synetune.blackboxes.create("tiny")
        recipe.generate(tmp_path)
        assert (tmp_path / "data.json").exists()
        tuner = Tuner(
            ThreadBackend(quadratic),
            RandomScheduler({"x": uniform(0, 1), "epochs": 2}),
            StoppingCriterion(max_num_trials_started=1),
            n_workers=1,
            callbacks=["count_ends"],
            verbose="quiet",
        )
        tuner.run()
        assert ends == [True]
    finally:
        plugins.unregister("inproc3")


def test_blackbox_repository_and_default_callbacks_are_found_through_hooks(
    tmp_path, fake_site, monkeypatch
):
    from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

    from synetune import StoppingCriterion, Tuner
    from synetune.config_space import uniform
    from synetune_sdk import Callback

    calls = []

    class Repository:
        @staticmethod
        def load_blackbox(name, **kwargs):
            calls.append(("load", name, kwargs))
            return "a blackbox"

        @staticmethod
        def generate_blackbox(name, force=False, **kwargs):
            calls.append(("generate", name, force))
            return tmp_path

    class EveryRun(Callback):
        def on_tuning_start(self, context):
            calls.append(("start", context.name, context.n_workers))

    module = types.ModuleType("inproc_repo")

    @hookimpl
    def register_blackbox_repositories(register):
        register("fake", Repository)

    @hookimpl
    def register_callbacks(register):
        register("every_run", EveryRun, default=True)

    module.register_blackbox_repositories = register_blackbox_repositories
    module.register_callbacks = register_callbacks
    # the real repository stays out: one repository answers
    monkeypatch.setenv("SYNETUNE_DISABLE_PLUGINS", "synetune-plugin-blackbox-repository")
    plugins.reset()
    plugins.register(module, name="inproc_repo")
    try:
        assert synetune.blackboxes.load("tiny", size=3) == "a blackbox"
        assert synetune.blackboxes.generate("tiny", force=True) == tmp_path
        tuner = Tuner(
            ThreadBackend(quadratic),
            RandomScheduler({"x": uniform(0, 1), "epochs": 2}),
            StoppingCriterion(max_num_trials_started=1),
            n_workers=1,
            tuner_name="with-defaults",
            verbose="quiet",
        )
        tuner.run()
        assert calls == [
            ("load", "tiny", {"size": 3}),
            ("generate", "tiny", True),
            ("start", tuner.name, 1),
        ]
    finally:
        plugins.unregister("inproc_repo")


def test_experiment_store_fetches_a_missing_experiment(tmp_path, synetune_folder):
    from kernel_helpers import RandomScheduler, ThreadBackend, quadratic

    from synetune import StoppingCriterion, Tuner, load_experiment
    from synetune.config_space import uniform

    archive = tmp_path / "archive"
    tuner = Tuner(
        ThreadBackend(quadratic),
        RandomScheduler({"x": uniform(0, 1), "epochs": 2}),
        StoppingCriterion(max_num_trials_started=2),
        n_workers=1,
        tuner_name="archived",
        suffix_tuner_name=False,
        verbose="quiet",
    )
    tuner.run()
    tuner.tuner_path.rename(archive)
    asked = []

    def fetch(name, root):
        asked.append(name)
        import shutil

        if name != "archived":
            return None
        return shutil.copytree(archive, synetune_folder / name)

    module = types.ModuleType("inproc4")

    @hookimpl
    def register_experiment_stores(register):
        register("archive", fetch, summary="test store")

    module.register_experiment_stores = register_experiment_stores
    plugins.register(module, name="inproc4")
    try:
        assert len(load_experiment("archived").results) == 4
        with pytest.raises(FileNotFoundError):
            load_experiment("never-ran")
        assert asked == ["archived", "never-ran"]
    finally:
        plugins.unregister("inproc4")


# ----------------------------------------------------------------- SystemExit and other BaseExceptions
EXITS_AT_IMPORT = "import sys\nsys.exit('this plugin exits at import')\n"
EXITS_IN_HOOK = """
from synetune_sdk import hookimpl

class Abort(BaseException):
    pass

@hookimpl
def register_schedulers(register):
    raise Abort("hook gave up")

@hookimpl
def register_searchers(register):
    raise SystemExit(4)
"""


def test_plugin_calling_sys_exit_at_import_is_quarantined(fake_site):
    make_distribution(fake_site, "synetune-plugin-fakeexit", "fakeexit", EXITS_AT_IMPORT)
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    (fake_site / "fake_heavy_impl.py").write_text(HEAVY_IMPL)
    infos = {i.name: i for i in plugins.list()}
    assert infos["synetune-plugin-fakeexit"].error == "SystemExit: this plugin exits at import"
    assert infos["synetune-plugin-fakegood"].error is None
    assert synetune.schedulers.create("fake_sched").kwargs == {}


def test_base_exceptions_raised_by_hooks_are_quarantined(fake_site):
    make_distribution(fake_site, "synetune-plugin-fakeexit", "fakeexit", EXITS_IN_HOOK)
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", GOOD)
    (fake_site / "fake_heavy_impl.py").write_text(HEAVY_IMPL)
    assert "fake_sched" in synetune.schedulers.names()
    assert "fake_search" in synetune.searchers.names()
    error = {i.name: i for i in plugins.list()}["synetune-plugin-fakeexit"].error
    assert "Abort: hook gave up" in error or "SystemExit: 4" in error


def test_plugin_calling_sys_exit_is_an_error_in_strict_mode(fake_site, monkeypatch):
    make_distribution(fake_site, "synetune-plugin-fakeexit", "fakeexit", EXITS_AT_IMPORT)
    monkeypatch.setenv("SYNETUNE_STRICT_PLUGINS", "1")
    with pytest.raises(plugins.PluginError, match="SystemExit: this plugin exits at import"):
        plugins.list()
    plugins.reset()
    make_distribution(fake_site, "synetune-plugin-fakegood", "fakegood", EXITS_IN_HOOK)
    monkeypatch.setenv("SYNETUNE_DISABLE_PLUGINS", "synetune-plugin-fakeexit")
    with pytest.raises(plugins.PluginError, match="Abort: hook gave up"):
        synetune.schedulers.names()


def test_keyboard_interrupt_in_a_plugin_is_not_swallowed(fake_site):
    make_distribution(
        fake_site, "synetune-plugin-fakeexit", "fakeexit", "raise KeyboardInterrupt\n"
    )
    with pytest.raises(KeyboardInterrupt):
        plugins.list()


def test_cli_survives_a_plugin_that_exits_at_import(fake_site):
    make_distribution(fake_site, "synetune-plugin-fakeexit", "fakeexit", EXITS_AT_IMPORT)
    out = run_cli(["plugins"], fake_site, SYNETUNE_STRICT_PLUGINS="0")
    assert out.returncode == 0, out.stderr
    assert "ERROR SystemExit: this plugin exits at import" in out.stdout
    assert "synetune-plugin-fifo" in out.stdout  # the in-repo plugins are still there
    strict = run_cli(["plugins"], fake_site, SYNETUNE_STRICT_PLUGINS="1")
    assert strict.returncode != 0 and "SystemExit" in strict.stderr


# ----------------------------------------------------------------- short-name clashes
ACME_RANDOM_SEARCH = """
from synetune_sdk import hookimpl

class AcmeScheduler:
    def __init__(self, **kwargs):
        self.kwargs = kwargs

@hookimpl
def register_schedulers(register):
    register("random_search", AcmeScheduler, summary="acme's own random search")
    register("fake_sched", AcmeScheduler)
"""


def test_third_party_entry_point_named_like_an_in_repo_one_loads_next_to_it(fake_site):
    # a third-party distribution whose entry point is called `fifo`, like the in-repo plugin's
    make_distribution(fake_site, "acme-fifo", "fakeacme", ACME_RANDOM_SEARCH, entry_name="fifo")
    infos = {i.name: i for i in plugins.list()}
    assert infos["synetune-plugin-fifo"].error is None
    assert infos["acme-fifo"].error is None
    assert "fifo" in infos["synetune-plugin-fifo"].provides["schedulers"]
    assert "random_search" in infos["acme-fifo"].provides["schedulers"]
    assert synetune.schedulers.entry("fifo").plugin == "synetune-plugin-fifo"


def test_in_repo_plugin_keeps_its_short_name_when_a_third_party_registers_it(fake_site):
    make_distribution(fake_site, "acme-schedulers", "fakeacme", ACME_RANDOM_SEARCH)
    entry = synetune.schedulers.entry("random_search")
    assert entry.plugin == "synetune-plugin-fifo"
    acme = synetune.schedulers.create("acme-schedulers/random_search", metric="loss")
    assert type(acme).__name__ == "AcmeScheduler"
    assert synetune.schedulers.entry("fakeacme/random_search").plugin == "acme-schedulers"
    names = synetune.schedulers.names()
    assert "random_search" in names and "acme-schedulers/random_search" in names
    assert "random_search" in synetune.schedulers
    # the clash is reported: which name, who registered it, who wins
    (clash,) = [c for c in plugins.clashes() if c["name"] == "random_search"]
    assert clash == {
        "kind": "schedulers",
        "name": "random_search",
        "plugins": ["acme-schedulers", "synetune-plugin-fifo"],
        "winner": "synetune-plugin-fifo",
    }
    infos = {i.name: i for i in plugins.list()}
    assert infos["acme-schedulers"].clashes == [
        "schedulers 'random_search': synetune-plugin-fifo wins, "
        "use 'acme-schedulers/random_search' for this plugin's"
    ]
    assert infos["synetune-plugin-fifo"].clashes == [
        "schedulers 'random_search': wins over acme-schedulers"
    ]


def test_two_third_party_plugins_clashing_stay_ambiguous(fake_site):
    make_distribution(fake_site, "acme-one", "fakeacme", ACME_RANDOM_SEARCH)
    make_distribution(fake_site, "acme-two", "fakeacme2", ACME_RANDOM_SEARCH)
    with pytest.raises(AmbiguousNameError) as err:
        synetune.schedulers.entry("fake_sched")
    assert "'acme-one/fake_sched'" in str(err.value)
    assert "'acme-two/fake_sched'" in str(err.value)
    assert synetune.schedulers.entry("random_search").plugin == "synetune-plugin-fifo"
    (clash,) = [c for c in plugins.clashes() if c["name"] == "fake_sched"]
    assert clash["winner"] is None and clash["plugins"] == ["acme-one", "acme-two"]


def test_cli_lists_clashes_and_fails_on_them_in_strict_mode(fake_site):
    make_distribution(fake_site, "acme-schedulers", "fakeacme", ACME_RANDOM_SEARCH)
    out = run_cli(["plugins"], fake_site, SYNETUNE_STRICT_PLUGINS="0")
    assert out.returncode == 0, out.stderr
    assert (
        "CLASH schedulers 'random_search': acme-schedulers, synetune-plugin-fifo; "
        "synetune-plugin-fifo wins" in out.stdout
    )
    data = json.loads(run_cli(["plugins", "--json"], fake_site, SYNETUNE_STRICT_PLUGINS="0").stdout)
    by_name = {d["name"]: d for d in data}
    assert by_name["acme-schedulers"]["clashes"] == [
        "schedulers 'random_search': synetune-plugin-fifo wins, "
        "use 'acme-schedulers/random_search' for this plugin's"
    ]
    assert "clashes" not in by_name["synetune-plugin-random"]
    strict = run_cli(["plugins"], fake_site, SYNETUNE_STRICT_PLUGINS="1")
    assert strict.returncode != 0
    assert "random_search" in strict.stderr
