"""``syne_tune.blackbox_repository``: loading blackboxes (``synetune.blackboxes``, the
repository of synetune-plugin-blackbox-repository) and replaying them on simulated time.

Recipes are synetune's (``synetune blackboxes list``: analytic functions such as ``branin``,
``branin-lc``, ``hartmann6``, and ``digits-mlp``), all generated locally; Syne Tune's
downloaded ones (``nasbench201``, ``fcnet``, ``lcbench``, ...) are not there.
"""

from __future__ import annotations

from typing import Any

from syne_tune._missing import missing
from syne_tune.blackbox_repository.simulated_tabular_backend import (
    BlackboxRepositoryBackend,
    UserBlackboxBackend,
)

# load_blackbox arguments of Syne Tune 0.13 about S3, downloads and hashes: synetune generates
# every recipe locally, so they are accepted and ignored
IGNORED = ("skip_if_present", "s3_root", "generate_if_not_found", "ignore_hash", "yahpo_kwargs")


def load_blackbox(name: str, **kwargs: Any) -> Any:
    """The blackbox of recipe ``name`` (generated on first use); other ``kwargs`` go to the
    recipe (``task=`` picks one task of a multi-task blackbox)."""
    import synetune

    for key in IGNORED:
        kwargs.pop(key, None)
    return synetune.blackboxes.load(name, **kwargs)


def blackbox_list() -> list[str]:
    """The names of the installed blackbox recipes."""
    import synetune

    return synetune.blackboxes.names()


__all__ = ["BlackboxRepositoryBackend", "UserBlackboxBackend", "blackbox_list", "load_blackbox"]

_REPOSITORY = (
    "synetune_plugin_blackbox_repository.{} (the blackbox classes live in "
    "synetune-plugin-blackbox-repository; import them from there)"
)
MISSING = {
    name: _REPOSITORY.format(name)
    for name in (
        "BlackboxOffline",
        "BlackboxTabular",
        "BlackboxSurrogate",
        "add_surrogate",
        "from_function",
    )
}
MISSING.update(
    Blackbox="synetune_sdk.Blackbox (the blackbox contract)",
    serialize="synetune_plugin_blackbox_repository.write_tabular",
    deserialize="synetune_plugin_blackbox_repository.read_blackbox",
)

__getattr__ = missing(__name__, globals(), MISSING)
