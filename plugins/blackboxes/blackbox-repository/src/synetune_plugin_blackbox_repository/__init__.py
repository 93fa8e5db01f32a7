"""synetune-plugin-blackbox-repository: blackboxes (tabular, surrogate, function), their on-disk
format, the local repository behind ``synetune.blackboxes.load`` and ``synetune blackboxes``.

Names are resolved lazily (PEP 562): importing the package imports neither numpy, pandas,
pyarrow nor scikit-learn.
"""

from __future__ import annotations

TYPE_CHECKING = False

__version__ = "0.1.0"

_EXPORTS = {
    "check_configuration": "synetune_plugin_blackbox_repository.base",
    "BlackboxTabular": "synetune_plugin_blackbox_repository.tabular",
    "BlackboxOffline": "synetune_plugin_blackbox_repository.tabular",
    "NotInTableError": "synetune_plugin_blackbox_repository.tabular",
    "BlackboxSurrogate": "synetune_plugin_blackbox_repository.surrogate",
    "add_surrogate": "synetune_plugin_blackbox_repository.surrogate",
    "BlackboxFunction": "synetune_plugin_blackbox_repository.function",
    "from_function": "synetune_plugin_blackbox_repository.function",
    "CorruptBlackboxError": "synetune_plugin_blackbox_repository.storage",
    "file_sha256": "synetune_plugin_blackbox_repository.storage",
    "read_blackbox": "synetune_plugin_blackbox_repository.storage",
    "validate_folder": "synetune_plugin_blackbox_repository.storage",
    "write_function": "synetune_plugin_blackbox_repository.storage",
    "write_tabular": "synetune_plugin_blackbox_repository.storage",
    "cache_path": "synetune_plugin_blackbox_repository.repository",
    "generate_blackbox": "synetune_plugin_blackbox_repository.repository",
    "load_blackbox": "synetune_plugin_blackbox_repository.repository",
    "repository_root": "synetune_plugin_blackbox_repository.repository",
}

__all__ = sorted(_EXPORTS) + ["__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from typing import Any

    from synetune_plugin_blackbox_repository.base import check_configuration
    from synetune_plugin_blackbox_repository.function import BlackboxFunction, from_function
    from synetune_plugin_blackbox_repository.repository import (
        cache_path,
        generate_blackbox,
        load_blackbox,
        repository_root,
    )
    from synetune_plugin_blackbox_repository.storage import (
        CorruptBlackboxError,
        file_sha256,
        read_blackbox,
        validate_folder,
        write_function,
        write_tabular,
    )
    from synetune_plugin_blackbox_repository.surrogate import BlackboxSurrogate, add_surrogate
    from synetune_plugin_blackbox_repository.tabular import (
        BlackboxOffline,
        BlackboxTabular,
        NotInTableError,
    )


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(
            f"module 'synetune_plugin_blackbox_repository' has no attribute {name!r}"
        )
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
