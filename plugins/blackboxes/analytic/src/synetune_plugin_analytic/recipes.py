"""Recipes of the analytic blackboxes: they store a reference to the code, not a table."""

from __future__ import annotations

from pathlib import Path

from synetune_plugin_blackbox_repository import write_function

from synetune_plugin_analytic.multiobjective import (
    DEFAULT_DIMENSION,
    check_dimension,
    max_hypervolume,
    reference_point,
)
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


_ZDT = (
    "Zitzler, E., Deb, K. and Thiele, L. (2000). Comparison of multiobjective evolutionary "
    "algorithms: empirical results. Evolutionary Computation 8(2), 173-195."
)
_DTLZ = (
    "Deb, K., Thiele, L., Laumanns, M. and Zitzler, E. (2002). Scalable multi-objective "
    "optimization test problems. Proceedings of the 2002 Congress on Evolutionary Computation."
)


class MultiObjectiveRecipe(BlackboxRecipe):
    """Writes metadata.json pointing at ``multiobjective.make_mo_blackbox(name, dimension)``,
    with the metric modes, the reference point and the hypervolume of the true front.

    Args:
        dimension: number of inputs ``x1..x<dimension>`` (2 to 30, default 6).
    """

    version = "1"

    def __init__(self, dimension: int = DEFAULT_DIMENSION):
        self.dimension = check_dimension(dimension)

    def generate(self, path: Path) -> None:
        write_function(
            path,
            "synetune_plugin_analytic.multiobjective:make_mo_blackbox",
            {"name": self.name, "dimension": self.dimension},
            elapsed_time_attr="elapsed_time",
            metric_mode={"f1": "min", "f2": "min"},
            reference_point=list(reference_point(self.name)),
            max_hypervolume=max_hypervolume(self.name),
        )


class ZDT1Recipe(MultiObjectiveRecipe):
    name = "zdt1"
    citation = _ZDT


class ZDT2Recipe(MultiObjectiveRecipe):
    name = "zdt2"
    citation = _ZDT


class ZDT3Recipe(MultiObjectiveRecipe):
    name = "zdt3"
    citation = _ZDT


class DTLZ2Recipe(MultiObjectiveRecipe):
    name = "dtlz2"
    citation = _DTLZ
