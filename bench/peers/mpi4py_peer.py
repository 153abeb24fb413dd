#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""mpi4py peer: mpi4py.futures.MPIPoolExecutor with the seed's numpy kernels.

Started as a plain program, it is what a Python user of MPI writes: the
executor initialises MPI and spawns its workers (MPI_Comm_spawn), every
chunk is one task whose argument is the chunk itself (a numpy slice,
pickled and sent to a worker, as the bytes of a chunk travel to a remote
rank), and the results are gathered from the futures.  The array is filled
before timing; the first run's time covers starting MPI and spawning the
workers, the later runs (--runs R) reuse them, as mpaio-bench does.

    mpi4py_peer.py --workload W --workers N [--runs R]
"""

import time
from pathlib import Path

import numpy as np

import peer_common as pc


def run(executor, workload, array):
    kernel = pc.KERNELS[workload.kernel]
    futures = [executor.submit(kernel, array[start:end])
               for start, end in pc.chunk_bounds(workload)]
    return pc.combine(workload, (f.result() for f in futures))


def main():
    workload, workers, runs = pc.parse_args(__doc__.splitlines()[0], runs=True)
    array = np.empty(workload.n_elements, dtype=workload.dtype)
    pc.fill(workload, array)

    t0 = time.perf_counter()
    # Importing mpi4py.futures initialises MPI: timed, as in mpaio-bench,
    # whose first run starts MPI too.
    from mpi4py.futures import MPIPoolExecutor

    # The workers unpickle pc.kernel_sum: they need this directory.
    with MPIPoolExecutor(max_workers=workers,
                         path=[str(Path(__file__).resolve().parent)]) as executor:
        for r in range(1, runs + 1):
            if r > 1:
                t0 = time.perf_counter()
            result = run(executor, workload, array)
            pc.report(workload, workers, result, time.perf_counter() - t0,
                      r if runs > 1 else None)


if __name__ == "__main__":
    main()
