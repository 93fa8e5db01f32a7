"""SimulatorBackend: replays a blackbox's learning curves on a simulated clock, without sleeping.

Syne Tune's ``BlackboxRepositoryBackend`` / ``UserBlackboxBackend`` for the synetune ``Tuner``.
When a trial starts (or resumes) at simulated time ``t``, its result at fidelity ``f`` is due at
``t + elapsed(f) - elapsed(start)``, where ``elapsed`` is the blackbox's cumulative
elapsed-time objective. Pending results sit in an event heap keyed by due time (one entry per
running trial), so the cost of a result stays flat however long the run is:

* ``time()`` is the simulated clock, so ``StoppingCriterion(max_wallclock_time=...)`` counts
  simulated seconds and ``st_tuner_time`` in the results is simulated time;
* ``fetch_status_results()`` releases every result that is due, in simulated-time order, and
  a trial's completion together with its last result; when none is due it first advances the
  clock to the next due result (the tuner starts trials on free workers before it fetches
  again, so nothing is skipped, and each result costs one loop iteration instead of two);
* ``wait()`` advances the clock to the next due result too (it never sleeps; it returns at
  once if nothing is pending);
* while the tuner allows it (``batch_results``: every worker busy, a stop criterion that
  only a trial's end or the clock can fire), one fetch goes on past the first due result, in
  simulated-time order, up to the first result the scheduler may decide on, a trial's end or
  the time limit: the loop turns once per decision instead of once per result, and the
  scheduler, the record and the callbacks see the same results in the same order.

Stop and pause behave as on the local backend: the trial's pending results are dropped. A
resumed trial continues after the last fidelity it reported (``support_checkpointing=True``)
without replaying time, so its first result after a resume from fidelity ``f`` arrives at
``now + elapsed(f+1) - elapsed(f)``; without checkpointing it starts over. The ``n_workers``
limit is the tuner's. Runs are deterministic for fixed seeds unless ``add_scheduler_time``.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from typing import Any

from synetune_sdk.backend import TrialBackend
from synetune_sdk.constants import ST_WORKER_ITER, ST_WORKER_TIME, ST_WORKER_TIMESTAMP
from synetune_sdk.trial import TrialStatus


@dataclass
class _Run:
    """What one run of a trial replays: its curve and where it is on it."""

    curve: list[list[float]]  # per fidelity, the objectives in blackbox.objectives_names order
    last: int  # index of the last fidelity this trial trains to
    start_time: float  # simulated time this run started
    iteration: int = 0


@dataclass
class _Progress:
    """Per trial: the table seed and the last fidelity index reported (its checkpoint)."""

    seed: int
    reported: int = -1


class SimulatorBackend(TrialBackend):
    """Run trials on simulated time by looking their results up in a blackbox.

    Args:
        blackbox: a blackbox instance (``synetune_plugin_blackbox_repository``) ...
        blackbox_name: ... or the name of a registered recipe, loaded with
            ``synetune.blackboxes.load(blackbox_name, **blackbox_kwargs)``; only the name is
            pickled with the tuner.
        elapsed_time_attr: the objective holding the cumulative training time of a trial at
            each fidelity (default: the ``elapsed_time_attr`` recorded in the blackbox's
            metadata).
        max_resource_attr: config key holding the fidelity at which a trial ends (e.g.
            ``"epochs"``); default: the highest fidelity of the blackbox.
        seed: table seed every trial uses; None draws one per trial from ``random_seed``.
        support_checkpointing: a resumed trial continues from its last reported fidelity
            (True) or starts over (False).
        add_scheduler_time: also advance the simulated clock by the real time spent outside
            ``wait()`` (scheduler decisions and the tuner's bookkeeping), as Syne Tune does.
            This makes runs depend on the machine's speed.
        dataset: task of a blackbox with several tasks.
        surrogate: answer configurations that are not in the table with
            ``add_surrogate(blackbox, surrogate, **surrogate_kwargs)`` (``"knn"``,
            ``"random_forest"`` or a regressor).
        random_seed: seeds the per-trial choice of table seed when ``seed`` is None.

    Results carry the blackbox's objectives, the fidelity (e.g. ``epoch``),
    ``st_worker_timestamp`` (simulated time), ``st_worker_time`` (simulated seconds since the
    run started) and ``st_worker_iter``. No files are written per trial.
    """

    simulated = True  # time() is the simulated clock (TrialBackend.simulated)

    def __init__(
        self,
        blackbox: Any = None,
        elapsed_time_attr: str | None = None,
        max_resource_attr: str | None = None,
        seed: int | None = None,
        support_checkpointing: bool = True,
        add_scheduler_time: bool = False,
        blackbox_name: str | None = None,
        dataset: str | None = None,
        blackbox_kwargs: dict[str, Any] | None = None,
        surrogate: Any = None,
        surrogate_kwargs: dict[str, Any] | None = None,
        random_seed: int = 0,
        delete_checkpoints: bool = False,
    ):
        if (blackbox is None) == (blackbox_name is None):
            raise ValueError("pass exactly one of blackbox (an instance) and blackbox_name")
        super().__init__(delete_checkpoints=delete_checkpoints)
        self.blackbox_name = blackbox_name
        self.dataset = dataset
        self.blackbox_kwargs = dict(blackbox_kwargs or {})
        self.surrogate = surrogate
        self.surrogate_kwargs = dict(surrogate_kwargs or {})
        self.max_resource_attr = max_resource_attr
        self.seed = seed
        self.support_checkpointing = bool(support_checkpointing)
        self.add_scheduler_time = bool(add_scheduler_time)
        self.random_seed = random_seed
        self._blackbox = self._prepare(blackbox)
        if elapsed_time_attr is None:
            elapsed_time_attr = getattr(self._blackbox, "metadata", {}).get("elapsed_time_attr")
        names = list(self._blackbox.objectives_names)
        if elapsed_time_attr not in names:
            raise ValueError(
                f"elapsed_time_attr={elapsed_time_attr!r} must name the blackbox objective that "
                f"holds the cumulative training time; objectives: {names}"
            )
        self.elapsed_time_attr = elapsed_time_attr
        self._names = names
        self._elapsed_index = names.index(elapsed_time_attr)
        fidelities = self._blackbox.fidelity_values()
        self._fidelity_name = next(iter(self._blackbox.fidelity_space), None)
        self._fidelities = [None] if fidelities is None else list(fidelities)
        self._fidelity_index = {f: i for i, f in enumerate(self._fidelities)}
        self._num_seeds = int(getattr(self._blackbox, "num_seeds", 1))
        if seed is not None and not 0 <= int(seed) < self._num_seeds:
            raise ValueError(f"seed={seed} is not a table seed: use 0..{self._num_seeds - 1}")
        import numpy as np

        self._seed_rng = np.random.default_rng(random_seed)
        self._now = 0.0
        self._heap: list[tuple[float, int, int, int, int]] = []  # due, seq, trial, run, index
        self._seq = 0
        self._active: dict[int, _Run] = {}
        self._progress: dict[int, _Progress] = {}
        self._mark = time.perf_counter()
        self._may_decide: Any = None
        self._horizon = math.inf

    # ------------------------------------------------------------------ the blackbox
    def _prepare(self, blackbox: Any) -> Any:
        if blackbox is None:
            from synetune_plugin_blackbox_repository import load_blackbox

            blackbox = load_blackbox(self.blackbox_name, task=self.dataset, **self.blackbox_kwargs)
        if isinstance(blackbox, dict):  # several tasks
            if self.dataset not in blackbox:
                raise ValueError(f"dataset={self.dataset!r} is not one of {sorted(blackbox)}")
            blackbox = blackbox[self.dataset]
        if self.surrogate is not None:
            from synetune_plugin_blackbox_repository import add_surrogate

            blackbox = add_surrogate(blackbox, self.surrogate, **self.surrogate_kwargs)
        return blackbox

    @property
    def blackbox(self) -> Any:
        if self._blackbox is None:  # unpickled with blackbox_name: load it again
            self._blackbox = self._prepare(None)
        return self._blackbox

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        if self.blackbox_name is not None:
            state["_blackbox"] = None
        state["_may_decide"] = None  # the tuner sets it again at every turn
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._mark = time.perf_counter()

    def batch_results(self, may_decide: Any, horizon: float) -> None:
        if not self.add_scheduler_time:  # the real time of the loop turns is part of the clock
            self._may_decide, self._horizon = may_decide, horizon

    # ------------------------------------------------------------------ the clock
    def _clock(self) -> float:
        if self.add_scheduler_time:
            now = time.perf_counter()
            self._now += now - self._mark
            self._mark = now
        return self._now

    def time(self) -> float:
        """Simulated seconds since the backend was created."""
        return self._clock()

    def wait(self, timeout: float) -> bool:
        """Advance the simulated clock to the next pending result (never sleeps)."""
        self._clock()
        if self._events:
            return True
        self._drop_stale()
        if not self._heap:
            return False
        self._now = max(self._now, self._heap[0][0])
        self._mark = time.perf_counter()
        return True

    def _is_current(self, trial_id: int, run: int) -> bool:
        return run == self.current_run(trial_id) and self.status.get(trial_id) == (
            TrialStatus.IN_PROGRESS
        )

    def _drop_stale(self) -> None:
        heap = self._heap
        while heap and not self._is_current(heap[0][2], heap[0][3]):
            heapq.heappop(heap)

    # ------------------------------------------------------------------ results
    def fetch_status_results(
        self, trial_ids: list[int]
    ) -> tuple[dict[int, tuple[Any, str]], list[tuple[int, dict[str, Any]]]]:
        now = self._clock()
        if not self._release(now) and not self._events:
            # nothing is due: jump to the next due result at once instead of returning empty
            # and waiting, which halves the tuner's loop iterations per result
            self._drop_stale()
            if self._heap:
                self._now = max(now, self._heap[0][0])
                self._mark = time.perf_counter()
                self._release(self._now)
        return super().fetch_status_results(trial_ids)

    def _release(self, now: float) -> int:
        """Hand over every result due by ``now``; returns how many."""
        released = 0
        heap = self._heap
        names, elapsed = self._names, self._elapsed_index
        fidelity_name, fidelities = self._fidelity_name, self._fidelities
        may_decide, horizon = self._may_decide, self._horizon
        while heap and (heap[0][0] <= now or may_decide is not None):
            due, _, trial_id, run, index = heapq.heappop(heap)
            if not self._is_current(trial_id, run):
                continue
            if due > now:  # batching: the clock follows the results it hands over
                self._now = now = due
            state = self._active[trial_id]
            row = state.curve[index]
            result = dict(zip(names, row))
            if fidelity_name is not None:
                result[fidelity_name] = fidelities[index]
            result[ST_WORKER_TIMESTAMP] = due
            result[ST_WORKER_TIME] = due - state.start_time
            result[ST_WORKER_ITER] = state.iteration
            state.iteration += 1
            released += 1
            self._progress[trial_id].reported = index
            self._report(trial_id, run, result)
            if index >= state.last:
                del self._active[trial_id]
                self._finish(trial_id, run, TrialStatus.COMPLETED)
                may_decide = None  # a worker is free: the tuner starts a trial now
            else:
                step = state.curve[index + 1][elapsed] - row[elapsed]
                self._push(due + (step if step > 0 else 0.0), trial_id, run, index + 1)
                if may_decide is not None and (due >= horizon or may_decide(trial_id, result)):
                    may_decide = None
        return released

    def _push(self, due: float, trial_id: int, run: int, index: int) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due, self._seq, trial_id, run, index))

    # ------------------------------------------------------------------ trial control
    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        now = self._clock()
        run = self.current_run(trial_id)
        progress = self._progress.get(trial_id)
        if progress is None:
            seed = self.seed
            if seed is None:
                seed = int(self._seed_rng.integers(self._num_seeds))
            progress = self._progress[trial_id] = _Progress(seed=seed)
        if not self.support_checkpointing:
            progress.reported = -1
        try:
            curve, last = self._curve(config, progress.seed)
        except (KeyError, ValueError, TypeError) as err:
            self._finish(trial_id, run, TrialStatus.FAILED, f"{type(err).__name__}: {err}")
            return
        start = progress.reported + 1
        state = _Run(curve=curve, last=last, start_time=now)
        self._active[trial_id] = state
        if start > last:  # resumed after its last fidelity: nothing left to train
            del self._active[trial_id]
            self._finish(trial_id, run, TrialStatus.COMPLETED)
            return
        base = curve[start - 1][self._elapsed_index] if start > 0 else 0.0
        step = curve[start][self._elapsed_index] - base
        self._push(now + (step if step > 0 else 0.0), trial_id, run, start)

    def _curve(self, config: dict[str, Any], seed: int) -> tuple[list[list[float]], int]:
        blackbox = self.blackbox
        curve_of = getattr(blackbox, "objective_curve", None)
        if curve_of is not None:
            curve = curve_of(config, seed=seed)
            rows = curve.tolist() if hasattr(curve, "tolist") else [list(r) for r in curve]
        else:  # any Blackbox: one call per fidelity
            rows = []
            for fidelity in self._fidelities:
                out = blackbox.objective_function(config, fidelity=fidelity, seed=seed)
                rows.append([out[name] for name in self._names])
        last = len(rows) - 1
        if self.max_resource_attr is not None and self.max_resource_attr in config:
            wanted = config[self.max_resource_attr]
            if wanted not in self._fidelity_index:
                raise ValueError(
                    f"config {self.max_resource_attr}={wanted!r} is not a fidelity of the "
                    f"blackbox ({self._fidelities[0]}..{self._fidelities[-1]})"
                )
            last = self._fidelity_index[wanted]
        # a curve recorded only up to some fidelity ends there
        while last >= 0 and math.isnan(rows[last][self._elapsed_index]):
            last -= 1
        if last < 0:
            raise ValueError(f"the blackbox has no recorded result for config {config!r}")
        return rows, last

    def _stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._active.pop(trial_id, None)  # its pending result is now stale and gets dropped

    def copy_checkpoint(self, src_trial_id: int, tgt_trial_id: int) -> None:
        """A trial started from another's checkpoint (PBT) continues from its fidelity."""
        source = self._progress.get(src_trial_id)
        if source is not None and self.support_checkpointing:
            seed = self.seed if self.seed is not None else source.seed
            self._progress[tgt_trial_id] = _Progress(seed=seed, reported=source.reported)

    def delete_checkpoint(self, trial_id: int) -> None:
        progress = self._progress.get(trial_id)
        if progress is not None and self.status.get(trial_id) != TrialStatus.IN_PROGRESS:
            progress.reported = -1

    def restore(self, trials: dict[int, Any], status: dict[int, str]) -> None:
        super().restore(trials, status)
        self._heap = []
        self._active = {}

    def busy_trial_ids(self) -> list[tuple[int, str]]:
        return [(t, TrialStatus.IN_PROGRESS) for t in self._active]
