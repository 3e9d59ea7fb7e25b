"""Independent runs on Dask distributed, in order, with a progress bar.

The one home for the sweeps' and the studies' parallel execution (the maze sweep, the TIMIT
bit sweep, ``neohebb study``): a ``LocalCluster`` of single-threaded worker processes (one per
core, at most one per task), or the scheduler given by address (``tcp://HOST:PORT``) for a
cluster. One local worker and no scheduler runs the tasks in this process. Each worker's BLAS,
OpenMP and numba use one thread, since the workers already fill the cores (two workers each
running a multi-threaded BLAS on small products ran the TIMIT bit sweep 3x slower), and
glibc's malloc keeps freed memory for reuse (``WORKER_MALLOC``). The
cluster is closed when the caller is interrupted, so a Ctrl-C leaves no worker behind.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

ONE_THREAD = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMBA_NUM_THREADS": "1",
}
# glibc keeps freed memory instead of handing it back to the kernel. Dask's nannies set
# MALLOC_TRIM_THRESHOLD_ = 64 KiB, which also fixes the mmap threshold at 128 KiB: every
# temporary array of a batch of agents ([3, 32, 256] floats is 192 KiB) was then a fresh mmap
# whose pages faulted in, and a batched thermal run spent 45 % of its time in the kernel
# (docs/benchmarks.md). Arrays up to 16 MiB now come from the heap, which is trimmed above
# 256 MiB.
WORKER_MALLOC = {"MALLOC_MMAP_THRESHOLD_": "16777216", "MALLOC_TRIM_THRESHOLD_": "268435456"}
WORKER_ENV = {**ONE_THREAD, **WORKER_MALLOC}


def worker_count(workers: int, n_tasks: int) -> int:
    """``workers`` (0: one per core), at most one per task."""
    return max(1, min(workers or os.cpu_count() or 1, n_tasks))


@contextmanager
def dask_client(scheduler: str | None, workers: int, n_tasks: int) -> Iterator[Any]:
    """A ``distributed.Client``: on the scheduler at ``scheduler``, or on a LocalCluster of
    ``worker_count(workers, n_tasks)`` single-threaded processes that is closed on exit."""
    from distributed import Client, LocalCluster

    verbose = logging.getLogger().isEnabledFor(logging.INFO)  # `neohebb -v`
    quiet = logging.INFO if verbose else logging.WARNING
    logging.getLogger("distributed").setLevel(quiet)
    cluster = None
    if scheduler is None:
        import dask

        # set before each worker process starts (glibc reads its MALLOC_ variables at start)
        with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENV}):
            cluster = LocalCluster(
                n_workers=worker_count(workers, n_tasks),
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",  # any free port: runs may go side by side
                silence_logs=quiet,
                env=WORKER_ENV,
            )
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            yield client
    finally:
        if cluster is not None:
            cluster.close()


def map_runs(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    workers: int = 0,
    scheduler: str | None = None,
    progress: bool = True,
    desc: str = "runs",
    unit: str = "run",
) -> Iterator[Any]:
    """fn(task) for every task, yielded in the order of ``tasks`` (each as soon as it and
    those before it are done); on Dask (``dask_client``) unless one local worker suffices."""
    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc=desc, unit=unit)
    try:
        if scheduler is None and worker_count(workers, len(tasks)) == 1:
            for task in tasks:
                result = fn(task)
                if bar is not None:
                    bar.update()
                yield result
            return
        from distributed import as_completed

        with dask_client(scheduler, workers, len(tasks)) as client:
            futures = client.map(fn, list(tasks), pure=False)
            order = {future.key: i for i, future in enumerate(futures)}
            done: dict[int, Any] = {}
            next_index = 0
            for future in as_completed(futures):
                done[order[future.key]] = future.result()  # a task's error is raised here
                if bar is not None:
                    bar.update()
                while next_index in done:
                    yield done.pop(next_index)
                    next_index += 1
    finally:
        if bar is not None:
            bar.close()
