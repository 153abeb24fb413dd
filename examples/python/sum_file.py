#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Sums an int64 array in a .npy file, which may be larger than memory: the
workers map the file read-only and read it through the page cache.

    sum_file.py FILE.npy
    sum_file.py --make N FILE.npy     (saves 1..N with numpy first, then
                                       checks the sum)

From a build directory `build` of the source tree:

    meson devenv -C build -w . /usr/bin/python3 examples/python/sum_file.py --make 1000000 /tmp/a.npy
"""

import argparse
import sys

import gi

gi.require_version('Mpaio', '1')

from gi.repository import GLib, GObject, Mpaio  # noqa: E402

import numpy  # noqa: E402


class AddInt(GObject.Object, Mpaio.Worker):
    """Sums its chunk of integers."""

    __gtype_name__ = 'ExampleFileAddInt'

    def __init__(self):
        super().__init__()
        self.total = 0

    def do_process(self, chunk):
        # A read-only view of the file's pages, not a copy.
        return GLib.Variant('x', int(chunk.as_array().sum()))

    def do_process_callback(self, chunk_index, result):
        self.total += result.unpack()


def sum_file(path, n_workers=2, chunk_size=1 << 20):
    memory = Mpaio.SharedMemory.new_for_file(path)    # a .npy file: dtype=None
    iterator = Mpaio.DataIterator.new_for_array(memory, chunk_size)
    adder = AddInt()

    with Mpaio.ProcessPool.new(n_workers) as pool:
        orchestrator = Mpaio.Orchestrator.new(pool)
        orchestrator.add(adder, iterator)
        orchestrator.run()
    return adder.total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('path')
    parser.add_argument('--make', type=int, metavar='N')
    args = parser.parse_args()

    if args.make:
        numpy.save(args.path, numpy.arange(1, args.make + 1, dtype=numpy.int64))

    total = sum_file(args.path)
    print(total)
    if args.make and total != args.make * (args.make + 1) // 2:
        sys.exit(f'the sum of 1..{args.make} is wrong')


if __name__ == '__main__':
    Mpaio.serve_if_worker()
    main()
