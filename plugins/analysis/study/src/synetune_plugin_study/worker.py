"""A study worker process: runs the combinations the runner sends, one at a time.

``python -m synetune_plugin_study.worker STUDY_FILE`` reads one JSON task per line on stdin
(``method``, ``benchmark``, ``seed``, ``state``) and answers one JSON line per task on stdout
(``finished`` or ``failed``). A long-lived worker pays for its imports once, not once per
experiment. It exits when the runner dies (even by SIGKILL), so no orphan keeps running a
combination (and holding its folder) after the runner is gone.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from synetune_plugin_study.study import MARKER, Combination, Study, load_study
from synetune_sdk.callback import Callback


class RunTiming(Callback):
    """When the first trial started and when tuning ended (for the runner's overhead)."""

    def __init__(self) -> None:
        self.first_trial: float | None = None
        self.tuning_end: float | None = None

    def on_tuning_start(self, context: Any) -> None:
        self.first_trial = self.tuning_end = None

    def on_start_trial(self, *args: Any, **kwargs: Any) -> None:
        if self.first_trial is None:
            self.first_trial = time.time()

    def on_tuning_end(self) -> None:
        self.tuning_end = time.time()


def write_marker(folder: Path, data: dict[str, Any]) -> None:
    tmp = folder / (MARKER + ".tmp")
    tmp.write_text(json.dumps(data, default=str))
    os.replace(tmp, folder / MARKER)  # atomic: a killed worker never leaves half a marker


def run_combination(combo: Combination, state: str) -> dict[str, Any]:
    """Run (or resume) one combination to its end and mark it finished; returns the marker."""
    from synetune import Tuner
    from synetune_plugin_study.benchmarks import build_tuner

    received = time.time()
    folder = combo.folder()
    study = combo.study
    if state == "interrupted" and (folder / "tuner.dill").exists():
        tuner = Tuner.load(folder)  # the tuner's own resume: replays its event log
        timing = next((cb for cb in tuner.callbacks if isinstance(cb, RunTiming)), None)
        if timing is None:
            timing = RunTiming()
            tuner.callbacks.append(timing)
        resumed = True
    else:  # new, failed before, or killed before its first save: start over
        timing = RunTiming()
        method = study.methods[combo.method]
        tuner = build_tuner(
            study.benchmarks[combo.benchmark],
            method.factory(),
            dict(method.arguments),
            multi_fidelity=method.is_multi_fidelity(),
            seed=combo.seed,
            stop=combo.stop(),
            n_workers=combo.n_workers(),
            tuner_name=combo.tuner_name,
            metadata=combo.metadata(),
            callbacks=[timing],
        )
        resumed = False
    tuner.run()
    marker = {
        "status": "finished",
        "resumed": resumed,
        "received": received,
        "first_trial": timing.first_trial,
        "tuning_end": timing.tuning_end,
        "pid": os.getpid(),
    }
    marker["finished"] = time.time()
    write_marker(folder, marker)
    return marker


def _exit_with_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.2)


_STUDIES: dict[str, Study] = {}


def run_task(study_file: str, task: dict[str, Any], folder: str | None = None) -> dict[str, Any]:
    """Run one task (``method``, ``benchmark``, ``seed``, ``state``) of a study; a failure is
    answered (and marked in the run's folder), not raised. ``folder``: ``$SYNETUNE_FOLDER`` for
    a process that did not inherit it (a Ray worker)."""
    if folder is not None:
        os.environ["SYNETUNE_FOLDER"] = folder
    if study_file not in _STUDIES:
        _STUDIES[study_file] = load_study(study_file)
    study = _STUDIES[study_file]
    combo = Combination(study, task["method"], task["benchmark"], int(task["seed"]))
    try:
        answer = run_combination(combo, task["state"])
    except Exception as err:
        traceback.print_exc()
        answer = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
        if (combo.folder() / "metadata.json").exists():
            write_marker(combo.folder(), answer)
    return {"name": combo.tuner_name, **answer}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything printed goes to the log, never into the protocol
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    for line in sys.stdin:
        try:
            answer = run_task(argv[0], json.loads(line))
        except KeyboardInterrupt:
            return 130
        protocol.write(json.dumps(answer, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
