"""The error for a Syne Tune name that synetune does not have, and the module ``__getattr__``
that raises it.

Every ``syne_tune`` module ends with ``__getattr__ = missing(__name__, globals(), MISSING)``:
a name in ``MISSING`` (Syne Tune names known to be absent) gets its own pointer to the closest
synetune equivalent, any other public name the close matches among the module's names.

The error is an ``ImportError``, not an ``AttributeError``: ``from syne_tune.x import Name``
turns an ``AttributeError`` into a bare "cannot import name", losing the explanation.
Syne Tune modules known to be absent (``MISSING_MODULES``) raise it too, from a finder placed
last on ``sys.meta_path`` that answers only for those names.
Standard library only: training scripts import this module.
"""

from __future__ import annotations

import importlib
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Callable
    from typing import Any


class NotInSynetuneError(ImportError):
    """A Syne Tune name that synetune (through synetune-compat) does not provide."""


def not_in_synetune(module: str, name: str, equivalent: str) -> NotInSynetuneError:
    return NotInSynetuneError(
        f"{module}.{name} is Syne Tune's and not in synetune (synetune-compat does not provide "
        f"it). Closest synetune equivalent: {equivalent}",
        name=module,
    )


def missing(
    module: str, namespace: dict[str, Any], table: dict[str, str], lazy: tuple[str, ...] = ()
) -> Callable[[str], Any]:
    """A module ``__getattr__``: submodules of a package are imported, ``table`` names and
    other public names raise ``NotInSynetuneError``, private names ``AttributeError``.
    ``lazy`` are the names the module itself resolves lazily (offered as close matches)."""

    def __getattr__(name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        if name in table:
            raise not_in_synetune(module, name, table[name])
        if "__path__" in namespace:  # a package: `from syne_tune.backend import trial_status`
            try:
                return importlib.import_module(f"{module}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{module}.{name}":
                    raise
        import difflib

        public = namespace.get("__all__", [n for n in namespace if not n.startswith("_")])
        known = {n.lower(): n for n in [*public, *lazy]}
        close = difflib.get_close_matches(name.lower(), list(known), n=3, cutoff=0.6)
        hint = f" Closest: {' or '.join(known[c] for c in close)}." if close else ""
        raise NotInSynetuneError(
            f"{module}.{name} is not in synetune-compat (synetune has no such name, or it is not "
            f"Syne Tune's).{hint}",
            name=module,
        )

    return __getattr__


_SEARCHERS = (
    "a searcher by name: searcher='random', 'grid', 'bayesopt', ... with search_options= "
    "(synetune.searchers.names()); a new searcher is a plugin against synetune_sdk.Searcher"
)
_MO_PRIORITY = (
    "MOASHA(multiobjective_priority=...) with a name or a callable (synetune-plugin-"
    "multiobjective README)"
)
_TRANSFER = (
    "syne_tune.optimizer.baselines.ZeroShotTransfer or ASHACTS, or synetune.schedulers.create("
    "'quantile_based', ...) (synetune-plugin-transfer)"
)
_COMPARE = "synetune_plugin_compare.compare_experiments (pip install synetune-plugin-compare)"
MISSING_MODULES = {
    "syne_tune.optimizer.schedulers.searchers": _SEARCHERS,
    "syne_tune.optimizer.schedulers.multiobjective.multiobjective_priority": _MO_PRIORITY,
    "syne_tune.optimizer.schedulers.transfer_learning.quantile_based": _TRANSFER,
    "syne_tune.optimizer.schedulers.transfer_learning.zero_shot": _TRANSFER,
    "syne_tune.optimizer.schedulers.hyperband": "syne_tune.optimizer.schedulers.HyperbandScheduler",
    "syne_tune.optimizer.schedulers.fifo": "syne_tune.optimizer.schedulers.FIFOScheduler",
    "syne_tune.optimizer.schedulers.pbt": "syne_tune.optimizer.schedulers.PopulationBasedTraining",
    "syne_tune.optimizer.schedulers.median_stopping_rule": "syne_tune.optimizer.schedulers."
    "MedianStoppingRule",
    "syne_tune.optimizer.schedulers.ray_scheduler": "syne_tune.optimizer.schedulers."
    "RayTuneScheduler",
    "syne_tune.backend.local_backend": "syne_tune.backend.LocalBackend",
    "syne_tune.backend.python_backend": "syne_tune.backend.PythonBackend",
    "syne_tune.backend.sagemaker_backend": "syne_tune.backend.SageMakerBackend",
    "syne_tune.backend.trial_backend": "synetune_sdk.TrialBackend (a backend plugin)",
    "syne_tune.results_callback": "none needed: synetune's Tuner always records results; "
    "extra columns with Tuner(extra_results_composer=...)",
    "syne_tune.tuner_callback": "synetune_sdk.Callback",
    "syne_tune.remote": "synetune_plugin_sagemaker.RemoteLauncher (synetune remote launch)",
    "syne_tune.experiments.launchers": "a launcher script with syne_tune.Tuner; "
    "synetune_plugin_compare.compare_experiments to compare methods",
    "syne_tune.experiments.visualization": _COMPARE,
    "syne_tune.experiments.benchmark_definitions": "none (synetune's benchmarks are blackbox "
    "recipes: synetune blackboxes list)",
    "syne_tune.blackbox_repository.conversion_scripts": "a blackbox recipe plugin "
    "(synetune_sdk.BlackboxRecipe, hook register_blackbox_recipes)",
}


class MissingModuleFinder:
    """Last on ``sys.meta_path``: a Syne Tune module no other finder found, listed in
    ``MISSING_MODULES`` (or inside one of them), raises ``NotInSynetuneError``."""

    @staticmethod
    def find_spec(fullname: str, path: Any = None, target: Any = None) -> None:
        for missing_module, equivalent in MISSING_MODULES.items():
            if fullname == missing_module or fullname.startswith(missing_module + "."):
                raise not_in_synetune(*missing_module.rsplit(".", 1), equivalent)
        return None


def install_module_finder() -> None:
    if not any(isinstance(f, MissingModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(MissingModuleFinder())
