"""The error for a Syne Tune name that synetune does not have, and the module ``__getattr__``
that raises it.

Every ``syne_tune`` module ends with ``__getattr__ = missing(__name__, globals(), MISSING)``:
a name in ``MISSING`` (Syne Tune names known to be absent) gets its own pointer to the closest
synetune equivalent, any other public name the close matches among the module's names.

The error is an ``ImportError``, not an ``AttributeError``: ``from syne_tune.x import Name``
turns an ``AttributeError`` into a bare "cannot import name", losing the explanation.
Standard library only: training scripts import this module.
"""

from __future__ import annotations

import importlib

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
        if "__path__" in namespace:  # a package: `from syne_tune.backend import trial_status`
            try:
                return importlib.import_module(f"{module}.{name}")
            except ModuleNotFoundError as err:
                if err.name != f"{module}.{name}":
                    raise
        if name in table:
            raise not_in_synetune(module, name, table[name])
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
