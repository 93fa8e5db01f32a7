"""Talking to AWS with boto3: sessions and clients, error classification, S3 folder operations.

Every client is built with the ``endpoint_url`` given by the user (or ``$AWS_ENDPOINT_URL``), so
the same code talks to AWS or to a local API server such as moto. Throttling is retried with
exponential backoff and jitter (Syne Tune issue 339: a burst of ``DescribeTrainingJob`` calls
used to crash the tuner).
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ProvisionedThroughputExceededException",
        "BandwidthLimitExceeded",
        "PriorRequestNotComplete",
    }
)


class AwsSetupError(ValueError):
    """The AWS set-up cannot work (credentials, region, role, bucket): the message says how to fix it."""


def error_code(err: BaseException) -> str | None:
    """The AWS error code of a botocore ``ClientError`` (None for anything else)."""
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return response.get("Error", {}).get("Code")
    return None


def error_message(err: BaseException) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return f"{type(err).__name__}: {err}"


def is_throttling(err: BaseException) -> bool:
    return error_code(err) in THROTTLING_CODES


def is_transient(err: BaseException) -> bool:
    """Throttling, a 5xx answer or a broken connection: worth trying again later."""
    if is_throttling(err):
        return True
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return int(status) >= 500
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import ReadTimeoutError

    return isinstance(err, BotoConnectionError | ReadTimeoutError)


def with_backoff(
    call: Callable[[], T],
    what: str,
    timeout: float = 120.0,
    first_delay: float = 0.2,
    max_delay: float = 20.0,
) -> T:
    """Run ``call``, retrying transient errors with exponential backoff for ``timeout`` s."""
    deadline = time.monotonic() + timeout
    delay = first_delay
    while True:
        try:
            return call()
        except Exception as err:
            if not is_transient(err) or time.monotonic() + delay > deadline:
                raise
            logger.info("%s: %s, retrying in %.1f s", what, error_message(err), delay)
            time.sleep(delay * (0.5 + random.random() / 2))
            delay = min(max_delay, delay * 2)


def make_session(region_name: str | None = None, profile_name: str | None = None) -> Any:
    """A boto3 session with a region and credentials, or an ``AwsSetupError`` saying what is missing."""
    import boto3

    session = boto3.session.Session(region_name=region_name, profile_name=profile_name)
    if session.region_name is None:
        raise AwsSetupError(
            "no AWS region is set: pass region_name='us-east-1' (or another region) or set "
            "AWS_DEFAULT_REGION"
        )
    if session.get_credentials() is None:
        raise AwsSetupError(
            "no AWS credentials were found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "configure a profile (aws configure, or profile_name=...), or run where an IAM role "
            "provides them"
        )
    return session


_SESSIONS: dict[tuple[str | None, ...], Any] = {}
_SESSIONS_LOCK = threading.Lock()


def make_client(
    session: Any, service: str, endpoint_url: str | None = None, max_attempts: int = 3
) -> Any:
    """A client of ``service`` on ``endpoint_url`` (default ``$AWS_ENDPOINT_URL``, else AWS).

    Clients come from one boto3 session per region, profile and access key, kept for the
    process: a new session parses the service's API model again (0.4 s for SageMaker).
    """
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": max(1, int(max_attempts))},
        connect_timeout=10,
        read_timeout=60,
    )
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    key = (session.region_name, session.profile_name, os.environ.get("AWS_ACCESS_KEY_ID"))
    with _SESSIONS_LOCK:  # creating clients from one session is not thread safe
        shared = _SESSIONS.setdefault(key, session)
        return shared.client(service, endpoint_url=endpoint, config=config)


def default_bucket(session: Any, endpoint_url: str | None = None) -> str:
    """SageMaker's default bucket name, ``sagemaker-<region>-<account id>``."""
    sts = make_client(session, "sts", endpoint_url)
    account = sts.get_caller_identity()["Account"]
    return f"sagemaker-{session.region_name}-{account}"


# ---------------------------------------------------------------------------------- S3 paths
def parse_s3_uri(uri: str, argument: str = "s3_path") -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ``("bucket", "some/prefix")`` (no trailing slash)."""
    if not isinstance(uri, str) or not uri.startswith("s3://") or len(uri) <= len("s3://"):
        raise ValueError(f"{argument}={uri!r} is not an S3 URI: write it as s3://<bucket>/<prefix>")
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket:
        raise ValueError(f"{argument}={uri!r} names no bucket: write it as s3://<bucket>/<prefix>")
    return bucket, key.strip("/")


def s3_uri(bucket: str, *parts: str) -> str:
    key = "/".join(p.strip("/") for p in parts if p and p.strip("/"))
    return f"s3://{bucket}/{key}" if key else f"s3://{bucket}"


def check_bucket(s3: Any, bucket: str) -> None:
    """Raise ``AwsSetupError`` if the bucket does not exist or cannot be reached."""
    try:
        with_backoff(lambda: s3.head_bucket(Bucket=bucket), f"HeadBucket {bucket}", timeout=30)
    except Exception as err:
        code = error_code(err)
        if code in ("404", "NoSuchBucket", "NotFound"):
            raise AwsSetupError(
                f"the S3 bucket {bucket!r} does not exist: create it (aws s3 mb s3://{bucket}) "
                "or pass s3_path='s3://<an existing bucket>/<prefix>'"
            ) from None
        if code in ("403", "AccessDenied"):
            raise AwsSetupError(
                f"access to the S3 bucket {bucket!r} is denied: use credentials allowed to read "
                "and write it, or pass another s3_path"
            ) from None
        if code is None and "Credentials" in type(err).__name__:
            raise AwsSetupError(f"AWS credentials are missing or incomplete: {err}") from None
        raise


def iter_keys(s3: Any, bucket: str, prefix: str) -> Iterator[dict[str, Any]]:
    """Every object under ``prefix`` (a folder: a trailing ``/`` is added)."""
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        yield from page.get("Contents", [])


def upload_folder(
    s3: Any,
    folder: Path,
    bucket: str,
    prefix: str,
    known: dict[str, tuple[int, int]] | None = None,
    include: Callable[[str], bool] | None = None,
) -> int:
    """Upload the files of ``folder`` that changed since the last call (``known`` remembers
    size and mtime per relative path). Returns how many files were uploaded."""
    known = {} if known is None else known
    count = 0
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if include is not None and not include(relative):
            continue
        if relative.endswith(".tmp"):
            continue  # half-written file of an atomic write
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        signature = (stat.st_size, stat.st_mtime_ns)
        if known.get(relative) == signature:
            continue
        key = f"{prefix.rstrip('/')}/{relative}" if prefix else relative
        try:
            with_backoff(
                lambda p=path, k=key: s3.upload_file(str(p), bucket, k), f"upload {relative}"
            )
        except FileNotFoundError:
            continue
        known[relative] = signature
        count += 1
    return count


def download_prefix(
    s3: Any,
    bucket: str,
    prefix: str,
    folder: Path,
    include: Callable[[str], bool] | None = None,
) -> int:
    """Download every object under ``prefix`` into ``folder``; returns how many."""
    count = 0
    base = prefix.rstrip("/") + "/" if prefix else ""
    for obj in iter_keys(s3, bucket, prefix):
        relative = obj["Key"][len(base) :]
        if not relative or relative.endswith("/"):
            continue
        if include is not None and not include(relative):
            continue
        target = Path(folder) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        with_backoff(
            lambda k=obj["Key"], t=target: s3.download_file(bucket, k, str(t)),
            f"download {relative}",
        )
        count += 1
    return count


def copy_prefix(s3: Any, bucket: str, source: str, target: str) -> int:
    """Replace everything under ``target`` by a server-side copy of ``source``."""
    delete_prefix(s3, bucket, target)
    count = 0
    base = source.rstrip("/") + "/"
    for obj in iter_keys(s3, bucket, source):
        key = f"{target.rstrip('/')}/{obj['Key'][len(base) :]}"
        with_backoff(
            lambda k=obj["Key"], t=key: s3.copy_object(
                Bucket=bucket, Key=t, CopySource={"Bucket": bucket, "Key": k}
            ),
            f"copy {obj['Key']}",
        )
        count += 1
    return count


def delete_prefix(s3: Any, bucket: str, prefix: str) -> int:
    keys = [obj["Key"] for obj in iter_keys(s3, bucket, prefix)]
    for start in range(0, len(keys), 1000):
        batch = [{"Key": k} for k in keys[start : start + 1000]]
        with_backoff(
            lambda b=batch: s3.delete_objects(Bucket=bucket, Delete={"Objects": b, "Quiet": True}),
            f"delete under {prefix}",
        )
    return len(keys)
