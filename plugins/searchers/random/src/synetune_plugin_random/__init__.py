"""synetune-plugin-random: random search and grid search searchers."""

from __future__ import annotations

from synetune_sdk import hookimpl


@hookimpl
def register_searchers(register):
    register(
        "random",
        "synetune_plugin_random.random_searcher:RandomSearcher",
        summary="Uniform random sampling without duplicates",
        aliases=("RandomSearcher",),
    )
    register(
        "grid",
        "synetune_plugin_random.grid_searcher:GridSearcher",
        summary="Cartesian grid over the config space, optionally shuffled",
        aliases=("GridSearcher",),
    )
