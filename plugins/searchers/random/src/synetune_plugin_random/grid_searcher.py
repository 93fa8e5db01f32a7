"""Grid search: every combination of a few values per hyperparameter (Syne Tune's ``GridSearcher``).

Finite domains contribute all their values, continuous ones ``num_samples`` evenly spaced values
(``domain.grid``). The Cartesian product is never built: the searcher walks positions
``0 .. N-1`` of the grid and decodes each into one value index per hyperparameter, so a grid of
billions of points costs no memory. ``points_to_evaluate`` run first and are not run again when
the walk reaches them (Syne Tune bug #560 evaluated the first configuration twice).
"""

from __future__ import annotations

import math
from typing import Any

from synetune_plugin_random._options import warn_unknown_options
from synetune_sdk.config_space import (
    Domain,
    config_key,
    hyperparameter_keys,
    impute_points_to_evaluate,
    make_random_state,
    validate_config_space,
)
from synetune_sdk.searcher import Searcher

DEFAULT_NUM_SAMPLES = 5
# Up to this many grid points the visiting order is a true random permutation (an index array);
# beyond it, a random affine bijection of the positions plus shuffled values per hyperparameter.
MAX_PERMUTATION_SIZE = 1 << 16


class GridSearcher(Searcher):
    """Suggest ``points_to_evaluate``, then each grid point once; None when the grid is done.

    ``num_samples`` is the number of values of each continuous hyperparameter (an int for all,
    or a dict per hyperparameter name; missing names get 5). Integer domains with no more values
    than that contribute all of them. ``shuffle_config=True`` visits the grid in an order drawn
    from ``random_seed``; otherwise in product order (first hyperparameter slowest).
    """

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str | list[str],
        mode: str | list[str] = "min",
        points_to_evaluate: list[dict[str, Any]] | None = None,
        random_seed: int | None = None,
        num_samples: int | dict[str, int] = DEFAULT_NUM_SAMPLES,
        shuffle_config: bool = True,
        **kwargs: Any,
    ):
        validate_config_space(config_space)
        kwargs.pop("allow_duplicates", None)  # a grid never repeats itself
        warn_unknown_options("GridSearcher", kwargs)
        super().__init__(
            config_space,
            metric=metric,
            mode=mode,
            points_to_evaluate=impute_points_to_evaluate(points_to_evaluate, config_space),
            random_seed=random_seed,
        )
        self.num_samples = num_samples
        self.shuffle_config = bool(shuffle_config)
        per_name = _num_samples_per_name(num_samples, config_space)
        self._names = list(self.config_space)
        self._values = [
            domain.grid(per_name[name]) if isinstance(domain, Domain) else [domain]
            for name, domain in self.config_space.items()
        ]
        self._radices = [len(values) for values in self._values]
        self.grid_size = math.prod(self._radices)
        self._position = 0
        self._seen: set[tuple] = set()
        self._order: Any = None  # index array of a small shuffled grid
        self._affine: tuple[int, int] | None = None  # (a, b): position p -> (a p + b) mod N
        if self.shuffle_config:
            self._shuffle(make_random_state(random_seed))

    def _shuffle(self, rng: Any) -> None:
        if self.grid_size <= MAX_PERMUTATION_SIZE:
            self._order = rng.permutation(self.grid_size)
            return
        self._values = [
            [values[i] for i in rng.permutation(len(values))] for values in self._values
        ]
        n = self.grid_size
        while True:
            a = int(rng.integers(1, n))
            if math.gcd(a, n) == 1:
                break
        self._affine = (a, int(rng.integers(0, n)))

    def suggest(self, trial_id: int, **kwargs: Any) -> dict[str, Any] | None:
        while self.points_to_evaluate:
            config = self.next_initial_config()
            if self._is_new(config):
                return config
        while self._position < self.grid_size:
            config = self._config_at(self._position)
            self._position += 1
            if self._is_new(config):
                return config
        return None

    def _is_new(self, config: dict[str, Any]) -> bool:
        key = config_key(config, self.config_space)
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _config_at(self, position: int) -> dict[str, Any]:
        """Decode a grid position into a configuration (mixed-radix, last name fastest)."""
        if self._order is not None:
            index = int(self._order[position])
        elif self._affine is not None:
            a, b = self._affine
            index = (a * position + b) % self.grid_size
        else:
            index = position
        config = {}
        for name, values, radix in zip(
            reversed(self._names), reversed(self._values), reversed(self._radices)
        ):
            index, digit = divmod(index, radix)
            config[name] = values[digit]
        return {name: config[name] for name in self._names}


def _num_samples_per_name(
    num_samples: int | dict[str, int], config_space: dict[str, Any]
) -> dict[str, int]:
    """``num_samples`` as one positive count per searched hyperparameter."""
    names = hyperparameter_keys(config_space)
    if isinstance(num_samples, dict):
        unknown = sorted(set(num_samples) - set(names))
        if unknown:
            raise ValueError(
                f"num_samples names {unknown}, which are not searched hyperparameters of the "
                f"config space (searched: {sorted(names)})"
            )
        counts = {name: num_samples.get(name, DEFAULT_NUM_SAMPLES) for name in names}
    else:
        counts = dict.fromkeys(names, num_samples)
    for name, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(
                f"num_samples for hyperparameter {name!r} must be a positive integer, got {count!r}"
            )
    return counts
