"""The mlp-tasks recipe: learning curves of one MLP grid on several tasks, or the shipped copy.

Generation trains every configuration of the grid (``space.py``) for every seed and task on a
process pool and checkpoints finished chunks (one task, ``chunk_size`` configurations) under
``<target>/chunks/``: run it again after an interruption and it continues where it stopped.
The full table ships with the package (``data/evaluations-<task>.parquet``); the default recipe
copies it after checking its sha256, ``use_shipped=False`` retrains. Regenerate the shipped copy
with ``python -m synetune_plugin_mlp_tasks.recipe [workers]``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from synetune_plugin_blackbox_repository import write_tabular

from synetune_plugin_mlp_tasks.space import (
    OBJECTIVES,
    RESOURCE_ATTR,
    SEED_COL,
    TASKS,
    config_space,
    grid,
)
from synetune_sdk.blackbox import BlackboxRecipe
from synetune_sdk.config_space import config_space_to_json, randint

TABLE_VERSION = "1"
DATA = Path(__file__).with_name("data")
SHIPPED_INFO = DATA / "generation.json"
CHUNKS = "chunks"
PLAN = "plan.json"
CITATION = (
    "synetune mlp-tasks benchmark: MLP learning curves on scikit-learn's digits, breast cancer, "
    "wine and iris data sets and make_classification tasks (Pedregosa et al., JMLR 12, 2011)."
)


def shipped_file(task: str) -> Path:
    return DATA / f"evaluations-{task}.parquet"


class MLPTasksRecipe(BlackboxRecipe):
    """Learning curves of MLPs on several tasks (``read_blackbox`` returns ``{task: blackbox}``).

    Args:
        size: ``"full"`` (128 configurations) or ``"small"`` (4, for tests).
        tasks: the tasks to tabulate (default: all of ``space.TASKS``).
        num_epochs: epochs per curve (default 27; 3 for ``"small"``).
        num_seeds: seeds per configuration (default 3; 1 for ``"small"``).
        workers: processes training in parallel (1 trains in this process).
        chunk_size: configurations per checkpointed chunk.
        use_shipped: copy the table shipped with the package when it matches these settings.
    """

    name = "mlp-tasks"
    citation = CITATION
    version = "1"
    resumable = True

    def __init__(
        self,
        size: str = "full",
        tasks: list[str] | None = None,
        num_epochs: int | None = None,
        num_seeds: int | None = None,
        workers: int = 2,
        chunk_size: int = 16,
        use_shipped: bool = True,
    ):
        self.space = config_space(size)
        full = size == "full"
        self.tasks = list(TASKS if tasks is None else tasks)
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown or not self.tasks:
            raise ValueError(f"unknown tasks {unknown} (or none given); tasks: {TASKS}")
        self.num_epochs = int((27 if full else 3) if num_epochs is None else num_epochs)
        self.num_seeds = int((3 if full else 1) if num_seeds is None else num_seeds)
        if self.num_epochs < 1 or self.num_seeds < 1 or workers < 1 or chunk_size < 1:
            raise ValueError("num_epochs, num_seeds, workers and chunk_size must be at least 1")
        self.workers = int(workers)
        self.chunk_size = int(chunk_size)
        self.use_shipped = bool(use_shipped)

    def settings(self) -> dict[str, Any]:
        """What determines the table (the shipped copy is used only when these match)."""
        return {
            "version": TABLE_VERSION,
            "space": config_space_to_json(self.space),
            "tasks": self.tasks,
            "num_epochs": self.num_epochs,
            "seeds": list(range(self.num_seeds)),
        }

    def generate(self, path: Path) -> None:
        import pandas as pd

        path = Path(path)
        started = time.perf_counter()
        if self.use_shipped and self._shipped_matches():
            data = {t: pd.read_parquet(shipped_file(t)) for t in self.tasks}
            info, source = json.loads(SHIPPED_INFO.read_text()), "shipped"
        else:
            data = self.train(path)
            info = {"generation_seconds": round(time.perf_counter() - started, 1)}
            source = "trained"
        write_tabular(
            path,
            data,
            self.space,
            OBJECTIVES,
            fidelity_space={RESOURCE_ATTR: randint(1, self.num_epochs)},
            seed_col=SEED_COL,
            elapsed_time_attr="elapsed_time",
            source=source,
            generation=info,
        )
        shutil.rmtree(path / CHUNKS, ignore_errors=True)

    def _shipped_matches(self) -> bool:
        if not SHIPPED_INFO.exists():
            return False
        from synetune_plugin_blackbox_repository import file_sha256

        info = json.loads(SHIPPED_INFO.read_text())
        if info.get("settings") != self.settings():
            return False
        for task in self.tasks:
            file = shipped_file(task)
            if not file.exists() or file_sha256(file) != info["sha256"].get(task):
                raise ValueError(
                    f"the shipped table {file} is missing or does not match its sha256 in "
                    f"{SHIPPED_INFO}: reinstall synetune-plugin-mlp-tasks or pass "
                    "use_shipped=False to retrain"
                )
        return True

    def train(self, path: Path) -> dict[str, Any]:
        """Train (or finish training) every task; ``{task: long-format DataFrame}``."""
        import pandas as pd

        configs = list(enumerate(grid(self.space)))
        chunks = [configs[i : i + self.chunk_size] for i in range(0, len(configs), self.chunk_size)]
        jobs = [(task, i) for task in self.tasks for i in range(len(chunks))]
        folder = Path(path) / CHUNKS
        plan = {**self.settings(), "chunk_size": self.chunk_size}
        if folder.exists():
            try:
                same = json.loads((folder / PLAN).read_text()) == plan
            except (OSError, ValueError):
                same = False
            if not same:  # checkpoints of other settings: start over
                shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / PLAN).write_text(json.dumps(plan))
        todo = [job for job in jobs if not _chunk_ok(folder, *job)]
        seeds = plan["seeds"]
        done = len(jobs) - len(todo)
        _progress(done, len(jobs))
        if self.workers == 1 or len(todo) <= 1:
            from synetune_plugin_mlp_tasks.training import train_chunk

            for task, i in todo:
                _save_chunk(folder, task, i, train_chunk(task, chunks[i], seeds, self.num_epochs))
                done += 1
                _progress(done, len(jobs))
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            from synetune_plugin_mlp_tasks.training import init_worker, train_chunk

            with ProcessPoolExecutor(self.workers, initializer=init_worker) as pool:
                futures = {
                    pool.submit(train_chunk, task, chunks[i], seeds, self.num_epochs): (task, i)
                    for task, i in todo
                }
                for future in as_completed(futures):
                    _save_chunk(folder, *futures[future], future.result())
                    done += 1
                    _progress(done, len(jobs))
        out = {}
        for task in self.tasks:
            frames = [pd.read_parquet(_chunk_file(folder, task, i)) for i in range(len(chunks))]
            df = pd.concat(frames, ignore_index=True)
            df = df.sort_values(["config_index", SEED_COL, RESOURCE_ATTR], kind="stable")
            out[task] = df.drop(columns=["config_index"]).reset_index(drop=True)
        return out


def _progress(done: int, total: int) -> None:
    sys.stderr.write(f"mlp-tasks: {done}/{total} chunks\n")
    sys.stderr.flush()


def _chunk_file(folder: Path, task: str, index: int) -> Path:
    return folder / f"{task}-{index:05d}.parquet"


def _chunk_ok(folder: Path, task: str, index: int) -> bool:
    import pandas as pd

    file = _chunk_file(folder, task, index)
    if not file.exists():
        return False
    try:
        pd.read_parquet(file)
        return True
    except Exception:  # a torn or corrupted checkpoint: train that chunk again
        file.unlink(missing_ok=True)
        return False


def _save_chunk(folder: Path, task: str, index: int, rows: list[dict[str, Any]]) -> None:
    import pandas as pd

    file = _chunk_file(folder, task, index)
    tmp = file.with_name(file.name + ".tmp")
    pd.DataFrame(rows).to_parquet(tmp, index=False)
    os.replace(tmp, file)


def refresh_shipped(workers: int = 2, work: Path | None = None) -> None:
    """Train the full table and store it as the package's shipped copy (a maintainer's task);
    ``work`` keeps the checkpoints (an interrupted refresh continues from them)."""
    from synetune_plugin_blackbox_repository import file_sha256

    recipe = MLPTasksRecipe(workers=workers, use_shipped=False)
    work = Path(work) if work is not None else DATA / "generation-work"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    data = recipe.train(work)
    seconds = time.perf_counter() - started
    sha = {}
    for task, df in data.items():
        file = shipped_file(task)
        tmp = file.with_name(file.name + ".tmp")
        df.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, file)
        sha[task] = file_sha256(file)
    info = {
        "settings": recipe.settings(),
        "sha256": sha,
        "rows": {task: len(df) for task, df in data.items()},
        "generation_seconds": round(seconds, 1),
        "workers": workers,
        "cpu_count": os.cpu_count(),
        "generated_on": time.strftime("%Y-%m-%d"),
    }
    SHIPPED_INFO.write_text(json.dumps(info, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {len(data)} tables to {DATA} in {seconds:.0f}s")


if __name__ == "__main__":
    refresh_shipped(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
