"""Where work units run: here, on a local process pool, or on a Dask cluster.

A work unit is a plain picklable task (a bootstrap chunk, a group's model); every unit
carries its own seed, so the numbers never depend on which worker ran it. Dask
(``dask.distributed``) is the cluster engine — no scheduler or wire protocol of ours.
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from typing import Any, Callable, Iterable

from .errors import InputError

__all__ = ["SerialEngine", "ProcessEngine", "DaskEngine", "get_engine", "run_units"]


class SerialEngine:
    """Run units one after another in this process (with this process's BLAS threads;
    the workers of the other engines use one each, which can change the last bit of a
    matrix product — figures agree to about 1e-15 relative, not always bit for bit)."""

    workers = 1

    def map(self, fn: Callable, items: Iterable, *, done: Callable[[int], None] | None = None
            ) -> list:
        """``fn`` of every item, in order; ``done(i)`` after item ``i`` finishes."""
        out = []
        for i, item in enumerate(items):
            out.append(fn(item))
            if done is not None:
                done(i)
        return out

    def close(self) -> None:
        pass


def _single_threaded() -> None:
    """Worker start-up: one BLAS thread per process, so workers do not oversubscribe."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def _one_thread(fn: Callable, item: Any) -> Any:
    """Run one unit with one BLAS thread (a Dask worker may be restarted at any time, so
    the limit is set per unit rather than at worker start)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return fn(item)
    with threadpool_limits(1):
        return fn(item)


class ProcessEngine:
    """A local pool of worker processes (``forkserver``: no threads are forked), each
    with one BLAS thread."""

    def __init__(self, workers: int | None = None) -> None:
        import multiprocessing as mp

        self.workers = workers or os.cpu_count() or 1
        self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("forkserver"),
                                         initializer=_single_threaded)

    def map(self, fn: Callable, items: Iterable, *, done: Callable[[int], None] | None = None
            ) -> list:
        """``fn`` of every item, in order; ``done(i)`` as each item finishes."""
        futures = [self._pool.submit(fn, item) for item in items]
        return _collect(futures, done, as_completed)

    def close(self) -> None:
        self._pool.shutdown()


class DaskEngine:
    """A Dask distributed cluster, by scheduler address or an existing ``Client``.

    Units lost with a worker are recomputed (``retries``); results come back in order.
    """

    def __init__(self, address_or_client: Any, *, retries: int = 3) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise InputError("a Dask scheduler needs dask.distributed",
                             hint="pip install 'dask[distributed]'") from None
        if isinstance(address_or_client, Client):
            self.client, self._own = address_or_client, False
        else:
            try:
                self.client = Client(address_or_client, timeout="10s")
            except (OSError, TimeoutError) as exc:
                raise InputError(f"cannot reach the Dask scheduler {address_or_client!r}: "
                                 f"{exc}") from None
            self._own = True
        self.retries = retries
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable, items: Iterable, *, done: Callable[[int], None] | None = None
            ) -> list:
        """``fn`` of every item on the cluster, in order; ``done(i)`` as each finishes."""
        futures = self.client.map(partial(_one_thread, fn), list(items), pure=False,
                                  retries=self.retries)
        if done is None:
            return self.client.gather(futures)
        from distributed import as_completed as dask_completed

        return _collect(futures, done, dask_completed)

    def close(self) -> None:
        if self._own:
            self.client.close()


def _collect(futures: list, done: Callable[[int], None] | None, completed: Callable) -> list:
    """Results of ``futures`` in order, calling ``done(i)`` as each completes."""
    if done is not None:
        where = {id(f): i for i, f in enumerate(futures)}
        for f in completed(futures):
            f.result()  # raises the unit's error at once
            done(where[id(f)])
    return [f.result() for f in futures]


def run_units(fn: Callable, units: Iterable, engine: Any = None) -> list:
    """``fn`` over every unit on ``engine`` (made from a spec, and closed, if need be),
    results in unit order."""
    eng = get_engine(engine)
    try:
        return eng.map(fn, units)
    finally:
        if eng is not engine:
            eng.close()


def get_engine(spec: Any = None):
    """``None``/``"serial"`` → here; ``"processes"`` or an int → a local pool;
    ``"tcp://host:8786"`` or a ``distributed.Client`` → Dask; an engine → itself."""
    if spec is None or spec == "serial" or spec == 1:
        return SerialEngine()
    if isinstance(spec, (SerialEngine, ProcessEngine, DaskEngine)):
        return spec
    if spec == "processes":
        return ProcessEngine()
    if isinstance(spec, int) and spec > 1:
        return ProcessEngine(spec)
    if isinstance(spec, str) and "://" in spec:
        return DaskEngine(spec)
    try:
        from distributed import Client

        if isinstance(spec, Client):
            return DaskEngine(spec)
    except ImportError:
        pass
    raise InputError(f"unknown engine {spec!r}",
                     hint="use 'serial', 'processes', a worker count or tcp://host:port")
