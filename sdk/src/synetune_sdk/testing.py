"""Conformance kit: contract tests a plugin runs against its own components.

Subclass a contract in the plugin's tests and implement its factory method; pytest then runs
every ``test_*`` method of the contract on the component::

    from synetune_sdk.testing import SchedulerContract

    class TestMyScheduler(SchedulerContract):
        def make_scheduler(self, config_space, metric, mode, random_seed):
            return MyScheduler(config_space, metric=metric, mode=mode, random_seed=random_seed)

The kits use pytest (and numpy, through the config space), imported when a
test runs, so importing this module stays cheap. ``run_to_end``, ``collect_until`` and
``wait_for`` drive a TrialBackend directly, and ``write_script`` writes the training script it
runs, for a backend plugin's own tests.

For tests that run the Tuner (callbacks, schedulers end to end) without subprocesses:
``ThreadBackend(objective)`` runs ``objective(config, report, start_epoch)`` in a thread per
trial, ``quadratic`` is such an objective, and ``RandomScheduler`` is a minimal scheduler that
can stop and pause trials.
"""

from __future__ import annotations

import pickle
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from synetune_sdk.backend import TrialBackend
from synetune_sdk.scheduler import Scheduler
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus, TrialSuggestion

CONTRACT_SCRIPT = str(Path(__file__).with_name("_contract_train.py"))
METRIC = "loss"
RESOURCE_ATTR = "epoch"
MAX_RESOURCE_ATTR = "epochs"
MAX_EPOCHS = 9


def contract_config_space() -> dict[str, Any]:
    from synetune_sdk.config_space import choice, randint, uniform

    return {
        "x": uniform(0.0, 1.0),
        "y": randint(1, 4),
        "c": choice(["a", "b"]),
        MAX_RESOURCE_ATTR: MAX_EPOCHS,
    }


def _loss(config: dict[str, Any], epoch: int) -> float:
    return (
        (float(config["x"]) - 0.3) ** 2
        + 0.1 * int(config["y"])
        + (config["c"] == "b") * 0.05
        + 1.0 / epoch
    )


def _dumps(obj: Any) -> bytes:
    try:
        import dill

        return dill.dumps(obj)
    except ImportError:  # pragma: no cover - dill comes with the kernel
        return pickle.dumps(obj)


def _loads(data: bytes) -> Any:
    try:
        import dill

        return dill.loads(data)
    except ImportError:  # pragma: no cover
        return pickle.loads(data)


class Workload:
    """A simulated asynchronous workload (no backend) that checks each answer of a scheduler.

    Workers advance one epoch per step, round robin. The state (running and paused trials,
    counters) lives in the object, so a workload can continue with a pickled copy of the
    scheduler it drove.
    """

    def __init__(self) -> None:
        self.running: dict[int, int] = {}  # trial id -> last epoch reported
        self.paused: dict[int, int] = {}
        self.trials: dict[int, Trial] = {}
        self.counts = {
            "started": 0,
            "resumed": 0,
            "results": 0,
            "stopped": 0,
            "paused": 0,
            "completed": 0,
        }
        self.next_id = 0

    def run(
        self, scheduler: Any, n_workers: int = 2, max_trials: int = 12, max_steps: int = 2000
    ) -> dict[str, int]:
        """Drive until ``max_trials`` trials were started (in total) and all have ended."""
        exhausted = False
        for _ in range(max_steps):
            while len(self.running) < n_workers and not exhausted:
                exhausted = not self._start_or_resume(scheduler, max_trials)
            if not self.running:
                return self.counts
            for trial_id in list(self.running):
                self._step(scheduler, trial_id)
        raise AssertionError("the scheduler did not let the workload finish")

    def _start_or_resume(self, scheduler: Any, max_trials: int) -> bool:
        if self.counts["started"] >= max_trials and not self.paused:
            return False
        suggestion = scheduler.suggest(self.next_id)
        if suggestion is None:
            return False
        if suggestion.spawn_new_trial_id:
            if self.counts["started"] >= max_trials:
                return False
            assert isinstance(suggestion.config, dict), "a start suggestion must carry a config"
            for key in contract_config_space():
                assert key in suggestion.config, f"suggested config lacks {key!r}"
            trial = Trial(self.next_id, dict(suggestion.config), datetime.now())
            self.trials[self.next_id] = trial
            self.running[self.next_id] = 0
            scheduler.on_trial_add(trial)
            self.counts["started"] += 1
            self.next_id += 1
        else:
            trial_id = suggestion.checkpoint_trial_id
            assert trial_id in self.paused, (
                f"resume suggestion for trial {trial_id}, which is not paused"
            )
            if suggestion.config is not None:
                self.trials[trial_id].config = dict(suggestion.config)
            self.running[trial_id] = self.paused.pop(trial_id)
            self.counts["resumed"] += 1
        return True

    def _step(self, scheduler: Any, trial_id: int) -> None:
        trial = self.trials[trial_id]
        epoch = self.running[trial_id] + 1
        max_epochs = int(trial.config.get(MAX_RESOURCE_ATTR, MAX_EPOCHS))
        result = {METRIC: _loss(trial.config, epoch), RESOURCE_ATTR: epoch}
        decision = scheduler.on_trial_result(trial, result)
        self.counts["results"] += 1
        assert decision in (
            SchedulerDecision.CONTINUE,
            SchedulerDecision.PAUSE,
            SchedulerDecision.STOP,
        ), decision
        self.running[trial_id] = epoch
        if decision == SchedulerDecision.STOP:
            scheduler.on_trial_remove(trial)
            del self.running[trial_id]
            self.counts["stopped"] += 1
        elif decision == SchedulerDecision.PAUSE:
            scheduler.on_trial_remove(trial)
            self.paused[trial_id] = self.running.pop(trial_id)
            self.counts["paused"] += 1
        elif epoch >= max_epochs:
            scheduler.on_trial_complete(trial, result)
            del self.running[trial_id]
            self.counts["completed"] += 1


def drive_scheduler(
    scheduler: Any, n_workers: int = 2, max_trials: int = 12, max_steps: int = 2000
) -> dict[str, int]:
    """Run ``scheduler`` on a fresh ``Workload``; returns its counters for assertions."""
    return Workload().run(
        scheduler, n_workers=n_workers, max_trials=max_trials, max_steps=max_steps
    )


class SchedulerContract:
    """Checks every scheduler must pass. Implement ``make_scheduler``."""

    metric = METRIC
    mode = "min"

    def make_scheduler(
        self, config_space: dict[str, Any], metric: str, mode: str, random_seed: int
    ) -> Any:
        raise NotImplementedError("implement make_scheduler in your contract test class")

    def _scheduler(self, random_seed: int = 0, mode: str | None = None) -> Any:
        return self.make_scheduler(
            contract_config_space(), self.metric, mode or self.mode, random_seed
        )

    def test_contract_suggest_gives_config_from_space(self) -> None:
        from synetune_sdk.config_space import Domain

        space = contract_config_space()
        suggestion = self._scheduler().suggest(0)
        assert suggestion is not None and suggestion.spawn_new_trial_id
        for name, domain in space.items():
            value = suggestion.config[name]
            if isinstance(domain, Domain):
                assert domain.is_valid(value), f"{name}={value!r} is outside {domain!r}"
            else:
                assert value == domain, f"constant {name} changed to {value!r}"

    def test_contract_metric_names_and_mode(self) -> None:
        scheduler = self._scheduler()
        assert scheduler.metric_names()[0] == self.metric
        mode = scheduler.metric_mode()
        assert (mode if isinstance(mode, str) else mode[0]) == self.mode
        assert "metric_names" in scheduler.metadata()

    def test_contract_runs_asynchronous_workload(self) -> None:
        counts = drive_scheduler(self._scheduler(), n_workers=2, max_trials=12)
        assert counts["started"] >= 2
        assert counts["results"] >= counts["started"]

    def test_contract_mode_max_runs(self) -> None:
        counts = drive_scheduler(self._scheduler(mode="max"), n_workers=3, max_trials=8)
        assert counts["started"] >= 3

    def test_contract_survives_pickling(self) -> None:
        scheduler = self._scheduler()
        workload = Workload()
        workload.run(scheduler, n_workers=2, max_trials=4)
        clone = _loads(_dumps(scheduler))
        assert clone.metric_names() == scheduler.metric_names()
        counts = workload.run(clone, n_workers=2, max_trials=7)
        assert counts["started"] == 7

    def test_contract_error_and_failure_hooks(self) -> None:
        scheduler = self._scheduler()
        suggestion = scheduler.suggest(0)
        trial = Trial(0, dict(suggestion.config), datetime.now())
        scheduler.on_trial_add(trial)
        scheduler.on_trial_error(trial)
        assert scheduler.suggest(1) is not None


class SearcherContract:
    """Checks every searcher must pass. Implement ``make_searcher``."""

    metric = METRIC
    mode = "min"
    reproducible = True

    def make_searcher(
        self,
        config_space: dict[str, Any],
        metric: str,
        mode: str,
        random_seed: int,
        points_to_evaluate: list[dict[str, Any]] | None,
    ) -> Any:
        raise NotImplementedError("implement make_searcher in your contract test class")

    def _run(self, searcher: Any, n: int) -> list[dict[str, Any]]:
        configs = []
        for trial_id in range(n):
            config = searcher.suggest(trial_id)
            if config is None:
                break
            configs.append(config)
            searcher.register_pending(trial_id, config)
            result = {self.metric: _loss(config, MAX_EPOCHS), RESOURCE_ATTR: MAX_EPOCHS}
            searcher.on_trial_result(trial_id, config, result, update=True)
            searcher.on_trial_complete(trial_id, config, result)
        return configs

    def test_contract_points_to_evaluate_first(self) -> None:
        point = {"x": 0.25, "y": 2, "c": "b", MAX_RESOURCE_ATTR: MAX_EPOCHS}
        searcher = self.make_searcher(contract_config_space(), self.metric, self.mode, 0, [point])
        first = searcher.suggest(0)
        assert first is not None
        assert {k: first[k] for k in point} == point

    def test_contract_configs_valid(self) -> None:
        from synetune_sdk.config_space import is_valid_config

        space = contract_config_space()
        configs = self._run(self.make_searcher(space, self.metric, self.mode, 1, []), 8)
        assert configs, "the searcher suggested nothing"
        for config in configs:
            assert is_valid_config(config, space), config
            assert config[MAX_RESOURCE_ATTR] == MAX_EPOCHS

    def test_contract_reproducible_with_seed(self) -> None:
        if not self.reproducible:
            return
        space = contract_config_space()
        first = self._run(self.make_searcher(space, self.metric, self.mode, 7, []), 6)
        second = self._run(self.make_searcher(space, self.metric, self.mode, 7, []), 6)
        assert first == second

    def test_contract_failures_are_tolerated(self) -> None:
        searcher = self.make_searcher(contract_config_space(), self.metric, self.mode, 3, [])
        config = searcher.suggest(0)
        searcher.register_pending(0, config)
        searcher.evaluation_failed(0)
        assert searcher.suggest(1) is not None


BACKEND_TIMEOUT = 30.0  # seconds the backend helpers below wait by default


def write_script(folder: Path, name: str, source: str) -> Path:
    """Write ``source`` to ``folder / name`` and return the path: a training script for a
    backend test, written inline in the test (it is dedented, so it may be indented there)."""
    path = Path(folder) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


def run_to_end(
    backend: Any, trial_ids: list[int], timeout: float = BACKEND_TIMEOUT, poll: float = 0.5
) -> list[tuple[int, dict]]:
    """Drive ``backend`` as the tuner does (``wait``, then ``fetch_status_results``) and return
    every result of ``trial_ids`` until each of them finished or is paused.

    ``poll`` bounds each ``wait``; a backend that never gets there fails the test after
    ``timeout`` seconds instead of hanging it.
    """
    results: list[tuple[int, dict]] = []
    deadline = time.monotonic() + timeout
    while True:
        backend.wait(poll)
        statuses, new = backend.fetch_status_results(trial_ids)
        results.extend(new)
        if all(s in TrialStatus.FINISHED or s == TrialStatus.PAUSED for _, s in statuses.values()):
            return results
        if time.monotonic() >= deadline:
            raise AssertionError(f"trials did not end in {timeout} s: {statuses}")


def collect_until(
    backend: Any,
    trial_ids: list[int],
    done: Callable[[list], bool],
    timeout: float = BACKEND_TIMEOUT,
    poll: float = 0.5,
) -> list[tuple[int, dict]]:
    """The results of ``trial_ids`` fetched from ``backend`` until ``done(results)`` holds, for
    acting on a trial while it runs (e.g. pause it after its first result)."""
    results: list[tuple[int, dict]] = []
    deadline = time.monotonic() + timeout
    while not done(results):
        if time.monotonic() >= deadline:
            raise AssertionError(f"condition not met in {timeout} s: {results}")
        backend.wait(poll)
        results.extend(backend.fetch_status_results(trial_ids)[1])
    return results


def wait_for(
    condition: Callable[[], Any],
    timeout: float = BACKEND_TIMEOUT,
    what: str = "condition",
    interval: float = 0.02,
) -> None:
    """Poll ``condition()`` until it is true, for effects a backend has outside its results
    (a process gone, a file written); ``what`` names it in the failure message."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met in {timeout} s")
        time.sleep(interval)


class BackendContract:
    """Checks every script-running backend must pass. Implement ``make_backend(entry_point)``;
    the contract script is ``CONTRACT_SCRIPT`` (standard library plus synetune-sdk)."""

    timeout = 60.0

    def make_backend(self, entry_point: str) -> Any:
        raise NotImplementedError("implement make_backend in your contract test class")

    def _backend(self, tmp_path: Path) -> Any:
        backend = self.make_backend(CONTRACT_SCRIPT)
        backend.set_path(tmp_path)
        return backend

    def _wait_until(self, backend: Any, trial_ids: list[int], done: Any) -> list[tuple[int, dict]]:
        results: list[tuple[int, dict]] = []
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            statuses, new = backend.fetch_status_results(trial_ids)
            results.extend(new)
            if done(statuses, results):
                return results
            backend.wait(0.5)
        raise AssertionError(f"backend did not finish within {self.timeout}s")

    def test_contract_trial_completes(self, tmp_path: Path) -> None:
        backend = self._backend(tmp_path)
        try:
            trial = backend.start_trial({"epochs": 3, "x": 0.4})
            results = self._wait_until(
                backend,
                [trial.trial_id],
                lambda s, r: s[trial.trial_id][1] != TrialStatus.IN_PROGRESS,
            )
            assert backend.status[trial.trial_id] == TrialStatus.COMPLETED
            assert [r["epoch"] for _, r in results] == [1, 2, 3]
            assert all("st_worker_timestamp" in r for _, r in results)
        finally:
            backend.close()

    def test_contract_failure_reports_error(self, tmp_path: Path) -> None:
        backend = self._backend(tmp_path)
        try:
            trial = backend.start_trial({"epochs": 3, "fail_at": 2})
            self._wait_until(
                backend,
                [trial.trial_id],
                lambda s, r: s[trial.trial_id][1] != TrialStatus.IN_PROGRESS,
            )
            assert backend.status[trial.trial_id] == TrialStatus.FAILED
            assert "fails at epoch 2" in backend.errors[trial.trial_id]
        finally:
            backend.close()

    def test_contract_stop_and_pause_resume(self, tmp_path: Path) -> None:
        backend = self._backend(tmp_path)
        try:
            trial = backend.start_trial({"epochs": 4, "sleep": 0.3})
            tid = trial.trial_id
            self._wait_until(backend, [tid], lambda s, r: len(r) >= 1)
            backend.pause_trial(tid)
            assert backend.status[tid] == TrialStatus.PAUSED
            backend.resume_trial(tid)
            results = self._wait_until(
                backend, [tid], lambda s, r: s[tid][1] != TrialStatus.IN_PROGRESS
            )
            epochs = [r["epoch"] for _, r in results]
            assert epochs and epochs[-1] == 4 and 1 not in epochs, (
                f"resume did not continue: {epochs}"
            )
            other = backend.start_trial({"epochs": 50, "sleep": 0.2})
            self._wait_until(backend, [other.trial_id], lambda s, r: len(r) >= 1)
            backend.stop_trial(other.trial_id)
            assert backend.status[other.trial_id] == TrialStatus.STOPPED
        finally:
            backend.close()


class BlackboxRecipeContract:
    """Checks every blackbox recipe must pass. Implement ``make_recipe``; keep it small (tests
    may pass reduced-size arguments)."""

    def make_recipe(self) -> Any:
        raise NotImplementedError("implement make_recipe in your contract test class")

    def test_contract_recipe_has_name_and_citation(self) -> None:
        recipe = self.make_recipe()
        assert isinstance(recipe.name, str) and recipe.name
        assert isinstance(recipe.citation, str)

    def test_contract_generate_writes_files(self, tmp_path: Path) -> None:
        recipe = self.make_recipe()
        target = tmp_path / recipe.name
        target.mkdir()
        recipe.generate(target)
        assert any(target.iterdir()), "generate() wrote nothing"


# -- in-process components: a run through the Tuner in milliseconds, without subprocesses --------
class ThreadBackend(TrialBackend):
    """Runs ``objective(config, report, start_epoch)`` in a thread per trial: fast, no
    subprocesses, no checkpoints on disk (``delete_checkpoint`` does nothing).

    ``report(**result)`` returns False once the trial was stopped or paused, so objectives end
    early. A paused trial resumes after the epoch of the result it was paused on (``progress``),
    as from a checkpoint written there.
    """

    def __init__(self, objective: Callable[..., None], **kwargs: Any):
        super().__init__(**kwargs)
        self.objective = objective
        self.progress: dict[int, int] = {}
        self._threads: dict[int, threading.Thread] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state["_threads"] = {}
        return state

    def _schedule(self, trial_id: int, config: dict[str, Any]) -> None:
        run = self.current_run(trial_id)

        def report(**result: Any) -> bool:
            return self._report(trial_id, run, dict(result))

        def work() -> None:
            try:
                self.objective(config, report, self.progress.get(trial_id, 0))
            except Exception as err:
                self._finish(trial_id, run, TrialStatus.FAILED, f"{type(err).__name__}: {err}")
            else:
                self._finish(trial_id, run, TrialStatus.COMPLETED)

        thread = threading.Thread(target=work, daemon=True)
        self._threads[trial_id] = thread
        thread.start()

    def _stop_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        pass  # the next report() returns False and the objective returns

    def _pause_trial(self, trial_id: int, result: dict[str, Any] | None = None) -> None:
        # like a checkpoint written at the result the scheduler paused on
        self.progress[trial_id] = (result or {}).get(RESOURCE_ATTR, 0)

    def close(self) -> None:
        for thread in self._threads.values():
            thread.join(timeout=5)


def quadratic(config: dict[str, Any], report: Callable[..., bool], start_epoch: int = 0) -> None:
    """An objective for ``ThreadBackend``: loss ``(x - 0.3)^2 + 1/epoch`` over
    ``config["epochs"]`` epochs (default 3), sleeping ``config["sleep"]`` s (default 1 ms) each."""
    for epoch in range(start_epoch + 1, int(config.get("epochs", 3)) + 1):
        time.sleep(config.get("sleep", 0.001))
        if not report(epoch=epoch, loss=(config["x"] - 0.3) ** 2 + 1.0 / epoch):
            return


class RandomScheduler(Scheduler):
    """A minimal third-party-style scheduler: random configurations (seeded), STOP for a metric
    above ``stop_above`` from epoch 2 on, PAUSE once at epoch ``pause_at`` (a paused trial is
    resumed before anything new starts). What it was told is kept in ``seen``, ``completed``,
    ``errors``, ``paused`` and ``resumed``."""

    def __init__(
        self,
        config_space: dict[str, Any],
        metric: str = METRIC,
        mode: str = "min",
        seed: int = 0,
        stop_above: float | None = None,
        pause_at: int | None = None,
    ):
        from synetune_sdk.config_space import make_random_state

        super().__init__(config_space)
        self.metric, self.mode, self.seed = metric, mode, seed
        self.stop_above = stop_above
        self.pause_at = pause_at
        self.paused: list[int] = []
        self.resumed: list[int] = []
        self.seen: list[tuple[int, dict]] = []
        self.completed: list[int] = []
        self.errors: list[int] = []
        self.rng = make_random_state(seed)

    def suggest(self, trial_id: int) -> TrialSuggestion | None:
        from synetune_sdk.config_space import sample_config

        if self.paused:
            trial = self.paused.pop(0)
            self.resumed.append(trial)
            return TrialSuggestion.resume_suggestion(trial)
        return TrialSuggestion.start_suggestion(sample_config(self.config_space, self.rng))

    def on_trial_result(self, trial: Trial, result: dict[str, Any]) -> str:
        self.seen.append((trial.trial_id, result))
        epoch = result.get(RESOURCE_ATTR)
        if self.pause_at is not None and epoch == self.pause_at:
            if trial.trial_id not in self.resumed:
                self.paused.append(trial.trial_id)
                return SchedulerDecision.PAUSE
        if self.stop_above is not None and result[self.metric] > self.stop_above:
            if (epoch or 0) >= 2:
                return SchedulerDecision.STOP
        return SchedulerDecision.CONTINUE

    def on_trial_complete(self, trial: Trial, result: dict[str, Any]) -> None:
        self.completed.append(trial.trial_id)

    def on_trial_error(self, trial: Trial) -> None:
        self.errors.append(trial.trial_id)

    def metric_names(self) -> list[str]:
        return [self.metric]

    def metric_mode(self) -> str:
        return self.mode
