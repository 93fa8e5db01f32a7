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

from synetune_plugin_study.study import Combination, load_study

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

    def send(self, combo: Combination, state: str) -> None:
        self.task = combo
        task = {"method": combo.method, "benchmark": combo.benchmark, "seed": combo.seed}
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({**task, "state": state}) + "\n")
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
) -> StudyRun:
    """Run the study's missing combinations (or the chosen ones) and return what happened.

    Raises ``StudyError`` before anything runs when the study or a stored run disagrees."""
    study_file = Path(study_file).resolve()
    study = load_study(study_file)
    combos = study.combinations(methods, benchmarks, seeds)
    states = [(c, c.state()) for c in combos]  # may raise: nothing has run yet
    todo = deque((c, s) for c, s in states if s != "finished")
    run = StudyRun(total=len(combos), skipped=len(combos) - len(todo))
    if not todo:
        _say(progress, f"study {study.name}: all {len(combos)} runs are finished\n")
        return run
    parallel = max(1, min(max_parallel or os.cpu_count() or 1, len(todo)))
    from synetune.plugin_api import experiment_root

    logs = experiment_root() / f"{study.name}-study-logs"
    logs.mkdir(parents=True, exist_ok=True)
    events: queue.Queue = queue.Queue()
    workers = [_Worker(i, study_file, logs / f"worker-{i}.log", events) for i in range(parallel)]
    idle = list(workers)
    started: dict[str, float] = {}
    durations: list[float] = []
    start = time.time()
    last_line, changed = 0.0, True
    try:
        while todo or len(idle) < len(workers):
            while todo and idle:
                worker = idle.pop()
                combo, state = todo.popleft()
                started[combo.tuner_name] = time.time()
                worker.send(combo, state)
            now = time.time()
            if progress is not None and (changed or now - last_line > 5):
                last_line, changed = now, False
                _say(
                    progress,
                    _line(
                        study.name, run, len(workers) - len(idle), len(todo), durations, parallel
                    ),
                )
            try:
                worker, answer = events.get(timeout=1.0)
            except queue.Empty:
                worker = answer = None
            if worker is not None and answer is None:  # the process ended: start a fresh one
                if worker.task is not None:
                    name = worker.task.tuner_name
                    run.failed[name] = f"worker process ended (see {worker.log.name})"
                elif worker in idle:
                    idle.remove(worker)
                worker.close()
                fresh = _Worker(worker.index, study_file, Path(worker.log.name), events)
                workers[workers.index(worker)] = fresh
                idle.append(fresh)
            elif worker is not None and worker.task is not None:
                name = worker.task.tuner_name
                if answer.get("status") == "finished":
                    run.finished += 1
                    run.markers[name] = answer
                    durations.append(time.time() - started[name])
                else:
                    run.failed[name] = str(answer.get("error"))
                worker.task = None
                idle.append(worker)
            changed = changed or answer is not None
    except BaseException:
        for worker in workers:
            worker.close(kill=True)
        raise
    for worker in workers:
        worker.close()
    _say(progress, _line(study.name, run, 0, 0, durations, parallel))
    run.wall_time = time.time() - start
    for name, error in run.failed.items():
        _say(progress, f"FAILED {name}: {error}\n")
    return run


def _line(
    name: str, run: StudyRun, running: int, waiting: int, durations: list, parallel: int
) -> str:
    eta = ""
    if durations:  # what is left, at the mean duration so far, spread over the workers
        left = (waiting + running) * sum(durations) / len(durations) / parallel
        eta = f", ETA {_duration(left)}"
    return (
        f"study {name}: {run.skipped + run.finished}/{run.total} done, {running} running, "
        f"{len(run.failed)} failed, {waiting} waiting{eta}\n"
    )


def _say(stream: IO[str] | None, text: str) -> None:
    if stream is not None:
        stream.write(text)
        stream.flush()
