"""Where names that pickles (saved tuners) may reference have moved, for the tuner loader.

``RENAMED_MODULES`` maps an old location to the module that now defines the name. A key is
either

* ``"old.module"``: every name of the old module is found in the new module under the same
  name, or
* ``("old.module", "Name")``: this one name moved (to the new module, same name); used where
  the names of one old module went to different modules.

A loader resolving ``(module, name)`` looks up the tuple key first, then the module key. Values
are module paths (imported only when a pickle needs them). This module imports nothing.
"""

from __future__ import annotations

_BLACKBOX = "synetune.blackbox_repository"
_REPOSITORY = "synetune_plugin_blackbox_repository"

RENAMED_MODULES: dict[str | tuple[str, str], str] = {
    "synetune.encoding": "synetune_sdk.encoding",
    "synetune.model_based": "synetune_sdk.model_based",
    "synetune.ask_tell": "synetune_sdk.ask_tell",
    # the blackbox repository moved to its own distribution, split into modules; other public
    # names of the old module resolve through the package's lazy exports
    _BLACKBOX: _REPOSITORY,
    (_BLACKBOX, "BlackboxTabular"): f"{_REPOSITORY}.tabular",
    (_BLACKBOX, "BlackboxOffline"): f"{_REPOSITORY}.tabular",
    (_BLACKBOX, "NotInTableError"): f"{_REPOSITORY}.tabular",
    (_BLACKBOX, "BlackboxSurrogate"): f"{_REPOSITORY}.surrogate",
    (_BLACKBOX, "_Encoder"): f"{_REPOSITORY}.surrogate",
    (_BLACKBOX, "BlackboxFunction"): f"{_REPOSITORY}.function",
    (_BLACKBOX, "CorruptBlackboxError"): f"{_REPOSITORY}.storage",
    # DEHB's private encoder was replaced by synetune_sdk.encoding.ConfigEncoder; the name is a
    # stand-in there, and DEHB re-encodes its trials when such a scheduler is unpickled
    ("synetune_plugin_hyperband.encoding", "Encoder"): "synetune_plugin_hyperband.dehb",
}

__all__ = ["RENAMED_MODULES"]
