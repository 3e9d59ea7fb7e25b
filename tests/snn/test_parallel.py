"""The sweeps' Dask workers start with one thread each and with glibc told to keep freed
memory (``snn.parallel.WORKER_ENV``): read from a worker's environment at exec time, since
glibc reads its MALLOC_ variables only when the process starts."""

from __future__ import annotations

import sys

import pytest

from snn.parallel import WORKER_ENV, dask_client


def _start_environment(_: int) -> dict[str, str]:
    import os

    with open(f"/proc/{os.getpid()}/environ", "rb") as f:
        pairs = [item.split(b"=", 1) for item in f.read().split(b"\0") if b"=" in item]
    return {k.decode(): v.decode() for k, v in pairs}


@pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="a worker's start environment is read from /proc/PID/environ, which only Linux has "
    "(the MALLOC_ settings are glibc's, Linux only too)",
)
def test_local_workers_start_with_the_worker_environment() -> None:
    with dask_client(None, 1, 1) as client:
        env = client.submit(_start_environment, 0, pure=False).result()
    for key, value in WORKER_ENV.items():
        assert env.get(key) == value, key
    assert int(env["MALLOC_TRIM_THRESHOLD_"]) > 65536  # not Dask's own default
