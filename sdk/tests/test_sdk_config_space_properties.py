"""Property-based tests of search-space domains: sampling, casting, JSON and validation.

Config spaces come from users' code, JSON files and command lines: any domain that validates must
sample, cast and serialise without surprises, and any domain that cannot work must be rejected
by ``validate_config_space`` with a ``ValueError`` naming the hyperparameter.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from synetune_sdk.config_space import (
    Categorical,
    Domain,
    FiniteRange,
    Float,
    Integer,
    cast_config,
    choice,
    config_key,
    config_space_from_json,
    config_space_size,
    config_space_to_json,
    finrange,
    is_valid_config,
    logfinrange,
    logordinal,
    lograndint,
    loguniform,
    make_random_state,
    ordinal,
    randint,
    sample_config,
    uniform,
    validate_config_space,
)

FAST = settings(max_examples=100, deadline=None)
INT64 = (-(2**63), 2**63 - 1)

finite = st.floats(allow_nan=False, allow_infinity=False)
positive = st.floats(min_value=0.0, exclude_min=True, allow_infinity=False)


def ordered(values: st.SearchStrategy) -> st.SearchStrategy:
    """Two values, the first strictly smaller."""
    return st.tuples(values, values).map(sorted).filter(lambda p: p[0] < p[1])


def small_ordered(lo: int, hi: int) -> st.SearchStrategy:
    return st.tuples(st.integers(lo, hi), st.integers(1, 6)).map(lambda p: (p[0], p[0] + p[1]))


uniforms = ordered(finite).map(lambda p: uniform(*p))
loguniforms = ordered(positive).map(lambda p: loguniform(*p))
randints = ordered(st.integers(*INT64)).map(lambda p: randint(*p))
lograndints = ordered(st.integers(1, INT64[1])).map(lambda p: lograndint(*p))
category_lists = st.one_of(
    st.lists(st.integers(), min_size=1, max_size=6, unique=True),
    # config_key tells floats apart by 12 significant digits
    st.lists(finite, min_size=1, max_size=6, unique_by=lambda x: float(f"{x:.12g}")),
    st.lists(st.text(max_size=5), min_size=1, max_size=6, unique=True),
    st.lists(st.booleans(), min_size=1, max_size=2, unique=True),
)
choices = category_lists.map(choice)
ordinals = st.one_of(
    st.lists(st.integers(-(10**6), 10**6), min_size=1, max_size=6, unique=True).map(sorted),
    st.lists(finite, min_size=1, max_size=6, unique_by=lambda x: float(f"{x:.12g}")).map(sorted),
    st.lists(st.text(max_size=5), min_size=1, max_size=6, unique=True),
).map(ordinal)
equal_ordinals = category_lists.map(lambda c: ordinal(c, kind="equal"))
logordinals = st.one_of(
    st.lists(positive, min_size=1, max_size=6, unique_by=lambda x: float(f"{x:.12g}")).map(sorted),
    st.lists(st.integers(1, 10**9), min_size=1, max_size=6, unique=True).map(sorted),
).map(logordinal)
sizes = st.integers(2, 40)
finranges = st.builds(lambda p, n: finrange(*p, n), ordered(finite), sizes)
logfinranges = st.builds(lambda p, n: logfinrange(*p, n), ordered(positive), sizes)
# integer-valued ranges: integer bounds, no more values than integers between them
int_finranges = st.builds(
    lambda low, width, n, log: (logfinrange if log else finrange)(
        low, low + width, min(n, width + 1), cast_int=True
    ),
    st.integers(1, 10**6),
    st.integers(1, 10**4),
    sizes,
    st.booleans(),
).filter(lambda d: not d.problems())
domains = st.one_of(
    uniforms,
    loguniforms,
    randints,
    lograndints,
    choices,
    ordinals,
    equal_ordinals,
    logordinals,
    finranges,
    logfinranges,
    int_finranges,
)
hp_names = st.text(min_size=1, max_size=8).filter(lambda name: not name.startswith("st_"))
constants = st.one_of(st.integers(-100, 100), finite, st.text(max_size=5), st.booleans(), st.none())
spaces = st.dictionaries(hp_names, st.one_of(domains, domains, constants), max_size=5)


def in_bounds(domain: Domain, value) -> bool:
    """The value lies in the domain's range and has the domain's type."""
    if isinstance(domain, Categorical):  # Ordinal too
        return type(value) is type(domain.categories[0]) and value in domain.categories
    if isinstance(domain, Integer):
        return type(value) is int and domain.lower <= value <= domain.upper
    if isinstance(domain, FiniteRange):
        kind = int if domain.cast_int else float
        return type(value) is kind and domain.lower <= value <= domain.upper
    assert isinstance(domain, Float)
    return type(value) is float and domain.lower <= value <= domain.upper


@FAST
@given(domain=domains, seed=st.integers(0, 2**32 - 1))
def test_valid_domains_sample_inside_their_bounds_with_their_type(domain, seed):
    validate_config_space({"x": domain})
    one = domain.sample(seed)
    many = domain.sample(make_random_state(seed), size=20)
    assert one == domain.sample(seed)  # a seed fixes the value
    for value in [one, *many, domain.midpoint(), *domain.grid(5)]:
        assert in_bounds(domain, value), (domain, value)
        assert domain.is_valid(value), (domain, value)
        assert domain.cast(value) == value and type(domain.cast(value)) is type(value)


@FAST
@given(space=spaces, seed=st.integers(0, 2**32 - 1))
def test_sampled_configs_are_valid_and_casting_them_changes_nothing(space, seed):
    validate_config_space(space)
    config = sample_config(space, seed)
    assert list(config) == list(space)
    assert is_valid_config(config, space)
    cast = cast_config(config, space)
    assert cast == config and cast_config(cast, space) == cast
    assert all(type(cast[k]) is type(config[k]) for k in config)
    key = config_key(config, space)
    assert hash(key) == hash(config_key(cast, space)) and key == config_key(cast, space)
    # values that went through text (a command line) cast back to what was sampled
    for name, domain in space.items():
        if isinstance(domain, Integer | Float) or (
            isinstance(domain, FiniteRange) and not domain.cast_int
        ):
            assert cast_config({name: str(config[name])}, space)[name] == config[name]


@FAST
@given(space=spaces, seed=st.integers(0, 2**32 - 1))
def test_json_round_trip_gives_a_space_that_samples_the_same(space, seed):
    text = json.dumps(config_space_to_json(space))
    restored = config_space_from_json(json.loads(text))
    assert restored == space
    validate_config_space(restored)
    assert sample_config(restored, seed) == sample_config(space, seed)
    assert json.dumps(config_space_to_json(restored)) == text


finite_domains = st.one_of(
    small_ordered(-50, 50).map(lambda p: randint(*p)),
    small_ordered(1, 50).map(lambda p: lograndint(*p)),
    choices,
    ordinals,
    logordinals,
    st.builds(  # widths where a few values are far apart
        lambda lower, width, n: finrange(lower / 8, lower / 8 + width / 2, n),
        st.integers(-(10**6), 10**6),
        st.integers(1, 2000),
        st.integers(2, 6),
    ),
    int_finranges.filter(lambda d: d.size() <= 6),
)


@FAST
@given(space=st.dictionaries(hp_names, st.one_of(finite_domains, constants), max_size=4))
def test_config_space_size_counts_the_configs_that_enumeration_finds(space):
    validate_config_space(space)
    searched = {k: v for k, v in space.items() if isinstance(v, Domain)}
    grids = [domain.grid(domain.size()) for domain in searched.values()]
    configs = [dict(zip(searched, values, strict=True)) for values in itertools.product(*grids)]
    keys = {config_key({**space, **config}, space) for config in configs}
    assert config_space_size(space) == len(configs) == len(keys)
    assert all(is_valid_config({**space, **config}, space) for config in configs)
    rng = make_random_state(0)
    for _ in range(10):
        assert config_key(sample_config(space, rng), space) in keys


@FAST
@given(space=spaces, name=hp_names, continuous=st.one_of(uniforms, loguniforms))
def test_a_space_with_a_continuous_domain_is_infinite(space, name, continuous):
    assert config_space_size({**space, name: continuous}) is None


# ---------------------------------------------------------------------- invalid arguments
junk = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=4),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    st.just(object()),
)
non_finite = st.sampled_from([math.inf, -math.inf, math.nan])
two_sided = [uniform, randint, finrange]


@st.composite
def invalid_domains(draw):
    """``(what, make)``: a way of building a domain that cannot work."""
    kind = draw(
        st.sampled_from(
            [
                "order",
                "log",
                "empty",
                "non-finite",
                "junk-bound",
                "junk-size",
                "junk-categories",
                "kind",
                "too-big",
                "cast-int",
            ]
        )
    )
    if kind == "order":  # lower >= upper
        upper = draw(st.integers(-(10**6), 10**6))
        lower = upper + draw(st.integers(0, 10))
        make = draw(st.sampled_from([uniform, loguniform, randint, lograndint]))
        if draw(st.booleans()):
            return kind, lambda: make(lower, upper)
        size, make = draw(sizes), draw(st.sampled_from([finrange, logfinrange]))
        return kind, lambda: make(lower, upper, size)
    if kind == "log":  # non-positive lower bound
        lower = draw(
            st.one_of(
                st.integers(-(10**6), 0),
                st.floats(max_value=0.0, allow_nan=False, allow_infinity=False),
            )
        )
        upper = draw(st.integers(1, 10**6))
        options = [
            lambda: loguniform(lower, upper),
            lambda: lograndint(int(lower), upper),
            lambda: logfinrange(lower, upper, 3),
            lambda: logordinal([lower, upper]),
        ]
        return kind, draw(st.sampled_from(options))
    if kind == "empty":
        return kind, draw(
            st.sampled_from([lambda: choice([]), lambda: ordinal([]), lambda: logordinal([])])
        )
    if kind == "non-finite":
        bad, good = draw(non_finite), draw(st.integers(-10, 10))
        bounds = (bad, good) if draw(st.booleans()) else (good - 20, bad)
        make = draw(
            st.sampled_from([uniform, loguniform, randint, lograndint, finrange, logfinrange])
        )
        if make in (finrange, logfinrange):
            return kind, lambda: make(*bounds, 3)
        return kind, lambda: make(*bounds)
    if kind == "junk-bound":
        bad = draw(junk)
        make = draw(
            st.sampled_from([uniform, loguniform, randint, lograndint, finrange, logfinrange])
        )
        bounds = (bad, 10) if draw(st.booleans()) else (1, bad)
        if make in (finrange, logfinrange):
            return kind, lambda: make(*bounds, 3)
        return kind, lambda: make(*bounds)
    if kind == "junk-size":
        size = draw(
            st.one_of(
                junk,
                st.integers(-5, 1),
                st.floats(min_value=2.01, max_value=9.99).filter(lambda x: not x.is_integer()),
            )
        )
        return f"size={size!r}", lambda: finrange(0.0, 1.0, size)
    if kind == "junk-categories":
        categories = draw(
            st.one_of(
                st.none(),
                st.integers(),
                st.floats(),
                st.text(min_size=1, max_size=4),
                st.lists(
                    st.one_of(st.integers(), st.text(max_size=2), st.none()), min_size=2, max_size=4
                ).filter(lambda c: len({type(v) for v in c}) > 1),
            )
        )
        make = draw(st.sampled_from([choice, ordinal, logordinal, lambda c: ordinal(c, kind="nn")]))
        return kind, lambda: make(categories)
    if kind == "kind":
        kind_arg = draw(
            st.one_of(
                st.integers(),
                st.text(max_size=4).filter(lambda k: k not in ("nn", "nn-log", "equal")),
                st.none().map(lambda _: 3.5),
            )
        )
        return kind, lambda: ordinal([1, 2, 3], kind=kind_arg)
    if kind == "cast-int":  # rounding to integers leaves the range (repeats are allowed)
        options = [
            lambda: finrange(0.4, 2.6, 3, cast_int=True),
            lambda: finrange(-0.6, 1.4, 4, cast_int=True),
        ]
        return kind, draw(st.sampled_from(options))
    # too-big: bounds that numbers cannot represent for sampling
    big = draw(st.integers(2**63, 2**2000))
    options = [
        lambda: randint(0, big),
        lambda: randint(-big - 1, 0),
        lambda: lograndint(1, big),
        lambda: uniform(0, 10**400),
        lambda: ordinal([0, 10**400]),
    ]
    return kind, draw(st.sampled_from(options))


@settings(max_examples=300, deadline=None)
@given(case=invalid_domains(), name=hp_names)
def test_unusable_domains_are_rejected_naming_the_hyperparameter(case, name):
    what, make = case
    domain = make()  # building never fails: validation says what is wrong, with the name
    with pytest.raises(ValueError) as err:
        validate_config_space({"epochs": 10, name: domain})
    assert str(err.value).startswith(f"hyperparameter {name!r}"), (what, str(err.value))


anything = st.one_of(junk, constants, finite, non_finite, st.integers(), st.text())


@FAST
@given(space=spaces, data=st.data())
def test_casting_and_checking_arbitrary_values_only_raise_value_error(space, data):
    """Configs from a command line or a file hold anything: checking says False, casting
    raises ValueError naming the hyperparameter, and nothing else ever escapes."""
    validate_config_space(space)
    config = {name: data.draw(anything) for name in space if data.draw(st.booleans())}
    config.update(data.draw(st.dictionaries(hp_names, anything, max_size=2)))
    assert is_valid_config(config, space) in (True, False)
    try:
        cast = cast_config(config, space)
    except ValueError as err:
        assert "hyperparameter" in str(err)
        return
    assert set(cast) == set(config)


@FAST
@given(
    name=hp_names,
    data=st.one_of(
        st.dictionaries(
            st.sampled_from(["lower", "upper", "size", "log", "categories", "kind", "x"]),
            st.one_of(st.integers(), st.text(max_size=4), st.none(), st.lists(st.integers())),
            max_size=3,
        ),
        st.lists(st.integers(), max_size=2),
        st.none(),
    ),
    cls=st.sampled_from(["Float", "Integer", "Categorical", "Ordinal", "FiniteRange", "Nope"]),
)
def test_from_json_with_wrong_arguments_raises_value_error_naming_the_hyperparameter(
    name, data, cls
):
    try:
        space = config_space_from_json({name: {"domain_cls": cls, "domain_kwargs": data}})
        validate_config_space(space)
    except ValueError as err:
        assert repr(name) in str(err)


def test_make_random_state_is_reproducible_and_passes_generators_through():
    rng = np.random.default_rng(3)
    assert make_random_state(rng) is rng
    assert make_random_state(7).random() == make_random_state(7).random()


@FAST
@given(
    lower=st.floats(min_value=1e-300, max_value=1e300),
    ratio=st.floats(min_value=1.001, max_value=1e6),
    seed=st.integers(0, 2**32 - 1),
)
def test_config_key_tells_apart_floats_of_any_scale(lower, ratio, seed):
    assume(math.isfinite(lower * ratio))
    space = {"x": loguniform(lower, lower * ratio)}
    values = sorted(space["x"].sample(seed, size=10))
    for a, b in itertools.pairwise(values):
        if b - a > 1e-10 * b:  # random search must not take these for repeats
            assert config_key({"x": a}, space) != config_key({"x": b}, space), (a, b)
