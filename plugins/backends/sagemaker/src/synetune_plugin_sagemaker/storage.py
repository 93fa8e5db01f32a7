"""S3 side of the SageMaker backend: the code tarball, the trials' checkpoints, config files.

``S3Storage`` is a mixin of ``SageMakerBackend``. Everything lives under
``<s3_path>/<tuner-name>/``: ``code/sourcedir.tar.gz``, and per trial ``checkpoints/`` (the
jobs' ``CheckpointConfig``), ``output/`` and, with ``pass_args_as_json``, ``st_config/``.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from synetune_plugin_sagemaker import aws
from synetune_plugin_sagemaker.job_template import CONFIG_CHANNEL
from synetune_plugin_sagemaker.packaging import pack_code
from synetune_sdk.jsonutil import json_default_or_str


class S3Storage:
    """Code upload and checkpoint handling of ``SageMakerBackend`` (a mixin of it)."""

    @property
    def bucket_and_prefix(self) -> tuple[str, str]:
        if self.s3_path is None:
            if getattr(self, "_default_s3_path", None) is not None:
                # the estimator's session: its default bucket and prefix, as the SDK makes them
                self.s3_path = self._default_s3_path()
            else:
                session = aws.make_session(self.region_name, self.profile_name)
                self.s3_path = f"s3://{aws.default_bucket(session, self.endpoint_url)}/syne-tune"
        return aws.parse_s3_uri(self.s3_path)

    def _upload_code(self) -> None:
        bucket, prefix = self.bucket_and_prefix
        if self.code_location:  # the estimator's code_location
            bucket, prefix = aws.parse_s3_uri(self.code_location, "code_location")
        key = "/".join(p for p in (prefix, self.tuner_name, "code", "sourcedir.tar.gz") if p)
        extra = {}
        if self.requirements_file and self.requirements_file != "requirements.txt":
            # the framework containers install requirements.txt only
            extra["requirements.txt"] = Path(self.source_dir) / self.requirements_file
            if not extra["requirements.txt"].is_file():
                raise FileNotFoundError(
                    f"requirements {self.requirements_file!r} is not a file in {self.source_dir}"
                )
        with tempfile.TemporaryDirectory() as tmp:
            tarball = pack_code(
                Path(tmp) / "sourcedir.tar.gz",
                self.source_dir,
                self.dependencies,
                extra_files=extra,
                ignore=self.ignore_patterns,
            )
            s3 = self._client("s3")
            aws.with_backoff(lambda: s3.upload_file(str(tarball), bucket, key), "upload code")
        self.code_uri = f"s3://{bucket}/{key}"

    def checkpoint_s3_uri(self, trial_id: int) -> str:
        """``<s3_path or the estimator's checkpoint_s3_uri>/<tuner>/<trial>/checkpoints/``."""
        if self.checkpoint_base:
            bucket, prefix = aws.parse_s3_uri(self.checkpoint_base, "checkpoint_s3_uri")
        else:
            bucket, prefix = self.bucket_and_prefix
        return aws.s3_uri(bucket, prefix, str(self.tuner_name), str(trial_id), "checkpoints") + "/"

    def _checkpoint_key(self, trial_id: int) -> tuple[str, str]:
        return aws.parse_s3_uri(self.checkpoint_s3_uri(trial_id))

    def copy_checkpoint(self, src_trial_id: int, tgt_trial_id: int) -> None:
        """Server-side S3 copy of the source trial's checkpoints (replacing the target's)."""
        bucket, source = self._checkpoint_key(src_trial_id)
        _, target = self._checkpoint_key(tgt_trial_id)
        aws.copy_prefix(self._client("s3"), bucket, source, target)

    def delete_checkpoint(self, trial_id: int) -> None:
        bucket, prefix = self._checkpoint_key(trial_id)
        aws.delete_prefix(self._client("s3"), bucket, prefix)

    def _config_channel(self, trial_id: int, config: dict[str, Any]) -> dict[str, Any]:
        """Upload the config as JSON; the input channel that brings it into the job."""
        bucket, prefix = self.bucket_and_prefix
        folder = aws.s3_uri(bucket, prefix, str(self.tuner_name), str(trial_id), CONFIG_CHANNEL)
        key = folder[len(f"s3://{bucket}/") :] + "/config.json"
        body = json.dumps(config, default=json_default_or_str).encode()
        self._aws("s3", "put_object", Bucket=bucket, Key=key, Body=body)
        return {
            "ChannelName": CONFIG_CHANNEL,
            "DataSource": {
                "S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": folder + "/",
                    "S3DataDistributionType": "FullyReplicated",
                }
            },
            "InputMode": "File",
        }
