"""The GP both searchers fit: ``SingleTaskGP`` (one output per objective), fitted by marginal
likelihood from the previous fit's hyperparameters. torch, botorch and gpytorch are imported when
called.

The likelihood's noise prior is centred at 1e-4 of the standardised variance and wide: BoTorch's
default (near 1%) keeps the search from homing in on the optimum of a deterministic objective;
the noise is still learned, so a noisy objective raises it.
"""

from __future__ import annotations

import warnings
from typing import Any


def fit_gp(X: Any, Y: Any, input_warping: bool, state: dict[str, Any] | None) -> tuple[Any, Any]:
    """``(model, state)`` for maximising ``Y`` (n x m); ``(None, None)`` when the fit failed.
    ``state`` (the previous fit's) starts the fit; the returned one starts the next (3x faster
    with input warping); the outcome transform is recomputed from the data each time."""
    import torch
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from botorch.models.transforms.input import Warp
    from botorch.models.transforms.outcome import Standardize
    from gpytorch.constraints import GreaterThan
    from gpytorch.likelihoods import GaussianLikelihood
    from gpytorch.mlls import ExactMarginalLogLikelihood
    from gpytorch.priors import LogNormalPrior

    Y = Y.clone()
    flat = Y.std(dim=0) == 0
    if bool(flat.any()):  # a constant objective: keep Standardize defined
        Y[:, flat] = Y[:, flat] + 1e-6 * torch.randn_like(Y[:, flat])
    d, m = X.shape[1], Y.shape[1]
    warp = Warp(d=d, indices=list(range(d))) if input_warping else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        likelihood = GaussianLikelihood(
            noise_prior=LogNormalPrior(-9.0, 2.0),
            noise_constraint=GreaterThan(1e-7),
            batch_shape=torch.Size([m]) if m > 1 else torch.Size(),
        )
        model = SingleTaskGP(
            X, Y, likelihood=likelihood, input_transform=warp, outcome_transform=Standardize(m=m)
        )
        if state is not None:
            model.load_state_dict(state, strict=False)
        try:
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
        except Exception:  # noqa: BLE001 - the caller falls back to random search
            return None, None
    state = {
        k: v.detach().clone()
        for k, v in model.state_dict().items()
        if not k.startswith("outcome_transform.")
    }
    return model, state


def pending_rows(pending: dict[int, Any], no_fantasizing: bool) -> Any:
    """The encoded configurations being evaluated, as ``X_pending`` (None: none or ignored)."""
    import numpy as np
    import torch

    if not pending or no_fantasizing:
        return None
    return torch.tensor(np.array(list(pending.values())), dtype=torch.double)


def acquisition_starts(
    acquisition: Any, anchors: Any, raw_samples: int, num_restarts: int, seed: int
) -> Any:
    """Starting points of the local optimisation (``batch_initial_conditions``, q=1): the
    ``num_restarts`` best of ``raw_samples`` uniform points, the ``anchors`` (encoded rows, for
    example the best observed configurations) and eight small moves around each anchor. The moves
    let the search refine what it found (as Optuna's GPSampler does); random starts rarely land
    next to it once the model is sharp. Moves past the bounds are clamped onto them, where the
    optimum of a box-bounded problem often lies."""
    import torch

    d = anchors.shape[1]
    generator = torch.Generator().manual_seed(seed)
    raw = torch.rand(raw_samples, d, dtype=torch.double, generator=generator)
    moves = anchors.repeat(8, 1) + 0.02 * torch.randn(
        8 * len(anchors), d, dtype=torch.double, generator=generator
    )
    candidates = torch.cat([raw, anchors, moves.clamp(0.0, 1.0)])
    with torch.no_grad():
        values = acquisition(candidates.unsqueeze(1))
    return candidates[torch.argsort(values, descending=True)[:num_restarts]].unsqueeze(1)
