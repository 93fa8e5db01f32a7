"""Names shared by training scripts, backends and the results files (Syne Tune's wire protocol)."""

from __future__ import annotations

METRIC_TAG = "tune-metric"
METRIC_LINE_PREFIX = f"[{METRIC_TAG}]: "
METRIC_LINE_PATTERN = r"\[tune-metric\]: (\{.*\})"
MAX_METRIC_LINE_BYTES = 50_000

ST_WORKER_TIMESTAMP = "st_worker_timestamp"
ST_WORKER_TIME = "st_worker_time"
ST_WORKER_ITER = "st_worker_iter"
ST_WORKER_COST = "st_worker_cost"

ST_TRIAL_ID = "trial_id"
ST_TUNER_TIME = "st_tuner_time"
ST_TUNER_TIMESTAMP = "st_tuner_timestamp"
ST_DECISION = "st_decision"
ST_STATUS = "st_status"

ST_CHECKPOINT_DIR = "st_checkpoint_dir"
ST_CONFIG_JSON_FNAME_ARG = "st_config_json_filename"

ENV_FOLDER = "SYNETUNE_FOLDER"
DEFAULT_FOLDER = "syne-tune"
