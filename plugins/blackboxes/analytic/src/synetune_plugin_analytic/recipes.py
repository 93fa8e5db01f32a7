"""Recipes of the analytic blackboxes: they store a reference to the code, not a table."""

from __future__ import annotations

from pathlib import Path

from synetune_plugin_blackbox_repository import write_function

from synetune_sdk.blackbox import BlackboxRecipe

_DIXON_SZEGO = (
    "Dixon, L. C. W. and Szego, G. P. (1978). The global optimization problem: an introduction. "
    "Towards Global Optimisation 2, 1-15."
)
_BRANIN = (
    "Branin, F. H. (1972). Widely convergent method for finding multiple solutions of "
    "simultaneous nonlinear equations. IBM Journal of Research and Development 16(5), 504-522."
)


class AnalyticRecipe(BlackboxRecipe):
    """Writes metadata.json pointing at ``functions.make_blackbox(name)``."""

    version = "1"

    def generate(self, path: Path) -> None:
        write_function(
            path,
            "synetune_plugin_analytic.functions:make_blackbox",
            {"name": self.name},
            elapsed_time_attr="elapsed_time",
        )


class BraninRecipe(AnalyticRecipe):
    name = "branin"
    citation = _BRANIN


class Hartmann3Recipe(AnalyticRecipe):
    name = "hartmann3"
    citation = _DIXON_SZEGO


class Hartmann6Recipe(AnalyticRecipe):
    name = "hartmann6"
    citation = _DIXON_SZEGO


class BraninLearningCurveRecipe(AnalyticRecipe):
    name = "branin-lc"
    citation = _BRANIN
