"""Search-space domains (Syne Tune's ``syne_tune.config_space``).

A config space is a plain dict: values that are ``Domain`` objects are searched, anything else
is a constant passed to the training script unchanged. Domains check their arguments when a
space is validated (``validate_config_space``, called by every scheduler and searcher), so the
error can name the hyperparameter. numpy is imported only when sampling.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

# fmt: off
__all__ = [
    "Domain", "Float", "Integer", "Categorical", "Ordinal", "FiniteRange",
    "uniform", "loguniform", "reverseloguniform", "quniform", "qloguniform",
    "randint", "lograndint", "qrandint", "qlograndint",
    "choice", "ordinal", "logordinal", "finrange", "logfinrange",
    "validate_config_space", "sample_config", "cast_config", "is_valid_config", "config_key",
    "config_space_size", "hyperparameter_keys", "impute_points_to_evaluate",
    "config_space_to_json", "config_space_from_json", "make_random_state",
]
# fmt: on


def make_random_state(seed: Any = None) -> Any:
    """A ``numpy.random.Generator`` from a seed, a Generator or None."""
    import numpy as np

    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def _as_float(value: Any) -> Any:
    """``float(value)`` for a real number; anything else (a string, a bool, an int beyond the
    float range) is kept as it is, so that validation can name the hyperparameter."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return value
    return value


def _as_int(value: Any) -> Any:
    """``int(value)`` for an integer or an integral float; anything else (a non-finite or
    fractional float, a string, a bool) is kept so that validation can report it."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        number = float(value)
        if math.isfinite(number) and number.is_integer():
            return int(number)
    return value


def _wrong_type(kind: type, **values: Any) -> list[str]:
    """A problem naming each of ``values`` that ``_as_float`` or ``_as_int`` left unconverted."""
    bad = [f"{name}={value!r}" for name, value in values.items() if type(value) is not kind]
    what = "integers" if kind is int else "real numbers within the float range"
    return [f"{', '.join(bad)}: must be {what}"] if bad else []


def _finite_number(value: Any) -> bool:
    try:
        return not isinstance(value, bool) and math.isfinite(value)
    except (TypeError, OverflowError):  # not a number, or an int beyond the float range
        return False


def _non_finite(**numbers: Any) -> list[str]:
    """``"name=value"`` for each of ``numbers`` that is an infinite or NaN float."""
    return [
        f"{name}={value}"
        for name, value in numbers.items()
        if isinstance(value, float) and not math.isfinite(value)
    ]


class Domain:
    """A searchable range of values for one hyperparameter."""

    value_type: type = object

    def problems(self) -> list[str]:
        """What is wrong with the arguments (empty when the domain is usable)."""
        return []

    def sample(self, random_state: Any = None, size: int | None = None) -> Any:
        """One value (``size=None``) or a list of ``size`` values."""
        rng = make_random_state(random_state)
        values = self._sample(rng, 1 if size is None else size)
        return values[0] if size is None else values

    def _sample(self, rng: Any, size: int) -> list[Any]:
        raise NotImplementedError

    def cast(self, value: Any) -> Any:
        return self.value_type(value)

    def is_valid(self, value: Any) -> bool:
        raise NotImplementedError

    def midpoint(self) -> Any:
        """A central value: the default for configs imputed into ``points_to_evaluate``."""
        raise NotImplementedError

    def grid(self, num_samples: int) -> list[Any]:
        """Values a grid search visits (finite domains: all of them)."""
        raise NotImplementedError

    def size(self) -> int | None:
        """Number of distinct values, None when infinite."""
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"domain_cls": type(self).__name__, "domain_kwargs": dict(self._kwargs())}

    def _kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._kwargs() == other._kwargs()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, repr(sorted(self._kwargs().items()))))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._kwargs().items())
        return f"{type(self).__name__}({args})"


class _Quantizable(Domain):
    """With ``q``, values are the multiples of ``q`` in ``[lower, upper]``; sampling rounds a
    draw from the range to the nearest multiple, as Syne Tune does."""

    q: Any = None  # class default: domains pickled before ``q`` existed have none

    def _multiples(self) -> tuple[int, int]:
        """``(first, last)``: the multiples in the range are ``first * q`` to ``last * q``."""
        q = self.q
        return math.ceil(self.lower / q - 1e-9), math.floor(self.upper / q + 1e-9)

    def _snap(self, values: Any) -> list[Any]:
        """Each value moved to the nearest multiple of ``q`` within the range."""
        q = self.q
        if q is None:
            return list(values)
        first, last = self._multiples()
        if self.value_type is int:
            return [q * min(max((2 * int(v) + q) // (2 * q), first), last) for v in values]
        mantissa, _, exponent = f"{q:.15g}".partition("e")  # decimals of q: 0.1 gives 0.3,
        digits = max(0, len(mantissa.partition(".")[2]) - int(exponent or 0))  # not 0.300..04
        return [round(min(max(round(float(v) / q), first), last) * q, digits) for v in values]

    def _q_problems(self) -> list[str]:
        if type(self.q) is not self.value_type or not 0 < self.q < math.inf:
            kind = "an integer >= 1" if self.value_type is int else "a finite number > 0"
            return [f"q={self.q!r} must be {kind}"]
        if self.value_type is float and not all(
            math.isclose(b / self.q, round(b / self.q)) for b in (self.lower, self.upper)
        ):
            return [f"lower={self.lower} and upper={self.upper} must be multiples of q={self.q}"]
        first, last = self._multiples()
        return [] if first <= last else [f"no multiple of q={self.q} lies in the range"]

    def _q_grid(self, values: list[Any], num_samples: int) -> list[Any]:
        if self.q is None:
            return values
        first, last = self._multiples()
        if last - first + 1 <= num_samples:
            return self._snap(k * self.q for k in range(first, last + 1))
        return sorted(set(self._snap(values)))

    def _on_grid(self, value: Any) -> bool:
        return self.q is None or math.isclose(value / self.q, round(value / self.q), abs_tol=1e-9)

    def size(self) -> int | None:
        if self.q is None:
            return None
        first, last = self._multiples()
        return last - first + 1

    def _q_kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        return kwargs if self.q is None else {**kwargs, "q": self.q}


class Float(_Quantizable):
    """Real numbers from ``lower`` to ``upper``: uniform, log-uniform (``log``) or with
    ``1 - x`` log-uniform (``reverse_log``, for values close to 1 such as a momentum)."""

    value_type = float
    reverse_log = False  # class default for Floats pickled before it existed

    def __init__(
        self,
        lower: float,
        upper: float,
        log: bool = False,
        q: float | None = None,
        reverse_log: bool = False,
    ):
        self.lower, self.upper, self.log = _as_float(lower), _as_float(upper), bool(log)
        self.q, self.reverse_log = (None if q is None else _as_float(q)), bool(reverse_log)

    def problems(self) -> list[str]:
        bad = _non_finite(lower=self.lower, upper=self.upper)
        if bad:
            return [
                f"{', '.join(bad)}: bounds must be finite numbers; use finite bounds (a range "
                "spanning orders of magnitude is best searched with loguniform, e.g. "
                "loguniform(1e-6, 1e6))"
            ]
        out = _wrong_type(float, lower=self.lower, upper=self.upper)
        if out:
            return out
        if not self.lower < self.upper:
            out.append(f"lower={self.lower} must be smaller than upper={self.upper}")
        if self.log and self.lower <= 0:
            out.append(f"a log domain needs lower > 0, got lower={self.lower}")
        if self.reverse_log and (self.log or not 0 <= self.lower < self.upper < 1):
            out.append("reverseloguniform needs 0 <= lower < upper < 1 (and log=False)")
        return out + (self._q_problems() if self.q is not None and not out else [])

    def _sample(self, rng: Any, size: int) -> list[float]:
        if self.reverse_log:  # -log(1 - x) is uniform
            lo, hi = -math.log1p(-self.lower), -math.log1p(-self.upper)
            values = [-math.expm1(-u) for u in rng.uniform(lo, hi, size)]
        elif self.log:
            values = rng.uniform(math.log(self.lower), math.log(self.upper), size)
            import numpy as np

            values = np.exp(values)
        elif math.isfinite(self.upper - self.lower):
            values = rng.uniform(self.lower, self.upper, size)
        else:  # the width overflows (e.g. -1e308 to 1e308): numpy refuses, weigh the bounds
            values = [self.lower * (1 - u) + self.upper * u for u in rng.random(size)]
        return self._snap(min(max(float(v), self.lower), self.upper) for v in values)

    def cast(self, value: Any) -> float:
        return self._snap([float(value)])[0]

    def is_valid(self, value: Any) -> bool:
        in_range = isinstance(value, int | float) and self.lower <= value <= self.upper
        return in_range and self._on_grid(value)

    def midpoint(self) -> float:
        if self.reverse_log:
            value = 1.0 - math.sqrt((1.0 - self.lower) * (1.0 - self.upper))
        elif self.log:
            value = math.exp(0.5 * (math.log(self.lower) + math.log(self.upper)))
        else:
            value = 0.5 * self.lower + 0.5 * self.upper  # no overflow of lower + upper
        return self._snap([min(max(value, self.lower), self.upper)])[0]

    def grid(self, num_samples: int) -> list[float]:
        if num_samples == 1:
            return [self.midpoint()]
        n = num_samples - 1
        if self.reverse_log:
            lo, hi = -math.log1p(-self.lower), -math.log1p(-self.upper)
            values = [-math.expm1(-(lo + (hi - lo) * i / n)) for i in range(num_samples)]
        elif self.log:
            lo, hi = math.log(self.lower), math.log(self.upper)
            values = [math.exp(min(lo + (hi - lo) * i / n, hi)) for i in range(num_samples)]
        elif math.isfinite(step := (self.upper - self.lower) / n):
            values = [self.lower + step * i for i in range(num_samples)]
        else:  # the width overflows
            values = [self.lower * (1 - i / n) + self.upper * (i / n) for i in range(num_samples)]
        # rounding can step past a bound (0.1 + 6 * 0.1 > 0.7): the grid stays inside
        return self._q_grid([min(max(v, self.lower), self.upper) for v in values], num_samples)

    def _kwargs(self) -> dict[str, Any]:
        kwargs = {"lower": self.lower, "upper": self.upper, "log": self.log}
        return {**self._q_kwargs(kwargs), **({"reverse_log": True} if self.reverse_log else {})}


class Integer(_Quantizable):
    """Integers from ``lower`` to ``upper``, both inclusive (as in Syne Tune)."""

    value_type = int

    def __init__(self, lower: int, upper: int, log: bool = False, q: int | None = None):
        self.lower, self.upper, self.log = _as_int(lower), _as_int(upper), bool(log)
        self.q = None if q is None else _as_int(q)

    def problems(self) -> list[str]:
        bad = _non_finite(lower=self.lower, upper=self.upper)
        if bad:
            return [
                f"{', '.join(bad)}: bounds must be finite integers; use finite bounds (a range "
                "spanning orders of magnitude is best searched with lograndint, e.g. "
                "lograndint(1, 1_000_000))"
            ]
        out = _wrong_type(int, lower=self.lower, upper=self.upper)
        if out:
            return out
        if not all(-(2**63) <= v < 2**63 for v in (self.lower, self.upper)):
            out.append("bounds must lie within the 64-bit integer range (numpy samples them)")
        if not self.lower < self.upper:
            out.append(f"lower={self.lower} must be smaller than upper={self.upper}")
        if self.log and self.lower <= 0:
            out.append(f"a log domain needs lower >= 1, got lower={self.lower}")
        return out + (self._q_problems() if self.q is not None and not out else [])

    def _sample(self, rng: Any, size: int) -> list[int]:
        if self.log:
            import numpy as np

            values = np.exp(rng.uniform(math.log(self.lower), math.log(self.upper + 1), size))
            return self._snap(min(max(int(v), self.lower), self.upper) for v in values)
        return self._snap(int(v) for v in rng.integers(self.lower, self.upper + 1, size))

    def cast(self, value: Any) -> int:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            value = int(value)  # exact: a float would round integers above 2**53
        elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            value = int(value)
        else:
            value = int(round(float(value)))
        return value if self.q is None else self._snap([value])[0]

    def is_valid(self, value: Any) -> bool:
        return (
            isinstance(value, int)
            and not isinstance(value, bool)
            and self.lower <= value <= self.upper
            and (self.q is None or value % self.q == 0)
        )

    def midpoint(self) -> int:
        if self.log:
            value = int(round(math.exp(0.5 * (math.log(self.lower) + math.log(self.upper)))))
            return self._snap([min(max(value, self.lower), self.upper)])[0]
        return self._snap([(self.lower + self.upper) // 2])[0]

    def grid(self, num_samples: int) -> list[int]:
        if self.q is None and self.upper - self.lower + 1 <= num_samples:
            return list(range(self.lower, self.upper + 1))
        values = Float(self.lower, self.upper, self.log).grid(num_samples)
        values = sorted({min(max(int(round(v)), self.lower), self.upper) for v in values})
        return self._q_grid(values, num_samples)

    def size(self) -> int:
        return self.upper - self.lower + 1 if self.q is None else super().size()

    def _kwargs(self) -> dict[str, Any]:
        return self._q_kwargs({"lower": self.lower, "upper": self.upper, "log": self.log})


class Categorical(Domain):
    """An unordered set of values (strings, numbers or booleans)."""

    def __init__(self, categories: list[Any]):
        # a string or a number is kept as it is, for validation to report
        listed = hasattr(categories, "__iter__") and not isinstance(categories, str | bytes)
        self.categories = list(categories) if listed else categories

    @property
    def value_type(self) -> type:  # type: ignore[override]
        return type(self.categories[0]) if self._listed() and self.categories else object

    def _listed(self) -> bool:
        return isinstance(self.categories, list)

    def problems(self) -> list[str]:
        if not self._listed():
            return [f"categories must be a list of values, got {self.categories!r}"]
        if not self.categories:
            return ["categories must not be empty"]
        if len({type(c) for c in self.categories}) > 1:
            return [f"categories must all have the same type, got {self.categories!r}"]
        if any(isinstance(c, float) and math.isnan(c) for c in self.categories):
            return [
                "category nan is not a finite number and never equals itself, so no value "
                "could match it; use None or a string such as 'nan' instead"
            ]
        return []

    def _sample(self, rng: Any, size: int) -> list[Any]:
        return [self.categories[int(i)] for i in rng.integers(0, len(self.categories), size)]

    def cast(self, value: Any) -> Any:
        if value in self.categories:
            return self.categories[self.categories.index(value)]
        text = str(value)
        for category in self.categories:
            if str(category) == text:
                return category
        raise ValueError(f"{value!r} is not one of {self.categories!r}")

    def is_valid(self, value: Any) -> bool:
        return value in self.categories

    def midpoint(self) -> Any:
        return self.categories[0]

    def grid(self, num_samples: int) -> list[Any]:
        return list(self.categories)

    def size(self) -> int:
        return len(self.categories)

    def _kwargs(self) -> dict[str, Any]:
        return {"categories": self.categories}


class Ordinal(Categorical):
    """An ordered finite set; ``kind`` says how model-based searchers encode it.

    ``"equal"``: equally spaced ranks. ``"nn"`` / ``"nn-log"``: numeric values, a continuous
    proposal (log scale for ``"nn-log"``) rounded to the nearest category.
    """

    def __init__(self, categories: list[Any], kind: str | None = None):
        super().__init__(categories)
        if kind is None:
            categories = self.categories if self._listed() else []
            numeric = all(
                isinstance(c, int | float) and not isinstance(c, bool) for c in categories
            )
            increasing = numeric and all(a < b for a, b in zip(categories, categories[1:]))
            kind = "nn" if increasing else "equal"
        self.kind = kind

    def problems(self) -> list[str]:
        out = super().problems()
        if self.kind not in ("equal", "nn", "nn-log"):
            out.append(f"kind must be 'equal', 'nn' or 'nn-log', got {self.kind!r}")
        if self.kind in ("nn", "nn-log") and self.categories and not out:
            numeric = all(isinstance(c, int | float) for c in self.categories)
            bad = [c for c in self.categories if numeric and not _finite_number(c)]
            if not numeric:
                out.append(f"kind {self.kind!r} needs numeric categories, got {self.categories!r}")
            elif bad:
                out.append(
                    f"categories {', '.join(str(c) for c in bad)}: kind {self.kind!r} needs "
                    "finite numbers; use a large finite value instead, or kind='equal' to "
                    "treat the categories as ranks"
                )
            elif not all(a < b for a, b in zip(self.categories, self.categories[1:])):
                out.append("kind 'nn' needs numeric categories in increasing order")
            elif self.kind == "nn-log" and self.categories[0] <= 0:
                out.append("kind 'nn-log' needs positive categories")
        return out

    def _sample(self, rng: Any, size: int) -> list[Any]:
        if self.kind == "equal" or len(self.categories) == 1:
            return super()._sample(rng, size)
        log = self.kind == "nn-log"
        values = Float(self.categories[0], self.categories[-1], log)._sample(rng, size)
        return [self.nearest(v) for v in values]

    def nearest(self, value: float) -> Any:
        """The category closest to ``value`` (in log space for ``nn-log``)."""
        if self.kind == "nn-log":
            return min(
                self.categories, key=lambda c: abs(math.log(c) - math.log(max(value, 1e-300)))
            )
        return min(self.categories, key=lambda c: abs(c - value))

    def midpoint(self) -> Any:
        return self.categories[(len(self.categories) - 1) // 2]

    def _kwargs(self) -> dict[str, Any]:
        return {"categories": self.categories, "kind": self.kind}


class FiniteRange(Domain):
    """``size`` equally spaced values from ``lower`` to ``upper`` (log-spaced if ``log_scale``)."""

    def __init__(
        self, lower: float, upper: float, size: int, log_scale: bool = False, cast_int: bool = False
    ):
        self.lower, self.upper, self._size = _as_float(lower), _as_float(upper), _as_int(size)
        self.log_scale, self.cast_int = bool(log_scale), bool(cast_int)

    @property
    def value_type(self) -> type:  # type: ignore[override]
        return int if self.cast_int else float

    @property
    def values(self) -> list[Any]:
        """The finite set of values (computed once: sampling and casting use it often)."""
        cached = self.__dict__.get("_values")
        if cached is None:
            raw = Float(self.lower, self.upper, self.log_scale).grid(self._size)
            cached = [int(round(v)) for v in raw] if self.cast_int else raw
            self.__dict__["_values"] = cached
        return cached

    def problems(self) -> list[str]:
        bad = _non_finite(lower=self.lower, upper=self.upper, size=self._size)
        if bad:
            return [
                f"{', '.join(bad)}: lower, upper and size must be finite numbers; use finite "
                "bounds and an integer size, e.g. finrange(0.0, 1.0, 11)"
            ]
        out = _wrong_type(float, lower=self.lower, upper=self.upper) + _wrong_type(
            int, size=self._size
        )
        if out:
            return out
        if not self.lower < self.upper:
            out.append(f"lower={self.lower} must be smaller than upper={self.upper}")
        if self._size < 2:
            out.append(f"size must be at least 2, got {self._size}")
        if self.log_scale and self.lower <= 0:
            out.append(f"a log domain needs lower > 0, got lower={self.lower}")
        if self.cast_int and not out and self._size <= 100_000:
            # rounded values may repeat (Syne Tune allows it: a log grid of integers starts
            # 1, 1, 2, ...), but must stay inside the bounds
            values = self.values
            if not self.lower <= values[0] <= values[-1] <= self.upper:
                shown = ", ".join(map(str, values[:8])) + (", ..." if self._size > 8 else "")
                out.append(
                    f"cast_int rounds the values to [{shown}], which leave the range "
                    f"[{self.lower}, {self.upper}]; use integer bounds, or randint/lograndint"
                )
        return out

    def _sample(self, rng: Any, size: int) -> list[Any]:
        values = self.values
        return [values[int(i)] for i in rng.integers(0, len(values), size)]

    def cast(self, value: Any) -> Any:
        values = self.values
        return min(values, key=lambda v: abs(v - float(value)))

    def is_valid(self, value: Any) -> bool:
        if not isinstance(value, numbers.Real):
            return False
        return any(math.isclose(value, v, rel_tol=1e-9, abs_tol=1e-12) for v in self.values)

    def midpoint(self) -> Any:
        return self.values[(self._size - 1) // 2]

    def grid(self, num_samples: int) -> list[Any]:
        return self.values

    def size(self) -> int:
        return self._size

    def _kwargs(self) -> dict[str, Any]:
        return {
            "lower": self.lower,
            "upper": self.upper,
            "size": self._size,
            "log_scale": self.log_scale,
            "cast_int": self.cast_int,
        }


def uniform(lower: float, upper: float) -> Float:
    return Float(lower, upper)


def loguniform(lower: float, upper: float) -> Float:
    return Float(lower, upper, log=True)


def reverseloguniform(lower: float, upper: float) -> Float:
    """Values in ``[lower, upper]`` within [0, 1) with ``1 - x`` log-uniform: finer close to 1
    (a momentum of 0.9 to 0.999, say)."""
    return Float(lower, upper, reverse_log=True)


def quniform(lower: float, upper: float, q: float) -> Float:
    """Multiples of ``q`` from ``lower`` to ``upper`` inclusive (both must be multiples)."""
    return Float(lower, upper, q=q)


def qloguniform(lower: float, upper: float, q: float) -> Float:
    """``loguniform`` rounded to multiples of ``q`` (``lower`` and ``upper`` multiples of it)."""
    return Float(lower, upper, log=True, q=q)


def randint(lower: int, upper: int) -> Integer:
    """Integers from ``lower`` to ``upper`` inclusive."""
    return Integer(lower, upper)


def lograndint(lower: int, upper: int) -> Integer:
    return Integer(lower, upper, log=True)


def qrandint(lower: int, upper: int, q: int = 1) -> Integer:
    """Multiples of ``q`` from ``lower`` to ``upper`` inclusive (the bounds need not be)."""
    return Integer(lower, upper, q=q)


def qlograndint(lower: int, upper: int, q: int) -> Integer:
    """``lograndint`` rounded to multiples of ``q`` within ``[lower, upper]``."""
    return Integer(lower, upper, log=True, q=q)


def choice(categories: list[Any]) -> Categorical:
    return Categorical(categories)


def ordinal(categories: list[Any], kind: str | None = None) -> Ordinal:
    return Ordinal(categories, kind)


def logordinal(categories: list[Any]) -> Ordinal:
    return Ordinal(categories, kind="nn-log")


def finrange(lower: float, upper: float, size: int, cast_int: bool = False) -> FiniteRange:
    return FiniteRange(lower, upper, size, cast_int=cast_int)


def logfinrange(lower: float, upper: float, size: int, cast_int: bool = False) -> FiniteRange:
    return FiniteRange(lower, upper, size, log_scale=True, cast_int=cast_int)


_DOMAIN_CLASSES = {cls.__name__: cls for cls in (Float, Integer, Categorical, Ordinal, FiniteRange)}


def validate_config_space(config_space: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming the first hyperparameter whose domain is unusable."""
    if not isinstance(config_space, dict):
        raise ValueError(
            f"config_space must be a dict of hyperparameter name to domain or constant, got "
            f"{type(config_space).__name__}"
        )
    for name, domain in config_space.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"hyperparameter names must be non-empty strings, got {name!r}")
        if name.startswith("st_"):
            raise ValueError(f"hyperparameter {name!r}: names starting with 'st_' are reserved")
        if isinstance(domain, Domain):
            problems = domain.problems()
            if problems:
                raise ValueError(f"hyperparameter {name!r} ({domain!r}): " + "; ".join(problems))


def hyperparameter_keys(config_space: dict[str, Any]) -> list[str]:
    """Names of the searched (non-constant) hyperparameters."""
    return [k for k, v in config_space.items() if isinstance(v, Domain)]


def sample_config(config_space: dict[str, Any], random_state: Any = None) -> dict[str, Any]:
    rng = make_random_state(random_state)
    return {k: v.sample(rng) if isinstance(v, Domain) else v for k, v in config_space.items()}


def cast_config(config: dict[str, Any], config_space: dict[str, Any]) -> dict[str, Any]:
    """Cast values (e.g. parsed from strings) to their domains' types; unknown keys kept."""
    out = dict(config)
    for name, domain in config_space.items():
        if isinstance(domain, Domain) and name in out:
            try:
                out[name] = domain.cast(out[name])
            except (TypeError, ValueError, OverflowError) as err:  # OverflowError: int(inf)
                raise ValueError(
                    f"hyperparameter {name!r}: cannot use value {out[name]!r}: {err}"
                ) from None
    return out


def is_valid_config(config: dict[str, Any], config_space: dict[str, Any]) -> bool:
    return all(
        name in config and domain.is_valid(config[name])
        for name, domain in config_space.items()
        if isinstance(domain, Domain)
    )


def config_key(config: dict[str, Any], config_space: dict[str, Any]) -> tuple:
    """A hashable identity of a configuration over the searched hyperparameters (for dedup)."""
    return tuple(
        # 12 significant digits, not decimals: 1e-15 and 2e-15 are different learning rates
        (k, float(f"{config[k]:.12g}") if isinstance(config.get(k), float) else config.get(k))
        for k in sorted(hyperparameter_keys(config_space))
    )


def config_space_size(config_space: dict[str, Any]) -> int | None:
    """Number of distinct configurations, None if infinite."""
    total = 1
    for domain in config_space.values():
        if isinstance(domain, Domain):
            size = domain.size()
            if size is None:
                return None
            total *= size
    return total


def impute_points_to_evaluate(
    points_to_evaluate: list[dict[str, Any]] | None, config_space: dict[str, Any]
) -> list[dict[str, Any]]:
    """Complete the initial configurations: None means one all-midpoints config, [] none.

    Missing hyperparameters are filled with their domain's midpoint; constants are added.
    """
    points = [{}] if points_to_evaluate is None else list(points_to_evaluate)
    out = []
    for point in points:
        unknown = set(point) - set(config_space)
        if unknown:
            raise ValueError(
                f"points_to_evaluate entry {point!r} names {sorted(unknown)} which are not in the "
                f"config space (known: {sorted(config_space)})"
            )
        full = {}
        for name, domain in config_space.items():
            if name in point:
                full[name] = domain.cast(point[name]) if isinstance(domain, Domain) else point[name]
            else:
                full[name] = domain.midpoint() if isinstance(domain, Domain) else domain
        out.append(full)
    return out


def config_space_to_json(config_space: dict[str, Any]) -> dict[str, Any]:
    """A JSON-serialisable form; constants are kept as they are."""
    return {k: v.to_dict() if isinstance(v, Domain) else v for k, v in config_space.items()}


def config_space_from_json(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, dict) and "domain_cls" in value:
            cls = _DOMAIN_CLASSES.get(value["domain_cls"])
            if cls is None:
                raise ValueError(f"hyperparameter {name!r}: unknown domain {value['domain_cls']!r}")
            try:
                out[name] = cls(**value.get("domain_kwargs", {}))
            except (TypeError, ValueError) as err:  # kwargs that are not the domain's
                raise ValueError(
                    f"hyperparameter {name!r}: cannot build {value!r}: {err}"
                ) from None
        else:
            out[name] = value
    return out
