"""The one JSON fallback encoder for values the ``json`` module does not know.

Metrics and configurations often hold numpy scalars or arrays, dates and paths. Both the
training-script side (Reporter) and the tuner's records use these helpers, so a value is written
the same way everywhere. numpy is never imported: its values are recognised by their methods.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # pragma: no cover
    from typing import Any


def json_default(value: Any) -> Any:
    """``json.dumps(..., default=json_default)``: numpy values, dates, paths; else TypeError."""
    if hasattr(value, "tolist") and callable(value.tolist):
        return value.tolist()
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if hasattr(value, "isoformat") and callable(value.isoformat):
        return value.isoformat()
    if hasattr(value, "__fspath__"):
        return value.__fspath__()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def json_default_or_str(value: Any) -> Any:
    """Like ``json_default``, but any other value is written as its ``str`` (for records that
    must never fail to save, such as metadata and event logs)."""
    try:
        return json_default(value)
    except TypeError:
        return str(value)
