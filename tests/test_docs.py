"""The written plugin API says what the code does (datasette's test_docs, for synetune).

* every hook of ``synetune.hookspecs`` has a section in the sdk README's "Writing a plugin" guide
  headed by its exact signature, with a worked example that implements it, and a row in the root
  README's hook table;
* every hook is implemented by at least one test in the repository;
* the guide lists every public module of ``synetune_sdk`` and every name of
  ``synetune.plugin_api``;
* the guide's worked examples are real: the snippets that quote the plugin template are in its
  files, and the distributions the guide spells out (a code block starting with a
  ``# <distribution>/<path>`` comment) are written to a temporary folder, installed as wheels and
  pass their own tests.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# uv_index_options is a fixture: pip's find-links and index, handed to uv
from test_wheels import UV, run, uv_index_options  # noqa: F401

import synetune.plugin_api
from synetune import hookspecs

ROOT = Path(__file__).resolve().parents[1]
SDK_README = ROOT / "sdk" / "README.md"
GUIDE = SDK_README.read_text().split("## Writing a plugin", 1)[-1]
HOOKS = [
    name for name, obj in vars(hookspecs).items() if name.startswith("register_") and callable(obj)
]
TEST_DIRS = ["tests", "sdk/tests", "plugins", "examples"]
# what a guide distribution's pyproject.toml has beyond the [project] table the guide shows
BUILD_TABLES = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/{package}"]
"""


def signature(hook: str) -> str:
    return f"{hook}({', '.join(inspect.signature(getattr(hookspecs, hook)).parameters)})"


def code_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, code)`` of every fenced code block."""
    return re.findall(r"^```(\w*)\n(.*?)^```", text, re.M | re.S)


def spelled_out_files() -> dict[str, str]:
    """``{path: code}`` of the guide's code blocks that start with a ``# <path>`` comment."""
    files = {}
    for _, code in code_blocks(GUIDE):
        header = re.match(r"# (\S+/\S+)\n", code)
        if header:
            assert header.group(1) not in files, f"{header.group(1)} is spelled out twice"
            files[header.group(1)] = code[header.end() :]
    return files


def test_every_hook_is_found():
    assert len(HOOKS) == 9, HOOKS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_guide_section_with_its_exact_signature(hook):
    assert f"\n#### {signature(hook)}\n" in GUIDE, f"no section '#### {signature(hook)}'"
    examples = [code for _, code in code_blocks(GUIDE) if f"def {signature(hook)}:" in code]
    assert examples, f"no worked example implements def {signature(hook)}:"
    assert f"| `{signature(hook)}` |" in GUIDE, f"the guide's hook table lacks {signature(hook)}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_in_the_root_readme_table(hook):
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^\| `{re.escape(signature(hook))}` \|", readme, re.M), (
        f"README.md's hook table has no row for `{signature(hook)}`"
    )


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    implements = re.compile(rf"@hookimpl\b[^\n]*\n\s*def {hook}\(")
    tests = [
        path
        for folder in TEST_DIRS
        for path in (ROOT / folder).glob("**/test_*.py")
        if path.name != Path(__file__).name
    ]
    assert any(implements.search(path.read_text()) for path in tests), (
        f"no test implements {hook} with @hookimpl"
    )


def test_guide_lists_every_sdk_module():
    source = ROOT / "sdk" / "src" / "synetune_sdk"
    modules = sorted(p.stem for p in source.glob("*.py") if not p.stem.startswith("_"))
    missing = [m for m in modules if f"\n| `{m}` |" not in GUIDE]
    assert not missing, f"the guide's synetune_sdk table lacks {missing}"


def test_guide_lists_every_plugin_api_name():
    missing = [
        name for name in synetune.plugin_api.__all__ if not re.search(rf"\| `{name}\b", GUIDE)
    ]
    assert not missing, f"the guide's synetune.plugin_api table lacks {missing}"


def test_template_snippets_are_in_the_template():
    quoted = {p: code for p, code in spelled_out_files().items() if p.startswith("examples/")}
    assert quoted, "the guide quotes no file of the template"
    for path, code in quoted.items():
        assert code.strip() in (ROOT / path).read_text(), f"the guide's {path} is not in {path}"


@pytest.fixture(scope="module")
def guide_distributions(tmp_path_factory) -> Path:
    """The guide's distributions, written into one folder each."""
    folder = tmp_path_factory.mktemp("guide")
    for path, code in spelled_out_files().items():
        if path.startswith("examples/"):
            continue
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(code)
    for pyproject in folder.glob("*/pyproject.toml"):
        [package] = [p.name for p in (pyproject.parent / "src").iterdir()]
        pyproject.write_text(pyproject.read_text() + BUILD_TABLES.format(package=package))
    return folder


@pytest.mark.slow
def test_guide_distributions_install_and_pass_their_tests(guide_distributions, request, tmp_path):
    index_options = request.getfixturevalue("uv_index_options")
    dists = sorted(p.parent for p in guide_distributions.glob("*/pyproject.toml"))
    assert len(dists) >= 7, [d.name for d in dists]
    for dist in dists:
        assert list((dist / "tests").glob("test_*.py")), f"{dist.name} has no test in the guide"
    site = tmp_path / "site"
    run(
        [UV, "pip", "install", "-q", "--no-deps", "--python", sys.executable, "--target", site]
        + [*index_options, *dists]
    )
    env = dict(os.environ, SYNETUNE_FOLDER=str(tmp_path / "results"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    listing = subprocess.run(
        [sys.executable, "-m", "synetune", "plugins", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert listing.returncode == 0, listing.stderr
    listed = {plugin["name"]: plugin for plugin in json.loads(listing.stdout)}
    for dist in dists:
        assert dist.name in listed, f"{dist.name} is not listed by synetune plugins"
        assert "error" not in listed[dist.name], listed[dist.name]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        + ["--import-mode=importlib", "--rootdir", str(guide_distributions)]
        + [str(dist / "tests") for dist in dists],
        cwd=guide_distributions,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, f"the guide's tests failed:\n{out.stdout}\n{out.stderr}"
    passed = re.search(r"(\d+) passed", out.stdout)
    assert passed and int(passed.group(1)) >= 2 * len(dists), out.stdout
