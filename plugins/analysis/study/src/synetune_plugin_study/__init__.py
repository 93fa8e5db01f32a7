"""synetune-plugin-study: run methods x benchmarks x seeds as a study, resumably, and report.

This module holds only hook implementations: named benchmarks for the in-repo blackbox recipes
and the ``synetune study`` commands. ``run_study``, ``load_study``, ``study_report`` and
``Benchmark`` are imported on first use.
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
# name -> summary of the benchmarks defined for the in-repo recipes (see benchmarks.BUILTIN)
_BUILTIN = {
    "branin": "Branin on the simulator: y (min), 100 trials",
    "hartmann3": "Hartmann 3-D on the simulator: y (min), 100 trials",
    "hartmann6": "Hartmann 6-D on the simulator: y (min), 100 trials",
    "branin-lc": "Branin learning curves (epoch 1..81) on the simulator, 1200 simulated s",
    "digits-mlp": "digits MLP learning curves (epoch 1..27) on the simulator, 30 simulated s",
    "zdt1": "ZDT1: two objectives f1, f2 (min) on the simulator, 100 trials",
    "dtlz2": "DTLZ2: two objectives f1, f2 (min) on the simulator, 100 trials",
}


def _builtin(name: str) -> Any:
    def factory(**overrides: Any) -> Any:
        from synetune_plugin_study.benchmarks import builtin

        return builtin(name, **overrides)

    return factory


@hookimpl
def register_benchmarks(register):
    for name, summary in _BUILTIN.items():
        register(name, _builtin(name), summary=summary)


@hookimpl
def register_commands(cli):
    from synetune_plugin_study.commands import study

    cli.add_command(study)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synetune_plugin_study' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
