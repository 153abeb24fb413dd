#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""A small program that test_worker_program.py runs as a subprocess, to see
what its workers write: `chatty_program.py print` or `chatty_program.py fail`.

Its workers are this program again; they print, or raise ValueError('boom').
"""

import atexit
import sys
import traceback

import gi

gi.require_version('Mpaio', '1')

from gi.repository import GLib, GObject, Mpaio  # noqa: E402

import numpy  # noqa: E402


def say_goodbye():
    print('worker says: goodbye')


class Chatty(GObject.Object, Mpaio.Worker):
    __gtype_name__ = 'MpaioTestChatty'

    fail = GObject.Property(type=bool, default=False)

    def do_process(self, chunk):
        if self.fail:
            raise ValueError('boom')
        print(f'worker says: chunk {chunk.get_index()}')
        atexit.unregister(say_goodbye)
        atexit.register(say_goodbye)    # once, as the worker process exits
        return GLib.Variant('b', True)


if __name__ == '__main__':
    Mpaio.serve_if_worker()

    memory = Mpaio.SharedMemory.new_from_array(numpy.zeros(4, dtype=numpy.int64))
    status = 0
    with Mpaio.ProcessPool.new(1) as pool:
        orchestrator = Mpaio.Orchestrator.new(pool)
        orchestrator.add(Chatty(fail=sys.argv[1] == 'fail'),
                         Mpaio.DataIterator.new_for_dtype(memory, '<i8', 4, 2))
        try:
            orchestrator.run()
        except ValueError:
            traceback.print_exc()       # with the worker's traceback as its cause
            status = 1
        print('caller says: run over', flush=True)
    sys.exit(status)
