"""Callbacks that keep checkpoints from filling the disk, for any backend.

* ``RemoveCheckpointsCallback`` (``checkpoint_removal``): the ``delete_checkpoints`` behaviour of
  Syne Tune's backends, as a callback: a trial's checkpoint is removed once the trial can no
  longer be resumed (completed, failed or stopped), every remaining one at the end of the run,
  the best trial's kept when asked (``keep_best``), so that ``best_checkpoint()`` finds it.
* ``HyperbandRemoveCheckpointsCallback`` (``hyperband_checkpoint_removal``): on top of that,
  speculative removal for pause-and-resume Hyperband (``type="promotion"`` or ``"pasha"``),
  Syne Tune's ``early_checkpoint_removal_kwargs``: the number of trials holding a checkpoint
  (running or paused) is kept at ``max_num_checkpoints`` by removing the checkpoints of paused
  trials least likely to be resumed. A trial resumed without its checkpoint trains from scratch:
  decisions are unchanged, only compute is lost.

Checkpoints are removed through ``trial_backend.delete_checkpoint(trial_id)``, at the end of a
loop iteration (after the scheduler started or resumed trials, so a checkpoint a new trial
copies, as in PBT, is copied first). The callbacks learn about the run from the
``TuningContext`` of ``on_tuning_start`` only; the early removal asks the scheduler through the
pause/resume protocol of ``synetune_sdk.scheduler.PauseResumeScheduler``.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Any

from synetune_sdk.callback import Callback
from synetune_sdk.context import TuningContext
from synetune_sdk.scheduler import PauseResumeScheduler
from synetune_sdk.trial import SchedulerDecision, Trial

logger = logging.getLogger(__name__)

RUNNING = "running"
PAUSED = "paused"  # paused, checkpoint kept
PAUSED_NO_CHECKPOINT = "paused-no-checkpoint"
ENDED = "ended"  # completed, failed or stopped: never resumed

# A trial stopped or paused is killed in the background: if it still writes a checkpoint after
# its removal, the removal is repeated for this long.
SETTLE_SECONDS = 30.0


def _metric_value(result: dict[str, Any], metric: str) -> float | None:
    value = result.get(metric)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class RemoveCheckpointsCallback(Callback):
    """Remove checkpoints of trials that can no longer be resumed, and all at the end.

    Args:
        keep_best: keep the checkpoint of the trial with the best reported ``metric`` (at any
            time, the best one among the finished trials is kept; at the end, the overall best).
        metric: the metric ``keep_best`` ranks by; default: the scheduler's first metric.
        mode: ``"min"`` or ``"max"``; default: the scheduler's mode for ``metric``.
    """

    def __init__(self, keep_best: bool = False, metric: str | None = None, mode: str | None = None):
        if mode is not None and mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.keep_best = bool(keep_best)
        self.metric = metric
        self.mode = mode
        self.num_removed = 0  # checkpoints removed, for any reason
        self.best: tuple[float, int] | None = None  # (value, trial_id)
        self.kept: int | None = None  # a finished trial whose checkpoint is kept as the best
        self._status: dict[int, str] = {}
        self._to_remove: set[int] = set()
        self._removed_at: dict[int, float] = {}
        self._gone: set[int] = set()  # checkpoint removed and not written again since
        self._context: TuningContext | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_context"] = None  # set again by on_tuning_start
        return state

    @property
    def context(self) -> TuningContext:
        assert self._context is not None, "on_tuning_start was not called"
        return self._context

    @property
    def trial_backend(self) -> Any:
        return self.context.trial_backend

    # ------------------------------------------------------------------------------ hooks
    def on_tuning_start(self, context: TuningContext) -> None:
        self._context = context
        scheduler = context.scheduler
        try:
            names = list(scheduler.metric_names())
            modes = scheduler.metric_mode()
        except NotImplementedError:
            names, modes = [], "min"
        if self.metric is None:
            if self.keep_best and not names:
                raise ValueError(
                    "keep_best=True needs a metric: pass metric=... to the checkpoint removal "
                    "callback (the scheduler names none)"
                )
            self.metric = names[0] if names else None
        if self.mode is None:
            if isinstance(modes, str):
                self.mode = modes
            else:
                self.mode = modes[names.index(self.metric)] if self.metric in names else "min"
        for trial_id in context.trials:
            self._status.setdefault(trial_id, ENDED)

    def on_start_trial(self, trial: Trial) -> None:
        self._running(trial.trial_id)

    def on_resume_trial(self, trial: Trial) -> None:
        self._running(trial.trial_id)

    def on_trial_result(
        self, trial: Trial, status: str, result: dict[str, Any], decision: str
    ) -> None:
        trial_id = trial.trial_id
        if self.metric is not None:
            value = _metric_value(result, self.metric)
            if value is not None and not math.isnan(value) and self._better(value):
                self.best = (value, trial_id)
        if decision == SchedulerDecision.STOP:
            self._ended(trial_id)
        elif decision == SchedulerDecision.PAUSE:
            self._status[trial_id] = PAUSED
        else:
            self._status[trial_id] = RUNNING

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self._ended(trial.trial_id)

    def on_trial_error(self, trial: Trial) -> None:
        self._ended(trial.trial_id)

    def on_loop_end(self) -> None:
        best = self.best_trial_id()
        for trial_id in sorted(self._to_remove):
            if self.keep_best and trial_id == best:
                self.kept = trial_id
            else:
                self._remove(trial_id)
        self._to_remove.clear()
        if self.kept is not None and self.kept != best:
            kept, self.kept = self.kept, None
            self._remove(kept)
        self._settle()

    def on_tuning_end(self) -> None:
        best = self.best_trial_id() if self.keep_best else None
        trial_ids = set(self._status) | set(self.context.trials)
        for trial_id in sorted(trial_ids):
            if trial_id == best:
                self.kept = trial_id
            else:
                self._remove(trial_id)
        self._to_remove.clear()

    # ------------------------------------------------------------------------------ state
    def best_trial_id(self) -> int | None:
        return self.best[1] if self.best is not None else None

    def trials_with_checkpoints(self) -> list[int]:
        """Trials that hold (or are about to write) a checkpoint: running, paused, kept."""
        holders = {t for t, s in self._status.items() if s in (RUNNING, PAUSED)}
        holders |= self._to_remove
        if self.kept is not None:
            holders.add(self.kept)
        return sorted(holders)

    def _better(self, value: float) -> bool:
        if self.best is None:
            return True
        return value < self.best[0] if self.mode == "min" else value > self.best[0]

    def _running(self, trial_id: int) -> None:
        self._status[trial_id] = RUNNING
        self._to_remove.discard(trial_id)
        self._removed_at.pop(trial_id, None)  # its new checkpoints must stay
        self._gone.discard(trial_id)

    def _ended(self, trial_id: int) -> None:
        self._status[trial_id] = ENDED
        self._to_remove.add(trial_id)

    def _remove(self, trial_id: int) -> None:
        self.trial_backend.delete_checkpoint(trial_id)
        self._removed_at[trial_id] = time.monotonic()
        if trial_id not in self._gone:
            self._gone.add(trial_id)
            self.num_removed += 1

    def _settle(self) -> None:
        """Remove again what a trial being killed wrote after its checkpoint was removed."""
        if not self._removed_at:
            return
        now = time.monotonic()
        for trial_id, when in list(self._removed_at.items()):
            if now - when > SETTLE_SECONDS:
                del self._removed_at[trial_id]
                continue
            try:
                path = self.trial_backend.checkpoint_path(trial_id)
                written = path.is_dir() and any(path.iterdir())
            except (AttributeError, RuntimeError, OSError):
                written = False  # a backend without local checkpoint folders
            if written:
                self.trial_backend.delete_checkpoint(trial_id)


@dataclass
class BetaBinomialEstimator:
    """Posterior mean of ``p = P(new arrival ranks better)`` under a Beta prior given by its
    mean and its effective sample size ``a + b`` (conjugate to the binomial likelihood)."""

    prior_mean: float
    prior_size: float
    num_one: int = 0
    num_total: int = 0

    def update(self, outcomes: list[bool]) -> None:
        self.num_one += sum(outcomes)
        self.num_total += len(outcomes)

    def posterior_mean(self) -> float:
        return (self.prior_mean * self.prior_size + self.num_one) / (
            self.prior_size + self.num_total
        )


class HyperbandRemoveCheckpointsCallback(RemoveCheckpointsCallback):
    """Speculative early checkpoint removal for pause-and-resume Hyperband schedulers.

    Syne Tune's ``HyperbandRemoveCheckpointsCallback``: once more than ``max_num_checkpoints``
    trials hold a checkpoint, the paused trials with a checkpoint are scored by the expected
    cost of removing it, ``rung level x P(the trial is resumed before the end)`` (see
    ``score.py``), and the lowest scores lose their checkpoint. ``P`` depends on the trial's
    rank in its rung, the rung's size and promotion quantile, the time left relative to the
    time spent (hence ``max_wallclock_time``) and the probability ``p_r`` that a new arrival at
    rung ``r`` ranks better, estimated from the arrivals seen so far (Beta prior with mean
    ``prior_beta_mean`` and size ``prior_beta_size``; the estimate pooled over all rungs is used
    while a rung has fewer than ``min_data_at_rung`` data points). Finished trials lose their
    checkpoint as with ``checkpoint_removal``.

    The scheduler must implement the pause/resume protocol of
    ``synetune_sdk.scheduler.PauseResumeScheduler`` (``does_pause_resume()`` true,
    ``paused_trials()``, ``rung_information()``), as the ``hyperband`` plugin's
    ``HyperbandScheduler`` with ``type="promotion"`` or ``"pasha"`` does; nothing else of the
    scheduler is read but its ``metric_mode()``.

    Args:
        max_num_checkpoints: most trials holding a checkpoint; must exceed ``n_workers``.
        approx_steps: precision of the score (its cost grows with the cube).
        max_wallclock_time: the run's time budget in seconds; default: the one of the
            run's ``StoppingCriterion`` (``context.stop_criterion``).
        prior_beta_mean: prior mean of ``p_r`` (below 1/2: arrivals rank better less often).
        prior_beta_size: prior strength of ``p_r``, in data points.
        min_data_at_rung: data points a rung needs before its own estimate is used.
        keep_best, metric, mode: as for ``checkpoint_removal`` (the ranking at rungs is the
            scheduler's own).
    """

    def __init__(
        self,
        max_num_checkpoints: int,
        approx_steps: int = 25,
        max_wallclock_time: float | None = None,
        prior_beta_mean: float = 0.33,
        prior_beta_size: float = 2,
        min_data_at_rung: int = 5,
        keep_best: bool = False,
        metric: str | None = None,
        mode: str | None = None,
    ):
        super().__init__(keep_best=keep_best, metric=metric, mode=mode)
        if isinstance(max_num_checkpoints, bool) or not isinstance(max_num_checkpoints, int):
            raise TypeError(f"max_num_checkpoints must be an int, got {max_num_checkpoints!r}")
        if max_num_checkpoints < 1:
            raise ValueError(f"max_num_checkpoints must be at least 1, got {max_num_checkpoints}")
        if int(approx_steps) < 1:
            raise ValueError(f"approx_steps must be at least 1, got {approx_steps}")
        if max_wallclock_time is not None and max_wallclock_time <= 0:
            raise ValueError(f"max_wallclock_time must be > 0 seconds, got {max_wallclock_time}")
        if not 0.0 < prior_beta_mean < 1.0:
            raise ValueError(f"prior_beta_mean must lie in (0, 1), got {prior_beta_mean}")
        if prior_beta_size <= 0:
            raise ValueError(f"prior_beta_size must be > 0, got {prior_beta_size}")
        if int(min_data_at_rung) < 0:
            raise ValueError(f"min_data_at_rung must be >= 0, got {min_data_at_rung}")
        self.max_num_checkpoints = max_num_checkpoints
        self.approx_steps = int(approx_steps)
        self.max_wallclock_time = max_wallclock_time
        self.prior_beta_mean = float(prior_beta_mean)
        self.prior_beta_size = float(prior_beta_size)
        self.min_data_at_rung = int(min_data_at_rung)
        self._rank_mode = "min"  # the scheduler's mode, set at the start of the run
        self.num_checkpoints_removed = 0  # speculative removals (Syne Tune's counter)
        self.num_trials_resumed = 0
        self.trials_resumed_without_checkpoint: list[tuple[int, int]] = []
        self.estimator_overall = BetaBinomialEstimator(self.prior_beta_mean, self.prior_beta_size)
        self.estimator_for_rung: dict[int, BetaBinomialEstimator] = {}
        self._paused_level: dict[int, int] = {}

    # ------------------------------------------------------------------------------ hooks
    def on_tuning_start(self, context: TuningContext) -> None:
        scheduler = context.scheduler
        missing = _missing_protocol(scheduler)
        if missing or not scheduler.does_pause_resume():
            raise ValueError(
                "early checkpoint removal needs a pause-and-resume scheduler "
                "(synetune_sdk.scheduler.PauseResumeScheduler, e.g. "
                "synetune.schedulers.create('hyperband', type='promotion', ...)); "
                f"got {type(scheduler).__name__}"
                + (
                    f", which lacks {', '.join(missing)}"
                    if missing
                    else ", which does not pause trials (e.g. Hyperband with type='stopping')"
                )
            )
        if self.max_num_checkpoints <= context.n_workers:
            raise ValueError(
                f"max_num_checkpoints={self.max_num_checkpoints} must be larger than "
                f"n_workers={context.n_workers}: every running trial holds a checkpoint"
            )
        if self.max_wallclock_time is None:
            criterion = context.stop_criterion
            self.max_wallclock_time = getattr(criterion, "max_wallclock_time", None)
            if self.max_wallclock_time is None:
                raise ValueError(
                    "early checkpoint removal needs the run's time budget: pass "
                    "max_wallclock_time=... or use StoppingCriterion(max_wallclock_time=...)"
                )
        super().on_tuning_start(context)
        # the ranking at a rung is the scheduler's: values and levels come from paused_trials()
        modes = scheduler.metric_mode()
        self._rank_mode = modes if isinstance(modes, str) else modes[0]

    def on_resume_trial(self, trial: Trial) -> None:
        trial_id = trial.trial_id
        self.num_trials_resumed += 1
        if self._status.get(trial_id) == PAUSED_NO_CHECKPOINT:
            self.trials_resumed_without_checkpoint.append(
                (trial_id, self._paused_level.get(trial_id, 0))
            )
        super().on_resume_trial(trial)

    def on_trial_result(
        self, trial: Trial, status: str, result: dict[str, Any], decision: str
    ) -> None:
        super().on_trial_result(trial, status, result, decision)
        if decision != SchedulerDecision.PAUSE:
            return
        # A pause is a new arrival at a rung (results a trial re-reports after training from
        # scratch are answered CONTINUE and do not count). The scheduler says at which level
        # and with which value it ranks the trial.
        paused = self.context.scheduler.paused_trials()
        mine = [(value, level) for t, _, value, level in paused if t == trial.trial_id]
        if not mine:
            return
        value, level = mine[-1]
        level = int(level)
        signed = self._signed(float(value))
        self._paused_level[trial.trial_id] = level
        others = [
            self._signed(float(v))
            for t, _, v, lvl in paused
            if int(lvl) == level and t != trial.trial_id and self._status.get(t) == PAUSED
        ]
        if others:
            outcomes = [signed <= other for other in others]
            self._estimator(level).update(outcomes)
            self.estimator_overall.update(outcomes)

    def on_loop_end(self) -> None:
        super().on_loop_end()
        excess = len(self.trials_with_checkpoints()) - self.max_num_checkpoints
        if excess <= 0:
            return
        for trial_id, level, rank, rung_len, score in self.scores()[:excess]:
            self._remove(trial_id)
            self._status[trial_id] = PAUSED_NO_CHECKPOINT
            self.num_checkpoints_removed += 1
            logger.info(
                "removed the checkpoint of paused trial %d (level %d, rank %d of %d, score %.3g)",
                trial_id,
                level,
                rank,
                rung_len,
                score,
            )

    # ------------------------------------------------------------------------------ scores
    def scores(self) -> list[tuple[int, int, int, int, float]]:
        """``(trial_id, level, rank, rung length, score)`` of the paused trials holding a
        checkpoint, lowest score (first to remove) first."""
        import numpy as np

        from synetune_plugin_checkpoint_removal.score import resume_probabilities

        scheduler = self.context.scheduler
        rungs = {int(level): (n, q) for level, n, q in scheduler.rung_information()}
        rows = []
        for trial_id, rank0, _, level in scheduler.paused_trials():
            if self._status.get(trial_id) != PAUSED or int(level) not in rungs:
                continue
            level, rank = int(level), int(rank0) + 1  # the scheduler counts from 0
            rung_len, prom_quant = rungs[level]
            rows.append((trial_id, level, rank, max(int(rung_len), rank), float(prom_quant)))
        if not rows:
            return []
        probabilities = resume_probabilities(
            ranks=np.array([r[2] for r in rows]),
            rung_lens=np.array([r[3] for r in rows]),
            prom_quants=np.array([r[4] for r in rows]),
            p_vals=np.array([self.probability_for_rung(r[1]) for r in rows]),
            time_ratio=self.time_ratio(),
            approx_steps=self.approx_steps,
        )
        scored = [(*row[:4], float(p) * row[1]) for row, p in zip(rows, probabilities)]
        return sorted(scored, key=lambda r: (r[4], r[1], -r[2], r[0]))

    def probability_for_rung(self, level: int) -> float:
        estimator = self._estimator(level)
        if estimator.num_total < self.min_data_at_rung:
            estimator = self.estimator_overall
        return estimator.posterior_mean()

    def time_ratio(self) -> float:
        """Time left over time spent, on the tuner's clock."""
        spent = float(self.context.tuning_status.wallclock_time)
        left = float(self.max_wallclock_time) - spent
        return max(left, 1e-3) / max(spent, 1e-3)

    def extra_results(self) -> dict[str, Any]:
        """Columns worth adding to the results (Syne Tune's names)."""
        return {
            "num_checkpoints_removed": self.num_checkpoints_removed,
            "num_trials_resumed": self.num_trials_resumed,
            "cost_resources": sum(level for _, level in self.trials_resumed_without_checkpoint),
        }

    def _estimator(self, level: int) -> BetaBinomialEstimator:
        if level not in self.estimator_for_rung:
            self.estimator_for_rung[level] = BetaBinomialEstimator(
                self.prior_beta_mean, self.prior_beta_size
            )
        return self.estimator_for_rung[level]

    def _signed(self, value: float) -> float:
        if math.isnan(value):
            return math.inf  # a diverged trial ranks last, as in the scheduler
        return value if self._rank_mode == "min" else -value


PROTOCOL = ("does_pause_resume", "paused_trials", "rung_information")


def _missing_protocol(scheduler: Any) -> list[str]:
    """The methods of the pause/resume protocol that ``scheduler`` lacks: none for a
    ``PauseResumeScheduler``, else those it does not define itself (duck typing)."""
    if isinstance(scheduler, PauseResumeScheduler):
        return []
    return [name for name in PROTOCOL if not callable(getattr(scheduler, name, None))]
