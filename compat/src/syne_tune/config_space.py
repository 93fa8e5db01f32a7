"""``syne_tune.config_space``: the domains of ``synetune_sdk.config_space`` (same names, same
semantics: ``randint`` upper bound inclusive, Syne Tune's JSON format), plus Syne Tune's names
for helpers the sdk calls differently. A domain the installed sdk lacks raises an error that
says so. Imports only synetune_sdk (numpy only when sampling)."""

from __future__ import annotations

import synetune_sdk.config_space as _sdk
from syne_tune._missing import missing, not_in_synetune
from synetune_sdk.config_space import *  # noqa: F403
from synetune_sdk.config_space import (
    cast_config,
    config_space_from_json,
    config_space_to_json,
    hyperparameter_keys,
)

# Syne Tune's names for the same helpers (same arguments and results)
cast_config_values = cast_config
non_constant_hyperparameter_keys = hyperparameter_keys
config_space_to_json_dict = config_space_to_json
config_space_from_json_dict = config_space_from_json

__all__ = [
    *_sdk.__all__,
    "cast_config_values",
    "config_space_from_json_dict",
    "config_space_to_json_dict",
    "non_constant_hyperparameter_keys",
]

# Domains of Syne Tune 0.13 that synetune-sdk adds in a later version than the one installed
# here are re-exported when present (see __getattr__).
SDK_DOMAINS = ("quniform", "qloguniform", "qrandint", "qlograndint", "reverseloguniform")

MISSING = {
    "add_to_argparse": "declare the arguments with argparse yourself, or use "
    "syne_tune.utils.add_config_json_to_argparse / load_config_json",
    "config_to_match_string": "syne_tune.config_space.config_key (a hashable key per config)",
    "restrict_domain": "build a new domain with the narrower bounds",
    "is_log_space": "the domain's .log attribute (Float, Integer)",
    "is_reverse_log_space": "none (no reverse-log domains in synetune)",
    "is_uniform_space": "the domain's .log attribute (Float, Integer)",
    "to_dict": "syne_tune.config_space.config_space_to_json (whole config space)",
    "from_dict": "syne_tune.config_space.config_space_from_json (whole config space)",
    "Normal": "none (synetune samples uniformly, or log-uniformly)",
}

_missing_getattr = missing(__name__, globals(), MISSING)


def __getattr__(name: str):
    if hasattr(_sdk, name) and not name.startswith("_"):
        return getattr(_sdk, name)
    if name in SDK_DOMAINS:
        raise not_in_synetune(
            __name__,
            name,
            f"none in the installed synetune-sdk: upgrade it (pip install -U synetune-sdk) "
            f"to get {name}, or use {'loguniform' if 'log' in name else 'uniform/randint'}",
        )
    return _missing_getattr(name)
