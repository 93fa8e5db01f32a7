"""Classes that stand for a synetune component registered by name.

``LocalBackend(...)`` or ``ASHA(...)`` look like Syne Tune's classes, but calling one builds
the component through synetune's public registry (``synetune.backends.create("local", ...)``),
so the object is synetune's own: it pickles, resumes and prints as synetune's. Each class's
``__new__`` carries Syne Tune's signature and maps the arguments. ``isinstance(obj, ASHA)`` is
true for what the registered class builds (always false where the registry holds a function).
"""

from __future__ import annotations

from typing import Any


def create(kind: str, name: str, **kwargs: Any) -> Any:
    """``synetune.<kind>.create(name, **kwargs)``."""
    import synetune

    return getattr(synetune, kind).create(name, **kwargs)


class Facade(type):
    """Metaclass: ``isinstance`` against the class registered as ``cls.registered``."""

    def __instancecheck__(cls, obj: Any) -> bool:
        import synetune

        try:
            target = getattr(synetune, cls.kind).get(cls.registered)
        except Exception:  # plugin not installed: nothing can be an instance
            return False
        return isinstance(target, type) and isinstance(obj, target)


class Component(metaclass=Facade):
    """Base of the stand-in classes: ``kind`` is a registry, ``registered`` a name in it."""

    kind = "schedulers"
    registered = ""


def fixed_searcher(cls: type, kwargs: dict[str, Any], searcher: str) -> None:
    """Syne Tune's baselines fix their searcher: accept it repeated, refuse another one."""
    given = kwargs.pop("searcher", None)
    if given is not None and given != searcher:
        raise ValueError(
            f"{cls.__name__} must have searcher={searcher!r}, got {given!r} (use FIFOScheduler "
            "or HyperbandScheduler with the searcher you want)"
        )
