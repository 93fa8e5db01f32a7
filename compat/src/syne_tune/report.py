"""``from syne_tune.report import Reporter``: synetune-sdk's Reporter (the same wire protocol,
``[tune-metric]: {json}`` lines with ``st_worker_*`` fields). Imports only synetune_sdk."""

from __future__ import annotations

from syne_tune._missing import missing
from synetune_sdk.reporter import Reporter

__all__ = ["Reporter"]

__getattr__ = missing(__name__, globals(), {})
