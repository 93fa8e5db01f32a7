"""The one max_t rule every scheduler shares (synetune_sdk.max_resource)."""

from __future__ import annotations

import pytest

from synetune_sdk.config_space import randint, uniform
from synetune_sdk.max_resource import MAX_T_KEYS, infer_max_t

SPACE = {"x": uniform(0.0, 1.0)}


def test_max_resource_attr_first_then_max_t_then_the_keys():
    space = dict(SPACE, budget=27, epochs=9)
    assert infer_max_t(space, "budget", None) == 27
    assert infer_max_t(space, "budget", 27) == 27  # agreeing is fine
    assert infer_max_t(space, None, 4) == 4  # the argument beats the keys
    assert infer_max_t(space, "missing", 5) == 5  # an attribute not in the space: next rule
    assert infer_max_t(space, None, None) == 9
    assert MAX_T_KEYS == ("epochs", "max_t", "max_epochs")
    assert infer_max_t(dict(SPACE, max_epochs=7, max_t=5), None, None) == 5
    assert infer_max_t(dict(SPACE, max_epochs=7.0), None, None) == 7


def test_nothing_found_is_none_or_a_clear_error():
    assert infer_max_t(SPACE, None, None, required=False) is None
    with pytest.raises(ValueError, match="pass max_t=.*'epochs', 'max_t', 'max_epochs'"):
        infer_max_t(SPACE, None, None)
    with pytest.raises(ValueError, match="pass max_resource_level="):
        infer_max_t(SPACE, None, None, max_t_name="max_resource_level")
    # a searched hyperparameter under one of the keys is not a maximum
    assert infer_max_t(dict(SPACE, epochs=randint(1, 9)), None, None, required=False) is None


def test_contradictions_and_bad_values_raise():
    space = dict(SPACE, epochs=9)
    with pytest.raises(ValueError, match="max_t=4 contradicts config_space\\['epochs'\\] = 9"):
        infer_max_t(space, "epochs", 4)
    with pytest.raises(ValueError, match="must name a constant positive integer"):
        infer_max_t(dict(SPACE, epochs=randint(1, 9)), "epochs", None, required=False)
    with pytest.raises(ValueError, match="must name a constant positive integer"):
        infer_max_t(dict(SPACE, epochs=float("inf")), "epochs", None)
    for bad in (0, -3, 2.5, True, "9"):
        with pytest.raises(ValueError, match="max_t must be a positive integer"):
            infer_max_t(space, None, bad)
    with pytest.raises(ValueError, match="config-space key"):
        infer_max_t(space, 3, None)  # type: ignore[arg-type]
