"""Independent runs in worker processes, in order, with a progress bar.

The one home for the sweeps' process pool (the maze sweep, the TIMIT bit sweep). Workers are
spawned (no forked BLAS or numba thread state) and terminated when the caller is interrupted,
so a Ctrl-C leaves none behind; each worker's BLAS and numba use one thread, since the pool
already fills the cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import get_context
from typing import Any


def worker_count(workers: int, n_tasks: int) -> int:
    """``workers`` (0: one per core), at most one per task."""
    return max(1, min(workers or os.cpu_count() or 1, n_tasks))


def map_runs(
    fn: Callable[[Any], Any],
    tasks: Sequence[Any],
    *,
    workers: int = 0,
    progress: bool = True,
    desc: str = "runs",
) -> Iterator[Any]:
    """fn(task) for every task, yielded in the order of ``tasks``; in ``worker_count``
    spawned processes when that is more than one, else in this process."""
    bar = None
    if progress and tasks:
        from tqdm import tqdm

        bar = tqdm(total=len(tasks), desc=desc, unit="run")
    n_workers = worker_count(workers, len(tasks))
    try:
        if n_workers > 1:
            # Pool.__exit__ terminates the workers: an interrupted sweep leaves none behind
            with get_context("spawn").Pool(n_workers, initializer=_one_thread) as pool:
                for result in pool.imap(fn, tasks):
                    if bar is not None:
                        bar.update()
                    yield result
        else:
            for task in tasks:
                result = fn(task)
                if bar is not None:
                    bar.update()
                yield result
    finally:
        if bar is not None:
            bar.close()


def _one_thread() -> None:
    """One BLAS and one numba thread per worker: the pool already fills the cores, and two
    workers each running a multi-threaded BLAS on small products ran the TIMIT bit sweep 3x
    slower than single-threaded workers."""
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(1)
    threadpool_limits(1)
