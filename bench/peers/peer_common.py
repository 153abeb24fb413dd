# SPDX-License-Identifier: LGPL-2.1-or-later
"""Shared pieces of the Python benchmark peers.

The workload contract (array, chunking, kernel, expected result) and the
output line are the same for every peer, native or Python:

    WORKLOAD workers=N chunks=C result=R seconds=S
"""

import argparse
import dataclasses
import os
import sys
from dataclasses import dataclass
from multiprocessing import shared_memory

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    n_elements: int
    n_chunks: int
    kernel: str  # "sum" or "mix"
    dtype: str
    expected: int


WORKLOADS = {
    w.name: w
    for w in (
        Workload("startup", 1_000, 1, "sum", "int64", 500_500),
        Workload("small", 1_000_000, 10_000, "sum", "int64", 500_000_500_000),
        Workload("sum", 100_000_000, 8, "sum", "int64", 5_000_000_050_000_000),
        Workload("mix", 4_000_000, 8, "mix", "uint64", 17_859_751_705_182_148_732),
    )
}


def parse_args(description, runs=False):
    """The workload and the worker count; --elements N and --chunks C
    resize a sum workload to the array 1..N in C chunks.  With runs=True
    the peer also takes --runs R (runs on the same workers) and the
    count comes third: (workload, workers, runs)."""
    parser = argparse.ArgumentParser(description=description)
    if runs:
        parser.add_argument("--runs", type=int, default=1,
                            help="runs on the same workers, one line each")
    parser.add_argument("--workload", required=True, choices=list(WORKLOADS))
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--elements", type=int, help="sum 1..N instead")
    parser.add_argument("--chunks", type=int, help="cut the array in C chunks")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    workload = WORKLOADS[args.workload]
    if args.elements is not None:
        if args.elements < 1 or workload.kernel != "sum":
            parser.error("--elements needs a positive count and a sum workload")
        workload = dataclasses.replace(
            workload, n_elements=args.elements,
            expected=args.elements * (args.elements + 1) // 2 % 2**64)
    if args.chunks is not None:
        if args.chunks < 1:
            parser.error("--chunks must be at least 1")
        workload = dataclasses.replace(workload, n_chunks=args.chunks)
    if runs:
        if args.runs < 1:
            parser.error("--runs must be at least 1")
        return workload, args.workers, args.runs
    return workload, args.workers


def chunk_bounds(workload):
    """Chunk i covers [i * n // C, (i + 1) * n // C), as in the C peer."""
    n, c = workload.n_elements, workload.n_chunks
    return [(i * n // c, (i + 1) * n // c) for i in range(c)]


def combine(workload, chunk_results):
    """Chunk sums are added, chunk mixes are XORed (in the parent)."""
    total = 0
    for r in chunk_results:
        if workload.kernel == "sum":
            total += r
        else:
            total ^= r
    return total


def create_filled_shm(workload):
    """Create the shared array 1..n; the caller closes and unlinks it."""
    dtype = np.dtype(workload.dtype)
    shm = shared_memory.SharedMemory(create=True,
                                     size=workload.n_elements * dtype.itemsize)
    array = np.ndarray((workload.n_elements,), dtype=dtype, buffer=shm.buf)
    fill(workload, array)
    del array  # no exported buffer may outlive shm.close()
    return shm


def release_shm(shm):
    shm.close()
    shm.unlink()


# --- kernels (run in the workers) ----------------------------------------

_MIX_ADD = np.uint64(0x9E3779B97F4A7C15)
_MIX_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_MUL2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31 = np.uint64(27), np.uint64(30), np.uint64(31)


def kernel_sum(chunk):
    return int(chunk.sum(dtype=np.int64))


def kernel_mix(chunk):
    """32 splitmix64 finaliser rounds per element, XOR of the results."""
    x = np.array(chunk, dtype=np.uint64, copy=True)
    t = np.empty_like(x)
    for _ in range(32):
        x += _MIX_ADD
        np.right_shift(x, _S30, out=t)
        x ^= t
        x *= _MIX_MUL1
        np.right_shift(x, _S27, out=t)
        x ^= t
        x *= _MIX_MUL2
        np.right_shift(x, _S31, out=t)
        x ^= t
    return int(np.bitwise_xor.reduce(x))


KERNELS = {"sum": kernel_sum, "mix": kernel_mix}


def run_chunk(shm_name, shape, dtype, kernel, start, end):
    """One task: attach the shared array, run the kernel on [start, end)."""
    shm = shared_memory.SharedMemory(name=shm_name)
    try:
        array = np.ndarray(shape, dtype=dtype, buffer=shm.buf)
        result = KERNELS[kernel](array[start:end])
        del array
    finally:
        shm.close()
    return result


def fill(workload, array):
    """Fill array (of the workload's dtype) with 1..n, by blocks: no
    temporary as large as the array."""
    block = 1 << 22
    for start in range(0, workload.n_elements, block):
        end = min(start + block, workload.n_elements)
        array[start:end] = np.arange(start + 1, end + 1, dtype=array.dtype)


def report(workload, workers, result, seconds, run=None):
    """Print the contract line (with run=K for one of several runs); exit
    non-zero if the result is wrong."""
    print(f"{workload.name} workers={workers} chunks={workload.n_chunks} "
          f"result={result} seconds={seconds:.9f}"
          + ("" if run is None else f" run={run}"), flush=True)
    if result != workload.expected:
        print(f"wrong result for {workload.name}: got {result}, "
              f"expected {workload.expected}", file=sys.stderr)
        sys.exit(1)
