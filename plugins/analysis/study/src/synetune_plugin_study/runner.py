"""Run every missing combination of a study in parallel worker processes, with live progress.

Before anything runs, every combination's folder is checked (``Combination.state``): finished
ones are skipped, interrupted ones resumed through the tuner's own resume, and a folder holding
a run with other settings stops the study with an error. Workers are long-lived processes
(``synetune_plugin_study.worker``) with BLAS pinned to one thread, so that N workers use N cores.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from synetune_plugin_study.study import Combination, StudyError, load_study

ONE_THREAD = {
    k: "1"
    for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")
}


@dataclass
class StudyRun:
    """What ``run_study`` did: counts, the failures with their errors, each run's marker."""

    total: int
    skipped: int = 0
    finished: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    markers: dict[str, dict[str, Any]] = field(default_factory=dict)
    wall_time: float = 0.0


class _Worker:
    def __init__(self, index: int, study_file: Path, log: Path, events: queue.Queue) -> None:
        self.index = index
        self.task: Combination | None = None
        self.log = open(log, "a")  # noqa: SIM115 - closed in close()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "synetune_plugin_study.worker", str(study_file)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env={**os.environ, **ONE_THREAD},
        )
        threading.Thread(target=self._read, args=(events,), daemon=True).start()

    def _read(self, events: queue.Queue) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            events.put((self, json.loads(line)))
        events.put((self, None))  # the process ended

    def send(self, combo: Combination, task: dict[str, Any]) -> None:
        self.task = combo
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(task) + "\n")
        self.proc.stdin.flush()

    def close(self, kill: bool = False) -> None:
        try:
            if kill:
                self.proc.terminate()
            elif self.proc.stdin is not None:
                self.proc.stdin.close()  # the worker ends after its current task
            self.proc.wait(timeout=None if not kill else 30)
        finally:
            self.log.close()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600}h{seconds // 60 % 60:02d}m"
        if seconds >= 3600
        else (f"{seconds // 60}m{seconds % 60:02d}s")
    )


def run_study(
    study_file: str | Path,
    methods: list[str] | None = None,
    benchmarks: list[str] | None = None,
    seeds: list[int] | None = None,
    max_parallel: int | None = None,
    progress: IO[str] | None = None,
    executor: str = "local",
    address: str | None = None,
    sagemaker: dict[str, Any] | None = None,
) -> StudyRun:
    """Run the study's missing combinations (or the chosen ones) and return what happened.

    ``executor``: ``local`` (worker processes, ``max_parallel`` default: the CPU cores),
    ``ray`` (Ray tasks on the cluster at ``address``, default: its CPUs) or ``sagemaker`` (a
    training job each, ``max_parallel`` default 8; ``sagemaker``: job settings over the study
    file's ``[sagemaker]`` table). Raises ``StudyError`` before anything runs when the study or
    a stored run disagrees."""
    if executor not in ("local", "ray", "sagemaker"):
        raise StudyError(f"executor must be 'local', 'ray' or 'sagemaker', got {executor!r}")
    study_file = Path(study_file).resolve()
    study = load_study(study_file)
    combos = study.combinations(methods, benchmarks, seeds)
    if executor == "sagemaker":
        from synetune_plugin_study import on_sagemaker

        options = on_sagemaker.resolve_options(study, sagemaker)  # may raise: no role
        on_sagemaker.plugin()
    states = [(c, c.state()) for c in combos]  # may raise: nothing has run yet
    live: dict[str, str] = {}
    if executor == "sagemaker":  # finished in S3 counts as finished; reads S3, starts nothing
        remote, live = on_sagemaker.plan(states, options)
        names = {c.tuner_name for c in remote}
        states = [(c, "missing" if c.tuner_name in names else "finished") for c, _ in states]
    todo = deque((c, s) for c, s in states if s != "finished")
    run = StudyRun(total=len(combos), skipped=len(combos) - len(todo))
    if not todo:
        _say(progress, f"study {study.name}: all {len(combos)} runs are finished\n")
        return run
    start = time.time()
    tracker = _Tracker(study.name, run, progress)
    if executor == "ray":
        _run_ray(study_file, todo, max_parallel, address, tracker)
    elif executor == "local":
        _run_local(study_file, study.name, todo, max_parallel, tracker)
    else:
        combos_todo = [c for c, _ in todo]
        on_sagemaker.run_on_sagemaker(study, combos_todo, live, options, max_parallel, tracker)
    tracker.line(0, 0, force=True)
    run.wall_time = time.time() - start
    for name, error in run.failed.items():
        _say(progress, f"FAILED {name}: {error}\n")
    return run


class _Tracker:
    """Counts answers into the ``StudyRun`` and prints the progress line."""

    def __init__(self, name: str, run: StudyRun, progress: IO[str] | None) -> None:
        self.name, self.run, self.progress = name, run, progress
        self.started: dict[str, float] = {}
        self.durations: list[float] = []
        self.parallel = 1
        self.last_line = 0.0
        self.changed = True

    def start(self, combo: Combination) -> dict[str, Any]:
        self.started[combo.tuner_name] = time.time()
        self.changed = True
        return {"method": combo.method, "benchmark": combo.benchmark, "seed": combo.seed}

    def answer(self, name: str, answer: dict[str, Any]) -> None:
        self.changed = True
        if answer.get("status") == "finished":
            self.run.finished += 1
            self.run.markers[name] = answer
            self.durations.append(time.time() - self.started[name])
        else:
            self.run.failed[name] = str(answer.get("error"))

    def line(self, running: int, waiting: int, force: bool = False) -> None:
        now = time.time()
        if self.progress is None or not (force or self.changed or now - self.last_line > 5):
            return
        self.last_line, self.changed = now, False
        eta = ""
        if self.durations:  # what is left at the mean duration so far, over the workers
            mean = sum(self.durations) / len(self.durations)
            eta = f", ETA {_duration((waiting + running) * mean / self.parallel)}"
        run = self.run
        _say(
            self.progress,
            f"study {self.name}: {run.skipped + run.finished}/{run.total} done, {running} "
            f"running, {len(run.failed)} failed, {waiting} waiting{eta}\n",
        )


def _run_local(
    study_file: Path, name: str, todo: deque, max_parallel: int | None, tracker: _Tracker
) -> None:
    from synetune.plugin_api import experiment_root

    parallel = max(1, min(max_parallel or os.cpu_count() or 1, len(todo)))
    tracker.parallel = parallel
    logs = experiment_root() / f"{name}-study-logs"
    logs.mkdir(parents=True, exist_ok=True)
    events: queue.Queue = queue.Queue()
    workers = [_Worker(i, study_file, logs / f"worker-{i}.log", events) for i in range(parallel)]
    idle = list(workers)
    try:
        while todo or len(idle) < len(workers):
            while todo and idle:
                worker = idle.pop()
                combo, state = todo.popleft()
                worker.send(combo, {**tracker.start(combo), "state": state})
            tracker.line(len(workers) - len(idle), len(todo))
            try:
                worker, answer = events.get(timeout=1.0)
            except queue.Empty:
                continue
            if answer is None:  # the worker process ended: start a fresh one
                if worker.task is not None:
                    tracker.answer(
                        worker.task.tuner_name,
                        {"error": f"worker process ended (see {worker.log.name})"},
                    )
                elif worker in idle:
                    idle.remove(worker)
                worker.close()
                fresh = _Worker(worker.index, study_file, Path(worker.log.name), events)
                workers[workers.index(worker)] = fresh
                idle.append(fresh)
            elif worker.task is not None:
                tracker.answer(worker.task.tuner_name, answer)
                worker.task = None
                idle.append(worker)
    except BaseException:
        for worker in workers:
            worker.close(kill=True)
        raise
    for worker in workers:
        worker.close()


def _run_ray(
    study_file: Path, todo: deque, max_parallel: int | None, address: str | None, tracker: _Tracker
) -> None:
    """Each combination as a Ray task (one CPU) on the cluster at ``address``; the cluster's
    workers must see ``$SYNETUNE_FOLDER`` and the study file (one machine, or a shared disk)."""
    try:
        import ray
    except ImportError:
        raise StudyError(
            "--executor ray needs Ray: pip install 'synetune-plugin-study[ray]'"
        ) from None
    from synetune.plugin_api import experiment_root
    from synetune_plugin_study.worker import run_task

    if not ray.is_initialized():
        ray.init(address=address, logging_level="warning", runtime_env={"env_vars": ONE_THREAD})
    cpus = int(ray.cluster_resources().get("CPU", 1))
    parallel = max(1, min(max_parallel or cpus, len(todo)))
    tracker.parallel = parallel
    remote = ray.remote(num_cpus=1, max_retries=0)(run_task)
    folder = str(experiment_root())
    pending: dict[Any, str] = {}
    try:
        while todo or pending:
            while todo and len(pending) < parallel:
                combo, state = todo.popleft()
                task = {**tracker.start(combo), "state": state}
                pending[remote.remote(str(study_file), task, folder)] = combo.tuner_name
            tracker.line(len(pending), len(todo))
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=1.0)
            for ref in ready:
                name = pending.pop(ref)
                try:
                    answer = ray.get(ref)
                except Exception as err:  # the task's process died
                    answer = {"error": f"Ray task failed: {type(err).__name__}: {err}"}
                tracker.answer(name, answer)
    except BaseException:
        for ref in pending:
            ray.cancel(ref, force=True)
        raise


def _say(stream: IO[str] | None, text: str) -> None:
    if stream is not None:
        stream.write(text)
        stream.flush()
