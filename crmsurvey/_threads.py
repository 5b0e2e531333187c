"""BLAS threads around small-matrix kernels.

Multithreaded BLAS on the small matrices of a batched PLS or CB-SEM kernel loses as soon
as anything else runs on the machine. Kernels whose matrices are small run inside
:func:`blas_threads` (one thread by default); parallelism comes from the engine's
processes instead (:mod:`crmsurvey.engine`).
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

__all__ = ["blas_threads"]


@contextmanager
def blas_threads(n: int = 1) -> Iterator[None]:
    """Limit BLAS (OpenBLAS, MKL, BLIS) to ``n`` threads inside the block.

    Examples
    --------
    >>> import numpy as np
    >>> with blas_threads(1):
    ...     float(np.ones((3, 3)) @ np.ones(3) @ np.ones(3))
    9.0
    """
    controller = _controller()
    if controller is None:  # threadpoolctl is a declared dependency; stay usable without
        yield
        return
    with controller.limit(limits=n, user_api="blas"):
        yield


_CONTROLLER: list = []


def _controller():
    """One ``ThreadpoolController`` per process: finding the loaded BLAS libraries takes
    milliseconds, too long to repeat around every kernel."""
    if not _CONTROLLER:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:
            return None
        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]
