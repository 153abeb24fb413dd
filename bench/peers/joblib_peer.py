#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""joblib peer: Parallel(n_jobs=N) (default loky backend) over the chunks.

Same shared-memory array and numpy kernels as the seed peer; each chunk is
one delayed(run_chunk)(shm name, shape, dtype, kernel, start, end) call.
joblib's default batch_size="auto" is kept.
"""

import time

from joblib import Parallel, delayed

import peer_common as pc


def main():
    workload, workers = pc.parse_args(__doc__.splitlines()[0])
    shm = pc.create_filled_shm(workload)
    shape, dtype = (workload.n_elements,), workload.dtype
    try:
        t0 = time.perf_counter()
        chunk_results = Parallel(n_jobs=workers)(
            delayed(pc.run_chunk)(shm.name, shape, dtype, workload.kernel,
                                  start, end)
            for start, end in pc.chunk_bounds(workload)
        )
        result = pc.combine(workload, chunk_results)
        seconds = time.perf_counter() - t0
    finally:
        pc.release_shm(shm)
    pc.report(workload, workers, result, seconds)


if __name__ == "__main__":
    main()
