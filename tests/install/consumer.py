# SPDX-License-Identifier: LGPL-2.1-or-later
"""A Python worker run against the installed typelib and overrides."""

import sys

import gi

gi.require_version('Mpaio', '1')
from gi.repository import GLib, GObject, Mpaio  # noqa: E402


class Sum(GObject.Object, Mpaio.Worker):
    __gtype_name__ = 'InstalledSum'
    total = 0

    def do_process(self, chunk):
        return GLib.Variant('x', int(chunk.as_array().sum()))

    def do_process_callback(self, index, result):
        self.total += result.unpack()


Mpaio.serve_if_worker()

import numpy  # noqa: E402

memory = Mpaio.SharedMemory.new_from_array(numpy.arange(1, 1001, dtype='<i8'))
worker = Sum()
with Mpaio.ProcessPool.new(2) as pool:
    orchestrator = Mpaio.Orchestrator.new(pool)
    orchestrator.add(worker, Mpaio.DataIterator.new_for_dtype(memory, '<i8', 1000, 100))
    orchestrator.run()
    # map() needs the overrides' private modules to be installed as well.
    sums = pool.map(numpy.sum, numpy.arange(1, 1001), chunk_size=500)
print(worker.total, sums)
sys.exit(0 if worker.total == 500500 and sums == [125250, 375250] else 1)
