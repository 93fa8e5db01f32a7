"""Entry point of a remote tuning job (shipped as ``synetune_remote_main.py`` by RemoteLauncher).

It runs the pickled tuner (``st_tuner``: its paths moved to the job's copy of its code, its
experiment folder under the local folder) or the user's launcher script (``st_launcher``) with
``$SYNETUNE_FOLDER`` pointed at a local folder and,
from a background thread, uploads each experiment folder the launcher writes there to
``<st_s3_path>/<tuner-name>/`` every ``st_sync_interval`` seconds and once more at the end, so
results are in S3 while the tuning runs and after the job stopped or failed.

Arguments come as SageMaker passes hyperparameters, ``--name value`` pairs: ``st_launcher``,
``st_tuner``, ``st_launcher_args`` (one shell-quoted string), ``st_s3_path``, ``st_store_logs``,
``st_sync_interval``, ``st_job_name``.
"""

from __future__ import annotations

import json
import logging
import os
import runpy
import shlex
import sys
import tempfile
import threading
import traceback
from pathlib import Path


def _pairs(argv: list[str]) -> dict[str, str]:
    # not argparse: a value may itself start with "--" (the launcher's own arguments)
    out = {}
    for position in range(0, len(argv) - 1, 2):
        out[argv[position].lstrip("-")] = argv[position + 1]
    return out


def main(argv: list[str]) -> int:
    from synetune_plugin_sagemaker import aws
    from synetune_plugin_sagemaker.remote import REMOTE_FOLDER, sync_experiments

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    args = _pairs(argv)
    s3_path = args["st_s3_path"]
    with_logs = args.get("st_store_logs", "0") in ("1", "True", "true")
    interval = float(args.get("st_sync_interval", "30"))
    job_name = args.get("st_job_name", "remote")
    root = Path(os.environ.get("SYNETUNE_REMOTE_FOLDER") or tempfile.mkdtemp(prefix="synetune-"))
    root.mkdir(parents=True, exist_ok=True)
    os.environ["SYNETUNE_FOLDER"] = str(root)

    session = aws.make_session()
    s3 = aws.make_client(session, "s3")
    bucket, prefix = aws.parse_s3_uri(s3_path)
    manifest_key = "/".join(p for p in (prefix, REMOTE_FOLDER, job_name, "experiments.json") if p)
    known: dict[str, dict] = {}
    lock = threading.Lock()
    done = threading.Event()

    def sync() -> None:
        with lock:
            names = sync_experiments(s3, root, s3_path, known, with_logs)
            if names:
                s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(names).encode())

    def sync_forever() -> None:
        while not done.wait(interval):
            try:
                sync()
            except Exception as err:  # a failed upload is retried at the next interval
                print(f"synetune remote: syncing to {s3_path} failed: {err}", file=sys.stderr)

    syncer = threading.Thread(target=sync_forever, name="synetune-remote-sync", daemon=True)
    syncer.start()
    code = 0
    try:
        if "st_tuner" in args:
            sys.path.insert(0, str(Path.cwd()))
            _load_tuner(Path(args["st_tuner"]), root).run()
        else:
            launcher = Path(args["st_launcher"]).resolve()
            sys.argv = [str(launcher), *shlex.split(args.get("st_launcher_args", ""))]
            sys.path.insert(0, str(launcher.parent))
            runpy.run_path(str(launcher), run_name="__main__")
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else (0 if exit_.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        done.set()
        syncer.join(timeout=interval + 60)
        sync()
        print(f"synetune remote: experiments synced to {s3_path}/: {sorted(known)}", flush=True)
    return code


def _load_tuner(path: Path, root: Path):
    """The pickled tuner, its paths on the launching machine replaced by the job's copies."""
    import dill

    from synetune_plugin_sagemaker.remote import PATHS_FILE

    here = path.resolve().parent
    moves = json.loads((here / PATHS_FILE).read_text())

    def move(value):
        if isinstance(value, str | Path):
            text = str(value)
            for old, new in sorted(moves.items(), key=lambda item: -len(item[0])):
                if text == old or text.startswith(old + "/"):
                    moved = str(here / new / text[len(old) :].lstrip("/"))
                    return type(value)(moved.rstrip("/"))
            return value
        if isinstance(value, list):
            return [move(v) for v in value]
        return value

    tuner = dill.loads(path.read_bytes())
    backend = tuner.trial_backend
    for key, value in list(vars(backend).items()):
        vars(backend)[key] = move(value)
    tuner.tuner_path = root / tuner.name
    if getattr(tuner, "trial_backend_path", None):
        # kept out of the synced folder, as the launching machine had it
        tuner.trial_backend_path = root.parent / f"{root.name}-trials" / tuner.name
    return tuner


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
