"""In-process components for kernel tests: a thread backend, an objective and a minimal scheduler.

They live in ``synetune_sdk.testing`` (plugins' tests use them from there); this module keeps
the kernel tests' imports working.
"""

from __future__ import annotations

from synetune_sdk.testing import RandomScheduler, ThreadBackend, quadratic

__all__ = ["RandomScheduler", "ThreadBackend", "quadratic"]
