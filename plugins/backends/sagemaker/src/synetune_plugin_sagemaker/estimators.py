"""Reading a ``sagemaker`` SDK estimator into the settings of the SageMaker backend's jobs.

A Syne Tune user hands the backend the estimator they would ``fit()``: a v2 ``Estimator`` or
``Framework`` (``PyTorch``, ``HuggingFace``, ``TensorFlow``, ...) or a v3 ``ModelTrainer``.
``read_estimator`` takes from it everything a training job needs, through the SDK's own API where
it has one (the image from ``training_image_uri()``, the encoded constant hyperparameters and the
distribution settings from ``hyperparameters()``, the region and default bucket from its
session), and raises one error naming every setting the backend cannot honour, so that nothing
is dropped silently. The SDK itself is never imported here: the estimator brings it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synetune_plugin_sagemaker.job_template import ROLE_PATTERN

# instance type -> (training image, the SDK's hyperparameters for it: constants, distribution)
Resolver = Callable[[str], tuple[str, dict[str, str]]]


@dataclass
class EstimatorSettings:
    """What the backend's jobs take from an estimator (None: the estimator does not say)."""

    kind: str
    role: str | None = None
    image_uri: str | None = None
    instance_type: str | None = None
    instance_count: int | None = None
    entry_point: str | None = None
    source_dir: str | None = None
    dependencies: list[str] = field(default_factory=list)
    requirements_file: str | None = None
    ignore_patterns: list[str] = field(default_factory=list)
    hyperparameters: dict[str, str] = field(default_factory=dict)
    user_keys: set[str] = field(default_factory=set)
    environment: dict[str, str] = field(default_factory=dict)
    max_run: int | None = None
    max_wait: int | None = None
    max_pending: int | None = None
    use_spot: bool = False
    keep_alive: int | None = None
    volume_size: int | None = None
    job_settings: dict[str, Any] = field(default_factory=dict)
    tags: list[dict[str, str]] = field(default_factory=list)
    output_path: str | None = None
    checkpoint_s3_uri: str | None = None
    checkpoint_local_path: str | None = None
    code_location: str | None = None
    metric_definitions: list[dict[str, str]] = field(default_factory=list)
    region_name: str | None = None
    profile_name: str | None = None
    # not kept when the backend is pickled: they hold the estimator and its session
    resolver: Resolver | None = None
    default_s3_path: Callable[[], str] | None = None


def _set(value: Any) -> bool:
    """Whether a setting was given (v3 marks unset fields with ``Unassigned()``)."""
    if value is None or value is False or type(value).__name__ == "Unassigned":
        return False
    return not (isinstance(value, list | dict | tuple | set | str) and len(value) == 0)


def _value(value: Any) -> Any:
    return value if _set(value) else None


def _attr(est: Any, name: str) -> Any:
    """A v2 estimator's setting; some are methods over a private attribute of the same name."""
    value = getattr(est, name, None)
    if callable(value) and not isinstance(value, type):
        value = getattr(est, f"_{name}", None)
    return value


def _unsupported(what: str, names: list[str]) -> None:
    if names:
        raise ValueError(
            f"the {what} sets {', '.join(sorted(names))}, which the synetune SageMaker backend "
            "cannot honour: remove them from the estimator (see the plugin README, 'Estimators')"
        )


def _check_role(role: Any, session: Any, what: str) -> str:
    if not _set(role):
        raise ValueError(
            f"the {what} has no role: pass role='arn:aws:iam::<account id>:role/<name>' to it, "
            "the IAM role its training jobs run as"
        )
    role = str(role)
    if ROLE_PATTERN.match(role) or session is None:
        return role
    try:  # a role name, as the SDK accepts it: the SDK expands it to the ARN
        return str(session.expand_role(role))
    except Exception as err:
        raise ValueError(
            f"the {what}'s role {role!r} is not an IAM role ARN and the sagemaker SDK could not "
            f"expand it ({type(err).__name__}: {err}): pass the ARN, "
            "arn:aws:iam::<account id>:role/<name>"
        ) from None


def _session_fields(settings: EstimatorSettings, session: Any) -> None:
    if session is None:
        return
    settings.region_name = _value(getattr(session, "boto_region_name", None))
    boto_session = getattr(session, "boto_session", None)
    profile = getattr(boto_session, "profile_name", None)
    if profile and profile != "default":
        settings.profile_name = profile
    if callable(getattr(session, "default_bucket", None)):

        def default_s3_path() -> str:
            bucket = session.default_bucket()
            prefix = getattr(session, "default_bucket_prefix", None) or ""
            return "/".join(p.strip("/") for p in (f"s3://{bucket}", prefix, "syne-tune") if p)

        settings.default_s3_path = default_s3_path


def _local_source(source_dir: Any, what: str) -> str | None:
    if not _set(source_dir):
        return None
    if str(source_dir).startswith("s3://"):
        raise ValueError(
            f"the {what}'s source_dir {source_dir!r} is in S3: the backend packs the code itself "
            "(with synetune's additions), so pass a local folder"
        )
    return str(source_dir)


def _tags(tags: Any) -> list[dict[str, str]]:
    out = []
    for tag in tags or []:
        if isinstance(tag, dict):
            out.append(
                {
                    "Key": str(tag.get("Key", tag.get("key"))),
                    "Value": str(tag.get("Value", tag.get("value"))),
                }
            )
        else:
            out.append({"Key": str(tag.key), "Value": str(tag.value)})
    return out


def read_estimator(estimator: Any) -> EstimatorSettings:
    """The settings of a v2 ``Estimator``/``Framework`` or a v3 ``ModelTrainer``.

    An object of the v2 shape without the SDK's methods (a stand-in with ``role``,
    ``image_uri``, ``instance_type``, ``entry_point``, ... attributes) is read the same way,
    its ``image_uri`` taken as is."""
    if hasattr(estimator, "compute") and hasattr(estimator, "source_code"):
        return _read_v3(estimator)
    if any(hasattr(estimator, n) for n in ("training_image_uri", "image_uri", "entry_point")):
        return _read_v2(estimator)
    raise TypeError(
        f"estimator must be a sagemaker SDK v2 Estimator/Framework (PyTorch, HuggingFace, "
        f"TensorFlow, Estimator(image_uri=...)) or a v3 ModelTrainer, got {type(estimator).__name__}"
    )


# ---------------------------------------------------------------------------------- SDK v2
_V2_UNSUPPORTED = (
    "git_config",
    "instance_groups",
    "model_uri",
    "tensorboard_output_config",
    "training_repository_access_mode",
    "training_repository_credentials_provider_arn",
    "enable_infra_check",
    "training_plan",
    "enable_remote_debug",
    "instance_placement_config",
    "compiler_config",
    "rules",
    "debugger_rules",
    "debugger_rule_configs",
    "profiler_rules",
    "profiler_rule_configs",
    "collection_configs",
    "algorithm_arn",
)


def _read_v2(est: Any) -> EstimatorSettings:
    name = type(est).__name__
    what = f"{name} estimator"
    _unsupported(what, [n for n in _V2_UNSUPPORTED if _set(_attr(est, n))])
    session = getattr(est, "sagemaker_session", None)
    settings = EstimatorSettings(kind=f"sagemaker v2 {name}")
    settings.role = _check_role(getattr(est, "role", None), session, what)
    settings.instance_type = _value(getattr(est, "instance_type", None))
    if str(settings.instance_type or "").startswith("local"):
        raise ValueError(
            f"the {what} runs in local mode (instance_type={settings.instance_type!r}): use the "
            "'local' backend for local runs, or an ml.* instance type"
        )
    settings.instance_count = _value(getattr(est, "instance_count", None))
    settings.entry_point = _value(getattr(est, "entry_point", None))
    settings.source_dir = _local_source(getattr(est, "source_dir", None), what)
    settings.dependencies = [str(d) for d in getattr(est, "dependencies", None) or []]
    settings.environment = {
        str(k): str(v) for k, v in (getattr(est, "environment", None) or {}).items()
    }
    settings.max_run = _value(getattr(est, "max_run", None))
    settings.max_wait = _value(getattr(est, "max_wait", None))
    settings.use_spot = bool(getattr(est, "use_spot_instances", False))
    settings.keep_alive = _value(getattr(est, "keep_alive_period_in_seconds", None))
    settings.volume_size = _value(getattr(est, "volume_size", None))
    settings.tags = _tags(getattr(est, "tags", None))
    output_path = _value(getattr(est, "output_path", None))
    if output_path and not str(output_path).startswith("s3://"):
        raise ValueError(f"the {what}'s output_path {output_path!r} is not an S3 URI")
    settings.output_path = output_path
    settings.checkpoint_s3_uri = _value(getattr(est, "checkpoint_s3_uri", None))
    settings.checkpoint_local_path = _value(getattr(est, "checkpoint_local_path", None))
    settings.code_location = _value(getattr(est, "code_location", None))
    settings.metric_definitions = [
        {"Name": str(m["Name"]), "Regex": str(m["Regex"])}
        for m in getattr(est, "metric_definitions", None) or []
    ]
    job = settings.job_settings
    job["subnets"] = list(getattr(est, "subnets", None) or [])
    job["security_group_ids"] = list(getattr(est, "security_group_ids", None) or [])
    job["network_isolation"] = bool(_attr(est, "enable_network_isolation"))
    job["inter_container_encryption"] = bool(getattr(est, "encrypt_inter_container_traffic", False))
    job["input_mode"] = _value(getattr(est, "input_mode", None))
    job["volume_kms_key"] = _value(getattr(est, "volume_kms_key", None))
    job["output_kms_key"] = _value(getattr(est, "output_kms_key", None))
    job["compression"] = "NONE" if getattr(est, "disable_output_compression", False) else None
    job["max_retry_attempts"] = _value(getattr(est, "max_retry_attempts", None))
    job["container_entry_point"] = _value(getattr(est, "container_entry_point", None))
    job["container_arguments"] = _value(getattr(est, "container_arguments", None))
    job["sagemaker_metrics"] = getattr(est, "enable_sagemaker_metrics", None)
    _session_fields(settings, session)

    framework = hasattr(est, "framework_version") or hasattr(est, "_framework_name")
    log_level = getattr(est, "container_log_level", None)

    def resolve(instance_type: str) -> tuple[str, dict[str, str]]:
        target = est
        if instance_type != getattr(est, "instance_type", None):
            target = copy.copy(est)
            target.instance_type = instance_type
        try:
            if callable(getattr(target, "training_image_uri", None)):
                image = target.training_image_uri()
            else:  # not the SDK's object: its image as given
                image = getattr(target, "image_uri", None)
        except Exception as err:
            versions = {
                k: getattr(est, k)
                for k in (
                    "framework_version",
                    "py_version",
                    "pytorch_version",
                    "tensorflow_version",
                    "transformers_version",
                )
                if getattr(est, k, None) is not None
            }
            raise ValueError(
                f"the sagemaker SDK cannot map the {what} ({versions}) on {instance_type} to a "
                f"training image: {err} -- pass a version the SDK supports, or image_uri=..."
            ) from None
        if not image:
            raise ValueError(f"the {what} has no training image: pass image_uri=... to it")
        given = getattr(target, "hyperparameters", None)
        given = given() if callable(given) else given
        hyperparameters = {str(k): _encode_v2(v) for k, v in (given or {}).items()}
        if framework and log_level is not None:
            hyperparameters.setdefault("sagemaker_container_log_level", str(log_level))
        return str(image), hyperparameters

    settings.image_uri, settings.hyperparameters = resolve(settings.instance_type or "ml.m5.large")
    settings.user_keys = {k for k in settings.hyperparameters if not k.startswith("sagemaker_")}
    settings.resolver = resolve
    return settings


def _encode_v2(value: Any) -> str:
    # Framework.hyperparameters() is JSON-encoded already; a plain Estimator's values are not,
    # and the SDK sends them as str(value)
    return value if isinstance(value, str) else str(value)


# ---------------------------------------------------------------------------------- SDK v3
def _read_v3(trainer: Any) -> EstimatorSettings:
    what = "ModelTrainer"
    source = getattr(trainer, "source_code", None)
    compute = getattr(trainer, "compute", None)
    networking = getattr(trainer, "networking", None)
    stopping = getattr(trainer, "stopping_condition", None)
    output = getattr(trainer, "output_data_config", None)
    checkpoint = getattr(trainer, "checkpoint_config", None)
    unsupported = [
        n
        for n in (
            "algorithm_name",
            "training_image_config",
            "input_data_config",
            "model_package_config",
        )
        if _set(getattr(trainer, n, None))
    ]
    unsupported += [
        f"compute.{n}"
        for n in (
            "instance_groups",
            "training_plan_arn",
            "instance_placement_config",
            "instance_preferences",
        )
        if _set(getattr(compute, n, None))
    ]
    unsupported += [
        f"source_code.{n}" for n in ("command", "args") if _set(getattr(source, n, None))
    ]
    unsupported += [
        f"with_{n}()"
        for n in (
            "tensorboard_output_config",
            "infra_check_config",
            "remote_debug_config",
            "session_chaining_config",
        )
        if _set(getattr(trainer, f"_{n}", None))
    ]
    mode = getattr(trainer, "training_mode", None)
    if mode is not None and "LOCAL" in str(getattr(mode, "value", mode)).upper():
        unsupported.append("training_mode=LOCAL_CONTAINER (use the 'local' backend)")
    hyperparameters = getattr(trainer, "hyperparameters", None) or {}
    if not isinstance(hyperparameters, dict):
        unsupported.append("hyperparameters as a file (pass a dict)")
        hyperparameters = {}
    distribution = _v3_distribution(getattr(trainer, "distributed", None), unsupported)
    _unsupported(what, unsupported)

    session = getattr(trainer, "sagemaker_session", None)
    settings = EstimatorSettings(kind="sagemaker v3 ModelTrainer")
    settings.role = _check_role(getattr(trainer, "role", None), session, what)
    settings.image_uri = _value(getattr(trainer, "training_image", None))
    if not settings.image_uri:
        raise ValueError("the ModelTrainer has no training_image: pass training_image=... to it")
    settings.instance_type = _value(getattr(compute, "instance_type", None))
    settings.instance_count = _value(getattr(compute, "instance_count", None))
    settings.volume_size = _value(getattr(compute, "volume_size_in_gb", None))
    settings.keep_alive = _value(getattr(compute, "keep_alive_period_in_seconds", None))
    settings.use_spot = bool(_value(getattr(compute, "enable_managed_spot_training", None)))
    settings.entry_point = _value(getattr(source, "entry_script", None))
    settings.source_dir = _local_source(getattr(source, "source_dir", None), what)
    settings.requirements_file = _value(getattr(source, "requirements", None))
    settings.ignore_patterns = list(_value(getattr(source, "ignore_patterns", None)) or [])
    settings.max_run = _value(getattr(stopping, "max_runtime_in_seconds", None))
    settings.max_wait = _value(getattr(stopping, "max_wait_time_in_seconds", None))
    settings.max_pending = _value(getattr(stopping, "max_pending_time_in_seconds", None))
    settings.environment = {
        str(k): str(v) for k, v in (getattr(trainer, "environment", None) or {}).items()
    }
    settings.tags = _tags(getattr(trainer, "tags", None))
    settings.output_path = _value(getattr(output, "s3_output_path", None))
    settings.checkpoint_s3_uri = _value(getattr(checkpoint, "s3_uri", None))
    settings.checkpoint_local_path = _value(getattr(checkpoint, "local_path", None))
    settings.metric_definitions = [
        {"Name": str(m.name), "Regex": str(m.regex)}
        for m in getattr(trainer, "_metric_definitions", None) or []
    ]
    job = settings.job_settings
    job["subnets"] = list(_value(getattr(networking, "subnets", None)) or [])
    job["security_group_ids"] = list(_value(getattr(networking, "security_group_ids", None)) or [])
    job["network_isolation"] = bool(_value(getattr(networking, "enable_network_isolation", None)))
    job["inter_container_encryption"] = bool(
        _value(getattr(networking, "enable_inter_container_traffic_encryption", None))
    )
    job["input_mode"] = _value(getattr(trainer, "training_input_mode", None))
    job["volume_kms_key"] = _value(getattr(compute, "volume_kms_key_id", None))
    job["output_kms_key"] = _value(getattr(output, "kms_key_id", None))
    job["compression"] = _value(getattr(output, "compression_type", None))
    retry = getattr(trainer, "_retry_strategy", None)
    job["max_retry_attempts"] = _value(getattr(retry, "maximum_retry_attempts", None))
    serialize = _v3_serializer()
    constants = {str(k): serialize(v) for k, v in hyperparameters.items()}
    settings.user_keys = set(constants)
    settings.hyperparameters = {**constants, **distribution}
    _session_fields(settings, session)
    return settings


def _v3_distribution(distributed: Any, unsupported: list[str]) -> dict[str, str]:
    """The framework containers' switches for a v3 ``distributed`` setting."""
    if distributed is None:
        return {}
    kind = type(distributed).__name__
    if kind == "Torchrun":
        if _set(getattr(distributed, "smp", None)):
            unsupported.append("distributed=Torchrun(smp=...)")
        if _set(getattr(distributed, "process_count_per_node", None)):
            unsupported.append("distributed=Torchrun(process_count_per_node=...) (one per GPU)")
        return {"sagemaker_torch_distributed_enabled": "true"}
    if kind == "MPI":
        out = {"sagemaker_mpi_enabled": "true"}
        processes = _value(getattr(distributed, "process_count_per_node", None))
        if processes:
            out["sagemaker_mpi_num_of_processes_per_host"] = str(processes)
        options = _value(getattr(distributed, "mpi_additional_options", None))
        out["sagemaker_mpi_custom_mpi_options"] = json.dumps(" ".join(options or []))
        return out
    unsupported.append(f"distributed={kind}(...)")
    return {}


def _v3_serializer() -> Callable[[Any], str]:
    try:  # the SDK's own encoding of hyperparameter values
        from sagemaker.train.utils import safe_serialize

        return lambda value: str(safe_serialize(value))
    except ImportError:
        return lambda value: value if isinstance(value, str) else json.dumps(value)


def resolve_entry_point(settings: EstimatorSettings) -> tuple[str | None, str | None]:
    """(entry point path, source dir) as the SDK reads them: a relative entry point lies in
    ``source_dir`` when one is given."""
    entry, source = settings.entry_point, settings.source_dir
    if entry and source and not Path(entry).is_absolute():
        entry = str(Path(source) / entry)
    return entry, source
