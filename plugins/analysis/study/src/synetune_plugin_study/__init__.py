"""synetune-plugin-study: run methods x benchmarks x seeds as a study, resumably, and report.

This module holds only the hook implementation of the ``synetune study`` commands. Named
benchmarks come from every plugin's ``register_benchmarks`` hook (the in-repo recipes ship
theirs in their own plugins). ``run_study``, ``load_study``, ``study_report`` and ``Benchmark``
are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from synetune_sdk import hookimpl

_LAZY = {
    "Benchmark": "synetune_plugin_study.benchmarks",
    "load_study": "synetune_plugin_study.study",
    "StudyError": "synetune_plugin_study.study",
    "run_study": "synetune_plugin_study.runner",
    "study_report": "synetune_plugin_study.report",
}
__all__ = sorted(_LAZY)


@hookimpl
def register_commands(cli):
    from synetune_plugin_study.commands import study

    cli.add_command(study)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synetune_plugin_study' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
