"""RayBackend: runs each trial on a Ray cluster, as a subprocess inside a Ray task.

Every run of a trial is one Ray *streaming generator task* (``trial_task.run_trial``) placed by
Ray on any node with ``num_cpus_per_trial`` / ``num_gpus_per_trial`` free. The task starts the
training script with the local backend's command line (``--<name> <value> ...
--st_checkpoint_dir <folder>``) in its own process group and yields its metric lines the moment
they are printed; one driver thread per run hands them to the tuner (no polling interval).
Stop and pause ``ray.cancel`` the task: the task then terminates the script's whole process group
(SIGTERM, SIGKILL after ``kill_grace_period``) and only ends once it is gone; a task that does
not end in time is force-cancelled, which kills its worker and, through ``PR_SET_PDEATHSIG``,
the script.

Trial folders (``config.json``, ``std.out``, ``std.out.runs``, ``std.err``, ``checkpoints/``)
live under the tuner's folder, which every node must see at the same path (shared file system)
when the cluster has more than one node: the driver writes configs and copies checkpoints (PBT),
the nodes write logs and checkpoints. As with the local backend, a result a trial printed but the
tuner never handled (it was killed) is read back from ``std.out`` on resume.
"""

from __future__ import annotations

import json
import logging
import shlex
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synetune_sdk.backend import TrialBackend, note_run_start, printed_results
from synetune_sdk.jsonutil import json_default_or_str
from synetune_sdk.processes import failure_message, script_arguments
from synetune_sdk.reporter import parse_metric_line
from synetune_sdk.trial import TrialStatus

logger = logging.getLogger(__name__)

# how long a cancelled task may take beyond the grace period before it is force-cancelled
_CANCEL_TIMEOUT = 15.0
# how long to wait for a force-cancelled task to end
_FORCE_TIMEOUT = 10.0
_RUNTIME = ("_trial_runs", "_runs_lock", "_remote", "_task_options", "_function_ref")


@dataclass(eq=False)
class TrialRun:
    """One run of a trial: its Ray task and the driver thread that follows it."""

    trial_id: int
    run: int
    command: list[str]
    generator: Any  # ray.ObjectRefGenerator
    pid: int | None = None
    node: str | None = None
    cancelled: bool = False
    started: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    follower: threading.Thread | None = None
    killer: threading.Thread | None = None

    def wait_until_gone(self, timeout: float) -> bool:
        """Block until the task ended (its processes are gone when it was cancelled)."""
        return self.done.wait(timeout)


class RayBackend(TrialBackend):
    """Run ``python <entry_point> --<name> <value> ... --st_checkpoint_dir <folder>`` per trial on
    a Ray cluster, or ``tune_function(config, reporter)`` in function mode.

    Args:
        entry_point: the training script; it must exist at this path on every node.
        tune_function: instead of a script, a function called as ``tune_function(config,
            reporter)`` (``reporter`` is a ``synetune_sdk.Reporter``; a ``checkpoint_dir``
            parameter, if present, gets the trial's checkpoint folder). Shipped to the cluster
            with Ray's cloudpickle and run in a subprocess per trial.
        address: an existing cluster (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``).
            None: use the Ray session of this process if ``ray.init`` was called, else start a
            local cluster. Ray is initialised on the first trial, and shut down (or disconnected)
            by ``close()`` only if this backend initialised it.
        num_cpus, num_gpus: resources of the local cluster started when ``address`` is None.
        num_cpus_per_trial, num_gpus_per_trial: Ray resources each trial needs; Ray sets
            ``CUDA_VISIBLE_DEVICES`` for the trial's GPUs.
        resources_per_trial: custom Ray resources per trial (``{"accelerator_type:A100": 1}``).
        pass_args_as_json: pass the config as one JSON file (``--st_config_json_filename``).
        python: interpreter that runs the script; None: the Python of the Ray worker.
        env: extra environment variables for the trials.
        runtime_env: Ray runtime environment of the trial tasks (``pip``, ``env_vars``, ...).
        kill_grace_period: seconds between SIGTERM and SIGKILL when stopping or pausing.
        delete_checkpoints: remove a trial's checkpoints once it completed, failed or was
            stopped (never when paused).
        temp_dir: Ray's temp/session folder for a local cluster started here.
        ray_init_kwargs: more arguments for ``ray.init`` (they override the defaults
            ``include_dashboard=False``, ``logging_level=WARNING``).
    """

    def __init__(
        self,
        entry_point: str | None = None,
        tune_function: Callable[..., Any] | None = None,
        address: str | None = None,
        num_cpus: int | None = None,
        num_gpus: int | None = None,
        num_cpus_per_trial: float = 1,
        num_gpus_per_trial: float = 0,
        resources_per_trial: dict[str, float] | None = None,
        pass_args_as_json: bool = False,
        python: str | None = None,
        env: dict[str, str] | None = None,
        runtime_env: dict[str, Any] | None = None,
        kill_grace_period: float = 5.0,
        delete_checkpoints: bool = False,
        temp_dir: str | None = None,
        ray_init_kwargs: dict[str, Any] | None = None,
    ):
        super().__init__(delete_checkpoints=delete_checkpoints)
        if (entry_point is None) == (tune_function is None):
            raise ValueError(
                "RayBackend needs exactly one of entry_point (a training script) or "
                "tune_function (a function called as tune_function(config, reporter))"
            )
        if entry_point is not None:
            path = Path(entry_point)
            if not path.is_file():
                raise FileNotFoundError(
                    f"entry_point {str(entry_point)!r} is not a file (looked in "
                    f"{path.resolve()}): pass the path of the training script; on a cluster it "
                    "must exist at that path on every node"
                )
            entry_point = str(path.resolve())
        if tune_function is not None and not callable(tune_function):
            raise TypeError(
                "tune_function must be a function called as tune_function(config, reporter), "
                f"got {type(tune_function).__name__}"
            )
        if num_cpus_per_trial < 0 or num_gpus_per_trial < 0:
            raise ValueError(
                f"num_cpus_per_trial and num_gpus_per_trial must be >= 0, got "
                f"{num_cpus_per_trial} and {num_gpus_per_trial}"
            )
        if kill_grace_period < 0:
            raise ValueError(f"kill_grace_period must be >= 0 seconds, got {kill_grace_period}")
        if address is not None and (num_cpus is not None or num_gpus is not None):
            raise ValueError(
                "num_cpus and num_gpus size a local cluster; with address= the cluster exists "
                "already: leave them out (per-trial needs are num_cpus_per_trial / "
                "num_gpus_per_trial)"
            )
        self.entry_point = entry_point
        self.tune_function = tune_function
        self.address = address
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.num_cpus_per_trial = num_cpus_per_trial
        self.num_gpus_per_trial = num_gpus_per_trial
        self.resources_per_trial = dict(resources_per_trial or {})
        self.pass_args_as_json = pass_args_as_json
        self.python = python
        self.env = dict(env or {})
        self.runtime_env = runtime_env
        self.kill_grace_period = float(kill_grace_period)
        self.temp_dir = temp_dir
        self.ray_init_kwargs = dict(ray_init_kwargs or {})
        self.num_malformed_lines = 0
        self.owns_ray = False
        self._init_ray_runtime()

    def _init_ray_runtime(self) -> None:
        self._trial_runs: dict[int, TrialRun] = {}
        self._runs_lock = threading.Lock()
        self._remote: Any = None
        self._task_options: dict[str, Any] = {}
        self._function_ref: Any = None

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        for key in _RUNTIME:
            state.pop(key, None)
        state["owns_ray"] = False  # a loaded tuner initialises Ray anew in its own process
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        self._init_ray_runtime()

    def entrypoint_path(self) -> Path | None:
        return Path(self.entry_point) if self.entry_point else None

    # ----------------------------------------------------------------- the cluster
    def connect(self) -> None:
        """Initialise Ray (start a local cluster or connect) unless already done."""
        import ray

        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "logging_level": logging.WARNING}
            if self.address is None:
                kwargs.update(num_cpus=self.num_cpus, num_gpus=self.num_gpus)
                if self.temp_dir is not None:
                    kwargs["_temp_dir"] = str(Path(self.temp_dir).resolve())
            else:
                kwargs["address"] = self.address
            kwargs.update(self.ray_init_kwargs)
            ray.init(**kwargs)
            self.owns_ray = True
        if self._remote is None:
            self._check_resources(ray.cluster_resources())
            from ray import cloudpickle

            from synetune_plugin_ray import trial_task

            # ship the task's code by value: worker nodes need no synetune-plugin-ray (the
            # synetune_sdk.processes functions it calls are imported there from synetune-sdk)
            cloudpickle.register_pickle_by_value(trial_task)
            options: dict[str, Any] = {
                "num_cpus": self.num_cpus_per_trial,
                "num_gpus": self.num_gpus_per_trial,
                "max_retries": 0,
                "retry_exceptions": False,
            }
            if self.resources_per_trial:
                options["resources"] = self.resources_per_trial
            if self.runtime_env is not None:
                options["runtime_env"] = self.runtime_env
            self._task_options = options
            self._remote = ray.remote(trial_task.run_trial)
        if self.tune_function is not None and self._function_ref is None:
            from ray import cloudpickle

            self._function_ref = ray.put(cloudpickle.dumps(self.tune_function))

    def _check_resources(self, available: dict[str, float]) -> None:
        needs = {"CPU": self.num_cpus_per_trial, "GPU": self.num_gpus_per_trial}
        needs.update(self.resources_per_trial)
        short = {k: v for k, v in needs.items() if v and available.get(k, 0) < v}
        if short:
            logger.warning(
                "each trial needs %s but the Ray cluster has %s in all: trials wait until the "
                "cluster grows (lower num_cpus_per_trial / num_gpus_per_trial?)",
                short,
                {k: available.get(k, 0) for k in short},
            )

    # ----------------------------------------------------------------- starting a run
    def command(self, trial_id: int, config: dict[str, Any]) -> list[str]:
        """The script's command line (``python`` shown as "python" when it is the worker's)."""
        if self.tune_function is not None:
            return [f"{getattr(self.tune_function, '__name__', 'tune_function')}(config, reporter)"]
        return [self.python or "python", *self._arguments(trial_id, config)]

    def _arguments(self, trial_id: int, config: dict[str, Any]) -> list[str]:
        config_json = self.trial_path(trial_id) / "config.json" if self.pass_args_as_json else None
        checkpoint_dir = self.checkpoint_path(trial_id)
        return [str(self.entry_point), *script_arguments(config, checkpoint_dir, config_json)]

    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        run = self.current_run(trial_id)
        previous = self._trial_runs.get(trial_id)
        if previous is not None:
            # a resumed trial must not run next to its own previous run (same checkpoints)
            previous.wait_until_gone(self.kill_grace_period + _CANCEL_TIMEOUT + _FORCE_TIMEOUT)
        self.connect()
        trial_path = self.trial_path(trial_id)
        self.checkpoint_path(trial_id).mkdir(parents=True, exist_ok=True)
        (trial_path / "config.json").write_text(
            json.dumps(config, default=json_default_or_str, indent=2)
        )
        # the task appends to std.out; no earlier run writes to it any more (waited for above)
        std_out = trial_path / "std.out"
        note_run_start(trial_path, std_out.stat().st_size if std_out.exists() else 0)
        spec: dict[str, Any] = {
            "env": self.env,
            "stdout_path": str(std_out),
            "stderr_path": str(trial_path / "std.err"),
            "kill_grace_period": self.kill_grace_period,
        }
        if self.tune_function is None:
            spec["command"] = [self.python, *self._arguments(trial_id, config)]
        else:
            from ray import cloudpickle

            checkpoint_dir = str(self.checkpoint_path(trial_id))
            spec["command"] = [self.python]
            spec["function_args"] = cloudpickle.dumps((dict(config), checkpoint_dir))
        task = self._remote.options(**self._task_options, name=f"synetune-trial-{trial_id}")
        generator = task.remote(spec, self._function_ref)
        trial_run = TrialRun(trial_id, run, self.command(trial_id, config), generator)
        trial_run.follower = threading.Thread(
            target=self._follow, args=(trial_run,), name=f"trial-{trial_id}-ray", daemon=True
        )
        with self._runs_lock:
            self._trial_runs[trial_id] = trial_run
        trial_run.follower.start()

    def recover_results(self, trial_id: int) -> tuple[int, list[dict[str, Any]]] | None:
        """After a crash of the tuner, what the trial's last run printed (its ``std.out``, on the
        shared file system) and never reached the tuner is recorded on resume."""
        return printed_results(self.trial_path(trial_id))

    # ----------------------------------------------------------------- following a run
    def _follow(self, trial_run: TrialRun) -> None:
        """Hand each metric line of the run to the tuner; report how the run ended."""
        import ray
        from ray.exceptions import RayError, TaskCancelledError

        exit_item: dict[str, Any] | None = None
        error: str | None = None
        try:
            for ref in trial_run.generator:
                item = ray.get(ref)
                kind = item["kind"]
                if kind == "metrics":
                    for line in item["lines"]:
                        self._handle_metric_line(trial_run, line)
                elif kind == "started":
                    trial_run.pid, trial_run.node = item["pid"], item["node"]
                    trial_run.started.set()
                elif kind == "exit":
                    exit_item = item
        except TaskCancelledError:
            pass
        except RayError as err:
            error = (
                f"trial {trial_run.trial_id} failed on Ray: {type(err).__name__}: {err}\n"
                f"command: {shlex.join(trial_run.command)}"
            )
        except Exception as err:  # noqa: BLE001 - any failure must end the trial, not the thread
            error = f"trial {trial_run.trial_id} failed: {type(err).__name__}: {err}"
        finally:
            trial_run.done.set()
            trial_run.started.set()
        if trial_run.cancelled:
            return
        if exit_item is not None and exit_item["returncode"] == 0:
            self._finish(trial_run.trial_id, trial_run.run, TrialStatus.COMPLETED)
        else:
            message = error or self._failure(trial_run, exit_item)
            self._finish(trial_run.trial_id, trial_run.run, TrialStatus.FAILED, message)
        ended = self.status.get(trial_run.trial_id) in (TrialStatus.COMPLETED, TrialStatus.FAILED)
        if (
            self.delete_checkpoints
            and ended
            and self.current_run(trial_run.trial_id) == trial_run.run
        ):
            self.delete_checkpoint(trial_run.trial_id)

    def _handle_metric_line(self, trial_run: TrialRun, line: str) -> None:
        try:
            result = parse_metric_line(line)
        except ValueError as err:
            with self._runs_lock:
                self.num_malformed_lines += 1
            logger.warning("trial %d printed a malformed metric line: %s", trial_run.trial_id, err)
            return
        if result is not None:
            self._report(trial_run.trial_id, trial_run.run, result)

    def _failure(self, trial_run: TrialRun, exit_item: dict[str, Any] | None) -> str:
        exit_item = exit_item or {}
        where = f" on node {trial_run.node}" if trial_run.node else ""
        return failure_message(
            trial_run.trial_id,
            exit_item.get("returncode"),
            trial_run.command,
            exit_item.get("stderr_tail", ""),
            where=where,
        )

    # ----------------------------------------------------------------- stopping a run
    def _stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._terminate(trial_id, delete_checkpoint=self.delete_checkpoints)

    def _pause_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        self._terminate(trial_id, delete_checkpoint=False)

    def _terminate(self, trial_id: int, delete_checkpoint: bool) -> None:
        """Cancel the run's task now; force-cancel it later in the background if it hangs."""
        trial_run = self._trial_runs.get(trial_id)
        if trial_run is not None and not trial_run.cancelled and not trial_run.done.is_set():
            import ray

            trial_run.cancelled = True
            ray.cancel(trial_run.generator)
            trial_run.killer = threading.Thread(
                target=self._force_cancel_if_stuck,
                args=(trial_run, delete_checkpoint),
                name=f"trial-{trial_id}-killer",
                daemon=True,
            )
            trial_run.killer.start()
        elif delete_checkpoint:
            self.delete_checkpoint(trial_id)

    def _force_cancel_if_stuck(self, trial_run: TrialRun, delete_checkpoint: bool) -> None:
        if not trial_run.done.wait(self.kill_grace_period + _CANCEL_TIMEOUT):
            import ray

            logger.warning(
                "trial %d: its Ray task did not end after cancel: force-cancelling it (kills "
                "its worker; the script dies with it)",
                trial_run.trial_id,
            )
            ray.cancel(trial_run.generator, force=True)
            if not trial_run.done.wait(_FORCE_TIMEOUT):
                logger.warning("trial %d: its Ray task survived force-cancel", trial_run.trial_id)
        if delete_checkpoint:
            self.delete_checkpoint(trial_run.trial_id)

    def trial_pid(self, trial_id: int, timeout: float = 30.0) -> int | None:
        """Process id of the trial's script on its node, once its task started it."""
        trial_run = self._trial_runs.get(trial_id)
        if trial_run is None:
            return None
        trial_run.started.wait(timeout)
        return trial_run.pid

    def copy_checkpoint(self, src_trial_id: int, tgt_trial_id: int) -> None:
        """Copy once the source trial's processes are gone, so its checkpoint is complete."""
        source = self._trial_runs.get(src_trial_id)
        if source is not None and source.cancelled:
            source.wait_until_gone(self.kill_grace_period + _CANCEL_TIMEOUT + _FORCE_TIMEOUT)
        super().copy_checkpoint(src_trial_id, tgt_trial_id)

    def close(self) -> None:
        """Stop every trial still running, wait until its task ended; release Ray if ours."""
        self.stop_all()
        for trial_id, trial_run in list(self._trial_runs.items()):
            if not trial_run.done.is_set() and not trial_run.cancelled:
                self._terminate(trial_id, delete_checkpoint=False)
        for trial_run in list(self._trial_runs.values()):
            trial_run.wait_until_gone(self.kill_grace_period + _CANCEL_TIMEOUT + _FORCE_TIMEOUT)
        if self.owns_ray:
            import ray

            self._remote = None
            self._function_ref = None
            ray.shutdown()
            self.owns_ray = False
