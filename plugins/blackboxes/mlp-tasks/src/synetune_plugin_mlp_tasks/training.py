"""Trains MLPs epoch by epoch on one task and records their learning curves.

Runs in the recipe's worker processes. The model is digits-mlp's: ReLU or tanh hidden layers,
softmax output, cross-entropy plus an ``alpha``-weighted L2 penalty, Adam with
``MLPClassifier``'s defaults, Glorot initialisation, minibatches; written with numpy because
``MLPClassifier.partial_fit`` spends most of a small epoch on per-call overhead. Each task is
split 70/30 (fixed, stratified); the seed sets the initial weights and the minibatch order.
``elapsed_time`` is the real cumulative time of training plus scoring.
"""

from __future__ import annotations

import time
from typing import Any

_DATA: dict[str, tuple[Any, ...]] = {}


def init_worker() -> None:
    """One BLAS thread per process: the pool already uses every core."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def _data(task: str) -> tuple[Any, ...]:
    if task not in _DATA:
        import numpy as np
        from sklearn.model_selection import train_test_split

        from synetune_plugin_mlp_tasks.space import load_task

        X, y = load_task(task)
        X_train, X_val, y_train, y_val = train_test_split(
            X, y, test_size=0.3, random_state=0, stratify=y
        )
        classes = int(y.max()) + 1
        _DATA[task] = (X_train, np.eye(classes)[y_train], X_val, y_val)
    return _DATA[task]


def train_curve(
    task: str, config: dict[str, Any], seed: int, num_epochs: int
) -> list[dict[str, float]]:
    """Objectives after each of ``num_epochs`` epochs of one configuration and seed."""
    import numpy as np

    X_train, Y_train, X_val, y_val = _data(task)
    rng = np.random.default_rng(seed)
    tanh = config["activation"] == "tanh"
    sizes = [X_train.shape[1]] + [int(config["num_units"])] * int(config["num_layers"])
    sizes.append(Y_train.shape[1])
    gain = 1.0 if tanh else np.sqrt(2.0)
    Ws, bs = [], []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        bound = gain * np.sqrt(6.0 / (fan_in + fan_out))
        Ws.append(rng.uniform(-bound, bound, (fan_in, fan_out)))
        bs.append(rng.uniform(-bound, bound, fan_out))
    params = Ws + bs
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    alpha, lr = float(config["alpha"]), float(config["learning_rate_init"])
    batch_size = int(config["batch_size"])

    def forward(x: Any) -> tuple[list[Any], Any]:
        hs = [x]
        for W, b in zip(Ws[:-1], bs[:-1]):
            z = hs[-1] @ W + b
            hs.append(np.tanh(z) if tanh else np.maximum(z, 0.0))
        z = hs[-1] @ Ws[-1] + bs[-1]
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        return hs, np.nan_to_num(p, nan=1.0 / p.shape[1])

    steps, elapsed, rows = 0, 0.0, []
    with np.errstate(all="ignore"):
        for epoch in range(1, num_epochs + 1):
            start = time.perf_counter()
            order = rng.permutation(len(X_train))
            train_loss = 0.0
            for first in range(0, len(order), batch_size):
                batch = order[first : first + batch_size]
                hs, p = forward(X_train[batch])
                y = Y_train[batch]
                n = len(batch)
                train_loss -= float(np.sum(y * np.log(np.clip(p, 1e-15, 1.0))))
                delta = (p - y) / n
                gW, gb = [None] * len(Ws), [None] * len(Ws)
                for i in range(len(Ws) - 1, -1, -1):
                    gW[i] = hs[i].T @ delta + (alpha / n) * Ws[i]
                    gb[i] = delta.sum(axis=0)
                    if i:
                        delta = delta @ Ws[i].T
                        delta *= (1.0 - hs[i] ** 2) if tanh else (hs[i] > 0)
                steps += 1
                step = lr * np.sqrt(1 - 0.999**steps) / (1 - 0.9**steps)
                for k, g in enumerate(gW + gb):
                    m[k] = 0.9 * m[k] + 0.1 * g
                    v[k] = 0.999 * v[k] + 0.001 * g * g
                    params[k] -= step * m[k] / (np.sqrt(v[k]) + 1e-8)
            _, proba = forward(X_val)
            elapsed += time.perf_counter() - start
            picked = proba[np.arange(len(y_val)), y_val]
            rows.append(
                {
                    "epoch": epoch,
                    "val_error": float(np.mean(proba.argmax(axis=1) != y_val)),
                    "val_loss": float(-np.mean(np.log(np.clip(picked, 1e-15, 1.0)))),
                    "train_loss": train_loss / len(X_train),
                    "elapsed_time": elapsed,
                }
            )
    return rows


def train_chunk(
    task: str, chunk: list[tuple[int, dict[str, Any]]], seeds: list[int], num_epochs: int
) -> list[dict[str, Any]]:
    """Rows (configuration index, hyperparameters, seed, epoch, objectives) of a chunk."""
    out = []
    for index, config in chunk:
        for seed in seeds:
            for row in train_curve(task, config, seed, num_epochs):
                out.append({"config_index": index, **config, "seed": seed, **row})
    return out
