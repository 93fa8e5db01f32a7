"""The GP model and expected improvement: analytic gradients against finite differences, EI
against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm
from synetune_plugin_gp import acquisition as acq
from synetune_plugin_gp.gp import (
    Hyperparameters,
    Posterior,
    Standardizer,
    fit_hyperparameters,
    negative_log_posterior,
)


def _data(n=15, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(n, d))
    y = np.sin(3 * X).sum(1) + 0.05 * rng.standard_normal(n)
    return X, (y - y.mean()) / y.std()


def _sqdiff(X):
    return ((X[:, None, :] - X[None, :, :]) ** 2).reshape(-1, X.shape[1])


def _central_difference(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = eps
        grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
    return grad


def test_marginal_likelihood_gradient_matches_finite_differences():
    X, y = _data()
    sq = _sqdiff(X)
    for theta in (
        np.array([math.log(0.3), math.log(0.7), math.log(1.5), 0.2, math.log(0.01), 0.1]),
        np.array([math.log(0.05), math.log(3.0), math.log(0.2), -1.0, math.log(1e-4), -0.5]),
    ):
        analytic = negative_log_posterior(theta, sq, y)[1]
        numeric = _central_difference(lambda t: negative_log_posterior(t, sq, y)[0], theta)
        assert np.allclose(analytic, numeric, rtol=1e-4, atol=1e-4), (analytic, numeric)


def test_posterior_mean_and_variance_gradients_match_finite_differences():
    X, y = _data()
    params = Hyperparameters(np.array([0.3, 0.7, 1.5]), 1.3, 1e-3, 0.1)
    posterior = Posterior(X, np.stack([y, y + 0.3 * np.cos(y)], axis=1), params)
    Xs = np.random.default_rng(1).uniform(size=(5, 3))
    mean, var, dmean, dvar = posterior.predict_with_gradient(Xs)
    mean2, var2 = posterior.predict(Xs)
    assert np.allclose(mean, mean2) and np.allclose(var, var2)
    eps = 1e-6
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        (mp, vp), (mm, vm) = posterior.predict(Xs + step), posterior.predict(Xs - step)
        assert np.allclose((mp - mm) / (2 * eps), dmean[:, :, j], atol=1e-6)
        assert np.allclose((vp - vm) / (2 * eps), dvar[:, j], atol=1e-6)


def test_log_ei_gradient_matches_finite_differences():
    X, y = _data()
    params = Hyperparameters(np.array([0.3, 0.7, 1.5]), 1.3, 1e-3, 0.1)
    posterior = Posterior(X, np.stack([y, y - 0.2], axis=1), params)
    best = np.array([y.min(), y.min() - 0.2])
    function = acq.expected_improvement(posterior, best)
    Xs = np.random.default_rng(2).uniform(size=(6, 3))
    _, grad = function(Xs, True)
    eps = 1e-6
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        numeric = (function(Xs + step, False)[0] - function(Xs - step, False)[0]) / (2 * eps)
        assert np.allclose(numeric, grad[:, j], rtol=1e-4, atol=1e-6)


def test_lcb_gradient_matches_finite_differences_and_prefers_uncertain_low_means():
    X, y = _data()
    params = Hyperparameters(np.array([0.3, 0.7, 1.5]), 1.3, 1e-3, 0.1)
    posterior = Posterior(X, np.stack([y, y - 0.2], axis=1), params)

    def score(*args):
        return acq.lower_confidence_bound(*args, kappa=2.0)

    function = acq.expected_improvement(posterior, np.zeros(2), score)
    Xs = np.random.default_rng(3).uniform(size=(6, 3))
    values, grad = function(Xs, True)
    mean, var = posterior.predict(Xs)
    assert np.allclose(values, 2.0 * np.sqrt(var) - mean.mean(axis=1))
    eps = 1e-6
    for j in range(3):
        step = np.zeros(3)
        step[j] = eps
        numeric = (function(Xs + step, False)[0] - function(Xs - step, False)[0]) / (2 * eps)
        assert np.allclose(numeric, grad[:, j], rtol=1e-4, atol=1e-6)


def test_posterior_interpolates_noise_free_data():
    X, y = _data(n=10, d=2)
    params = Hyperparameters(np.array([0.5, 0.5]), 1.0, 1e-8, 0.0)
    mean, var = Posterior(X, y, params).predict(X)
    assert np.allclose(mean[:, 0], y, atol=1e-4)
    assert np.all(var < 1e-5)


def test_expected_improvement_known_values():
    # mean 0, variance 1, incumbent 0: EI = phi(0) = 1 / sqrt(2 pi)
    value, _ = acq.log_expected_improvement(np.zeros((1, 1)), np.ones(1), np.zeros(1))
    assert math.exp(value[0]) == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-12)
    rng = np.random.default_rng(3)
    mean, sigma, best = rng.normal(size=50), rng.uniform(0.1, 2.0, 50), 0.3
    z = (best - mean) / sigma
    closed_form = (best - mean) * norm.cdf(z) + sigma * norm.pdf(z)
    value, _ = acq.log_expected_improvement(mean[:, None], sigma**2, np.array([best]))
    assert np.allclose(np.exp(value), closed_form, rtol=1e-10)
    # averaging over fantasy columns averages EI
    value, _ = acq.log_expected_improvement(
        np.array([[0.0, 1.0]]), np.ones(1), np.array([0.0, 0.0])
    )
    expected = 0.5 * (norm.pdf(0.0) + (-1.0 * norm.cdf(-1.0) + norm.pdf(-1.0)))
    assert math.exp(value[0]) == pytest.approx(expected, rel=1e-12)


def test_log_h_is_finite_and_accurate_far_below_the_incumbent():
    z = np.array([-1e7, -200.0, -40.0, -5.0, -1.0, 0.0, 5.0])
    values, derivative = acq.log_h(z)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(derivative))
    # asymptotically h(z) = phi(z) / z^2 (1 - 3 / z^2 + 15 / z^4 - ...)
    far = z[:3]
    asymptotic = (
        -0.5 * far**2
        - 0.5 * math.log(2 * math.pi)
        - 2 * np.log(-far)
        + np.log1p(-3 / far**2 + 15 / far**4)
    )
    assert np.allclose(values[:3], asymptotic, rtol=1e-10)
    direct = np.log(norm.pdf(z[3:]) + z[3:] * norm.cdf(z[3:]))
    assert np.allclose(values[3:], direct, rtol=1e-10)
    assert np.all(np.diff(values) > 0)


def test_fit_finds_the_irrelevant_dimension():
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(30, 2))
    y = np.sin(6 * X[:, 0])
    params = fit_hyperparameters(X, Standardizer(y)(y), None, rng, num_restarts=2)
    assert params.lengthscales[1] > 3 * params.lengthscales[0]
    assert params.noise_variance < 1e-3


def test_shared_lengthscale_fit_is_the_best_single_lengthscale():
    rng = np.random.default_rng(4)
    X = rng.uniform(size=(30, 2))
    y = Standardizer(np.sin(6 * X[:, 0]))(np.sin(6 * X[:, 0]))
    params = fit_hyperparameters(X, y, None, rng, num_restarts=2, ard=False)
    assert params.lengthscales[0] == params.lengthscales[1]
    theta = params.to_vector()
    value = negative_log_posterior(theta, _sqdiff(X), y)[0]
    for factor in (0.8, 1.25):  # a local optimum in the shared lengthscale
        moved = theta.copy()
        moved[:2] += math.log(factor)
        assert negative_log_posterior(moved, _sqdiff(X), y)[0] > value


def test_warm_started_fit_is_no_worse_than_its_start():
    X, y = _data(n=25)
    rng = np.random.default_rng(5)
    first = fit_hyperparameters(X, y, None, rng, num_restarts=2)
    again = fit_hyperparameters(X, y, first, rng, num_restarts=1, maxiter=5)
    sq = _sqdiff(X)
    assert negative_log_posterior(again.to_vector(), sq, y)[0] <= (
        negative_log_posterior(first.to_vector(), sq, y)[0] + 1e-9
    )


def test_standardizer_handles_constant_targets():
    scale = Standardizer(np.full(5, 3.0))
    assert scale.scale == 1.0
    assert np.allclose(scale(np.full(5, 3.0)), 0.0)


def _curves(n_configs=6, levels=(1, 3, 9), max_t=9, seed=0):
    """Inputs (config, resource in (0, 1]) and standardised learning-curve values."""
    rng = np.random.default_rng(seed)
    configs = rng.uniform(size=(n_configs, 2))
    rows, values = [], []
    for c in configs:
        for level in levels:
            rows.append([*c, level / max_t])
            values.append(c.sum() + 1.5 * math.exp(-2.0 * level) + 0.01 * rng.standard_normal())
    y = np.array(values)
    return np.array(rows), (y - y.mean()) / y.std()


def test_exp_decay_marginal_likelihood_gradient_matches_finite_differences():
    X, y = _curves()
    sq, resources = _sqdiff(X[:, :-1]), X[:, -1]
    for theta in (
        np.array([math.log(0.3), math.log(0.7), 0.2, math.log(0.01), 0.1, 0.0, 1.5, -0.7]),
        np.array([math.log(1.2), math.log(0.2), -0.4, math.log(1e-3), -0.3, 2.0, 0.3, 0.5]),
    ):
        analytic = negative_log_posterior(theta, sq, y, resources)[1]
        numeric = _central_difference(
            lambda t: negative_log_posterior(t, sq, y, resources)[0], theta
        )
        assert np.allclose(analytic, numeric, rtol=1e-4, atol=1e-4), (analytic, numeric)


def test_exp_decay_posterior_gradients_and_learning_curve_extrapolation():
    X, y = _curves(n_configs=8)
    params = fit_hyperparameters(X, y, None, np.random.default_rng(0), num_restarts=2, decay=True)
    assert params.decay is not None and len(params.lengthscales) == 2
    # a config seen at the low levels only: its final value is predicted from its early values
    posterior = Posterior(X, y, params)
    Xs = np.array([[0.2, 0.4, 1.0], [0.7, 0.1, 1.0 / 9]])
    mean, var, dmean, dvar = posterior.predict_with_gradient(Xs)
    mean2, var2 = posterior.predict(Xs)
    assert np.allclose(mean, mean2) and np.allclose(var, var2)
    assert np.all(dmean[:, :, 2] == 0) and np.all(dvar[:, 2] == 0)  # resource column fixed
    eps = 1e-6
    for j in range(2):
        step = np.zeros(3)
        step[j] = eps
        (mp, vp), (mm, vm) = posterior.predict(Xs + step), posterior.predict(Xs - step)
        assert np.allclose((mp - mm) / (2 * eps), dmean[:, :, j], atol=1e-5)
        assert np.allclose((vp - vm) / (2 * eps), dvar[:, j], atol=1e-5)
    # the curves decay with the resource: every config's mean falls from level 1 to level 9
    grid = np.array([[0.5, 0.5, r / 9] for r in (1, 3, 9)])
    means = posterior.predict(grid)[0][:, 0]
    assert means[0] > means[1] > means[2]


def test_pairwise_decay_curve_table_equals_direct_evaluation():
    from synetune_plugin_gp.gp import decay_curve, pairwise_decay_curve

    rng = np.random.default_rng(7)
    levels = np.array([1, 3, 9, 27]) / 27
    r1, r2 = rng.choice(levels, size=40), rng.choice(levels, size=30)
    for table, direct in zip(
        pairwise_decay_curve(r1, r2, 1.7, 4.0), decay_curve(r1[:, None] + r2[None, :], 1.7, 4.0)
    ):
        assert table.shape == (40, 30)
        assert np.array_equal(table, direct)
    # distinct values everywhere: evaluated directly, same result
    r3 = rng.uniform(size=5)
    assert np.array_equal(
        pairwise_decay_curve(r3, r3, 0.5, 2.0)[0],
        decay_curve(r3[:, None] + r3[None, :], 0.5, 2.0)[0],
    )


@pytest.mark.parametrize("decay", [False, True])
def test_posterior_with_fantasies_equals_posterior_refitted_on_the_samples(decay):
    X, y = _data(n=20, d=3)
    params = Hyperparameters(np.array([0.3, 0.7, 1.5]), 1.3, 1e-3, 0.1)
    if decay:  # last column is the resource of the exp-decay kernel
        X[:, -1] = np.random.default_rng(4).choice([1 / 9, 1 / 3, 1.0], size=len(X))
        params = Hyperparameters(np.array([0.3, 0.7]), 1.3, 1e-3, 0.1, np.array([1.2, 3.0, 0.4]))
    posterior = Posterior(X, y, params)
    Xs = np.random.default_rng(5).uniform(size=(4, 3))
    if decay:
        Xs[:, -1] = 1 / 3
    fast = posterior.with_fantasies(Xs, 7, np.random.default_rng(6))
    samples = posterior.joint_samples(Xs, 7, np.random.default_rng(6))
    slow = Posterior(
        np.vstack([X, Xs]), np.vstack([np.repeat(y[:, None], 7, axis=1), samples]), params
    )
    assert np.allclose(fast.Y, slow.Y) and np.allclose(fast.L, slow.L)
    Xq = np.random.default_rng(8).uniform(size=(9, 3))
    for a, b in zip(fast.predict(Xq), slow.predict(Xq)):
        assert np.allclose(a, b, rtol=1e-8, atol=1e-10)
    for a, b in zip(fast.predict_with_gradient(Xq), slow.predict_with_gradient(Xq)):
        assert np.allclose(a, b, rtol=1e-7, atol=1e-9)
