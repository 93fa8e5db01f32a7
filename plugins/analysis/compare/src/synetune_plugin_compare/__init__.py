"""synetune-plugin-compare: compare experiments grouped by method, over seeds.

This module holds only the hook implementation (``synetune experiments plot`` of several
experiments); ``compare_experiments``, ``ExperimentComparison`` and ``MethodCurve`` are imported
(with numpy and pandas) on first use, and matplotlib only when plotting.
"""

from __future__ import annotations

from typing import Any

from synetune_sdk import hookimpl

_LAZY = {
    "compare_experiments": "synetune_plugin_compare.comparison",
    "ExperimentComparison": "synetune_plugin_compare.comparison",
    "MethodCurve": "synetune_plugin_compare.comparison",
    "AGGREGATES": "synetune_plugin_compare.comparison",
    "HYPERVOLUME": "synetune_plugin_compare.comparison",
    "common_reference_point": "synetune_plugin_compare.multiobjective",
    "plot_pareto_front": "synetune_plugin_compare.multiobjective",
    "plot_hypervolume": "synetune_plugin_compare.multiobjective",
    "plot_multiobjective": "synetune_plugin_compare.multiobjective",
}

__all__ = sorted(_LAZY)


@hookimpl
def register_commands(cli):
    from synetune_plugin_compare.commands import add_plot_command

    add_plot_command(cli)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'synetune_plugin_compare' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
