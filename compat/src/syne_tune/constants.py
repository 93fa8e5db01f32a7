"""``syne_tune.constants``: Syne Tune's names, with synetune's values (the same wire protocol
and result files). Imports only synetune_sdk."""

from __future__ import annotations

from syne_tune._missing import missing
from synetune_sdk.constants import (
    DEFAULT_FOLDER,
    ENV_FOLDER,
    METRIC_TAG,
    ST_CHECKPOINT_DIR,
    ST_CONFIG_JSON_FNAME_ARG,
    ST_DECISION,
    ST_STATUS,
    ST_TRIAL_ID,
    ST_TUNER_TIME,
    ST_TUNER_TIMESTAMP,
    ST_WORKER_COST,
    ST_WORKER_ITER,
    ST_WORKER_TIME,
    ST_WORKER_TIMESTAMP,
)

SYNE_TUNE_ENV_FOLDER = ENV_FOLDER
SYNE_TUNE_DEFAULT_FOLDER = DEFAULT_FOLDER
ST_SAGEMAKER_METRIC_TAG = METRIC_TAG
ST_METRIC_TAG = METRIC_TAG  # Syne Tune's later name

ST_TUNER_CREATION_TIMESTAMP = "st_tuner_creation_timestamp"
ST_TUNER_START_TIMESTAMP = "st_tuner_start_timestamp"
ST_INSTANCE_TYPE = "st_instance_type"
ST_INSTANCE_COUNT = "st_instance_count"
ST_RESULTS_DATAFRAME_FILENAME = "results.csv.zip"
ST_METADATA_FILENAME = "metadata.json"
ST_TUNER_DILL_FILENAME = "tuner.dill"
ST_DATETIME_FORMAT = "%Y-%m-%d-%H-%M-%S"
ST_REMOTE_UPLOAD_DIR_NAME = "tuner"
MAX_METRICS_SUPPORTED_BY_SAGEMAKER = 40
TUNER_DEFAULT_SLEEP_TIME = 5.0

__all__ = [
    "MAX_METRICS_SUPPORTED_BY_SAGEMAKER",
    "ST_CHECKPOINT_DIR",
    "ST_CONFIG_JSON_FNAME_ARG",
    "ST_DATETIME_FORMAT",
    "ST_DECISION",
    "ST_INSTANCE_COUNT",
    "ST_INSTANCE_TYPE",
    "ST_METADATA_FILENAME",
    "ST_METRIC_TAG",
    "ST_REMOTE_UPLOAD_DIR_NAME",
    "ST_RESULTS_DATAFRAME_FILENAME",
    "ST_SAGEMAKER_METRIC_TAG",
    "ST_STATUS",
    "ST_TRIAL_ID",
    "ST_TUNER_CREATION_TIMESTAMP",
    "ST_TUNER_DILL_FILENAME",
    "ST_TUNER_START_TIMESTAMP",
    "ST_TUNER_TIME",
    "ST_TUNER_TIMESTAMP",
    "ST_WORKER_COST",
    "ST_WORKER_ITER",
    "ST_WORKER_TIME",
    "ST_WORKER_TIMESTAMP",
    "SYNE_TUNE_DEFAULT_FOLDER",
    "SYNE_TUNE_ENV_FOLDER",
    "TUNER_DEFAULT_SLEEP_TIME",
]

__getattr__ = missing(__name__, globals(), {})
