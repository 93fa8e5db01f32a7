"""A study: methods x benchmarks x seeds, read from a TOML or Python file and checked up front.

Every combination is one normal synetune experiment named ``<study>-<method>-<benchmark>-<seed>``
under ``$SYNETUNE_FOLDER``, with metadata ``study``, ``method``, ``benchmark``, ``seed`` and
``study_settings`` (what the run depends on: the method's scheduler and arguments, the
benchmark's definition, the stop criterion and worker count). A finished run leaves
``study.json`` (``{"status": "finished", ...}``) in its folder, written after the tuner saved.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synetune_plugin_study.benchmarks import Benchmark

MARKER = "study.json"
TUNER_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")  # the kernel's rule
STUDY_KEYS = {
    "name",
    "methods",
    "benchmarks",
    "seeds",
    "n_workers",
    "stop",
    "report",
    "sagemaker",
}
METHOD_KEYS = {"scheduler", "arguments", "multi_fidelity", "multi_objective"}
STOP_KEYS = {
    "max_wallclock_time",
    "max_num_trials_started",
    "max_num_trials_completed",
    "max_num_trials_finished",
    "max_num_evaluations",
    "max_cost",
    "max_metric_value",
    "min_metric_value",
}
# multi-objective schedulers of the in-repo plugins, and those that take one metric or several;
# any other is single-objective unless its method says multi_objective = true
MULTI_OBJECTIVE = {"moasha", "ehvi"}
EITHER = {"random_search", "grid_search"}


class StudyError(ValueError):
    """The study file, or the command line's choice from it, cannot run as given."""


@dataclass
class Method:
    name: str
    scheduler: Any  # a registered scheduler name, or a callable (Python study files)
    arguments: dict[str, Any] = field(default_factory=dict)
    multi_fidelity: bool | None = None  # None: the scheduler takes a resource_attr
    multi_objective: bool | None = None

    def factory(self) -> Any:
        if callable(self.scheduler):
            return self.scheduler
        import synetune

        return synetune.schedulers.get(self.scheduler)

    def is_multi_fidelity(self) -> bool:
        if self.multi_fidelity is not None:
            return self.multi_fidelity
        try:
            return "resource_attr" in inspect.signature(self.factory()).parameters
        except (TypeError, ValueError):
            return False

    def is_multi_objective(self) -> bool | None:
        """True, False, or None for a method that takes one metric or several."""
        if self.multi_objective is not None:
            return self.multi_objective
        key = self.scheduler.rpartition("/")[2].lower() if isinstance(self.scheduler, str) else ""
        return True if key in MULTI_OBJECTIVE else None if key in EITHER else False

    def settings(self) -> dict[str, Any]:
        scheduler = self.scheduler
        if callable(scheduler):
            scheduler = f"{scheduler.__module__}:{scheduler.__qualname__}"
        return {"scheduler": scheduler, "arguments": self.arguments}


@dataclass
class Study:
    name: str
    path: Path | None
    methods: dict[str, Method]
    benchmarks: dict[str, Benchmark]
    seeds: list[int]
    n_workers: int | None = None  # None: each benchmark's own
    stop: dict[str, Any] = field(default_factory=dict)  # None: each benchmark's own
    report: dict[str, Any] = field(default_factory=dict)
    # --executor sagemaker settings (role, instance_type, s3_path, ...): where runs go, not what
    # they compute, so they are not part of a run's settings
    sagemaker: dict[str, Any] = field(default_factory=dict)

    def combinations(
        self,
        methods: list[str] | None = None,
        benchmarks: list[str] | None = None,
        seeds: list[int] | None = None,
    ) -> list[Combination]:
        """The runs of the study, narrowed to the given methods, benchmarks and seeds."""
        methods = _pick("method", methods, list(self.methods))
        benchmarks = _pick("benchmark", benchmarks, list(self.benchmarks))
        return [
            Combination(self, m, b, s)
            for b in benchmarks
            for m in methods
            for s in (self.seeds if seeds is None else seeds)
        ]

    def check(self) -> None:
        """Refuse method/benchmark pairs that cannot run together, before anything runs."""
        problems = []
        for method in self.methods.values():
            mf, mo = method.is_multi_fidelity(), method.is_multi_objective()
            for bench in self.benchmarks.values():
                if mf and not bench.multi_fidelity:
                    problems.append(
                        f"method {method.name!r} is multi-fidelity but benchmark {bench.name!r} "
                        "has no resource_attr (single fidelity): drop one of them, or give the "
                        "benchmark a resource_attr"
                    )
                if mo is not None and mo != bench.multi_objective:
                    what = "multi-objective" if mo else "single-objective"
                    problems.append(
                        f"method {method.name!r} is {what} but benchmark {bench.name!r} has "
                        f"{len(bench.metrics)} metric(s) {bench.metrics}"
                    )
        if problems:
            raise StudyError("the study cannot run as defined:\n  " + "\n  ".join(problems))


@dataclass
class Combination:
    study: Study
    method: str
    benchmark: str
    seed: int

    @property
    def tuner_name(self) -> str:
        raw = f"{self.study.name}-{self.method}-{self.benchmark}-{self.seed}"
        name = re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9]", "-", raw)).strip("-")
        if len(name) > 63:  # the kernel's limit on tuner names: keep it unique with a hash
            digest = hashlib.sha1(raw.encode()).hexdigest()[:8]
            name = f"{name[:54].rstrip('-')}-{digest}"
        return name

    def stop(self) -> dict[str, Any]:
        bench = self.study.benchmarks[self.benchmark]
        if self.study.stop:
            return dict(self.study.stop)
        stop: dict[str, Any] = {}
        if bench.max_wallclock_time is not None:
            stop["max_wallclock_time"] = bench.max_wallclock_time
        if bench.max_num_trials is not None:
            stop["max_num_trials_finished"] = bench.max_num_trials
        return stop

    def n_workers(self) -> int:
        return self.study.n_workers or self.study.benchmarks[self.benchmark].n_workers

    def settings(self) -> dict[str, Any]:
        """What the run's results depend on; compared with an earlier run of the same name."""
        return json.loads(
            json.dumps(
                {
                    "method": self.study.methods[self.method].settings(),
                    "benchmark": self.study.benchmarks[self.benchmark].to_dict(),
                    "stop": self.stop(),
                    "n_workers": self.n_workers(),
                },
                sort_keys=True,
                default=str,
            )
        )

    def metadata(self) -> dict[str, Any]:
        return {
            "study": self.study.name,
            "method": self.method,
            "benchmark": self.benchmark,
            "seed": self.seed,
            "study_settings": self.settings(),
        }

    def folder(self, root: Path | None = None) -> Path:
        from synetune.plugin_api import experiment_path

        return experiment_path(self.tuner_name, root)

    def state(self, root: Path | None = None) -> str:
        """``finished``, ``failed``, ``interrupted`` (resumable) or ``missing``; raises
        ``StudyError`` when the folder holds a run with other settings or of something else."""
        folder = self.folder(root)
        metadata_file = folder / "metadata.json"
        if not metadata_file.exists():
            held = [p.name for p in folder.iterdir()] if folder.exists() else []
            if {"results.csv.zip", "tuner.dill"} & set(held):
                raise StudyError(
                    f"{folder} holds a run that is not part of study {self.study.name!r}"
                )
            return "missing"
        try:
            metadata = json.loads(metadata_file.read_text())
        except (OSError, ValueError):
            metadata = {}
        if metadata.get("study") != self.study.name:
            raise StudyError(
                f"{folder} holds a run that is not part of study {self.study.name!r}: rename the "
                "study or move that experiment away"
            )
        earlier = metadata.get("study_settings")
        if earlier != self.settings():
            changed = sorted(
                k for k in self.settings() if (earlier or {}).get(k) != self.settings()[k]
            )
            raise StudyError(
                f"seed {self.seed} of method {self.method!r} on benchmark {self.benchmark!r} "
                f"already ran in {folder} with other settings (changed: {', '.join(changed)}). "
                "Use other seeds, another study name, or delete that experiment to run it again."
            )
        marker = folder / MARKER
        if marker.exists():
            try:
                status = json.loads(marker.read_text()).get("status")
            except (OSError, ValueError):
                status = None
            if status in ("finished", "failed"):
                return status
        return "interrupted"


def _pick(what: str, chosen: list[str] | None, available: list[str]) -> list[str]:
    if not chosen:
        return available
    import difflib

    unknown = [c for c in chosen if c not in available]
    if unknown:
        close = {u: difflib.get_close_matches(u, available, n=2) for u in unknown}
        hints = "; ".join(
            f"{u!r}" + (f" (did you mean {' or '.join(map(repr, c))}?)" if c else "")
            for u, c in close.items()
        )
        raise StudyError(f"unknown {what}(s) {hints}; the study has {available}")
    return list(chosen)


def parse_seeds(value: Any) -> list[int]:
    """Seeds from a list, an int, or a string like ``"0-9"`` or ``"0,3,5-7"``."""
    if isinstance(value, bool):
        raise StudyError(f"seeds must be integers, got {value!r}")
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        out: list[int] = []
        for part in filter(None, (p.strip() for p in value.split(","))):
            lo, dash, hi = part.partition("-")
            try:
                out.extend(range(int(lo), int(hi) + 1) if dash else [int(lo)])
            except ValueError:
                raise StudyError(f"seeds {value!r}: use '0-9' or '0,3,5-7'") from None
        value = out
    if not isinstance(value, list) or not value or not all(isinstance(s, int) for s in value):
        raise StudyError(f"seeds must be a non-empty list of integers or '0-9', got {value!r}")
    if len(set(value)) != len(value):
        raise StudyError(f"seeds {value!r} repeat a seed")
    return list(value)


def load_study(path: str | Path) -> Study:
    """Read a study from TOML (``.toml``) or from a Python file defining ``study`` (a dict)."""
    path = Path(path)
    if not path.exists():
        raise StudyError(f"study file {path} does not exist")
    if path.suffix == ".toml":
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as err:
            raise StudyError(f"{path} is not valid TOML: {err}") from None
    elif path.suffix == ".py":
        import runpy

        data = runpy.run_path(str(path)).get("study")
        if not isinstance(data, dict):
            raise StudyError(f"{path} must define a dict named 'study'")
    else:
        raise StudyError(f"study file {path} must be .toml or .py")
    return study_from_dict(data, path)


def study_from_dict(data: dict[str, Any], path: Path | None = None) -> Study:
    """Check and resolve a study's definition: registry names are looked up now."""
    from synetune.plugin_api import UnknownNameError, create

    where = f"study {path}" if path else "study"
    unknown = sorted(set(data) - STUDY_KEYS)
    if unknown:
        raise StudyError(f"{where}: unknown key(s) {unknown}; known: {sorted(STUDY_KEYS)}")
    name = data.get("name") or (path.stem if path else None)
    if not isinstance(name, str) or not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9-]*", name):
        raise StudyError(f"{where}: 'name' must be letters, digits and dashes, got {name!r}")
    methods: dict[str, Method] = {}
    for method_name, spec in (data.get("methods") or {}).items():
        spec = {"scheduler": spec} if isinstance(spec, str) or callable(spec) else dict(spec)
        bad = sorted(set(spec) - METHOD_KEYS)
        if bad or "scheduler" not in spec:
            raise StudyError(
                f"{where}: method {method_name!r} needs 'scheduler' (a registered name) and may "
                f"have {sorted(METHOD_KEYS - {'scheduler'})}; got {sorted(spec)}"
            )
        method = Method(method_name, **spec)
        if isinstance(method.scheduler, str):
            try:
                method.factory()
            except UnknownNameError as err:
                raise StudyError(f"{where}: method {method_name!r}: {err}") from None
        methods[method_name] = method
    if not methods:
        raise StudyError(f"{where}: define at least one method under 'methods'")
    benchmarks: dict[str, Benchmark] = {}
    raw = data.get("benchmarks") or []
    items = raw.items() if isinstance(raw, dict) else [(b, None) for b in raw]
    for bench_name, spec in items:
        try:
            if isinstance(spec, dict):  # inline definition, or a registered one with overrides
                spec = dict(spec)
                base = spec.pop("base", None)
                if base is not None:
                    spec = {**Benchmark.coerce(create("benchmarks", base), base).to_dict(), **spec}
                    spec.pop("name", None)
                benchmarks[bench_name] = Benchmark.coerce(spec, bench_name)
            else:
                benchmarks[bench_name] = Benchmark.coerce(
                    create("benchmarks", bench_name), bench_name
                )
        except UnknownNameError as err:
            raise StudyError(f"{where}: {err}") from None
        except (TypeError, ValueError) as err:
            raise StudyError(f"{where}: {err}") from None
    if not benchmarks:
        raise StudyError(f"{where}: name at least one benchmark under 'benchmarks'")
    stop = dict(data.get("stop") or {})
    bad = sorted(set(stop) - STOP_KEYS)
    if bad:
        raise StudyError(f"{where}: unknown stop criterion {bad}; use {sorted(STOP_KEYS)}")
    sagemaker = dict(data.get("sagemaker") or {})
    from synetune_plugin_study.on_sagemaker import KEYS as SAGEMAKER_KEYS

    bad = sorted(set(sagemaker) - SAGEMAKER_KEYS)
    if bad:
        raise StudyError(f"{where}: unknown [sagemaker] key(s) {bad}; use {sorted(SAGEMAKER_KEYS)}")
    n_workers = data.get("n_workers")
    if n_workers is not None and (not isinstance(n_workers, int) or n_workers < 1):
        raise StudyError(f"{where}: n_workers must be a positive integer, got {n_workers!r}")
    study = Study(
        name=name,
        path=path,
        methods=methods,
        benchmarks=benchmarks,
        seeds=parse_seeds(data.get("seeds", [0])),
        n_workers=n_workers,
        stop=stop,
        report=dict(data.get("report") or {}),
        sagemaker=sagemaker,
    )
    study.check()
    return study
