"""The tuning loop: asks the scheduler what to run, runs it on the backend, feeds results back."""

# The loop is event driven: it blocks in ``trial_backend.wait()``, which returns as soon as a
# result or status change arrives, so a reported metric reaches the scheduler in milliseconds.
# Every event is in the durable log (``events.jsonl``, see ``synetune.journal``) before anyone acts
# on it; ``Tuner.load(path).run()`` continues an interrupted run from there (``synetune.replay``).
# Saving and printing live in ``synetune.saving`` and ``synetune.console``.

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from synetune import results as store
from synetune.console import VERBOSITY, BestTracker, ending, failed_line, say, status_line, summary
from synetune.journal import RepeatFilter, RunRecord
from synetune.registry import REGISTRIES, resolve
from synetune.saving import load_tuner, save_tuner, write_run_metadata
from synetune_sdk.backend import TrialBackend
from synetune_sdk.callback import Callback
from synetune_sdk.context import TuningContext, TuningStatus
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.stopping import StoppingCriterion, batch_horizon
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion

logger = logging.getLogger(__name__)

_DECISIONS = (SchedulerDecision.CONTINUE, SchedulerDecision.PAUSE, SchedulerDecision.STOP)
# what a scheduler raises when a result lacks what it needs: a failure of that trial
_RESULT_ERRORS = (ValueError, KeyError, TypeError)


class TrialFailuresError(ValueError):
    """More trials failed than ``max_failures`` allows; the message shows the first failure."""


class Tuner:
    """Runs a hyperparameter optimisation (Syne Tune's ``Tuner``, same arguments).

    Beyond Syne Tune: the loop wakes on events instead of sleeping ``sleep_time`` (which now
    only bounds how long it waits when nothing happens), results survive a crash, and
    ``verbose`` ("quiet", "normal", "debug") controls what is printed. A folder that already
    holds a run is never reused silently: resume it, or pass ``overwrite=True`` to start over.
    """

    def __init__(
        self,
        trial_backend: TrialBackend,
        scheduler: Scheduler,
        stop_criterion: Any,
        n_workers: int,
        sleep_time: float = 5.0,
        results_update_interval: float = 10.0,
        print_update_interval: float = 30.0,
        max_failures: int = 1,
        tuner_name: str | None = None,
        asynchronous_scheduling: bool = True,
        wait_trial_completion_when_stopping: bool = False,
        callbacks: list[Callback | str] | None = None,
        metadata: dict[str, Any] | None = None,
        suffix_tuner_name: bool = True,
        save_tuner: bool = True,
        start_jobs_without_delay: bool = True,
        trial_backend_path: str | None = None,
        verbose: str = "normal",
        extra_results_composer: Callable[[Tuner], dict[str, Any]] | None = None,
        overwrite: bool = False,
    ):
        if isinstance(trial_backend, str) or isinstance(scheduler, str):
            raise TypeError(
                "trial_backend and scheduler must be instances; build them by name with "
                "synetune.backends.create(...) and synetune.schedulers.create(...)"
            )
        if not callable(stop_criterion):
            raise TypeError(
                "stop_criterion must be a StoppingCriterion or a callable on TuningStatus"
            )
        if isinstance(n_workers, bool) or int(n_workers) < 1:
            raise ValueError(f"n_workers must be at least 1, got {n_workers}")
        if isinstance(max_failures, bool) or not isinstance(max_failures, int) or max_failures < 0:
            raise ValueError(
                f"max_failures must be an integer >= 0 (how many failed trials are tolerated), "
                f"got {max_failures!r}"
            )
        if verbose not in VERBOSITY:
            raise ValueError(f"verbose must be one of {sorted(VERBOSITY)}, got {verbose!r}")
        self.trial_backend = trial_backend
        self.scheduler = scheduler
        self.stop_criterion = stop_criterion
        self.n_workers = int(n_workers)
        self.sleep_time = float(sleep_time)
        self.results_update_interval = float(results_update_interval)
        self.print_update_interval = float(print_update_interval)
        self.max_failures = max_failures
        self.asynchronous_scheduling = asynchronous_scheduling
        self.wait_trial_completion_when_stopping = wait_trial_completion_when_stopping
        self.callbacks = [resolve("callbacks", cb) for cb in (callbacks or [])]
        self.extra_results_composer = extra_results_composer
        self.user_metadata = dict(metadata or {})
        self.save_tuner = save_tuner
        self.start_jobs_without_delay = start_jobs_without_delay
        self.trial_backend_path = trial_backend_path
        self.verbose = verbose
        self.overwrite = overwrite
        self.name = store.tuner_name_for(tuner_name, suffix_tuner_name, trial_backend)
        self.tuner_path = store.experiment_path(self.name)
        self.tuning_status = TuningStatus(metric_names=self._metric_names())
        self.trials: dict[int, Trial] = {}
        self._resumed = False
        self._log_position = 0  # events the saved scheduler saw: those before this position,
        self._seen_seq = 0  # except results after this sequence number (read, not yet handled)
        self._reset_run_state()

    # ------------------------------------------------------------------------------ set-up
    def _metric_names(self) -> list[str]:
        try:
            return list(self.scheduler.metric_names())
        except NotImplementedError:
            return []

    def _modes(self) -> dict[str, str]:
        names = self._metric_names()
        modes = self.scheduler.metric_mode() if names else "min"
        modes = [modes] * len(names) if isinstance(modes, str) else list(modes)
        if len(modes) != len(names):
            raise ValueError(
                f"{type(self.scheduler).__name__} gives {len(modes)} modes for the "
                f"metrics {names}: metric_mode() must give one per metric"
            )
        return dict(zip(names, modes))

    def _reset_run_state(self) -> None:
        self._running: set[int] = set()
        self._record: RunRecord | None = None
        self._folder_lock: store.FolderLock | None = None
        self._failures: list[tuple[int, str]] = []
        self._repeats = RepeatFilter(getattr(self.scheduler, "resource_attr", None))
        self._time_offset = 0.0
        self._start_time = 0.0
        self._last_save = 0.0
        self._save_cost = 0.0
        self._last_print = 0.0
        self._prints_progress = False
        # a scheduler tuning under a constraint names it in constraint_attr (feasible: <= 0)
        self._best = BestTracker(self._modes(), getattr(self.scheduler, "constraint_attr", None))
        self.num_dropped_results = 0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_record"] = None
        state["_folder_lock"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("overwrite", False)
        # saved before results were recorded as they were read: the log held only seen ones
        self.__dict__.setdefault("_seen_seq", float("inf"))
        self._record = None
        self._folder_lock = None

    @staticmethod
    def load(tuner_path: str | Path) -> Tuner:
        """Load a tuner saved in ``tuner_path`` (a folder, or an experiment name under
        ``$SYNETUNE_FOLDER``); ``run()`` then continues where it stopped."""
        from synetune.experiments import resolve_experiment_path

        path = resolve_experiment_path(tuner_path)
        tuner = load_tuner(path)
        tuner.tuner_path = path
        tuner._resumed = True
        return tuner

    # ------------------------------------------------------------------------------ the loop
    def run(self) -> None:
        """Tune until the stop criterion fires, the search space is exhausted or too many
        trials failed (then ``TrialFailuresError`` is raised after results are saved).

        Ctrl-C (``KeyboardInterrupt``) stops the trials, saves, prints to stderr how to resume
        (``synetune resume NAME``) and raises the ``KeyboardInterrupt`` again."""
        self._setup()
        interrupted = False
        try:
            self._loop()
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            self._teardown(interrupted)
        if len(self._failures) > self.max_failures:
            trial_id, error = self._failures[0]
            raise TrialFailuresError(
                f"{len(self._failures)} trials failed, more than max_failures={self.max_failures}. "
                f"First failure, trial {trial_id}:\n{error}\nResults so far are in {self.tuner_path}"
            )

    def _setup(self) -> None:
        from synetune.replay import restore

        resumed = self._resumed
        if not resumed:
            self._reset_run_state()
        self._folder_lock = store.claim_folder(self.tuner_path, self.name, resumed, self.overwrite)
        try:
            self.trial_backend.set_path(self.trial_backend_path or self.tuner_path)
            self._start_time = self.trial_backend.time()
            if resumed:
                restore(self)
            else:
                self._record = RunRecord(self.tuner_path / store.EVENTS_FILENAME, self._elapsed, 0)
                write_run_metadata(self)
            self.trial_backend.set_journal(self._record)
            self._record.log.buffered = self._simulated
            self.tuning_status.attach_trials(self.trials)  # configs for its trial_rows
            self._add_default_callbacks()
            context = TuningContext(
                name=self.name,
                tuner_path=self.tuner_path,
                n_workers=self.n_workers,
                scheduler=self.scheduler,
                trial_backend=self.trial_backend,
                stop_criterion=self.stop_criterion,
                tuning_status=self.tuning_status,
                trials=MappingProxyType(self.trials),
                verbose=self.verbose,
                metadata=MappingProxyType(self.user_metadata),
            )
            for callback in self.callbacks:
                callback.on_tuning_start(context)
            # asked after the start: a progress display that shows nothing says so there
            self._prints_progress = self.verbose != "quiet" and any(
                getattr(cb, "prints_progress", False) for cb in self.callbacks
            )
            self._save()
        except BaseException:
            self._release_folder()
            raise
        self._say(1, f"synetune: tuning {self.name!r}, results in {self.tuner_path}")

    def _release_folder(self) -> None:
        if self._folder_lock is not None:
            self._folder_lock.release()
            self._folder_lock = None

    def _add_default_callbacks(self) -> None:
        """Callbacks the scheduler needs, then callbacks plugins registered as defaults
        (the progress display), unless one of the same class was given."""
        wanted = list(getattr(self.scheduler, "default_callbacks", list)())
        for entry in REGISTRIES["callbacks"].entries().values():
            if entry.default:
                factory = entry.load()
                if not any(isinstance(cb, factory) for cb in self.callbacks + wanted):
                    wanted.append(factory())
        for callback in wanted:
            if not any(type(cb) is type(callback) for cb in self.callbacks):
                self.callbacks.append(callback)

    def _loop(self) -> None:
        stop_requested = False
        exhausted = False
        while True:
            for callback in self.callbacks:
                callback.on_loop_start()
            if self._simulated:
                self._batch_results()
            statuses, results = self.trial_backend.fetch_status_results(sorted(self._running))
            if self.callbacks and (results or statuses):
                for callback in self.callbacks:
                    callback.on_fetch_status_results(statuses, results)
            self._handle_results(results)
            changed = self._handle_statuses(statuses)
            self._update_time()
            if len(self._failures) > self.max_failures:
                failed = f"{len(self._failures)} trials failed"
                self._say(
                    0, f"synetune: stopping, {failed}, more than max_failures={self.max_failures}"
                )
                break
            if not stop_requested and self.stop_criterion(self.tuning_status):
                stop_requested = True
                self._say(1, "synetune: stop criterion reached")
                if not self.wait_trial_completion_when_stopping:
                    break
            started = 0
            if not stop_requested:
                started, exhausted = self._fill_workers()
            if not self._running and (stop_requested or exhausted):
                if exhausted and not stop_requested:
                    self._say(1, "synetune: no more configurations to run, tuning finished")
                break
            for callback in self.callbacks:
                callback.on_loop_end()
            self._periodic()
            if not results and not changed and not started:
                self.trial_backend.wait(self._wait_timeout())

    def _batch_results(self) -> None:
        """Let a simulated backend hand over every result up to the next one the scheduler may
        decide on while all workers are busy and only a trial's start or end or the clock can
        fire the stop criterion: nothing else can happen in between, so this is exact."""
        horizon = batch_horizon(self.stop_criterion)
        if horizon is None or len(self._running) < self.n_workers:
            self.trial_backend.batch_results(None, horizon or 0.0)
        else:
            may_decide = getattr(self.scheduler, "may_decide", None)
            offset = self._start_time - self._time_offset
            self.trial_backend.batch_results(may_decide, horizon + offset)

    def _wait_timeout(self) -> float:
        timeout = min(self.sleep_time, 1.0)
        limit = getattr(self.stop_criterion, "max_wallclock_time", None)
        if isinstance(self.stop_criterion, StoppingCriterion) and limit is not None:
            timeout = min(timeout, max(0.0, limit - self.tuning_status.wallclock_time) + 1e-3)
        return timeout

    def _elapsed(self) -> float:
        return self._time_offset + self.trial_backend.time() - self._start_time

    def _update_time(self) -> None:
        self.tuning_status.wallclock_time = self._elapsed()

    def _would_fire_after_start(self) -> bool:
        status = self.tuning_status
        status.num_trials_started += 1
        try:
            return bool(self.stop_criterion(status))
        finally:
            status.num_trials_started -= 1

    def _any_paused(self) -> bool:
        return any(s == TrialStatus.PAUSED for s in self.tuning_status.trial_status.values())

    def _fill_workers(self) -> tuple[int, bool]:
        """Start or resume trials on free workers; returns (how many, nothing left to run)."""
        if not self.asynchronous_scheduling and self._running:
            return 0, False
        if self.start_jobs_without_delay:
            busy = len(self._running)
        else:
            busy = len(self.trial_backend.busy_trial_ids())
        started = 0
        for _ in range(self.n_workers - busy):
            # Ask the scheduler only for what may still run: once a new trial would fire the
            # stop criterion, only a paused trial can resume (a suggestion asked for and thrown
            # away would stay "running" in an ask/tell peer such as an Optuna study).
            no_new_trial = self._would_fire_after_start()
            if no_new_trial and not self._any_paused():
                return started, True
            suggestion = self.scheduler.suggest(self.trial_backend.new_trial_id())
            if suggestion is None:
                return started, True
            if suggestion.spawn_new_trial_id and no_new_trial:
                return started, True
            self._launch(suggestion)
            started += 1
        return started, False

    def _launch(self, suggestion: TrialSuggestion) -> None:
        record = self._record
        assert record is not None
        if suggestion.spawn_new_trial_id:
            if suggestion.config is None:
                raise ValueError(
                    f"{type(self.scheduler).__name__}.suggest returned a start suggestion without config"
                )
            # the start is on record before the trial can print anything
            trial_id = self.trial_backend.new_trial_id()
            record.runs[trial_id] = 1
            record.record(
                {
                    "event": "trial",
                    "trial_id": trial_id,
                    "config": suggestion.config,
                    "creation_time": datetime.now().isoformat(),
                    "checkpoint_trial_id": suggestion.checkpoint_trial_id,
                    "seen": self._seen_seq,
                }
            )
            self.tuning_status.on_trial_started(trial_id)
            try:
                trial = self.trial_backend.start_trial(
                    suggestion.config, checkpoint_trial_id=suggestion.checkpoint_trial_id
                )
            except Exception:
                self._set_status(trial_id, TrialStatus.FAILED)
                raise
            if trial.trial_id != trial_id:
                raise RuntimeError(
                    f"{type(self.trial_backend).__name__}.start_trial created trial "
                    f"{trial.trial_id}, but new_trial_id() announced {trial_id}"
                )
            self.trials[trial_id] = trial
            self._running.add(trial_id)
            self.scheduler.on_trial_add(trial)
            self._say(2, lambda: f"synetune: trial {trial_id} started with {trial.config}")
            for callback in self.callbacks:
                callback.on_trial_add(trial)
                callback.on_start_trial(trial)
        else:
            trial_id = suggestion.checkpoint_trial_id
            if trial_id is None or trial_id not in self.trials:
                raise ValueError(
                    f"{type(self.scheduler).__name__}.suggest asked to resume unknown trial {trial_id}"
                )
            if suggestion.config is not None:
                record.record(
                    {
                        "event": "config",
                        "trial_id": trial_id,
                        "config": suggestion.config,
                        "seen": self._seen_seq,
                    }
                )
            record.runs[trial_id] = record.runs.get(trial_id, 1) + 1
            self._set_status(trial_id, TrialStatus.IN_PROGRESS)
            trial = self.trial_backend.resume_trial(trial_id, new_config=suggestion.config)
            self.trials[trial_id] = trial
            self._running.add(trial_id)
            self._say(2, f"synetune: trial {trial_id} resumed")
            for callback in self.callbacks:
                callback.on_resume_trial(trial)

    def _handle_results(self, results: list[tuple[int, dict[str, Any]]]) -> None:
        record = self._record
        assert record is not None
        removed: set[int] = set()
        for trial_id, raw in results:
            taken = record.take(trial_id, raw)
            if taken is None:
                continue  # malformed: counted and logged by the record
            seq, elapsed = taken
            self._seen_seq = seq
            if trial_id in removed or trial_id not in self._running:
                self.num_dropped_results += 1
                record.record({"event": "drop", "seq": seq, "trial_id": trial_id})
                continue
            if self._repeats.seen and self._repeats.is_repeat(trial_id, raw):
                continue
            result = {**raw, "st_tuner_time": elapsed}
            self.tuning_status.on_result(trial_id, result)
            self._best.update(trial_id, raw)
            trial = self.trials[trial_id]
            try:
                decision = self.scheduler.on_trial_result(trial, result)
            except _RESULT_ERRORS as err:
                self._fail_running_trial(trial, result, err)
                removed.add(trial_id)
                continue
            if decision not in _DECISIONS:
                raise ValueError(
                    f"{type(self.scheduler).__name__}.on_trial_result returned {decision!r}; it must "
                    "return SchedulerDecision.CONTINUE, PAUSE or STOP"
                )
            if decision != SchedulerDecision.CONTINUE:
                record.record(
                    {"event": "decision", "seq": seq, "trial_id": trial_id, "decision": decision}
                )
            if self.verbose == "debug":
                self._say(2, f"synetune: trial {trial_id} reported {raw} -> {decision}")
            status = TrialStatus.IN_PROGRESS
            if decision == SchedulerDecision.STOP:
                self.trial_backend.stop_trial(trial_id, result)
                self.scheduler.on_trial_remove(trial)
                status = TrialStatus.STOPPED
            elif decision == SchedulerDecision.PAUSE:
                self.trial_backend.pause_trial(trial_id, result)
                self.scheduler.on_trial_remove(trial)
                status = TrialStatus.PAUSED
            if status != TrialStatus.IN_PROGRESS:
                removed.add(trial_id)
                self._running.discard(trial_id)
                self._set_status(trial_id, status)
            for callback in self.callbacks:
                callback.on_trial_result(trial, status, result, decision)
            extra = self._extra_results()
            if extra:
                record.record({"event": "extra", "seq": seq, "trial_id": trial_id, "values": extra})

    def _fail_running_trial(self, trial: Trial, result: dict[str, Any], err: Exception) -> None:
        """The scheduler could not use a result (e.g. a metric it needs is missing): the trial
        fails, and ``max_failures`` decides whether the run goes on."""
        trial_id = trial.trial_id
        self.trial_backend.stop_trial(trial_id, result)
        self._running.discard(trial_id)
        self._set_status(trial_id, TrialStatus.FAILED)
        self._failures.append((trial_id, f"{type(err).__name__}: {err}"))
        rejected = f"{type(self.scheduler).__name__} rejected its result: {err}"
        self._say(0, f"{failed_line(trial_id, len(self._failures), self.max_failures)}: {rejected}")
        self.scheduler.on_trial_error(trial)
        for callback in self.callbacks:
            callback.on_trial_error(trial)

    def _extra_results(self) -> dict[str, Any]:
        """Columns added to the row of the result just handled (Syne Tune's
        ``StoreResultsCallback(extra_results_composer=...)``): ``extra_results()`` of every
        callback that defines it, then ``extra_results_composer(tuner)``."""
        extra: dict[str, Any] = {}
        for callback in self.callbacks:
            method = getattr(callback, "extra_results", None)
            if callable(method):
                extra.update(method())
        if self.extra_results_composer is not None:
            extra.update(self.extra_results_composer(self))
        return extra

    def _handle_statuses(self, statuses: dict[int, tuple[Trial, str]]) -> bool:
        changed = False
        for trial_id, (trial, status) in statuses.items():
            if trial_id not in self._running or status == TrialStatus.IN_PROGRESS:
                continue
            changed = True
            self._running.discard(trial_id)
            self._set_status(trial_id, status)
            if status == TrialStatus.COMPLETED:
                last = self.tuning_status.last_results.get(trial_id, {})
                self.scheduler.on_trial_complete(trial, last)
                names = self.tuning_status.metric_names
                # on simulated time trials end by the hundred a second: the status line tells
                self._say(
                    2 if self._simulated else 1,
                    f"synetune: trial {trial_id} completed: {summary(last, names)}"
                    f"{self._best_text()}",
                )
                for callback in self.callbacks:
                    callback.on_trial_complete(trial, last)
            else:
                error = (
                    self.trial_backend.errors.get(trial_id)
                    or f"trial {trial_id} ended with status {status}"
                )
                if status == TrialStatus.FAILED:
                    self._failures.append((trial_id, error))
                    failed = failed_line(trial_id, len(self._failures), self.max_failures)
                    self._say(0, f"{failed}:\n{error}")
                self.scheduler.on_trial_error(trial)
                for callback in self.callbacks:
                    callback.on_trial_error(trial)
        return changed

    def _set_status(self, trial_id: int, status: str, **extra: Any) -> None:
        self.tuning_status.on_trial_status(trial_id, status)
        assert self._record is not None
        self._record.record(
            {
                "event": "status",
                "trial_id": trial_id,
                "status": status,
                "st_tuner_time": self._elapsed(),
                "seen": self._seen_seq,  # results the scheduler had seen: replay keeps the order
                **extra,
            }
        )

    # ------------------------------------------------------------------------------ output
    def _periodic(self) -> None:
        now = time.monotonic()
        # saving rewrites results.csv.zip and tuner.dill in full: space saves out so that they
        # never take more than a tenth of the run, however long it grows
        assert self._record is not None
        if self._record.dirty and now - self._last_save > max(
            self.results_update_interval, 10 * self._save_cost
        ):
            self._save()
        if (
            not self._prints_progress
            and self.print_update_interval
            and now - self._last_print > self.print_update_interval
        ):
            self._last_print = now
            self._say(1, status_line(self.tuning_status, self._simulated) + self._best_text())

    def _save(self) -> None:
        start = time.monotonic()
        record = self._record
        assert record is not None
        with record.log.lock:  # backends' readers append to the table meanwhile
            record.log.sync()  # the saved tuner never runs ahead of the log
            record.dirty = False
            view = record.table.view()
            self._log_position = record.log.count
        if self.save_tuner:  # first: a run killed during its first save left no results file
            save_tuner(self, self.tuner_path)
        store.write_results_csv(self.tuner_path / store.RESULTS_FILENAME, view)
        self._last_save = time.monotonic()
        self._save_cost = self._last_save - start

    def save(self, folder: str | Path | None = None) -> None:
        """Pickle the tuner (scheduler, backend, callbacks) to ``tuner.dill``."""
        if self._record is not None:
            with self._record.log.lock:
                self._record.log.sync()
                self._log_position = self._record.log.count
        save_tuner(self, Path(folder or self.tuner_path))

    def _teardown(self, interrupted: bool = False) -> None:
        try:
            if self._running:
                self.trial_backend.stop_all()
                for trial_id in sorted(self._running):
                    self._set_status(trial_id, TrialStatus.STOPPED)
                self._running.clear()
            for callback in self.callbacks:
                callback.on_tuning_end()
        finally:
            try:
                self._update_time()
                self._save()
                self.trial_backend.close()
            finally:
                self.trial_backend.set_journal(None)
                if self._record is not None:
                    self._record.close()
                self._release_folder()
            self._say(*ending(self, interrupted))

    @property
    def _simulated(self) -> bool:
        """The backend's clock is simulated (``TrialBackend.simulated``), not wall time."""
        return bool(getattr(self.trial_backend, "simulated", False))

    def _say(self, level: int, message: Any) -> None:
        say(self.verbose, level, message)

    def _best_text(self) -> str:
        names = self.tuning_status.metric_names
        return self._best.text(names[0] if names else None)

    # ------------------------------------------------------------------------------ answers
    @property
    def num_malformed_results(self) -> int:
        """Results that were not recorded because they were malformed (see the log)."""
        return self._record.num_malformed if self._record is not None else 0

    def best_result(self, metric: str | int = 0) -> tuple[int, str, float] | None:
        """``(trial_id, metric, value)`` of the best result reported so far."""
        names = self.tuning_status.metric_names
        if not names:
            return None
        name = names[metric] if isinstance(metric, int) else metric
        best = self._best.get(name)
        return None if best is None else (best[0], name, best[1])

    def best_config(self, metric: str | int = 0) -> tuple[int, dict[str, Any]]:
        """``(trial_id, config)`` of the trial with the best reported value of ``metric`` (of a
        scheduler with a ``constraint_attr``: the best feasible value, constraint <= 0)."""
        best = self.best_result(metric)
        if best is None:
            raise ValueError("no result was reported yet, so there is no best configuration")
        return best[0], dict(self.trials[best[0]].config)


__all__ = ["Tuner", "TrialFailuresError"]
