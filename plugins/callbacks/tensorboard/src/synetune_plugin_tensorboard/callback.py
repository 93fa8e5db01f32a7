"""TensorBoard logging for a tuning run (Syne Tune's ``TensorboardCallback``), with tensorboardX.

Layout under ``<experiment>/tensorboard_output/`` (point ``tensorboard --logdir`` at it):

* ``trial-<id>/``: one TensorBoard run per trial, so curves of all trials overlay in one chart.
  Every numeric value a trial reports (bookkeeping fields ``st_*`` excepted) is a scalar with the
  same tag as in the results, against the trial's resource (``resource_attr``, e.g. the epoch).
  With ``log_hyperparameters`` the trial's configuration and last metric values are written for
  TensorBoard's HParams tab (``hparam/<metric>``) at the end of the run.
* ``tuner/``: ``best/<target_metric>``, the best value so far, after every result (step: number
  of results so far, wall time: the tuner's clock); whenever the best trial changes,
  ``best/trial_id``, ``best/config/<hp>`` for numeric hyperparameters and the whole
  configuration as text under ``best/config``. Of a run with several metrics (and no
  ``target_metric``): ``pareto/front_size`` and ``pareto/hypervolume`` of the results so far
  instead (``synetune_sdk.multiobjective.FrontTracker``).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from synetune_sdk.callback import Callback
from synetune_sdk.context import TuningContext
from synetune_sdk.jsonutil import json_default_or_str
from synetune_sdk.trial import SchedulerDecision, Trial

OUTPUT_FOLDER = "tensorboard_output"
TUNER_RUN = "tuner"


def trial_run_name(trial_id: int) -> str:
    return f"trial-{trial_id}"


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class TensorboardCallback(Callback):
    """Write the run to TensorBoard event files (only tensorboardX needed, no TensorFlow).

    Args:
        ignore_metrics: reported names not to log (``st_*`` fields and ``trial_id`` never are).
        target_metric: the metric whose best value so far and best configuration are logged;
            default: the scheduler's first metric.
        mode: ``"min"`` or ``"max"`` for ``target_metric``; default: the scheduler's mode.
        log_hyperparameters: write each trial's configuration for the HParams tab.
        resource_attr: the step of each trial's curves; default: the scheduler's
            ``resource_attr`` if it has one, else ``"epoch"``. A result without it is logged at
            the trial's result count.
        output_folder: where to write; default ``<experiment>/tensorboard_output``.
        reference_point: of a run with several metrics (and no ``target_metric``), the
            hypervolume's reference point, one value per metric in its own units; default:
            ``nadir + 10% of the range`` of the results so far.
    """

    def __init__(
        self,
        ignore_metrics: list[str] | None = None,
        target_metric: str | None = None,
        mode: str | None = None,
        log_hyperparameters: bool = True,
        resource_attr: str | None = None,
        output_folder: str | Path | None = None,
        reference_point: list[float] | None = None,
    ):
        if mode is not None and mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        self.ignore_metrics = set(ignore_metrics or [])
        self.target_metric = target_metric
        self.mode = mode
        self.log_hyperparameters = log_hyperparameters
        self.resource_attr = resource_attr
        self.output_folder = Path(output_folder) if output_folder is not None else None
        self.metric_names: list[str] = []
        self.best: tuple[float, int] | None = None  # (value, trial_id)
        self.reference_point = reference_point
        self.front: Any = None  # of several metrics: a FrontTracker instead of the best
        self.num_results = 0
        self._result_counts: dict[int, int] = {}
        self._last_results: dict[int, dict[str, Any]] = {}
        self._configs: dict[int, dict[str, Any]] = {}
        self._writers: dict[str, Any] = {}
        self._time_zero = 0.0

    def __getstate__(self) -> dict[str, Any]:
        # writers hold files and threads: the tuner pickles its callbacks into tuner.dill
        state = self.__dict__.copy()
        state["_writers"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state.setdefault("front", None)  # pickled before fronts were logged
        state.setdefault("reference_point", None)
        self.__dict__.update(state)

    # ------------------------------------------------------------------------------ hooks
    def on_tuning_start(self, context: TuningContext) -> None:
        scheduler = context.scheduler
        try:
            self.metric_names = list(scheduler.metric_names())
            modes = scheduler.metric_mode()
        except NotImplementedError:
            self.metric_names, modes = [], "min"
        several = self.target_metric is None and len(self.metric_names) > 1
        if several and self.front is None:  # a resumed run keeps its front
            from synetune_sdk.multiobjective import FrontTracker

            self.front = FrontTracker(self.metric_names, modes, self.reference_point)
        if self.target_metric is None and self.metric_names:
            self.target_metric = self.metric_names[0]
        if self.mode is None:
            if isinstance(modes, str):
                self.mode = modes
            elif self.target_metric in self.metric_names:
                self.mode = modes[self.metric_names.index(self.target_metric)]
            else:
                self.mode = "min"
        if self.resource_attr is None:
            self.resource_attr = getattr(scheduler, "resource_attr", None) or "epoch"
        if self.output_folder is None:
            self.output_folder = Path(context.tuner_path) / OUTPUT_FOLDER
        self.output_folder.mkdir(parents=True, exist_ok=True)
        # wall time of a point = tuner start + st_tuner_time, so TensorBoard's "relative" axis
        # shows the tuner's clock (simulated seconds on the simulator)
        self._time_zero = time.time() - float(context.tuning_status.wallclock_time)

    def on_trial_add(self, trial: Trial) -> None:
        self._configs[trial.trial_id] = dict(trial.config)

    def on_resume_trial(self, trial: Trial) -> None:
        self._configs[trial.trial_id] = dict(trial.config)

    def on_trial_result(
        self, trial: Trial, status: str, result: dict[str, Any], decision: str
    ) -> None:
        trial_id = trial.trial_id
        self._configs[trial_id] = dict(trial.config)
        count = self._result_counts.get(trial_id, 0) + 1
        self._result_counts[trial_id] = count
        self._last_results[trial_id] = result
        self.num_results += 1
        walltime = self._walltime(result)
        resource = _number(result.get(self.resource_attr))
        step = int(resource) if resource is not None and not math.isnan(resource) else count
        writer = self._writer(trial_run_name(trial_id))
        for key, value in result.items():
            number = _number(value)
            if number is None or key.startswith("st_") or key == "trial_id":
                continue
            if key in self.ignore_metrics:
                continue
            writer.add_scalar(key, number, global_step=step, walltime=walltime)
        if self.front is not None:
            self._log_front(trial, result, walltime)
        else:
            self._log_best(trial, result, walltime)
        if decision in (SchedulerDecision.PAUSE, SchedulerDecision.STOP):
            self._close(trial_run_name(trial_id))  # reopened if the trial is resumed

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self._close(trial_run_name(trial.trial_id))

    def on_trial_error(self, trial: Trial) -> None:
        self._close(trial_run_name(trial.trial_id))

    def on_tuning_end(self) -> None:
        try:
            if self.log_hyperparameters:
                for trial_id in sorted(self._last_results):
                    self._log_hparams(trial_id)
        finally:
            for name in list(self._writers):
                self._close(name)

    # ------------------------------------------------------------------------------ helpers
    def _walltime(self, result: dict[str, Any]) -> float:
        elapsed = _number(result.get("st_tuner_time"))
        if elapsed is None:  # a result that did not come through the tuner
            return time.time()
        return self._time_zero + elapsed

    def _log_best(self, trial: Trial, result: dict[str, Any], walltime: float) -> None:
        value = _number(result.get(self.target_metric)) if self.target_metric else None
        improved = False
        if value is not None and not math.isnan(value):
            if self.best is None or (
                value < self.best[0] if self.mode == "min" else value > self.best[0]
            ):
                self.best = (value, trial.trial_id)
                improved = True
        if self.best is None:
            return
        writer = self._writer(TUNER_RUN)
        step = self.num_results
        writer.add_scalar(
            f"best/{self.target_metric}", self.best[0], global_step=step, walltime=walltime
        )
        if not improved:
            return
        config = self._configs.get(trial.trial_id, trial.config)
        writer.add_scalar("best/trial_id", trial.trial_id, global_step=step, walltime=walltime)
        for key, hp in config.items():
            number = _number(hp)
            if number is not None:
                writer.add_scalar(f"best/config/{key}", number, global_step=step, walltime=walltime)
        text = json.dumps({"trial_id": trial.trial_id, **config}, default=json_default_or_str)
        writer.add_text("best/config", text, global_step=step, walltime=walltime)

    def _log_front(self, trial: Trial, result: dict[str, Any], walltime: float) -> None:
        self.front.add(result, key=trial.trial_id)
        if not self.front.size:
            return
        writer = self._writer(TUNER_RUN)
        step = self.num_results
        writer.add_scalar("pareto/front_size", self.front.size, global_step=step, walltime=walltime)
        hypervolume = self.front.hypervolume()
        writer.add_scalar("pareto/hypervolume", hypervolume, global_step=step, walltime=walltime)

    def _log_hparams(self, trial_id: int) -> None:
        result = self._last_results[trial_id]
        names = self.metric_names or ([self.target_metric] if self.target_metric else [])
        metrics = {
            f"hparam/{name}": float(result[name])
            for name in names
            if _number(result.get(name)) is not None
        }
        if not metrics:
            return
        hparams = {
            key: value if isinstance(value, bool | int | float | str) else str(value)
            for key, value in self._configs.get(trial_id, {}).items()
        }
        from tensorboardX.summary import hparams as hparams_summaries

        # the HParams session goes into the trial's own run, next to its curves (tensorboardX's
        # add_hparams would open a second writer whose file can clobber the first one)
        writer = self._writer(trial_run_name(trial_id))
        for summary in hparams_summaries(hparams, metrics):
            writer.file_writer.add_summary(summary)
        step = self._result_counts[trial_id]
        for tag, value in metrics.items():
            writer.add_scalar(tag, value, global_step=step)

    def _writer(self, name: str) -> Any:
        writer = self._writers.get(name)
        if writer is None:
            from tensorboardX import SummaryWriter

            assert self.output_folder is not None, "on_tuning_start was not called"
            # event files are named after the second they were opened in: a nanosecond suffix
            # keeps a trial paused and resumed within one second from overwriting its first
            # file, and keeps the files in the order they were written (readers sort by name)
            writer = SummaryWriter(
                logdir=str(self.output_folder / name),
                flush_secs=30,
                filename_suffix=f".{time.time_ns():020d}",
            )
            self._writers[name] = writer
        return writer

    def _close(self, name: str) -> None:
        writer = self._writers.pop(name, None)
        if writer is not None:
            writer.close()
