"""The tuning loop: asks the scheduler what to run, runs it on the backend, feeds results back.

The loop is event driven: it blocks in ``trial_backend.wait()``, which returns as soon as a
result or status change arrives, so a reported metric reaches the scheduler in milliseconds.
Every event is appended to the durable log (``events.jsonl``) before the scheduler acts on it;
``Tuner.load(path).run()`` continues an interrupted run from there.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from synetune import results as store
from synetune.registry import resolve
from synetune.stopping import StoppingCriterion, TuningStatus
from synetune_sdk.backend import TrialBackend
from synetune_sdk.callback import Callback
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion

logger = logging.getLogger(__name__)

TUNER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
VERBOSITY = {"quiet": 0, "normal": 1, "debug": 2}
_DECISIONS = (SchedulerDecision.CONTINUE, SchedulerDecision.PAUSE, SchedulerDecision.STOP)


class TrialFailuresError(ValueError):
    """More trials failed than ``max_failures`` allows; the message shows the first failure."""


class Tuner:
    """Runs a hyperparameter optimisation (Syne Tune's ``Tuner``, same arguments).

    Beyond Syne Tune: the loop wakes on events instead of sleeping ``sleep_time`` (which now
    only bounds how long it waits when nothing happens), results survive a crash, and
    ``verbose`` ("quiet", "normal", "debug") controls what is printed.
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
        if int(n_workers) < 1:
            raise ValueError(f"n_workers must be at least 1, got {n_workers}")
        if verbose not in VERBOSITY:
            raise ValueError(f"verbose must be one of {sorted(VERBOSITY)}, got {verbose!r}")
        self.trial_backend = trial_backend
        self.scheduler = scheduler
        self.stop_criterion = stop_criterion
        self.n_workers = int(n_workers)
        self.sleep_time = float(sleep_time)
        self.results_update_interval = float(results_update_interval)
        self.print_update_interval = float(print_update_interval)
        self.max_failures = int(max_failures)
        self.asynchronous_scheduling = asynchronous_scheduling
        self.wait_trial_completion_when_stopping = wait_trial_completion_when_stopping
        self.callbacks = [resolve("callbacks", cb) for cb in (callbacks or [])]
        self.extra_results_composer = extra_results_composer
        self.progress_active = False  # a progress callback prints instead of the tuner
        self.user_metadata = dict(metadata or {})
        self.save_tuner = save_tuner
        self.start_jobs_without_delay = start_jobs_without_delay
        self.trial_backend_path = trial_backend_path
        self.verbose = verbose
        self.name = self._make_name(tuner_name, suffix_tuner_name)
        self.tuner_path = store.experiment_path(self.name)
        self.tuning_status = TuningStatus(metric_names=self._metric_names())
        self.trials: dict[int, Trial] = {}
        self._resumed = False
        self._log_position = 0
        self._reset_run_state()

    # ------------------------------------------------------------------------------ set-up
    def _make_name(self, tuner_name: str | None, suffix: bool) -> str:
        if tuner_name is None:
            entry = self.trial_backend.entrypoint_path()
            tuner_name = Path(entry).stem.replace("_", "-") if entry else "synetune"
            tuner_name = re.sub(r"[^a-zA-Z0-9-]", "-", tuner_name).strip("-") or "synetune"
        if suffix:
            stamp = datetime.now().strftime("%Y-%m-%d-%H-%M-%S-%f")[:-3]
            tuner_name = f"{tuner_name[: 62 - len(stamp)]}-{stamp}"
        if not TUNER_NAME_PATTERN.match(tuner_name):
            raise ValueError(
                f"tuner_name {tuner_name!r} is invalid: use 1 to 63 letters, digits and single "
                "or repeated dashes, starting and ending with a letter or digit (no '_' or '.')"
            )
        return tuner_name

    def _metric_names(self) -> list[str]:
        try:
            return list(self.scheduler.metric_names())
        except NotImplementedError:
            return []

    def _reset_run_state(self) -> None:
        self._running: set[int] = set()
        self._log: store.EventLog | None = None
        self._table = store.ResultTable()
        self._seq = 0
        self._failures: list[tuple[int, str]] = []
        self._restarted: dict[int, float] = {}
        self._time_offset = 0.0
        self._start_time = 0.0
        self._last_save = 0.0
        self._save_cost = 0.0
        self._last_print = 0.0
        self._dirty = False
        self._best: dict[str, tuple[int, float]] = {}
        self._mode_of = self._modes()
        self.num_dropped_results = 0

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_log"] = None
        state["_table"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._table = store.ResultTable()

    @staticmethod
    def load(tuner_path: str | Path) -> Tuner:
        """Load a tuner saved in ``tuner_path``; ``run()`` then continues where it stopped."""
        import dill

        path = Path(tuner_path)
        if not (path / store.TUNER_FILENAME).exists() and not path.is_absolute():
            path = store.experiment_path(str(tuner_path))
        file = path / store.TUNER_FILENAME
        if not file.exists():
            raise FileNotFoundError(
                f"no {store.TUNER_FILENAME} in {path}: pass the experiment folder of a run "
                "started with save_tuner=True"
            )
        with open(file, "rb") as f:
            tuner = dill.load(f)
        tuner.tuner_path = path
        tuner._resumed = True
        return tuner

    # ------------------------------------------------------------------------------ the loop
    def run(self) -> None:
        """Tune until the stop criterion fires, the search space is exhausted or too many
        trials failed (then ``TrialFailuresError`` is raised after results are saved)."""
        self._setup()
        try:
            self._loop()
        finally:
            self._teardown()
        if len(self._failures) > self.max_failures:
            trial_id, error = self._failures[0]
            raise TrialFailuresError(
                f"{len(self._failures)} trials failed, more than max_failures={self.max_failures}. "
                f"First failure, trial {trial_id}:\n{error}\nResults so far are in {self.tuner_path}"
            )

    def _setup(self) -> None:
        resumed = self._resumed
        if not resumed:
            self._reset_run_state()
        self.tuner_path.mkdir(parents=True, exist_ok=True)
        self.trial_backend.set_path(self.trial_backend_path or self.tuner_path)
        self._log = store.EventLog(self.tuner_path / store.EVENTS_FILENAME)
        self._start_time = self.trial_backend.time()
        if resumed:
            self._restore()
        else:
            self._write_metadata()
        self._add_default_progress()
        self._add_early_checkpoint_removal()
        for callback in self.callbacks:
            callback.on_tuning_start(self)
        self._save()
        self._say(1, f"synetune: tuning {self.name!r}, results in {self.tuner_path}")

    def _add_default_progress(self) -> None:
        """Use the ``progress`` callback plugin when installed (and not already given)."""
        from synetune.registry import REGISTRIES

        registry = REGISTRIES["callbacks"]
        if self.verbose == "quiet" or "progress" not in registry:
            return
        factory = registry.get("progress")
        if any(isinstance(cb, factory) for cb in self.callbacks if isinstance(factory, type)):
            return
        self.callbacks.append(factory(verbose=self.verbose))

    def _add_early_checkpoint_removal(self) -> None:
        """Schedulers with ``early_checkpoint_removal_kwargs`` (Hyperband promotion) get the
        ``hyperband_checkpoint_removal`` callback, as in Syne Tune."""
        from synetune.registry import REGISTRIES

        kwargs = getattr(self.scheduler, "early_checkpoint_removal_kwargs", None)
        if not kwargs:
            return
        if kwargs["max_num_checkpoints"] <= self.n_workers:
            raise ValueError(
                f"early_checkpoint_removal_kwargs: max_num_checkpoints={kwargs['max_num_checkpoints']} "
                f"must be larger than n_workers={self.n_workers} (running trials hold checkpoints too)"
            )
        registry = REGISTRIES["callbacks"]
        if "hyperband_checkpoint_removal" not in registry:
            raise ValueError(
                "early_checkpoint_removal_kwargs needs the hyperband_checkpoint_removal callback: "
                "pip install synetune-plugin-checkpoint-removal"
            )
        factory = registry.get("hyperband_checkpoint_removal")
        if not any(isinstance(cb, factory) for cb in self.callbacks):
            self.callbacks.append(factory(**kwargs))

    def _loop(self) -> None:
        stop_requested = False
        exhausted = False
        while True:
            for callback in self.callbacks:
                callback.on_loop_start()
            statuses, results = self.trial_backend.fetch_status_results(sorted(self._running))
            if self.callbacks and (results or statuses):
                for callback in self.callbacks:
                    callback.on_fetch_status_results(statuses, results)
            self._handle_results(results)
            changed = self._handle_statuses(statuses)
            self._update_time()
            if len(self._failures) > self.max_failures:
                self._say(
                    0,
                    f"synetune: stopping, {len(self._failures)} trials failed (max_failures={self.max_failures})",
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
        if suggestion.spawn_new_trial_id:
            if suggestion.config is None:
                raise ValueError(
                    f"{type(self.scheduler).__name__}.suggest returned a start suggestion without config"
                )
            trial = self.trial_backend.start_trial(
                suggestion.config, checkpoint_trial_id=suggestion.checkpoint_trial_id
            )
            self.trials[trial.trial_id] = trial
            self.tuning_status.on_trial_started(trial.trial_id)
            self._record(
                {
                    "event": "trial",
                    "trial_id": trial.trial_id,
                    "config": trial.config,
                    "creation_time": trial.creation_time.isoformat(),
                    "checkpoint_trial_id": suggestion.checkpoint_trial_id,
                }
            )
            self._running.add(trial.trial_id)
            self.scheduler.on_trial_add(trial)
            self._say(2, lambda: f"synetune: trial {trial.trial_id} started with {trial.config}")
            for callback in self.callbacks:
                callback.on_trial_add(trial)
                callback.on_start_trial(trial)
        else:
            trial_id = suggestion.checkpoint_trial_id
            if trial_id is None or trial_id not in self.trials:
                raise ValueError(
                    f"{type(self.scheduler).__name__}.suggest asked to resume unknown trial {trial_id}"
                )
            trial = self.trial_backend.resume_trial(trial_id, new_config=suggestion.config)
            self.trials[trial_id] = trial
            if suggestion.config is not None:
                self._record({"event": "config", "trial_id": trial_id, "config": trial.config})
            self._set_status(trial_id, TrialStatus.IN_PROGRESS)
            self._running.add(trial_id)
            self._say(2, f"synetune: trial {trial_id} resumed")
            for callback in self.callbacks:
                callback.on_resume_trial(trial)

    def _handle_results(self, results: list[tuple[int, dict[str, Any]]]) -> None:
        removed: set[int] = set()
        for trial_id, raw in results:
            if trial_id in removed or trial_id not in self._running:
                self.num_dropped_results += 1
                continue
            if self._is_replayed(trial_id, raw):
                continue
            elapsed = self._elapsed()
            result = {**raw, "st_tuner_time": elapsed}
            self._seq += 1
            seq = self._seq
            self._record(
                {
                    "event": "result",
                    "seq": seq,
                    "trial_id": trial_id,
                    "result": raw,
                    "st_tuner_time": elapsed,
                }
            )
            self.tuning_status.on_result(trial_id, result)
            self._update_best(trial_id, raw)
            trial = self.trials[trial_id]
            decision = self.scheduler.on_trial_result(trial, result)
            if decision not in _DECISIONS:
                raise ValueError(
                    f"{type(self.scheduler).__name__}.on_trial_result returned {decision!r}; it must "
                    "return SchedulerDecision.CONTINUE, PAUSE or STOP"
                )
            if decision != SchedulerDecision.CONTINUE:
                self._record(
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
                self._record({"event": "extra", "seq": seq, "trial_id": trial_id, "values": extra})

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
                self._say(
                    1,
                    f"synetune: trial {trial_id} completed: {self._summary(last)}{self._best_text()}",
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
                    self._say(
                        0,
                        f"synetune: trial {trial_id} failed ({len(self._failures)} of max_failures={self.max_failures} tolerated):\n{error}",
                    )
                self.scheduler.on_trial_error(trial)
                for callback in self.callbacks:
                    callback.on_trial_error(trial)
        return changed

    def _set_status(self, trial_id: int, status: str) -> None:
        self.tuning_status.on_trial_status(trial_id, status)
        self._record(
            {
                "event": "status",
                "trial_id": trial_id,
                "status": status,
                "st_tuner_time": self._elapsed(),
            }
        )

    def _record(self, event: dict[str, Any]) -> None:
        assert self._log is not None
        self._log.append(event)
        self._table.add(event)
        self._dirty = True

    def _is_replayed(self, trial_id: int, result: dict[str, Any]) -> bool:
        """After a crash, a restarted trial may report again what was logged before: drop it."""
        if trial_id not in self._restarted:
            return False
        key = getattr(self.scheduler, "resource_attr", None) or "epoch"
        level = result.get(key)
        if isinstance(level, int | float) and level <= self._restarted[trial_id]:
            self.num_dropped_results += 1
            return True
        del self._restarted[trial_id]
        return False

    # ------------------------------------------------------------------------------ output
    def _periodic(self) -> None:
        now = time.monotonic()
        # saving rewrites results.csv.zip and tuner.dill in full: space saves out so that they
        # never take more than a tenth of the run, however long it grows
        if self._dirty and now - self._last_save > max(
            self.results_update_interval, 10 * self._save_cost
        ):
            self._save()
        if (
            not self.progress_active
            and self.print_update_interval
            and now - self._last_print > self.print_update_interval
        ):
            self._last_print = now
            status = self.tuning_status
            self._say(
                1,
                f"synetune: {status.wallclock_time:.1f}s elapsed, {status.num_trials_running} running, "
                f"{status.num_trials_finished} finished ({status.num_trials_failed} failed), "
                f"{status.num_results} results{self._best_text()}",
            )

    def _save(self) -> None:
        start = time.monotonic()
        self._dirty = False
        store.write_results_csv(self.tuner_path / store.RESULTS_FILENAME, self._table.rows)
        if self.save_tuner:
            self.save()
        self._last_save = time.monotonic()
        self._save_cost = self._last_save - start

    def save(self, folder: str | Path | None = None) -> None:
        """Pickle the tuner (scheduler, backend, callbacks) to ``tuner.dill``.

        The C pickler is tried first (many times faster); dill, which also handles lambdas and
        local classes, is the fallback. ``Tuner.load`` reads either.
        """
        import pickle

        if self._log is not None:
            self._log_position = self._log.count
        try:
            data = pickle.dumps(self, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            import dill

            data = dill.dumps(self)
        path = Path(folder or self.tuner_path) / store.TUNER_FILENAME
        store.atomic_write_bytes(path, data)

    def _write_metadata(self) -> None:
        from synetune_sdk.config_space import config_space_to_json

        now = time.time()
        entry = self.trial_backend.entrypoint_path()
        metadata: dict[str, Any] = {
            "st_tuner_creation_timestamp": now,
            "st_tuner_start_timestamp": now,
            "tuner_name": self.name,
            "entrypoint": str(entry) if entry else None,
            "backend": type(self.trial_backend).__name__,
            "n_workers": self.n_workers,
        }
        try:
            metadata.update(self.scheduler.metadata())
        except NotImplementedError:
            metadata["scheduler_name"] = type(self.scheduler).__name__
        if "config_space" not in metadata and getattr(self.scheduler, "config_space", None):
            try:
                metadata["config_space"] = config_space_to_json(self.scheduler.config_space)
            except Exception:  # a custom space we cannot serialise: leave it out
                pass
        for key, value in self.user_metadata.items():
            if key in metadata:
                logger.warning("metadata key %r overrides the value synetune wrote", key)
            metadata[key] = value
        store.write_metadata(self.tuner_path / store.METADATA_FILENAME, metadata)

    def _teardown(self) -> None:
        try:
            if self._running:
                self.trial_backend.stop_all()
                for trial_id in sorted(self._running):
                    self._set_status(trial_id, TrialStatus.STOPPED)
                self._running.clear()
            for callback in self.callbacks:
                callback.on_tuning_end()
        finally:
            self._update_time()
            self._save()
            if self._log is not None:
                self._log.close()
            self.trial_backend.close()
            best = self._best_text()
            self._say(
                1,
                f"synetune: finished {self.name!r} after {self.tuning_status.wallclock_time:.1f}s{best}; results in {self.tuner_path}",
            )

    def _say(self, level: int, message: Any) -> None:
        """Print ``message`` (a string, or a callable building it only when it is shown)."""
        if VERBOSITY[self.verbose] >= level:
            text = message() if callable(message) else message
            print(text, file=sys.stdout if level else sys.stderr, flush=True)

    def _summary(self, result: dict[str, Any]) -> str:
        names = self.tuning_status.metric_names or [k for k in result if not k.startswith("st_")]
        return ", ".join(
            f"{k}={result[k]:.6g}" if isinstance(result.get(k), float) else f"{k}={result.get(k)}"
            for k in names
            if k in result
        )

    def _best_text(self) -> str:
        best = self.best_result()
        if best is None:
            return ""
        trial_id, metric, value = best
        return f" | best {metric}={value:.6g} (trial {trial_id})"

    # ------------------------------------------------------------------------------ answers
    def _modes(self) -> dict[str, str]:
        names = self._metric_names()
        modes = self.scheduler.metric_mode() if names else "min"
        return {n: (modes if isinstance(modes, str) else modes[i]) for i, n in enumerate(names)}

    def _update_best(self, trial_id: int, result: dict[str, Any]) -> None:
        """Keep the best value per metric as results arrive (no scan over past results)."""
        for name, mode in self._mode_of.items():
            value = result.get(name)
            if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
                continue
            best = self._best.get(name)
            if best is None or (value < best[1] if mode == "min" else value > best[1]):
                self._best[name] = (trial_id, float(value))

    def best_result(self, metric: str | int = 0) -> tuple[int, str, float] | None:
        """``(trial_id, metric, value)`` of the best result reported so far."""
        names = self.tuning_status.metric_names
        if not names:
            return None
        name = names[metric] if isinstance(metric, int) else metric
        best = self._best.get(name)
        return None if best is None else (best[0], name, best[1])

    def best_config(self, metric: str | int = 0) -> tuple[int, dict[str, Any]]:
        """``(trial_id, config)`` of the trial with the best reported value of ``metric``."""
        best = self.best_result(metric)
        if best is None:
            raise ValueError("no result was reported yet, so there is no best configuration")
        return best[0], dict(self.trials[best[0]].config)

    # ------------------------------------------------------------------------------ resume
    def _restore(self) -> None:
        """Rebuild the run's state from the log and replay into the scheduler what the saved
        tuner did not see yet; trials that were running are restarted from their checkpoint."""
        self._reset_run_state()
        self._log = store.EventLog(self.tuner_path / store.EVENTS_FILENAME)
        self._start_time = self.trial_backend.time()
        events = store.read_events(self.tuner_path / store.EVENTS_FILENAME)
        status = TuningStatus(metric_names=self._metric_names())
        self.tuning_status = status
        state: dict[int, str] = {}
        max_level: dict[int, float] = {}
        key = getattr(self.scheduler, "resource_attr", None) or "epoch"
        for position, event in enumerate(events):
            replay = position >= self._log_position
            kind = event.get("event")
            trial_id = event.get("trial_id")
            self._table.add(event)
            if "st_tuner_time" in event:
                self._time_offset = max(self._time_offset, float(event["st_tuner_time"]))
            if kind == "trial":
                created = event.get("creation_time")
                trial = Trial(
                    trial_id,
                    event["config"],
                    datetime.fromisoformat(created) if created else datetime.now(),
                )
                self.trials[trial_id] = trial
                status.on_trial_started(trial_id)
                state[trial_id] = TrialStatus.IN_PROGRESS
                if replay:
                    self.scheduler.on_trial_add(trial)
            elif kind == "config":
                self.trials[trial_id].config = event["config"]
            elif kind == "result":
                self._seq = max(self._seq, event["seq"])
                result = {**event["result"], "st_tuner_time": event["st_tuner_time"]}
                status.on_result(trial_id, result)
                self._update_best(trial_id, result)
                level = result.get(key)
                if isinstance(level, int | float):
                    max_level[trial_id] = max(max_level.get(trial_id, -math.inf), float(level))
                if replay:
                    self.scheduler.on_trial_result(self.trials[trial_id], result)
            elif kind == "status":
                new = event["status"]
                status.on_trial_status(trial_id, new)
                state[trial_id] = new
                if replay and new == TrialStatus.COMPLETED:
                    self.scheduler.on_trial_complete(
                        self.trials[trial_id], status.last_results.get(trial_id, {})
                    )
                elif replay and new == TrialStatus.FAILED:
                    self.scheduler.on_trial_error(self.trials[trial_id])
                elif replay and new in (TrialStatus.STOPPED, TrialStatus.PAUSED):
                    self.scheduler.on_trial_remove(self.trials[trial_id])
        self._failures = [
            (t, "failed before the run was resumed")
            for t, s in state.items()
            if s == TrialStatus.FAILED
        ]
        interrupted = [t for t, s in state.items() if s == TrialStatus.IN_PROGRESS]
        backend_status = {
            t: (TrialStatus.PAUSED if s == TrialStatus.IN_PROGRESS else s) for t, s in state.items()
        }
        self.trial_backend.restore(self.trials, backend_status)
        for trial_id in interrupted:
            self.trial_backend.resume_trial(trial_id)
            self._running.add(trial_id)
            self._restarted[trial_id] = max_level.get(trial_id, -math.inf)
            self._record(
                {
                    "event": "status",
                    "trial_id": trial_id,
                    "status": TrialStatus.IN_PROGRESS,
                    "restarted": True,
                }
            )
        self._resumed = False
        self._say(
            1,
            f"synetune: resumed {self.name!r}: {len(self.trials)} trials, {status.num_results} results "
            f"restored, {len(interrupted)} interrupted trials restarted from their checkpoints",
        )
