#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The original MPAIO example: two numpy arrays in shared memory, processed
at once on one pool of worker processes.

- the integers 1..100,000,000, summed by AddInt, cut into as many chunks as
  there are workers;
- the strings foo_0..foo_99, concatenated by ConcatStr, 20 per chunk.

Chunks complete in any order; the concatenation is put back in index order
from the chunk indices.

From a build directory `build` of the source tree:

    meson devenv -C build -w . /usr/bin/python3 examples/python/sum_and_concat.py

By default the workers are this script again. With --worker-program they run
worker.py, next to this file, instead: the way for notebooks and interactive
shells, which cannot be started again. With --executor mpi they are MPI
ranks (docs/cluster.md).
"""

import argparse
import sys
import time
from pathlib import Path

import gi

gi.require_version('Mpaio', '1')

from gi.repository import GLib, GObject, Mpaio  # noqa: E402

import numpy  # noqa: E402


class AddInt(GObject.Object, Mpaio.Worker):
    """Sums its chunk of integers."""

    __gtype_name__ = 'ExampleAddInt'

    def __init__(self):
        super().__init__()
        self.total = 0                  # only in this process

    def do_process(self, chunk):
        # In a worker process: a read-only view of the chunk, not a copy.
        return GLib.Variant('x', int(chunk.as_array().sum()))

    def do_process_callback(self, chunk_index, result):
        # Here, on the main context, as each chunk completes.
        self.total += result.unpack()

    def do_dup_result_type(self):
        return 'x'


class ConcatStr(GObject.Object, Mpaio.Worker):
    """Concatenates its chunk of strings."""

    __gtype_name__ = 'ExampleConcatStr'

    def __init__(self):
        super().__init__()
        self.parts = {}                 # by chunk index, only in this process

    def do_process(self, chunk):
        return GLib.Variant('s', ''.join(chunk.as_array()))

    def do_process_callback(self, chunk_index, result):
        self.parts[chunk_index] = result.unpack()

    @property
    def text(self):
        return ''.join(self.parts[i] for i in sorted(self.parts))


def mpi_module():
    """MpaioMpi, the MPI executor's library, or None where it is not built."""
    try:
        gi.require_version('MpaioMpi', '1')
    except ValueError:
        return None
    from gi.repository import MpaioMpi
    return MpaioMpi


def parse_args():
    parser = argparse.ArgumentParser(
        description='Sum 1..N and concatenate foo_0..foo_99 in parallel.')
    parser.add_argument('--workers', type=int, default=0, metavar='N',
                        help='number of worker processes (default: one per processor)')
    parser.add_argument('--count', type=int, default=100_000_000, metavar='N',
                        help='sum the integers 1..N (default: 100,000,000)')
    parser.add_argument('--worker-program', action='store_true',
                        help='run worker.py in the worker processes, not this script')
    parser.add_argument('--executor', choices=['process', 'mpi'], default='process',
                        help='a process pool (the default), or MPI ranks (docs/cluster.md)')
    return parser.parse_args()


def main():
    args = parse_args()

    ints = numpy.arange(1, args.count + 1, dtype=numpy.int64)
    strings = numpy.array([f'foo_{i}' for i in range(100)])        # dtype <U6
    int_memory = Mpaio.SharedMemory.new_from_array(ints)
    string_memory = Mpaio.SharedMemory.new_from_array(strings)
    del ints                            # the memory has its own copy

    begin = time.perf_counter()

    if args.executor == 'mpi':
        pool = mpi_module().Executor.new(max(args.workers, 0))
    elif args.worker_program:
        worker_program = Path(__file__).with_name('worker.py')
        pool = Mpaio.ProcessPool.new_for_argv([sys.executable, str(worker_program)],
                                              max(args.workers, 0))
    else:
        pool = Mpaio.ProcessPool.new(max(args.workers, 0))
    n_workers = pool.get_max_workers()

    int_iterator = Mpaio.DataIterator.new_for_dtype(
        int_memory, numpy.int64, args.count, -(-args.count // n_workers))
    string_iterator = Mpaio.DataIterator.new_for_dtype(
        string_memory, strings.dtype, len(strings), 20)

    add_int = AddInt()
    concat_str = ConcatStr()

    orchestrator = Mpaio.Orchestrator.new(pool)
    orchestrator.add(add_int, int_iterator)
    orchestrator.add(concat_str, string_iterator)

    try:
        orchestrator.run()
    except GLib.Error as error:
        print(f'The run failed: {error.message}', file=sys.stderr)
        return 1

    print(add_int.total)
    print(concat_str.text)
    print(f'elapsed: {time.perf_counter() - begin:.3f} s with {n_workers} workers '
          f'({orchestrator.get_n_chunks_total()} chunks)')
    return 0


if __name__ == '__main__':
    # In a worker process started by the pool, this serves and exits; here it
    # returns at once. Nothing above this line does any work.
    Mpaio.serve_if_worker()
    if mpi_module() is not None:
        mpi_module().serve_if_worker()      # the same, for MPI ranks
    sys.exit(main())
