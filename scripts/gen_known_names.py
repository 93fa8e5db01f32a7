"""Write kernel/src/synetune/known_names.json: which in-repo distribution registers each name.

The kernel names no plugin and imports none to answer "unknown scheduler 'ASHA'", so the table of
in-repo names (and aliases, in lower case) per kind and the distribution that provides them is
data shipped in the kernel package. It is generated from the plugins' own registrations: each
plugin's entry-point module is imported (hook modules are cheap to import) and its
``register_<kind>`` hooks are called with a recording ``register``. Run it again after a plugin
registers, renames or drops a name; ``tests/test_registry_aliases.py`` checks it is up to date.

    python scripts/gen_known_names.py          # rewrite the file
    python scripts/gen_known_names.py --check  # exit 1 if it is out of date
"""

from __future__ import annotations

import importlib
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "kernel" / "src" / "synetune" / "known_names.json"


def build() -> dict[str, dict[str, str]]:
    """``{kind: {lower-case name or alias: distribution}}`` over every in-repo plugin."""
    from synetune.plugins import _HOOK_OF_KIND

    table: dict[str, dict[str, str]] = {}
    for pyproject in sorted(ROOT.glob("plugins/*/*/pyproject.toml")):
        project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
        dist = project["name"]
        for target in project.get("entry-points", {}).get("synetune", {}).values():
            module = importlib.import_module(target)
            for kind, hook_name in _HOOK_OF_KIND.items():
                hook = getattr(module, hook_name, None)
                if hook is None:
                    continue
                names: list[str] = []

                def register(name: str, factory: Any, *args: Any, aliases: Any = (), **kw: Any):
                    names.append(name)  # noqa: B023 - called by the hook below, in this loop
                    names.extend([aliases] if isinstance(aliases, str) else aliases)  # noqa: B023

                hook(register=register)
                for key in names:
                    owner = table.setdefault(kind, {}).setdefault(key.lower(), dist)
                    if owner != dist:
                        raise ValueError(f"{kind} {key!r} is registered by {owner} and {dist}")
    return {kind: dict(sorted(names.items())) for kind, names in sorted(table.items())}


def render() -> str:
    return json.dumps(build(), indent=1, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: python scripts/gen_known_names.py")
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
