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
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # threadpoolctl is a declared dependency; stay usable without it
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield
