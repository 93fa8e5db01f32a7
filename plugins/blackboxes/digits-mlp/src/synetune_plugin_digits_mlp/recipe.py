"""The digits-mlp recipe: generate the learning-curve table by training, or copy the shipped one.

Generation trains every configuration of the grid (``space.py``) for every seed on a process
pool (2 workers by default), shows a progress line on stderr and checkpoints finished chunks of
configurations under ``<target>/chunks/``: run it again after an interruption and it continues
where it stopped. The full table (648 configurations x 3 seeds x 27 epochs) was generated on
this project's 2-core machine and ships with the package (``data/evaluations.parquet``, about
1.5 MB); the default recipe copies it after checking its sha256, ``use_shipped=False``
retrains.

Regenerate the shipped file with ``python -m synetune_plugin_digits_mlp.recipe``.
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

from synetune_plugin_digits_mlp.space import (
    OBJECTIVES,
    RESOURCE_ATTR,
    SEED_COL,
    config_space,
    grid,
    n_params,
)
from synetune_sdk.blackbox import BlackboxRecipe
from synetune_sdk.config_space import config_space_to_json, randint

TABLE_VERSION = "1"
SHIPPED = Path(__file__).with_name("data") / "evaluations.parquet"
SHIPPED_INFO = Path(__file__).with_name("data") / "generation.json"
CHUNKS = "chunks"
PLAN = "plan.json"
CITATION = (
    "synetune digits-mlp benchmark: scikit-learn MLPClassifier learning curves on the UCI "
    "optical recognition of handwritten digits data (Alpaydin and Kaynak, 1998) as shipped by "
    "scikit-learn (Pedregosa et al., JMLR 12, 2011)."
)


class DigitsMLPRecipe(BlackboxRecipe):
    """Learning curves of MLPs on digits.

    Args:
        size: ``"full"`` (648 configurations) or ``"small"`` (16, for tests).
        num_epochs: epochs per curve (default 27; 4 for ``"small"``).
        num_seeds: seeds per configuration (default 3; 2 for ``"small"``).
        workers: processes training in parallel (1 trains in this process).
        chunk_size: configurations per checkpointed chunk.
        use_shipped: copy the table shipped with the package when it matches these settings.
    """

    name = "digits-mlp"
    citation = CITATION
    # "2": the written blackbox gains the derived n_params objective (a new cache folder); the
    # trained table is unchanged, so its settings keep TABLE_VERSION and the shipped copy
    version = "2"
    resumable = True

    def __init__(
        self,
        size: str = "full",
        num_epochs: int | None = None,
        num_seeds: int | None = None,
        workers: int = 2,
        chunk_size: int = 8,
        use_shipped: bool = True,
    ):
        self.space = config_space(size)
        self.size = size
        full = size == "full"
        self.num_epochs = int((27 if full else 4) if num_epochs is None else num_epochs)
        self.num_seeds = int((3 if full else 2) if num_seeds is None else num_seeds)
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
            "num_epochs": self.num_epochs,
            "seeds": list(range(self.num_seeds)),
        }

    def _plan(self) -> dict[str, Any]:
        return {**self.settings(), "chunk_size": self.chunk_size}

    def generate(self, path: Path) -> None:
        import pandas as pd

        path = Path(path)
        started = time.perf_counter()
        info: dict[str, Any] = {}
        if self.use_shipped and self._shipped_matches():
            df = pd.read_parquet(SHIPPED)
            info = json.loads(SHIPPED_INFO.read_text())
            source = "shipped"
        else:
            df = self._train(path)
            info = {"generation_seconds": round(time.perf_counter() - started, 1)}
            source = "trained"
        df = df.assign(n_params=[n_params(a, b) for a, b in zip(df["num_layers"], df["num_units"])])
        write_tabular(
            path,
            df,
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
        if not (SHIPPED.exists() and SHIPPED_INFO.exists()):
            return False
        from synetune_plugin_blackbox_repository import file_sha256

        info = json.loads(SHIPPED_INFO.read_text())
        if info.get("settings") != self.settings():
            return False
        if file_sha256(SHIPPED) != info.get("sha256"):
            raise ValueError(
                f"the shipped table {SHIPPED} does not match its sha256 in {SHIPPED_INFO}: "
                "reinstall synetune-plugin-digits-mlp or pass use_shipped=False to retrain"
            )
        return True

    # ------------------------------------------------------------------ training
    def _train(self, path: Path) -> Any:
        import pandas as pd

        configs = list(enumerate(grid(self.space)))
        chunks = [configs[i : i + self.chunk_size] for i in range(0, len(configs), self.chunk_size)]
        folder = path / CHUNKS
        plan = self._plan()
        plan_file = folder / PLAN
        if folder.exists():
            try:
                same = json.loads(plan_file.read_text()) == plan
            except (OSError, ValueError):
                same = False
            if not same:  # checkpoints of other settings: start over
                shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
        plan_file.write_text(json.dumps(plan))
        done = {i for i in range(len(chunks)) if self._chunk_ok(folder, i)}
        todo = [i for i in range(len(chunks)) if i not in done]
        progress = _Progress(len(configs), sum(len(chunks[i]) for i in done))
        seeds = plan["seeds"]
        if self.workers == 1 or len(todo) <= 1:
            from synetune_plugin_digits_mlp.training import train_chunk

            for i in todo:
                self._save_chunk(folder, i, train_chunk(chunks[i], seeds, self.num_epochs))
                progress.advance(len(chunks[i]))
        else:
            from concurrent.futures import ProcessPoolExecutor, as_completed

            from synetune_plugin_digits_mlp.training import init_worker, train_chunk

            with ProcessPoolExecutor(self.workers, initializer=init_worker) as pool:
                futures = {
                    pool.submit(train_chunk, chunks[i], seeds, self.num_epochs): i for i in todo
                }
                for future in as_completed(futures):
                    i = futures[future]
                    self._save_chunk(folder, i, future.result())
                    progress.advance(len(chunks[i]))
        progress.close()
        frames = [pd.read_parquet(self._chunk_file(folder, i)) for i in range(len(chunks))]
        df = pd.concat(frames, ignore_index=True)
        df = df.sort_values(["config_index", SEED_COL, RESOURCE_ATTR], kind="stable")
        return df.drop(columns=["config_index"]).reset_index(drop=True)

    @staticmethod
    def _chunk_file(folder: Path, index: int) -> Path:
        return folder / f"chunk-{index:05d}.parquet"

    def _chunk_ok(self, folder: Path, index: int) -> bool:
        import pandas as pd

        file = self._chunk_file(folder, index)
        if not file.exists():
            return False
        try:
            pd.read_parquet(file)
            return True
        except Exception:  # torn or corrupted checkpoint: train that chunk again
            file.unlink(missing_ok=True)
            return False

    def _save_chunk(self, folder: Path, index: int, rows: list[dict[str, Any]]) -> None:
        import pandas as pd

        file = self._chunk_file(folder, index)
        tmp = file.with_name(file.name + ".tmp")
        pd.DataFrame(rows).to_parquet(tmp, index=False)
        os.replace(tmp, file)


class _Progress:
    """A one-line progress bar on stderr (redrawn in place on a terminal)."""

    def __init__(self, total: int, done: int = 0):
        self.total, self.done = total, done
        self.start = time.perf_counter()
        self.initial = done
        self.tty = sys.stderr.isatty()
        self._last_line = -1.0
        self._draw()

    def advance(self, n: int) -> None:
        self.done += n
        self._draw()

    def _draw(self) -> None:
        fraction = self.done / self.total if self.total else 1.0
        elapsed = time.perf_counter() - self.start
        rate = (self.done - self.initial) / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else float("nan")
        bar = "#" * int(30 * fraction) + "." * (30 - int(30 * fraction))
        text = (
            f"digits-mlp [{bar}] {self.done}/{self.total} configurations, "
            f"{_duration(elapsed)} elapsed, ~{_duration(left)} left"
        )
        if self.tty:
            sys.stderr.write("\r" + text)
        elif fraction >= 1.0 or fraction - self._last_line >= 0.05:
            sys.stderr.write(text + "\n")
            self._last_line = fraction
        sys.stderr.flush()

    def close(self) -> None:
        if self.tty:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _duration(seconds: float) -> str:
    if seconds != seconds:  # nan
        return "?"
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s"


def refresh_shipped(workers: int = 2) -> None:
    """Train the full table and store it as the package's shipped copy (a maintainer's task)."""
    from synetune_plugin_blackbox_repository import file_sha256

    recipe = DigitsMLPRecipe(workers=workers, use_shipped=False)
    work = SHIPPED.parent / "generation-work"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    df = recipe._train(work)
    seconds = time.perf_counter() - started
    tmp = SHIPPED.with_name(SHIPPED.name + ".tmp")
    df.to_parquet(tmp, index=False, compression="zstd")
    os.replace(tmp, SHIPPED)
    info = {
        "settings": recipe.settings(),
        "sha256": file_sha256(SHIPPED),
        "rows": len(df),
        "generation_seconds": round(seconds, 1),
        "workers": workers,
        "cpu_count": os.cpu_count(),
        "generated_on": time.strftime("%Y-%m-%d"),
    }
    SHIPPED_INFO.write_text(json.dumps(info, indent=2) + "\n")
    shutil.rmtree(work, ignore_errors=True)
    print(f"wrote {SHIPPED} ({SHIPPED.stat().st_size / 1e6:.2f} MB) in {seconds:.0f}s")


if __name__ == "__main__":
    refresh_shipped(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
