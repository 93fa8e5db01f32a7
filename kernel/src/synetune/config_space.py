"""Search-space domains for users: ``from synetune.config_space import loguniform, choice``.

The domains live in the sdk (``synetune_sdk.config_space``), where plugins and training code
import them; this module re-exports them so user code written for Syne Tune's
``syne_tune.config_space`` reads the same.
"""

from __future__ import annotations

from synetune_sdk.config_space import *  # noqa: F403
from synetune_sdk.config_space import __all__  # noqa: F401
