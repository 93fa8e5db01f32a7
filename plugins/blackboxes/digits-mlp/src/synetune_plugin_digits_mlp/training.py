"""Trains one chunk of configurations epoch by epoch and records their learning curves.

Runs in the worker processes of the recipe's pool. Each configuration is a multi-layer
perceptron (ReLU or tanh hidden layers, softmax output, cross-entropy with an L2 penalty
``alpha``, Adam with scikit-learn's ``MLPClassifier`` defaults and Glorot initialisation)
trained with minibatches on 70% of scikit-learn's digits data set (fixed stratified split) and
scored on the other 30% after every epoch. It is written with numpy rather than with
``MLPClassifier.partial_fit`` because that spends most of an epoch on per-call overhead: this
loop is 2-3x faster, which keeps generation of the full table well within 15 minutes on 2 cores.
The seed sets the initial weights and the order of the minibatches. ``elapsed_time`` is the
real, cumulative time of training plus scoring, measured here.
"""

from __future__ import annotations

import time
from typing import Any

_DATA: tuple[Any, ...] | None = None
NUM_CLASSES = 10


def init_worker() -> None:
    """One BLAS thread per process: the pool already uses every core."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _data() -> tuple[Any, ...]:
    global _DATA
    if _DATA is None:
        import numpy as np
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X_train, X_val, y_train, y_val = train_test_split(
            X / 16.0, y, test_size=0.3, random_state=0, stratify=y
        )
        _DATA = (X_train, np.eye(NUM_CLASSES)[y_train], X_val, y_val)
    return _DATA


class MLP:
    """Weights live in one flat vector so that an Adam step is a handful of numpy calls."""

    def __init__(self, sizes: list[int], activation: str, rng: Any):
        import numpy as np

        shapes = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)]
        total = sum(int(np.prod(s)) for s in shapes)
        self.theta, self.grad = np.empty(total), np.empty(total)
        params, grads, offset = [], [], 0
        for shape in shapes:
            size = int(np.prod(shape))
            params.append(self.theta[offset : offset + size].reshape(shape))
            grads.append(self.grad[offset : offset + size].reshape(shape))
            offset += size
        self.W, self.b = params[0::2], params[1::2]
        self.gW, self.gb = grads[0::2], grads[1::2]
        gain = 1.0 if activation == "tanh" else np.sqrt(2.0)
        for W, b in zip(self.W, self.b):
            bound = gain * np.sqrt(6.0 / (W.shape[0] + W.shape[1]))
            W[...] = rng.uniform(-bound, bound, W.shape)
            b[...] = rng.uniform(-bound, bound, b.shape)
        self.tanh = activation == "tanh"

    def _act(self, z: Any) -> Any:
        import numpy as np

        return np.tanh(z, out=z) if self.tanh else np.maximum(z, 0.0, out=z)

    def hidden(self, x: Any) -> list[Any]:
        out = [x]
        for W, b in zip(self.W[:-1], self.b[:-1]):
            out.append(self._act(out[-1] @ W + b))
        return out

    def proba(self, hidden_last: Any) -> Any:
        import numpy as np

        z = hidden_last @ self.W[-1] + self.b[-1]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return np.nan_to_num(p, nan=1.0 / NUM_CLASSES)

    def gradient(self, x: Any, y: Any, alpha: float) -> float:
        """Fill ``self.grad`` for a minibatch; returns its summed cross-entropy."""
        import numpy as np

        hs = self.hidden(x)
        p = self.proba(hs[-1])
        n = len(x)
        loss = -float(np.sum(y * np.log(np.clip(p, 1e-15, 1.0))))
        delta = (p - y) / n
        for i in range(len(self.W) - 1, -1, -1):
            np.matmul(hs[i].T, delta, out=self.gW[i])
            self.gW[i] += (alpha / n) * self.W[i]
            delta.sum(axis=0, out=self.gb[i])
            if i:
                delta = delta @ self.W[i].T
                delta *= (1.0 - hs[i] ** 2) if self.tanh else (hs[i] > 0)
        return loss


def train_curve(config: dict[str, Any], seed: int, num_epochs: int) -> list[dict[str, float]]:
    """Objectives after each of ``num_epochs`` epochs of one configuration and seed."""
    import numpy as np

    X_train, Y_train, X_val, y_val = _data()
    rng = np.random.default_rng(seed)
    sizes = [X_train.shape[1]] + [int(config["num_units"])] * int(config["num_layers"])
    model = MLP(sizes + [NUM_CLASSES], config["activation"], rng)
    alpha, lr = float(config["alpha"]), float(config["learning_rate_init"])
    batch_size = int(config["batch_size"])
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    m, v = np.zeros_like(model.theta), np.zeros_like(model.theta)
    steps, elapsed, rows = 0, 0.0, []
    val_index = np.arange(len(y_val))
    with np.errstate(all="ignore"):
        for epoch in range(1, num_epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(len(X_train))
            train_loss = 0.0
            for first in range(0, len(order), batch_size):
                batch = order[first : first + batch_size]
                train_loss += model.gradient(X_train[batch], Y_train[batch], alpha)
                steps += 1
                m *= beta1
                m += (1 - beta1) * model.grad
                v *= beta2
                v += (1 - beta2) * model.grad**2
                step = lr * np.sqrt(1 - beta2**steps) / (1 - beta1**steps)
                model.theta -= step * m / (np.sqrt(v) + eps)
            proba = model.proba(model.hidden(X_val)[-1])
            elapsed += time.perf_counter() - start
            rows.append(
                {
                    "epoch": epoch,
                    "val_error": float(np.mean(proba.argmax(axis=1) != y_val)),
                    "val_loss": float(-np.mean(np.log(np.clip(proba[val_index, y_val], 1e-15, 1)))),
                    "train_loss": train_loss / len(X_train),
                    "elapsed_time": elapsed,
                }
            )
    return rows


def train_chunk(
    chunk: list[tuple[int, dict[str, Any]]], seeds: list[int], num_epochs: int
) -> list[dict[str, Any]]:
    """Rows (configuration index, hyperparameters, seed, epoch, objectives) of a chunk."""
    out = []
    for index, config in chunk:
        for seed in seeds:
            for row in train_curve(config, seed, num_epochs):
                out.append({"config_index": index, **config, "seed": seed, **row})
    return out
