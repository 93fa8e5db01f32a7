"""From an estimator template and a trial's config to a ``CreateTrainingJob`` request.

``JobTemplate`` (a mixin of ``SageMakerBackend``) keeps what an estimator says about the jobs
(``estimators.read_estimator``) and builds each job's request: the estimator's constant
hyperparameters plus the trial's config (or the JSON config channel), instances, spot and VPC
settings, checkpoint configuration, output path, metric definitions, tags, and a job name
derived from the tuner's name.
"""

from __future__ import annotations

import hashlib
import json
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

    def _set_template(self, template: Any) -> None:
        """Keep what the jobs take from an estimator (``estimators.EstimatorSettings``)."""
        self.constants = dict(template.hyperparameters)
        self.constant_keys = sorted(template.user_keys)
        self.use_spot = bool(template.use_spot)
        self.max_wait = None if template.max_wait is None else int(template.max_wait)
        self.max_pending = None if template.max_pending is None else int(template.max_pending)
        self.extra_tags = list(template.tags)
        self.output_path = template.output_path.rstrip("/") if template.output_path else None
        base = template.checkpoint_s3_uri
        if base is not None:
            aws.parse_s3_uri(base, "checkpoint_s3_uri")
        self.checkpoint_base = base.rstrip("/") if base else None
        self.checkpoint_local_path = template.checkpoint_local_path or CHECKPOINT_LOCAL_PATH
        self.code_location = template.code_location.rstrip("/") if template.code_location else None
        self.metric_definitions = list(template.metric_definitions)
        self.requirements_file = template.requirements_file
        self.ignore_patterns = list(template.ignore_patterns)
        self.job_settings = dict(template.job_settings)
        # instance type -> (image, constants) as the SDK resolved them
        self._images: dict[str, tuple[str, dict[str, str]]] = {}
        if template.image_uri is not None and template.instance_type:
            self._images[template.instance_type] = (template.image_uri, self.constants)
        self._resolver = template.resolver
        self._default_s3_path = template.default_s3_path

    def check_config(self, config: dict[str, Any]) -> None:
        """A config key that is also a constant hyperparameter of the estimator would override
        it without a word (or be overridden): refuse it before any job starts."""
        clashes = sorted(set(map(str, config)) & set(self.constant_keys))
        if clashes:
            raise ValueError(
                f"the configuration's {', '.join(map(repr, clashes))} also "
                f"{'is a' if len(clashes) == 1 else 'are'} constant hyperparameter"
                f"{'' if len(clashes) == 1 else 's'} of the estimator "
                f"({', '.join(f'{k}={self.constants[k]}' for k in clashes)}): remove "
                f"{'it' if len(clashes) == 1 else 'them'} from the estimator's hyperparameters "
                "or from the configuration space"
            )
        reserved = sorted(k for k in map(str, config) if k.startswith("sagemaker_"))
        if reserved:
            raise ValueError(
                f"configuration keys {reserved} start with 'sagemaker_', which SageMaker's "
                "containers reserve: rename them"
            )

    def _image_and_constants(self, instance_type: str) -> tuple[str, dict[str, str]]:
        resolved = self._images.get(instance_type)
        if resolved is None:
            resolver = getattr(self, "_resolver", None)
            if resolver is not None:
                resolved = resolver(instance_type)  # the SDK's image for that instance type
            else:
                resolved = (self.image_uri, self.constants)
            self._images[instance_type] = resolved
        return (self.image_uri if self._explicit_image else resolved[0]), resolved[1]

    def _job_request(
        self, trial_id: int, config: dict[str, Any]
    ) -> tuple[dict[str, Any], str, int]:
        config = dict(config)
        instance_type = str(config.pop(INSTANCE_TYPE_KEY, self.instance_type))
        instance_count = int(config.pop(INSTANCE_COUNT_KEY, self.instance_count))
        image, constants = self._image_and_constants(instance_type)
        hyperparameters = dict(constants)
        if self.pass_args_as_json:
            hyperparameters[ST_CONFIG_JSON_FNAME_ARG] = CONFIG_LOCAL_PATH
        else:
            hyperparameters.update({str(k): _hyperparameter(v) for k, v in config.items()})
        hyperparameters[ST_CHECKPOINT_DIR] = self.checkpoint_local_path
        hyperparameters["sagemaker_program"] = self.program
        hyperparameters["sagemaker_submit_directory"] = str(self.code_uri)
        hyperparameters["sagemaker_region"] = str(self._client("sagemaker").meta.region_name)
        output_path = self._output_path(trial_id)
        if hyperparameters.get("model_dir") == "null":  # TensorFlow's default: under the output
            hyperparameters["model_dir"] = json.dumps(f"{output_path}/model")
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
        job = self.job_settings
        resources: dict[str, Any] = {
            "InstanceType": instance_type,
            "InstanceCount": instance_count,
            "VolumeSizeInGB": self.volume_size,
        }
        if self.keep_alive is not None:
            resources["KeepAlivePeriodInSeconds"] = self.keep_alive
        if job.get("volume_kms_key"):
            resources["VolumeKmsKeyId"] = job["volume_kms_key"]
        algorithm: dict[str, Any] = {
            "TrainingImage": image,
            "TrainingInputMode": job.get("input_mode") or "File",
        }
        definitions = [*self.metric_definitions]
        definitions += [{"Name": n, "Regex": _metric_regex(n)} for n in self.metrics_names]
        if definitions:
            algorithm["MetricDefinitions"] = definitions
        if job.get("sagemaker_metrics") is not None:
            algorithm["EnableSageMakerMetricsTimeSeries"] = bool(job["sagemaker_metrics"])
        if job.get("container_entry_point"):
            algorithm["ContainerEntrypoint"] = list(job["container_entry_point"])
        if job.get("container_arguments"):
            algorithm["ContainerArguments"] = list(job["container_arguments"])
        output: dict[str, Any] = {"S3OutputPath": output_path}
        if job.get("output_kms_key"):
            output["KmsKeyId"] = job["output_kms_key"]
        if job.get("compression"):
            output["CompressionType"] = job["compression"]
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": self.max_run}
        if self.use_spot:
            stopping["MaxWaitTimeInSeconds"] = self.max_wait
        if self.max_pending:
            stopping["MaxPendingTimeInSeconds"] = self.max_pending
        request = {
            "AlgorithmSpecification": algorithm,
            "RoleArn": self.role,
            "HyperParameters": hyperparameters,
            "OutputDataConfig": output,
            "ResourceConfig": resources,
            "StoppingCondition": stopping,
            "CheckpointConfig": {
                "S3Uri": self.checkpoint_s3_uri(trial_id),
                "LocalPath": self.checkpoint_local_path,
            },
            "Environment": {"PYTHONUNBUFFERED": "1", **self.environment},
            "Tags": [
                *self.extra_tags,
                {"Key": "synetune-tuner", "Value": str(self.tuner_name)},
                {"Key": "synetune-trial", "Value": str(trial_id)},
            ],
        }
        if self.use_spot:
            request["EnableManagedSpotTraining"] = True
        if job.get("subnets"):
            request["VpcConfig"] = {
                "Subnets": list(job["subnets"]),
                "SecurityGroupIds": list(job["security_group_ids"]),
            }
        if job.get("network_isolation"):
            request["EnableNetworkIsolation"] = True
        if job.get("inter_container_encryption"):
            request["EnableInterContainerTrafficEncryption"] = True
        if job.get("max_retry_attempts"):
            request["RetryStrategy"] = {"MaximumRetryAttempts": int(job["max_retry_attempts"])}
        if self.pass_args_as_json:
            request["InputDataConfig"] = [self._config_channel(trial_id, config)]
        return request, instance_type, instance_count

    def _output_path(self, trial_id: int) -> str:
        if self.output_path:
            return self.output_path  # SageMaker adds the job name under it
        bucket, prefix = self.bucket_and_prefix
        return aws.s3_uri(bucket, prefix, str(self.tuner_name), str(trial_id), "output")

    def _job_name(self, trial_id: int, attempt: int) -> str:
        suffix = f"-{trial_id}" + (f"-{attempt}" if attempt else "")
        base = str(self.tuner_name)
        if len(base) + len(suffix) > 63:
            digest = hashlib.sha1(base.encode()).hexdigest()[:6]
            base = base[: 63 - len(suffix) - 7].rstrip("-") + "-" + digest
        return base + suffix


def _check_job_settings(template: Any, max_run: int) -> None:
    """Spot and VPC settings SageMaker would reject: said before any job starts."""
    if template.use_spot and not template.max_wait:
        raise ValueError(
            "the estimator asks for spot instances (use_spot_instances=True / "
            "enable_managed_spot_training=True) without max_wait: set max_wait (v2) or "
            "stopping_condition.max_wait_time_in_seconds (v3) to at least max_run, the seconds a "
            "job may wait for spot capacity plus its run time"
        )
    if template.max_wait and not template.use_spot:
        raise ValueError(
            "the estimator sets max_wait without spot instances: SageMaker takes max_wait only "
            "with use_spot_instances=True"
        )
    if template.use_spot and int(template.max_wait) < max_run:
        raise ValueError(
            f"max_wait={template.max_wait} is shorter than max_run={max_run}: SageMaker needs "
            "max_wait >= max_run for spot training"
        )
    subnets = template.job_settings.get("subnets")
    groups = template.job_settings.get("security_group_ids")
    if bool(subnets) != bool(groups):
        raise ValueError(
            "the estimator sets only one of subnets and security_group_ids: a VPC configuration "
            "needs both"
        )


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
