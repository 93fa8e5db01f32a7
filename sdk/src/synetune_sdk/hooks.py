"""The ``hookimpl`` marker plugins decorate their hook functions with.

It writes the same attribute pluggy's ``HookimplMarker("synetune")`` writes, without importing
pluggy, so that plugin modules and the sdk stay importable with the standard library alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

PROJECT_NAME = "synetune"

_F = TypeVar("_F", bound=Callable[..., Any])


def hookimpl(
    function: _F | None = None,
    *,
    tryfirst: bool = False,
    trylast: bool = False,
    optionalhook: bool = False,
    specname: str | None = None,
) -> Any:
    """Mark ``function`` as an implementation of the synetune hook of the same name."""

    def mark(func: _F) -> _F:
        setattr(
            func,
            f"{PROJECT_NAME}_impl",
            {
                "wrapper": False,
                "hookwrapper": False,
                "optionalhook": optionalhook,
                "tryfirst": tryfirst,
                "trylast": trylast,
                "specname": specname,
            },
        )
        return func

    return mark(function) if function is not None else mark
