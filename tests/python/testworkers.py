# SPDX-License-Identifier: LGPL-2.1-or-later
"""Worker classes and helpers shared by the Python tests.

Worker processes import this module too: in re-run mode because every test
script imports it before Mpaio.serve_if_worker(), and in worker-program mode
through worker_program.py or ProcessPool.new_for_modules(['testworkers']).
"""

import builtins
import os
import threading
import unittest

import gi

gi.require_version('Mpaio', '1')

from gi.repository import GLib, GObject, Mpaio  # noqa: E402

import numpy  # noqa: E402

N_WORKERS = 2


class CustomError(Exception):
    """An exception class that is not a builtin."""


class Sum(GObject.Object, Mpaio.Worker):
    """Sums int64 chunks; in the caller, adds the sums up. Chunks from
    `stall_from_chunk` on never complete: only cancelling ends the run."""

    __gtype_name__ = 'MpaioTestSum'

    stall_from_chunk = GObject.Property(type=int, default=-1)

    def __init__(self, **properties):
        super().__init__(**properties)
        self.total = 0
        self.n_results = 0
        self.on_result = None       # a plain attribute: stays in the caller

    def do_process(self, chunk):
        if 0 <= self.stall_from_chunk <= chunk.get_index():
            threading.Event().wait()
        return GLib.Variant('x', int(chunk.as_array().sum()))

    def do_process_callback(self, chunk_index, result):
        self.total += result.unpack()
        self.n_results += 1
        if self.on_result is not None:
            self.on_result(chunk_index)

    def do_dup_result_type(self):
        return GLib.VariantType.new('x')


class Concat(GObject.Object, Mpaio.Worker):
    """Concatenates string chunks; in the caller, puts them in index order."""

    __gtype_name__ = 'MpaioTestConcat'

    def __init__(self, **properties):
        super().__init__(**properties)
        self.parts = {}

    def do_process(self, chunk):
        array = chunk.as_array()
        if array.dtype.kind == 'S':
            array = numpy.char.decode(array, 'ascii')
        return GLib.Variant('s', ''.join(array))

    def do_process_callback(self, chunk_index, result):
        self.parts[chunk_index] = result.unpack()

    @property
    def text(self):
        return ''.join(self.parts[i] for i in sorted(self.parts))


class Fail(GObject.Object, Mpaio.Worker):
    """Raises `exception` (a builtin's name, 'CustomError', 'Unfindable',
    'UnreadableArgs', or 'GLib.Error' with `domain` and `code`) with
    `message`."""

    __gtype_name__ = 'MpaioTestFail'

    exception = GObject.Property(type=str, default='ValueError')
    message = GObject.Property(type=str, default='boom')
    domain = GObject.Property(type=str, default='')
    code = GObject.Property(type=int, default=0)

    def do_process(self, chunk):
        if self.exception == 'GLib.Error':
            raise GLib.Error.new_literal(GLib.quark_from_string(self.domain),
                                         self.message, self.code)
        if self.exception == 'CustomError':
            raise CustomError(self.message)
        if self.exception == 'Unfindable':     # a class the caller cannot find
            raise type('Unfindable', (Exception,), {'__module__': __name__})(self.message)
        if self.exception == 'UnreadableArgs':  # args that cannot cross
            raise ValueError(type('Opaque', (), {'__repr__': lambda _: '<object>'})())
        raise getattr(builtins, self.exception)(self.message)


class Return(GObject.Object, Mpaio.Worker):
    """Returns what `kind` says, and declares the result type `declared`,
    as a string or as a GLib.VariantType."""

    __gtype_name__ = 'MpaioTestReturn'

    kind = GObject.Property(type=str, default='int64')
    declared = GObject.Property(type=str)
    as_variant_type = GObject.Property(type=bool, default=False)

    def do_process(self, chunk):
        return {
            'int64': GLib.Variant('x', 1),
            'string': GLib.Variant('s', 'one'),
            'python-int': 1,
            'none': None,
        }[self.kind]

    def do_dup_result_type(self):
        if self.declared is not None and self.as_variant_type:
            return GLib.VariantType.new(self.declared)
        return self.declared or None    # a type string, or None for any


class Properties(GObject.Object, Mpaio.Worker):
    """Reports, from the worker process, the values it was rebuilt with."""

    __gtype_name__ = 'MpaioTestProperties'

    number = GObject.Property(type=int, default=0)
    big = GObject.Property(type=GObject.TYPE_INT64, default=0)
    ratio = GObject.Property(type=float, default=0.0)
    flag = GObject.Property(type=bool, default=False)
    text = GObject.Property(type=str)
    words = GObject.Property(type=GObject.TYPE_STRV)
    blob = GObject.Property(type=GLib.Bytes)
    value = GObject.Property(type=GObject.TYPE_VARIANT)

    plain = 'class default'     # a plain attribute: never crosses

    def do_process(self, chunk):
        blob = self.blob.get_data() if self.blob is not None else b''
        return GLib.Variant('a{sv}', {
            'number': GLib.Variant('i', self.number),
            'big': GLib.Variant('x', self.big),
            'ratio': GLib.Variant('d', self.ratio),
            'flag': GLib.Variant('b', self.flag),
            'text': GLib.Variant('s', self.text or ''),
            'words': GLib.Variant('as', self.words or []),
            'blob': GLib.Variant('ay', blob),
            'value': GLib.Variant('v', self.value or GLib.Variant('()', ())),
            'plain': GLib.Variant('s', self.plain),
        })

    def do_process_callback(self, chunk_index, result):
        self.seen = result.unpack()


class ObjectProperty(GObject.Object, Mpaio.Worker):
    """Has a property that cannot cross."""

    __gtype_name__ = 'MpaioTestObjectProperty'

    target = GObject.Property(type=GObject.Object)

    def do_process(self, chunk):
        return GLib.Variant('b', True)


def _address(array):
    return array.__array_interface__['data'][0]


class Probe(GObject.Object, Mpaio.Worker):
    """Describes, from the worker process, the array chunk.as_array() gives:
    pid, the address element 0 of the whole array would have, whether the
    view owns or may write its data, dtype, shape and sum."""

    __gtype_name__ = 'MpaioTestProbe'

    dtype = GObject.Property(type=str)

    # In the worker: every view stays alive, so that a mapping made for one
    # chunk could not be unmapped and its address reused by the next.
    views = []

    def __init__(self, **properties):
        super().__init__(**properties)
        self.seen = {}

    def do_process(self, chunk):
        array = chunk.as_array(self.dtype or None)
        self.views.append(array)
        base = _address(array) - chunk.get_start() * chunk.get_element_size()
        return GLib.Variant('(ttbbsaxd)', (
            os.getpid(), base, array.flags.owndata, array.flags.writeable,
            array.dtype.str, list(array.shape), float(array.sum())))

    def do_process_callback(self, chunk_index, result):
        self.seen[chunk_index] = result.unpack()


class Write(GObject.Object, Mpaio.Worker):
    """Tries to write to its chunk."""

    __gtype_name__ = 'MpaioTestWrite'

    def do_process(self, chunk):
        chunk.as_array()[0] = 0
        return GLib.Variant('b', True)


# --- helpers ---------------------------------------------------------------

def int_memory(n):
    """A sealed memory holding the int64 values 1..n."""
    return Mpaio.SharedMemory.new_from_array(numpy.arange(1, n + 1, dtype=numpy.int64))


def strings(n):
    return numpy.array([f'foo_{i}' for i in range(n)])


def int_iterator(n, chunk_size):
    return Mpaio.DataIterator.new_for_dtype(int_memory(n), numpy.int64, n, chunk_size)


def first_chunk_iterator():
    """A one-chunk iterator, for workers that do not look at their data."""
    return int_iterator(4, 4)


def stalling_pool():
    """A pool whose workers hold one chunk at a time, so that a chunk that
    never completes cannot hold back the results of others."""
    pool = Mpaio.ProcessPool.new(N_WORKERS)
    pool.set_chunks_in_flight(1)
    return pool


def start_worker_processes(pool):
    """Spawns the pool's workers now, so that their pids can be compared."""
    result = []
    pool.start_async(None, lambda source, res: result.append(res))
    context = GLib.MainContext.ref_thread_default()
    while not result:
        context.iteration(True)
    pool.start_finish(result[0])
    return sorted(pool.dup_worker_pids())


def finish_on_main_loop(start, finish):
    """Starts an async operation with ``start(callback)``, runs a main loop
    until its callback, and returns the exception ``finish(source, result)``
    raised there, or None."""
    loop = GLib.MainLoop()
    raised = []

    def on_done(source, result, *user_data):
        try:
            finish(source, result)
        except Exception as exception:  # noqa: BLE001 (returned to the test)
            raised.append(exception)
        finally:
            loop.quit()

    start(on_done)
    loop.run()
    return raised[0] if raised else None


class TestCase(unittest.TestCase):
    """A test case with one pool of N_WORKERS re-run workers per class."""

    @classmethod
    def setUpClass(cls):
        cls.pool = Mpaio.ProcessPool.new(N_WORKERS)

    @classmethod
    def tearDownClass(cls):
        cls.pool.shutdown()
        del cls.pool

    def run_workers(self, *pairs, cancellable=None):
        """Runs (worker, iterator) pairs at once on the class's pool."""
        orchestrator = Mpaio.Orchestrator.new(self.pool)
        for worker, iterator in pairs:
            orchestrator.add(worker, iterator)
        orchestrator.run(cancellable)
        return orchestrator

    def assertMpaioError(self, context, code):
        error = context.exception
        self.assertTrue(error.matches(Mpaio.error_quark(), code),
                        f'expected Mpaio.Error {int(code)}, got '
                        f'{error.domain} {error.code}: {error.message}')


# --- functions for map() -----------------------------------------------------

def stall_after_first(array):
    """Sums a chunk, but never returns on chunks after the first (whose first
    element is 1): only cancelling ends a map of several chunks."""
    if array[0] != 1:
        threading.Event().wait()
    return int(array.sum())


def fail_on_odd(array):
    """Raises ValueError on a chunk whose first element is odd."""
    if array[0] % 2:
        raise ValueError(f'odd start {array[0]}')
    return int(array[0])
