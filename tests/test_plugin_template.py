"""The plugin template (examples/plugin_template) works once copied, renamed and installed.

The template is copied to a temporary folder and renamed as its author would rename it:
``synetune-plugin-example`` becomes ``synetune-plugin-<name>``, then every other ``example``, in
file contents and file names, becomes ``<name>`` with underscores. The copy is installed as a
wheel (not editable, ``--no-deps``) into a target folder put on the dev venv's ``PYTHONPATH``,
its ``src/`` is removed so that only the installed package can be imported, and its own tests
run in a subprocess: the scheduler contract, and ``synetune plugins --json`` listing the plugin
through its installed entry point.

The template's tests are not in the root ``testpaths``: in place they need the template
installed, which the development environment does not do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# uv_index_options is a fixture: pip's find-links and index, handed to uv
from test_wheels import UV, run, uv_index_options  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "examples" / "plugin_template"
NAME = "my-tuner"


def render(target: Path, name: str) -> Path:
    """A renamed copy of the template in ``target``."""
    underscored = name.replace("-", "_")

    def rename(text: str) -> str:
        text = text.replace("synetune-plugin-example", f"synetune-plugin-{name}")
        return text.replace("example", underscored)

    copy = target / f"synetune-plugin-{name}"
    shutil.copytree(
        TEMPLATE, copy, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache", "*.egg-info")
    )
    # deepest paths first, so that renaming a folder does not move paths still to visit
    for path in sorted(copy.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file():
            path.write_text(rename(path.read_text()))
        if "example" in path.name:
            path.rename(path.with_name(rename(path.name)))
    return copy


def test_render_leaves_no_placeholder(tmp_path):
    copy = render(tmp_path, NAME)
    leftovers = [
        str(path.relative_to(copy))
        for path in copy.rglob("*")
        if re.search("example", path.name, re.I)
        or (path.is_file() and re.search("example", path.read_text(), re.I))
    ]
    assert not leftovers, f"the template says 'example' outside the placeholder: {leftovers}"
    assert (copy / "src/synetune_plugin_my_tuner/__init__.py").exists()
    assert (copy / "tests/test_my_tuner.py").exists()
    assert 'name = "synetune-plugin-my-tuner"' in (copy / "pyproject.toml").read_text()


@pytest.mark.slow
def test_renamed_template_installs_and_passes_its_own_tests(tmp_path, request):
    index_options = request.getfixturevalue("uv_index_options")
    copy = render(tmp_path, NAME)
    site = tmp_path / "site"
    run(
        [UV, "pip", "install", "-q", "--no-deps", "--python", sys.executable, "--target", site]
        + [*index_options, copy]
    )
    assert (site / "synetune_plugin_my_tuner" / "scheduler.py").exists()
    assert list(site.glob("synetune_plugin_my_tuner-0.1.0.dist-info/entry_points.txt"))
    shutil.rmtree(copy / "src")  # the tests must find the installed package, not the sources
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, f"the template's tests failed:\n{out.stdout}\n{out.stderr}"
    assert re.search(r"\b7 passed\b", out.stdout), out.stdout
