"""Shared handling of extra keyword arguments passed to the searchers of this plugin."""

from __future__ import annotations

import warnings
from typing import Any

# Syne Tune options that schedulers or users pass to every searcher and that random and grid
# search have no use for: accepted silently so that Syne Tune code runs unchanged.
IGNORED_OPTIONS = frozenset(
    {"resource_attr", "debug_log", "max_t", "scheduler", "random_seed_generator"}
)


def warn_unknown_options(searcher: str, kwargs: dict[str, Any]) -> None:
    """Warn about options nobody reads, so a typo such as ``num_sample=10`` does not go unseen."""
    unknown = sorted(set(kwargs) - IGNORED_OPTIONS)
    if unknown:
        warnings.warn(
            f"{searcher} ignores the unknown option(s) {unknown}; check their spelling",
            UserWarning,
            stacklevel=3,
        )
