"""Single-threaded BLAS while a searcher computes a suggestion.

The GP's matrices are small (hundreds of rows): splitting them over threads costs more than it
gains, and on a machine busy with training jobs multi-threaded OpenBLAS is many times slower
(measured: 24 s against 2.8 s for this plugin's contract tests on 2 busy cores). When
``threadpoolctl`` is installed (it comes with scikit-learn and botorch) BLAS is limited to one
thread for the duration; otherwise nothing changes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

_controller: Any = None


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    global _controller
    if _controller is None:
        try:
            import scipy.linalg  # noqa: F401 - load scipy's BLAS before inspecting
            from threadpoolctl import ThreadpoolController

            _controller = ThreadpoolController()
        except Exception:  # noqa: BLE001 - threadpoolctl is optional
            _controller = False
    if not _controller:
        yield
        return
    with _controller.limit(limits=1, user_api="blas"):
        yield
