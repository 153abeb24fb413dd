#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Seed peer: the original Python library's approach.

A spawn-context ProcessPoolExecutor; the array lives in a SharedMemory
segment created and filled before timing; every chunk is one task
(shm name, shape, dtype, kernel, start, end) whose worker attaches the
segment and runs a numpy kernel; the tasks are gathered with asyncio
(loop.run_in_executor + asyncio.gather).
"""

import asyncio
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import peer_common as pc


async def run(workload, workers, shm):
    loop = asyncio.get_running_loop()
    shape, dtype = (workload.n_elements,), workload.dtype

    t0 = time.perf_counter()
    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = [
            loop.run_in_executor(pool, pc.run_chunk, shm.name, shape, dtype,
                                 workload.kernel, start, end)
            for start, end in pc.chunk_bounds(workload)
        ]
        chunk_results = await asyncio.gather(*futures)
        result = pc.combine(workload, chunk_results)
        seconds = time.perf_counter() - t0
    finally:
        pool.shutdown()
    return result, seconds


def main():
    workload, workers = pc.parse_args(__doc__.splitlines()[0])
    shm = pc.create_filled_shm(workload)
    try:
        result, seconds = asyncio.run(run(workload, workers, shm))
    finally:
        pc.release_shm(shm)
    pc.report(workload, workers, result, seconds)


if __name__ == "__main__":
    main()
