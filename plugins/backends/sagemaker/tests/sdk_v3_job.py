"""Run inside the ``sagemaker`` v3 virtual environment by test_sagemaker_sdk_v3.py.

Builds a ``ModelTrainer`` as a v3 user would, hands it to ``SageMakerBackend`` against the moto
server of the test process (whose fake SageMaker runs the job), runs one trial, tries the bad
inputs, and writes what happened as JSON to the file named by the second argument.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main(settings: dict[str, Any], out_path: str) -> None:
    import boto3
    from sagemaker.core.helper.session_helper import Session
    from sagemaker.core.shapes import MetricDefinition, Tag
    from sagemaker.train import ModelTrainer
    from sagemaker.train.configs import (
        CheckpointConfig,
        Compute,
        Networking,
        OutputDataConfig,
        SourceCode,
        StoppingCondition,
    )
    from sagemaker.train.distributed import Torchrun
    from synetune_plugin_sagemaker import SageMakerBackend

    from synetune_sdk.testing import run_to_end

    bucket, role, image = settings["bucket"], settings["role"], settings["image"]
    session = Session(boto_session=boto3.Session(region_name="us-east-1"), default_bucket=bucket)

    def trainer(**kwargs: Any) -> Any:
        options: dict[str, Any] = {
            "training_image": image,
            "role": role,
            "sagemaker_session": session,
            "source_code": SourceCode(
                source_dir=settings["source_dir"],
                entry_script="train.py",
                requirements="requirements-train.txt",
            ),
            "compute": Compute(
                instance_type="ml.c5.xlarge",
                instance_count=1,
                volume_size_in_gb=40,
                enable_managed_spot_training=True,
            ),
            "networking": Networking(subnets=["subnet-0v3"], security_group_ids=["sg-0v3"]),
            "stopping_condition": StoppingCondition(
                max_runtime_in_seconds=1800, max_wait_time_in_seconds=3600
            ),
            "output_data_config": OutputDataConfig(s3_output_path=f"s3://{bucket}/v3-output"),
            "checkpoint_config": CheckpointConfig(
                s3_uri=f"s3://{bucket}/v3-checkpoints", local_path="/opt/ml/checkpoints"
            ),
            "hyperparameters": {"batch_size": 64},
            "environment": {"FROM_V3": "1"},
            "tags": [Tag(key="team", value="hpo")],
            "distributed": Torchrun(),
        }
        options.update(kwargs)
        return ModelTrainer(**options)

    def backend(estimator: Any) -> Any:
        return SageMakerBackend(
            estimator=estimator,
            endpoint_url=settings["endpoint"],
            poll_interval=0.05,
            max_attempts=1,
            close_timeout=10.0,
        )

    from importlib.metadata import version

    out: dict[str, Any] = {"sdk_version": version("sagemaker"), "errors": {}}
    model_trainer = trainer().with_metric_definitions(
        [MetricDefinition(name="loss", regex=r'"loss": ([0-9.]+)')]
    )
    sm = backend(model_trainer)
    try:
        sm.set_path(settings["tuner_path"])
        trial = sm.start_trial({"epochs": 2, "x": 0.5})
        results = run_to_end(sm, [trial.trial_id])
        out["status"] = sm.status[trial.trial_id]
        out["stderr"] = sm.stderr(trial.trial_id)
        out["results"] = [r for _, r in results]
        out["job_names"] = sm.job_names(trial.trial_id)
        try:
            sm.start_trial({"epochs": 1, "batch_size": 8})
        except ValueError as err:
            out["errors"]["collision"] = str(err)
    finally:
        sm.close()

    def error_of(make: Any) -> str | None:
        try:
            backend(make())
        except Exception as err:
            return f"{type(err).__name__}: {err}"
        return None

    # the v3 SDK resolves a missing role itself (and fails offline); the backend names a role
    # that is gone by the time it reads the trainer
    out["errors"]["no_role"] = error_of(lambda: trainer(role=None))

    def without_role() -> Any:
        unset = trainer()
        unset.role = None
        return unset

    out["errors"]["role_unset"] = error_of(without_role)
    out["errors"]["spot_without_max_wait"] = error_of(
        lambda: trainer(stopping_condition=StoppingCondition(max_runtime_in_seconds=1800))
    )
    out["errors"]["command"] = error_of(
        lambda: trainer(
            distributed=None,
            source_code=SourceCode(source_dir=settings["source_dir"], command="python train.py"),
        )
    )
    with open(out_path, "w") as f:
        json.dump(out, f, default=str)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]), sys.argv[2])
