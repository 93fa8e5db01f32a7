"""synetune-compat: Syne Tune 0.13's ``syne_tune`` package, mapped onto synetune.

Launchers (``from syne_tune import Tuner``) and training scripts (``from syne_tune import
Reporter``) written for Syne Tune run unchanged. Importing this package is cheap: the training
script side (``Reporter``, ``syne_tune.constants``, ``syne_tune.utils``) imports only
``synetune_sdk``; ``Tuner`` and ``StoppingCriterion`` load synetune on first use.

A real ``syne-tune`` installed next to this package would provide the same ``syne_tune``
package (pip cannot prevent that), so importing it with both installed raises ImportError.
"""

from __future__ import annotations

import importlib
import os
import sys

from syne_tune._missing import install_module_finder, missing

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from synetune import StoppingCriterion, Tuner
    from synetune_sdk.reporter import Reporter

# The Syne Tune API this package provides (scripts compare syne_tune.__version__);
# the synetune-compat distribution has its own version.
__version__ = "0.13.0"

_LAZY = {
    "Tuner": ("synetune", "Tuner"),
    "StoppingCriterion": ("synetune", "StoppingCriterion"),
    "Reporter": ("synetune_sdk.reporter", "Reporter"),
}

__all__ = ["Reporter", "StoppingCriterion", "Tuner", "__version__"]


def _installed_syne_tune() -> str | None:
    """The version of an installed ``syne-tune`` distribution, None without one.

    ``importlib.metadata`` costs ~60 ms to import, too much for every trial's training script:
    sys.path is scanned for its metadata folder first (what importlib.metadata's path finder
    looks for), and only a hit is confirmed through ``importlib.metadata.distribution``."""
    candidate = False
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            stem, _, suffix = name.rpartition(".")
            project = stem.split("-", 1)[0].lower()
            if suffix in ("dist-info", "egg-info") and (
                project == "syne_tune" or stem.lower().startswith("syne-tune-")
            ):
                candidate = True
    if not candidate:
        return None
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        return distribution("syne-tune").version
    except PackageNotFoundError:
        return None


def _refuse_real_syne_tune() -> None:
    version = _installed_syne_tune()
    if version is not None:
        raise ImportError(
            f"both syne-tune {version} (Syne Tune itself) and synetune-compat are installed, and "
            "both provide the package 'syne_tune'. Keep one of them: to run Syne Tune code on "
            "synetune, `pip uninstall -y syne-tune synetune-compat && pip install "
            "synetune-compat`; to use Syne Tune itself, `pip uninstall -y synetune-compat "
            "syne-tune && pip install syne-tune` (uninstalling one removes files the other "
            "shares, hence the reinstall).",
            name="syne_tune",
        )


_refuse_real_syne_tune()
install_module_finder()

_missing_getattr = missing(__name__, globals(), {}, lazy=tuple(_LAZY))


def __getattr__(name: str):
    spec = _LAZY.get(name)
    if spec is None:
        return _missing_getattr(name)
    value = getattr(importlib.import_module(spec[0]), spec[1])
    globals()[name] = value
    return value
