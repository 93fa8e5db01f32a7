"""`synetune blackboxes list` and `synetune blackboxes generate NAME`, run as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def synetune_cli(*args: str, folder: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "SYNETUNE_FOLDER": str(folder)}
    return subprocess.run(
        [sys.executable, "-m", "synetune", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_blackboxes_list_and_generate(tmp_path):
    listed = synetune_cli("blackboxes", "list", folder=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "GENERATED", "SUMMARY"]
    branin = next(line for line in lines if line.startswith("branin "))
    assert branin.split()[1] == "no"

    generated = synetune_cli("blackboxes", "generate", "branin", folder=tmp_path)
    assert generated.returncode == 0, generated.stderr
    folder = Path(generated.stdout.strip())
    assert folder.parent == tmp_path / "blackbox-repository"
    assert json.loads((folder / "metadata.json").read_text())["name"] == "branin"

    as_json = json.loads(synetune_cli("blackboxes", "list", "--json", folder=tmp_path).stdout)
    entry = next(row for row in as_json if row["name"] == "branin")
    assert entry["generated"] is True and entry["path"] == str(folder)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("blackboxes", "generate", "branni"), "unknown blackbox recipe 'branni'"),
        (("blackboxes", "generate", "branin", "-o", "size"), "write recipe arguments as KEY=VALUE"),
        (("blackboxes", "generate", "branin", "-o", "size=3"), "rejected the arguments"),
    ],
)
def test_blackboxes_generate_errors(tmp_path, args, message):
    result = synetune_cli(*args, folder=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr
