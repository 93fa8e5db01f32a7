"""The analyses the experiment page shows beside its charts, computed from the columns the server
holds (numpy): hyperparameter importance, rung occupancy, the Pareto front and its hypervolume,
and the comparison of several experiments by method."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from synetune_plugin_dashboard.state import ExperimentState, metric_setup

MIN_TRIALS_FOR_IMPORTANCE = 5
MAX_BINS = 10


def trial_table(state: ExperimentState) -> dict[str, Any]:
    """Per trial (ids sorted): its best value of each metric, its values at its last result and
    the highest resource it reached, as numpy arrays."""
    import numpy as np

    data = state.data
    names, modes, _ = metric_setup(state.metadata)
    if data is None or len(data) == 0:
        empty = np.zeros(0)
        return {"ids": np.zeros(0, dtype=np.int64), "best": {}, "last": {}, "resource": empty}
    trial = np.frombuffer(data.trial, dtype=np.int64)
    seq = np.frombuffer(data.seq, dtype=np.int64)
    dropped = np.isin(seq, np.asarray(data.drops, dtype=np.int64)) if data.drops else None
    ids, inverse = np.unique(trial, return_inverse=True)
    resource = np.frombuffer(data.resource, dtype=np.float64)
    top = np.full(ids.size, -np.inf)
    np.maximum.at(top, inverse, np.nan_to_num(resource, nan=-np.inf))
    # the last result of each trial: the highest row index per trial
    last_row = np.zeros(ids.size, dtype=np.int64)
    np.maximum.at(last_row, inverse, np.arange(trial.size))
    best, last = {}, {}
    for name, mode in zip(names, modes):
        values = np.frombuffer(data.metrics[name], dtype=np.float64).copy()
        if dropped is not None:
            values[dropped] = np.nan
        sign = -1.0 if mode == "max" else 1.0
        fill = np.where(np.isnan(values), np.inf, sign * values)
        low = np.full(ids.size, np.inf)
        np.minimum.at(low, inverse, fill)
        best[name] = np.where(np.isinf(low), np.nan, sign * low)
        last[name] = values[last_row]
    return {"ids": ids, "best": best, "last": last, "resource": top}


def _domains(state: ExperimentState, configs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Tuned hyperparameters (constants left out) with whether each is categorical or on a log
    scale, from ``metadata.json``'s config space, else guessed from the configurations."""
    space = state.metadata.get("config_space")
    out: dict[str, dict[str, Any]] = {}
    if isinstance(space, dict) and space:
        for key, spec in space.items():
            if not isinstance(spec, dict) or "domain_cls" not in spec:
                continue
            kwargs = spec.get("domain_kwargs") or {}
            cls = str(spec["domain_cls"])
            log = bool(kwargs.get("log") or kwargs.get("log_scale"))
            out[key] = {"categorical": cls in ("Categorical", "Ordinal"), "log": log}
        return out
    for config in configs[:1]:
        for key, value in config.items():
            if len({repr(c.get(key)) for c in configs}) > 1:
                out[key] = {"categorical": not isinstance(value, int | float), "log": False}
    return out


def importance(state: ExperimentState, metric: str | None = None) -> dict[str, Any]:
    """How much of the variance of the trials' best values each hyperparameter explains on its
    own: the variance of the mean value per bin of the hyperparameter (categories, or up to 10
    quantile bins of a numeric one, on a log scale where the domain is), weighted by the bins'
    sizes, over the total variance, less what as many bins of noise would explain (omega
    squared). This is fANOVA's main effect with bins in place of a random forest: cheap and
    dependency-free, but blind to interactions. Spearman's rank correlation is
    given beside it for numeric hyperparameters."""
    import numpy as np

    names, _, _ = metric_setup(state.metadata)
    metric = metric or (names[0] if names else None)
    if metric is None or metric not in names:
        return {"metric": metric, "importance": [], "reason": "no metric named in metadata.json"}
    table = trial_table(state)
    ids, values = table["ids"], table["best"].get(metric)
    configs = [state.trials.get(int(i), {}).get("config") or {} for i in ids]
    keep = np.array(
        [bool(c) and v == v for c, v in zip(configs, values if values is not None else [])],
        dtype=bool,
    )
    if values is None or keep.sum() < MIN_TRIALS_FOR_IMPORTANCE:
        return {
            "metric": metric,
            "importance": [],
            "reason": f"needs {MIN_TRIALS_FOR_IMPORTANCE} trials with a value",
        }
    y = values[keep]
    configs = [c for c, k in zip(configs, keep) if k]
    total = float(((y - y.mean()) ** 2).sum())
    rows = []
    for key, domain in _domains(state, configs).items():
        raw = [c.get(key) for c in configs]
        numeric = not domain["categorical"] and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in raw
        )
        if numeric:
            x = np.asarray(raw, dtype=float)
            if domain["log"] and (x > 0).all():
                x = np.log(x)
            distinct = np.unique(x)
            bins = max(2, min(MAX_BINS, len(x) // 10))  # about ten trials a bin
            if distinct.size > bins:
                edges = np.quantile(x, np.linspace(0, 1, bins + 1)[1:-1])
                groups = np.searchsorted(edges, x, side="right")
            else:
                groups = np.searchsorted(distinct, x)
            rank_x = np.argsort(np.argsort(x)).astype(float)
            rank_y = np.argsort(np.argsort(y)).astype(float)
            corr = (
                float(np.corrcoef(rank_x, rank_y)[0, 1])
                if rank_x.std() > 0 and rank_y.std() > 0
                else 0.0
            )
        else:
            labels = [repr(v) for v in raw]
            _, groups = np.unique(labels, return_inverse=True)
            corr = None
        counts = np.bincount(groups)
        sums = np.bincount(groups, weights=y)
        present = counts > 0
        means = sums[present] / counts[present]
        between = float((counts[present] * (means - y.mean()) ** 2).sum())
        k, n = int(present.sum()), len(y)
        # omega squared: the between-bin variance that k bins of pure noise would show anyway
        # (k - 1 times the within-bin mean square) is taken off, so few trials do not make
        # every hyperparameter look important
        within = (total - between) / (n - k) if n > k else 0.0
        share = max(0.0, (between - (k - 1) * within) / (total + within)) if total > 0 else 0.0
        rows.append(
            {"name": key, "importance": share, "spearman": corr, "bins": int(present.sum())}
        )
    rows.sort(key=lambda r: -r["importance"])
    return {"metric": metric, "trials": int(keep.sum()), "importance": rows}


def rungs(state: ExperimentState) -> dict[str, Any] | None:
    """For Hyperband-family runs (metadata ``rung_levels``): per rung level, how many trials
    reached it and how many are at it now (reached it but not the next level)."""
    import numpy as np

    levels = state.metadata.get("rung_levels")
    if not isinstance(levels, list) or not levels:
        return None
    max_t = state.metadata.get("max_t")
    levels = sorted(float(v) for v in levels)
    if isinstance(max_t, int | float) and max_t > levels[-1]:
        levels.append(float(max_t))
    top = trial_table(state)["resource"]
    reached = [int((top >= level).sum()) for level in levels]
    at = [reached[i] - (reached[i + 1] if i + 1 < len(reached) else 0) for i in range(len(levels))]
    below = int(((top < levels[0]) & np.isfinite(top)).sum())
    return {
        "levels": levels,
        "reached": reached,
        "at": at,
        "below_first": below,
        "type": state.metadata.get("type"),
        "brackets": state.metadata.get("brackets"),
    }


def _pareto_mask(y: Any) -> Any:
    """Non-dominated rows of ``y`` (every column minimised)."""
    import numpy as np

    # in lexicographic order a point can only be dominated (or repeated) by one before it
    order = np.lexsort(y.T[::-1])
    mask = np.zeros(len(y), dtype=bool)
    front = np.empty((0, y.shape[1]))
    for i in order:
        if len(front) and (front <= y[i]).all(axis=1).any():
            continue
        front = np.vstack([front, y[i]])
        mask[i] = True
    return mask


def _hypervolume_2d(front: Any, reference: Any) -> float:
    """Area dominated by a 2-D front (minimised) up to ``reference``: one sweep."""
    import numpy as np

    points = front[(front < reference).all(axis=1)]
    points = points[np.argsort(points[:, 0])]
    volume, previous_y = 0.0, float(reference[1])
    for x, y in points:
        if y < previous_y:
            volume += (float(reference[0]) - float(x)) * (previous_y - float(y))
            previous_y = float(y)
    return volume


def pareto(state: ExperimentState) -> dict[str, Any] | None:
    """For runs with several metrics: each trial's last result as a point, its non-dominated
    trials and their hypervolume. ``synetune_sdk.multiobjective`` is used where installed;
    otherwise a sweep gives the exact hypervolume for two objectives. The reference point is
    the sdk's default, else the worst value of each objective plus a tenth of its range."""
    import numpy as np

    names, modes, _ = metric_setup(state.metadata)
    if len(names) < 2:
        return None
    table = trial_table(state)
    points = np.column_stack([table["last"][n] for n in names]) if len(table["ids"]) else None
    if points is None:
        return {"metrics": names, "modes": modes, "points": [], "front": [], "hypervolume": None}
    ok = np.isfinite(points).all(axis=1)
    ids, points = table["ids"][ok], points[ok]
    signs = np.array([-1.0 if m == "max" else 1.0 for m in modes])
    y = points * signs
    hv, reference = None, None
    try:
        from synetune_sdk import multiobjective as mo  # added by the multi-objective work

        mask = np.asarray(mo.pareto_mask(y), dtype=bool)
        reference = np.asarray(mo.default_reference_point(y), dtype=float)
        hv = float(mo.hypervolume(y[mask], reference))
    except (ImportError, AttributeError, TypeError, ValueError):
        mask = _pareto_mask(y) if len(y) else np.zeros(0, dtype=bool)
        if len(y):
            span = y.max(axis=0) - y.min(axis=0)
            reference = y.max(axis=0) + 0.1 * np.where(span > 0, span, 1.0)
            if y.shape[1] == 2:
                hv = _hypervolume_2d(y[mask], reference)
    return {
        "metrics": names,
        "modes": modes,
        "points": [[int(i), *map(float, p)] for i, p in zip(ids, points)],
        "front": [int(i) for i in ids[mask]],
        "hypervolume": hv,
        "reference": None if reference is None else [float(v) for v in reference * signs],
    }


def analyses(state: ExperimentState, metric: str | None = None) -> dict[str, Any]:
    with state.lock:
        return {
            "offset": state.offset,
            "importance": importance(state, metric),
            "rungs": rungs(state),
            "pareto": pareto(state),
        }


def compare(root: Path, names: list[str], metric: str | None = None) -> dict[str, Any]:
    """Best value so far of several experiments, grouped by method (metadata ``method``, else
    the scheduler), with the mean and the 95% confidence band per method on a shared time grid:
    ``synetune-plugin-compare``'s computation, as ``synetune experiments plot`` draws it."""
    from synetune_plugin_compare import compare_experiments

    comparison = compare_experiments(names, metric=metric or 0, root=root)
    curves = comparison.curves(num_points=200)

    def clean(values: Any) -> list[Any]:
        return [None if not math.isfinite(v) else float(v) for v in values]

    return {
        "metric": comparison.metric,
        "mode": comparison.mode,
        "time_label": comparison.time_label(),
        "methods": [
            {
                "method": curve.method,
                "runs": len(curve.seeds),
                "times": clean(curve.times),
                "center": clean(curve.center),
                "lower": clean(curve.lower),
                "upper": clean(curve.upper),
                "values": [clean(row) for row in curve.values],
            }
            for curve in curves
        ],
    }
