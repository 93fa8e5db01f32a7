"""From an estimator template and a trial's config to a ``CreateTrainingJob`` request.

``_template_arguments`` reads the defaults of a ``sagemaker`` SDK ``Estimator`` or ``ModelTrainer``;
``JobTemplate`` (a mixin of ``SageMakerBackend``) builds each job's request: hyperparameters (or
the JSON config channel), instances, checkpoint configuration, metric definitions, tags, and a
job name derived from the tuner's name.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from synetune_plugin_sagemaker import aws
from synetune_sdk.constants import ST_CHECKPOINT_DIR, ST_CONFIG_JSON_FNAME_ARG

CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
# pass_args_as_json: the config goes to the job as this input channel's only file
CONFIG_CHANNEL = "st_config"
CONFIG_LOCAL_PATH = f"/opt/ml/input/data/{CONFIG_CHANNEL}/config.json"
JOB_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
ROLE_PATTERN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/\S+$")
INSTANCE_TYPE_KEY = "st_instance_type"
INSTANCE_COUNT_KEY = "st_instance_count"
_MAX_HYPERPARAMETERS = 100
_MAX_HYPERPARAMETER_LENGTH = 2500


class JobTemplate:
    """The ``CreateTrainingJob`` requests of ``SageMakerBackend`` (a mixin of it)."""

    def _job_request(
        self, trial_id: int, config: dict[str, Any]
    ) -> tuple[dict[str, Any], str, int]:
        config = dict(config)
        instance_type = str(config.pop(INSTANCE_TYPE_KEY, self.instance_type))
        instance_count = int(config.pop(INSTANCE_COUNT_KEY, self.instance_count))
        if self.pass_args_as_json:
            hyperparameters = {ST_CONFIG_JSON_FNAME_ARG: CONFIG_LOCAL_PATH}
        else:
            hyperparameters = {str(k): _hyperparameter(v) for k, v in config.items()}
        hyperparameters[ST_CHECKPOINT_DIR] = CHECKPOINT_LOCAL_PATH
        hyperparameters["sagemaker_program"] = self.program
        hyperparameters["sagemaker_submit_directory"] = str(self.code_uri)
        hyperparameters["sagemaker_region"] = str(self._client("sagemaker").meta.region_name)
        if len(hyperparameters) > _MAX_HYPERPARAMETERS:
            raise ValueError(
                f"trial {trial_id}: {len(hyperparameters)} hyperparameters, SageMaker takes at "
                f"most {_MAX_HYPERPARAMETERS}: use fewer configuration entries"
            )
        for key, value in hyperparameters.items():
            if len(value) > _MAX_HYPERPARAMETER_LENGTH:
                raise ValueError(
                    f"trial {trial_id}: the value of {key!r} has {len(value)} characters, "
                    f"SageMaker takes at most {_MAX_HYPERPARAMETER_LENGTH}"
                )
        bucket, prefix = self.bucket_and_prefix
        resources: dict[str, Any] = {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeSizeInGB": self.volume_size,
        }
        if self.keep_alive is not None:
            resources["KeepAlivePeriodInSeconds"] = self.keep_alive
        algorithm: dict[str, Any] = {"TrainingImage": self.image_uri, "TrainingInputMode": "File"}
        if self.metrics_names:
            algorithm["MetricDefinitions"] = [
                {"Name": name, "Regex": _metric_regex(name)} for name in self.metrics_names
            ]
        request = {
            "AlgorithmSpecification": algorithm,
            "RoleArn": self.role,
            "HyperParameters": hyperparameters,
            "OutputDataConfig": {
                "S3OutputPath": aws.s3_uri(
                    bucket, prefix, str(self.tuner_name), str(trial_id), "output"
                )
            },
            "ResourceConfig": resources,
            "StoppingCondition": {"MaxRuntimeInSeconds": self.max_run},
            "CheckpointConfig": {
                "S3Uri": self.checkpoint_s3_uri(trial_id),
                "LocalPath": CHECKPOINT_LOCAL_PATH,
            },
            "Environment": {"PYTHONUNBUFFERED": "1", **self.environment},
            "Tags": [
                {"Key": "synetune-tuner", "Value": str(self.tuner_name)},
                {"Key": "synetune-trial", "Value": str(trial_id)},
            ],
        }
        if self.pass_args_as_json:
            request["InputDataConfig"] = [self._config_channel(trial_id, config)]
        return request, instance_type, instance_count

    def _job_name(self, trial_id: int, attempt: int) -> str:
        suffix = f"-{trial_id}" + (f"-{attempt}" if attempt else "")
        base = str(self.tuner_name)
        if len(base) + len(suffix) > 63:
            digest = hashlib.sha1(base.encode()).hexdigest()[:6]
            base = base[: 63 - len(suffix) - 7].rstrip("-") + "-" + digest
        return base + suffix


# ---------------------------------------------------------------------------------- helpers
def _hyperparameter(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return str(value)
    for attr in ("item", "tolist"):  # numpy scalars and arrays, without importing numpy
        if callable(getattr(value, attr, None)):
            return str(getattr(value, attr)())
    return str(value)


def _metric_regex(name: str) -> str:
    return rf'.*\[tune-metric\].*"{re.escape(name)}": ([-+]?[0-9]*\.?[0-9]+([eE][-+]?[0-9]+)?)'


def _job_safe(name: str) -> str:
    """A tuner name usable in job names: letters, digits and single dashes."""
    return re.sub(r"-+", "-", re.sub(r"[^a-zA-Z0-9-]", "-", name)).strip("-")


def _template_arguments(estimator: Any) -> dict[str, Any]:
    """Arguments read from a ``sagemaker`` SDK v2 ``Estimator`` or v3 ``ModelTrainer``."""
    if estimator is None:
        return {}
    out: dict[str, Any] = {}
    compute = getattr(estimator, "compute", None)  # v3 ModelTrainer
    stopping = getattr(estimator, "stopping_condition", None)
    candidates = {
        "role": [getattr(estimator, "role", None)],
        "image_uri": [
            getattr(estimator, "image_uri", None),
            getattr(estimator, "training_image", None),
        ],
        "instance_type": [
            getattr(estimator, "instance_type", None),
            getattr(compute, "instance_type", None),
        ],
        "instance_count": [
            getattr(estimator, "instance_count", None),
            getattr(compute, "instance_count", None),
        ],
        "keep_alive_period_in_seconds": [
            getattr(estimator, "keep_alive_period_in_seconds", None),
            getattr(compute, "keep_alive_period_in_seconds", None),
        ],
        "max_run": [
            getattr(estimator, "max_run", None),
            getattr(stopping, "max_runtime_in_seconds", None),
        ],
        "environment": [getattr(estimator, "environment", None)],
    }
    for key, values in candidates.items():
        for value in values:
            if value is not None and not callable(value):
                out[key] = value
                break
    if not isinstance(out.get("environment", {}), dict):
        out.pop("environment")
    return out
