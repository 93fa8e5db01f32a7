"""Fixtures: moto's API server on 127.0.0.1 (one per session) and a fake SageMaker per test."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from sagemaker_executor import (  # noqa: E402
    BUCKET,
    CREDENTIALS,
    IMAGE,
    ROLE,
    FakeSageMaker,
    moto_server,
    reset_moto,
    set_current,
)

from synetune_sdk import testing  # noqa: E402


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials; any client built without our endpoint_url hits a closed port."""
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def sagemaker(moto_endpoint: str, aws_env: None, tmp_path: Path) -> Iterator[FakeSageMaker]:
    """A fresh moto state with bucket ``BUCKET`` and a fake SageMaker running its jobs."""
    reset_moto(moto_endpoint)
    executor = FakeSageMaker(moto_endpoint, tmp_path / "fake-sagemaker")
    executor.s3.create_bucket(Bucket=BUCKET)
    set_current(executor)
    try:
        yield executor
    finally:
        set_current(None)
        executor.shutdown()


@pytest.fixture
def make_backend(sagemaker: FakeSageMaker, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """Build SageMakerBackends on the moto server (fast polling); all closed at the end."""
    from synetune_plugin_sagemaker.backend import SageMakerBackend

    created: list[SageMakerBackend] = []

    def make(entry_point: str | Path, **kwargs: Any) -> SageMakerBackend:
        options: dict[str, Any] = {
            "role": ROLE,
            "image_uri": IMAGE,
            "s3_path": f"s3://{BUCKET}/syne-tune",
            "endpoint_url": sagemaker.endpoint,
            "poll_interval": 0.05,
            "max_attempts": 1,
            "close_timeout": 10.0,
        }
        options.update(kwargs)
        backend = SageMakerBackend(entry_point=str(entry_point), **options)
        created.append(backend)
        return backend

    yield make
    for backend in created:
        backend.close()


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[[str, str], Path]:
    return partial(testing.write_script, tmp_path / "code")
