"""The plugin boundaries hold: import-linter's contracts, and the same rule on the plugins' tests.

* the contracts in the root pyproject.toml are the ones scripts/gen_import_contracts.py writes
  from every plugin's declared dependencies (a new dependency needs them regenerated);
* ``lint-imports`` keeps them all;
* import-linter sees packages only, so every ``import``/``from`` of a synetune module in
  plugins/*/*/src and plugins/*/*/tests is also checked here: the sdk, ``synetune``,
  ``synetune.plugin_api``, its own package and the plugin distributions it declares (tests:
  also its optional dependencies), nothing else.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location(
    "gen_import_contracts", ROOT / "scripts/gen_import_contracts.py"
)
gen = sys.modules.setdefault("gen_import_contracts", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(gen)

PLUGINS = gen.plugin_distributions()
KERNEL_SUBMODULES = {m.split(".", 1)[1] for m in gen.kernel_modules()}

# Imports that break the rule today, in files that are being changed elsewhere: remove an entry
# when its file is fixed (a stale entry fails test_known_violations_are_still_there).
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def source_paths() -> list[str]:
    """sys.path entries for every in-repo package, whether or not it is installed in this venv."""
    return [str(ROOT / "sdk/src"), str(ROOT / "kernel/src")] + [
        str(p.folder / "src") for p in PLUGINS
    ]


def test_import_contracts_are_generated_from_the_pyprojects():
    written = gen.current_section((ROOT / "pyproject.toml").read_text())
    assert written == gen.contracts(), (
        "the import contracts in pyproject.toml are out of date: run "
        "`.venv/bin/python scripts/gen_import_contracts.py`"
    )


def test_every_plugin_package_is_a_root_package_of_the_contracts():
    section = gen.contracts()
    for dist in PLUGINS:
        assert f'"{dist.package}"' in section
        assert (dist.folder / "src" / dist.package / "__init__.py").exists(), dist.name


def test_lint_imports_keeps_every_contract():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(source_paths())}
    out = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, f"lint-imports failed:\n{out.stdout}\n{out.stderr}"
    assert "0 broken" in out.stdout


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every absolute import of a synetune* module in ``path``;
    ``from synetune import tuner`` counts as ``synetune.tuner``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            if node.module == "synetune":
                found += [
                    (node.lineno, f"synetune.{alias.name}")
                    for alias in node.names
                    if alias.name in KERNEL_SUBMODULES
                ]
    return [(line, m) for line, m in found if m.split(".")[0].startswith("synetune")]


def allowed(module: str, packages: set[str]) -> bool:
    top = module.split(".")[0]
    if top == gen.SDK or top in packages:
        return True
    return module in gen.KERNEL_PUBLIC or module.startswith("synetune.plugin_api.")


def violations() -> list[tuple[str, int, str]]:
    found = []
    for dist in PLUGINS:
        for part, tests in (("src", False), ("tests", True)):
            packages = gen.allowed_plugin_packages(dist, PLUGINS, tests=tests)
            for path in sorted((dist.folder / part).rglob("*.py")):
                for line, module in imported_modules(path):
                    if not allowed(module, packages):
                        found.append((path.relative_to(ROOT).as_posix(), line, module))
    return found


def test_plugin_sources_and_tests_import_only_what_they_may():
    new = [v for v in violations() if (v[0], v[2]) not in KNOWN_VIOLATIONS]
    assert not new, (
        "plugins may import the sdk, synetune, synetune.plugin_api, their own package and the "
        "plugin distributions they declare (dependencies or optional extras; tests: also the "
        "test extra); declare the "
        "dependency and run scripts/gen_import_contracts.py, or import through "
        "synetune.plugin_api:\n" + "\n".join(f"{p}:{line}: {m}" for p, line, m in new)
    )


def test_known_violations_are_still_there():
    current = {(p, m) for p, _, m in violations()}
    stale = sorted(KNOWN_VIOLATIONS - current)
    assert not stale, f"fixed, remove from KNOWN_VIOLATIONS in {__file__}: {stale}"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import synetune\nfrom synetune import Tuner", []),
        ("from synetune.plugin_api import resolve", []),
        ("from synetune_sdk.config_space import uniform", []),
        ("from synetune import config_space", ["synetune.config_space"]),
        ("from synetune.registry import resolve", ["synetune.registry"]),
        ("import synetune.tuner as t", ["synetune.tuner"]),
        ("from synetune_plugin_fifo import scheduler", []),
        ("from synetune_plugin_local.local_backend import LocalBackend", ["synetune_plugin_local"]),
        ("def f():\n    from synetune.cli import cli", ["synetune.cli"]),
        ("from . import own\nimport numpy", []),
    ],
)
def test_the_import_rule_on_examples(tmp_path, source, expected):
    path = tmp_path / "example.py"
    path.write_text(source)
    own = {"synetune_plugin_pbt", "synetune_plugin_fifo"}
    flagged = [m for _, m in imported_modules(path) if not allowed(m, own)]
    assert [m.split(".")[0] if m.startswith("synetune_plugin") else m for m in flagged] == expected
