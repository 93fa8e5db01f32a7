"""Resuming an interrupted run: rebuild the tuner's state from ``events.jsonl`` and bring the
scheduler up to date.

The saved tuner (``tuner.dill``) holds the scheduler as it was at the last save; every event
after that is replayed into it in log order. A trial started after the save is replayed by
asking the scheduler for a suggestion again before telling it the logged configuration, so its
random state moves on exactly as in the interrupted run and its duplicate filters and pending
evaluations hold the replayed trials (no configuration is suggested twice because of a crash).
Results a trial printed that never reached the log (the tuner died between the print and the
read) are recovered from the backend when it keeps the trial's output (``recover_results``).
Trials that were running restart from their checkpoints; one whose results show it had
finished completes instead of failing.
"""

from __future__ import annotations

import logging
import math
from collections import deque
from datetime import datetime
from typing import Any

from synetune import results as store
from synetune.journal import RunRecord, level_of
from synetune.stopping import TuningStatus
from synetune_sdk.trial import SchedulerDecision, Trial, TrialStatus

logger = logging.getLogger(__name__)


def restore(tuner: Any) -> None:
    """Bring ``tuner`` (just loaded) to the state its log describes and restart its trials."""
    tuner._reset_run_state()
    path = tuner.tuner_path / store.EVENTS_FILENAME
    events = store.read_events(path)
    record = RunRecord(path, tuner._elapsed, count=len(events))
    tuner._record = record
    tuner._start_time = tuner.trial_backend.time()
    status = TuningStatus(metric_names=tuner._metric_names())
    tuner.tuning_status = status
    replayer = _Replayer(tuner, record, status)
    dropped = {e["seq"] for e in events if e["event"] == "drop"}
    for position, event in enumerate(events):
        record.table.add(event)
        if "st_tuner_time" in event:
            tuner._time_offset = max(tuner._time_offset, float(event["st_tuner_time"]))
        replayer.apply(event, position, dropped)
    decided = replayer.flush_unhandled()
    tuner._seen_seq = record.seq  # the scheduler has now seen every logged result
    tuner._failures = [
        (t, "failed before the run was resumed")
        for t, s in replayer.state.items()
        if s == TrialStatus.FAILED
    ]
    interrupted = [t for t, s in replayer.state.items() if s == TrialStatus.IN_PROGRESS]
    backend = tuner.trial_backend
    backend_status = {
        t: (TrialStatus.PAUSED if s == TrialStatus.IN_PROGRESS else s)
        for t, s in replayer.state.items()
    }
    backend.restore(dict(tuner.trials), backend_status)
    # a trial that reported before counts as having reported: if its checkpoint was final and
    # a restart or resume prints nothing more, it completes instead of failing
    for trial_id, count in replayer.counts.items():
        backend.num_results[trial_id] = count
    restarted = 0
    for trial_id in interrupted:
        decision = decided.get(trial_id) or replayer.recover(trial_id)
        backend.num_results[trial_id] = replayer.counts.get(trial_id, 0)  # with recovered ones
        if decision != SchedulerDecision.CONTINUE:
            replayer.apply_decision(trial_id, decision)  # stopped or paused, not restarted
            continue
        record.runs[trial_id] = record.runs.get(trial_id, 0) + 1
        tuner._set_status(trial_id, TrialStatus.IN_PROGRESS, restarted=True)
        tuner._repeats.restart(trial_id, replayer.levels.get(trial_id, -math.inf))
        backend.resume_trial(trial_id)
        tuner._running.add(trial_id)
        restarted += 1
    tuner._resumed = False
    tuner._say(
        1,
        f"synetune: resumed {tuner.name!r}: {len(tuner.trials)} trials, {status.num_results} "
        f"results restored ({replayer.recovered} recovered from trial output), {restarted} "
        "interrupted trials restarted from their checkpoints",
    )


class _Replayer:
    """Applies logged events to the tuner's state and, after the save, to the scheduler."""

    def __init__(self, tuner: Any, record: RunRecord, status: TuningStatus):
        self.tuner = tuner
        self.scheduler = tuner.scheduler
        self.record = record
        self.status = status
        self.state: dict[int, str] = {}
        self.counts: dict[int, int] = {}  # results per trial, over all its runs
        self.run_counts: dict[int, int] = {}  # results of the trial's current run
        self.levels: dict[int, float] = {}  # highest resource level the scheduler saw
        self.key = tuner._repeats.key
        self.recovered = 0
        self._watch: dict[int, float] = {}  # restarted trials: level seen before the restart
        self._pending: deque[tuple[dict[str, Any], bool]] = deque()
        self._logged_decisions: dict[int, str] = {}  # STOP/PAUSE logged, status not yet

    def apply(self, event: dict[str, Any], position: int, dropped: set[int]) -> None:
        tuner, record = self.tuner, self.record
        replay = position >= tuner._log_position
        kind = event["event"]
        trial_id = event.get("trial_id")
        if kind == "result":
            # fed to the scheduler when a later event shows the loop had handled it (results
            # are logged as they are read, before the loop gets to them)
            seq = event["seq"]
            record.seq = max(record.seq, seq)
            if seq not in dropped:
                self._pending.append((event, replay or seq > tuner._seen_seq))
            return
        # what the loop had handled when it wrote this event ("seen"; older logs: everything)
        self.flush(event.get("seen", event.get("seq", math.inf)))
        if kind == "trial":
            created = event.get("creation_time")
            trial = Trial(
                trial_id,
                event["config"],
                datetime.fromisoformat(created) if created else datetime.now(),
            )
            tuner.trials[trial_id] = trial
            self.status.on_trial_started(trial_id)
            self.state[trial_id] = TrialStatus.IN_PROGRESS
            record.runs[trial_id] = 1
            self.run_counts[trial_id] = 0
            if replay:
                self._suggest_again(trial_id, event["config"])
                self.scheduler.on_trial_add(trial)
        elif kind == "config":
            tuner.trials[trial_id].config = event["config"]
        elif kind == "decision" and event["decision"] != SchedulerDecision.CONTINUE:
            # the loop logs the status change right after; a crash in between leaves this
            self._logged_decisions[trial_id] = event["decision"]
        elif kind == "status":
            self._apply_status(trial_id, event, replay)

    def flush(self, seen: float) -> None:
        """Feed the pending results the loop had handled by ``seen`` (a sequence number)."""
        pending = self._pending
        while pending and pending[0][0]["seq"] <= seen:
            event, to_scheduler = pending.popleft()
            self._feed_logged(event, to_scheduler)

    def flush_unhandled(self) -> dict[int, str]:
        """Feed what was read before the crash but never handled; like the loop, act on the
        scheduler's decisions: ``{trial_id: STOP or PAUSE}`` for those and for decisions logged
        without the status change that follows them (later results of those trials are
        dropped, as the loop drops them)."""
        decided = dict(self._logged_decisions)  # decided, but the crash came before the status
        while self._pending:
            event, to_scheduler = self._pending.popleft()
            trial_id, seq = event["trial_id"], event["seq"]
            if trial_id in decided:
                self.record.record({"event": "drop", "seq": seq, "trial_id": trial_id})
                continue
            decision = self._feed_logged(event, to_scheduler)
            if decision != SchedulerDecision.CONTINUE:
                decided[trial_id] = decision
                self.record.record(
                    {"event": "decision", "seq": seq, "trial_id": trial_id, "decision": decision}
                )
        return decided

    def _feed_logged(self, event: dict[str, Any], to_scheduler: bool) -> str:
        trial_id = event["trial_id"]
        self.counts[trial_id] = self.counts.get(trial_id, 0) + 1
        self.run_counts[trial_id] = self.run_counts.get(trial_id, 0) + 1
        result = {**event["result"], "st_tuner_time": event["st_tuner_time"]}
        if self._is_repeat(trial_id, result):
            return SchedulerDecision.CONTINUE
        return self._feed(trial_id, result, to_scheduler)

    def _apply_status(self, trial_id: int, event: dict[str, Any], replay: bool) -> None:
        new = event["status"]
        self._logged_decisions.pop(trial_id, None)
        previous = self.state.get(trial_id)
        self.status.on_trial_status(trial_id, new)
        self.state[trial_id] = new
        trial = self.tuner.trials[trial_id]
        if new == TrialStatus.IN_PROGRESS:
            self.record.runs[trial_id] = self.record.runs.get(trial_id, 1) + 1
            self.run_counts[trial_id] = 0
            if event.get("restarted"):
                self._watch[trial_id] = self.levels.get(trial_id, -math.inf)
            elif replay and previous == TrialStatus.PAUSED:
                # the live loop asked with the id a new trial would have got
                self._suggest_again(max(self.tuner.trials) + 1, None)
        elif not replay:
            return
        elif new == TrialStatus.COMPLETED:
            self.scheduler.on_trial_complete(trial, self.status.last_results.get(trial_id, {}))
        elif new == TrialStatus.FAILED:
            self.scheduler.on_trial_error(trial)
        elif new in (TrialStatus.STOPPED, TrialStatus.PAUSED):
            self.scheduler.on_trial_remove(trial)

    def _is_repeat(self, trial_id: int, result: dict[str, Any]) -> bool:
        if trial_id not in self._watch:
            return False
        level = level_of(result, self.key)
        if level > -math.inf and level <= self._watch[trial_id]:
            return True
        del self._watch[trial_id]
        return False

    def _feed(self, trial_id: int, result: dict[str, Any], to_scheduler: bool) -> str:
        self.status.on_result(trial_id, result)
        self.tuner._best.update(trial_id, result)
        self.levels[trial_id] = max(
            self.levels.get(trial_id, -math.inf), level_of(result, self.key)
        )
        if not to_scheduler:
            return SchedulerDecision.CONTINUE
        return self.scheduler.on_trial_result(self.tuner.trials[trial_id], result)

    def _suggest_again(self, trial_id: int, config: dict[str, Any] | None) -> None:
        """Repeat the scheduler's suggestion for a trial started after the save, so that its
        random state and bookkeeping move on as they did in the interrupted run."""
        try:
            suggestion = self.scheduler.suggest(trial_id)
        except Exception as err:  # the logged trial stands; the scheduler just learns of it
            logger.debug("replaying the suggestion of trial %d failed: %s", trial_id, err)
            return
        if suggestion is not None and config is not None and suggestion.config != config:
            logger.debug(
                "trial %d: the scheduler now suggests %s, the log says %s; the log wins",
                trial_id,
                suggestion.config,
                config,
            )

    def recover(self, trial_id: int) -> str:
        """Record results an interrupted trial printed that never reached the log; the
        scheduler's decision on the last of them (CONTINUE when there is none)."""
        recovered = self.tuner.trial_backend.recover_results(trial_id)
        missing: list[dict[str, Any]] = []
        # the backend's last run must be the one the log knows (the tuner may have died
        # between logging a start and the backend starting it)
        if recovered is not None and recovered[0] == self.record.runs.get(trial_id):
            missing = recovered[1][self.run_counts.get(trial_id, 0) :]
        decision = SchedulerDecision.CONTINUE
        tuner = self.tuner
        for result in missing:
            taken = self.record.take(trial_id, result)
            if taken is None:
                continue
            self.recovered += 1
            self.counts[trial_id] = self.counts.get(trial_id, 0) + 1
            seq, elapsed = taken
            tuner._seen_seq = seq
            full = {**result, "st_tuner_time": elapsed}
            if self._is_repeat(trial_id, full):
                continue
            decision = self._feed(trial_id, full, True)
            if decision != SchedulerDecision.CONTINUE:
                self.record.record(
                    {"event": "decision", "seq": seq, "trial_id": trial_id, "decision": decision}
                )
                break
        return decision

    def apply_decision(self, trial_id: int, decision: str) -> None:
        """An interrupted trial the scheduler stopped or paused on a result it had not seen."""
        tuner = self.tuner
        status = TrialStatus.STOPPED if decision == SchedulerDecision.STOP else TrialStatus.PAUSED
        tuner._set_status(trial_id, status)
        tuner.trial_backend.status[trial_id] = status
        self.scheduler.on_trial_remove(tuner.trials[trial_id])
