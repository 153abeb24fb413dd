# SPDX-License-Identifier: LGPL-2.1-or-later
"""PyGObject overrides for Mpaio.

They make Mpaio read like Python without hiding the GObject API:

- ``Mpaio.serve_if_worker()`` turns the running script into a worker when a
  pool started it, and returns at once otherwise;
- a class that implements ``Mpaio.Worker`` must name its GType
  (``__gtype_name__``); an exception raised in its ``do_process`` is raised
  again in the caller as the same class, with the worker's traceback as its
  ``__cause__`` (or as the run's ``GLib.Error``,
  ``Mpaio.Error.WORKER_FAILED``, where the caller cannot rebuild it); one
  raised in its ``do_process_callback`` fails the run and is raised again by
  ``Orchestrator.run()`` / ``run_finish()``;
- ``ProcessPool.map()`` and ``map_async()``: a module-level function on each
  chunk of a numpy array, results in chunk order;
- ``Orchestrator.run()`` runs the thread-default main context until the run
  is over; ``Executor.shutdown()`` does the same for a shutdown, and a pool
  is a context manager;
- numpy: ``SharedMemory.new_from_array()``, ``SharedMemory.as_array()``,
  ``SharedMemory.new_for_file()`` (a ``.npy`` or raw file, by path),
  ``SharedMemory.close()`` and ``with``,
  ``Chunk.as_array()`` (a zero-copy, read-only view), and dtypes accepted
  wherever a numpy type string is;
- ``ProcessPool.new_for_modules()`` for interactive shells and notebooks.

numpy is imported only by the functions that need it.
"""

import functools
import json
import mmap
import os
import sys

from ..module import get_introspection_module
from ..overrides import override
from . import _mpaio_errors as _errors
from . import _mpaio_map

from gi.repository import GLib, GObject, Gio

try:
    from .._ossighelper import wakeup_on_signal as _wakeup_on_signal
except ImportError:  # a private helper of PyGObject; only makes Ctrl-C prompt
    from contextlib import nullcontext as _wakeup_on_signal

Mpaio = get_introspection_module('Mpaio')

__all__ = []

# Frames of these files are left out of the tracebacks sent to the caller.
_OWN_FILES = (__file__, _mpaio_map.__file__)

# Mpaio registers an error domain a worker names the first time it sees it,
# within limits; make the usual ones known from the start all the same.
Gio.io_error_quark()
GLib.file_error_quark()


def _numpy():
    import numpy
    return numpy


def _flush_stdio():
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            try:
                stream.flush()
            except (OSError, ValueError):
                pass


def _write_stderr(text):
    if sys.stderr is not None:
        sys.stderr.write(text)
        sys.stderr.flush()


def _wait(start, finish):
    """Starts an async operation and iterates the thread-default main
    context until it completes; returns finish()'s value."""
    context = GLib.MainContext.ref_thread_default()
    results = []

    start(lambda source, result, *user_data: results.append(result))
    with _wakeup_on_signal():
        while not results:
            context.iteration(True)
    return finish(results[0])


# --- serving ---------------------------------------------------------------

def serve_if_worker():
    """Makes the running program usable as its own worker.

    In a process started by an ``Mpaio.ProcessPool``, serves chunks until the
    pool is done with it, then exits (``sys.exit``, after flushing standard
    output and error, so that what the workers printed is not lost).
    Elsewhere, returns at once.

    Call it at the top of the script, after the worker classes are defined
    and before anything that only the caller should do::

        if __name__ == "__main__":
            Mpaio.serve_if_worker()
            main()
    """
    if not Mpaio.is_worker_process():
        return

    status = 0
    try:
        Mpaio.serve()
    except GLib.Error as error:
        # A pool that closed the channel first (shut down while this worker
        # was starting) needs no report: nobody is waiting for this one.
        if not error.matches(Gio.io_error_quark(), Gio.IOErrorEnum.BROKEN_PIPE):
            _write_stderr(f'Mpaio worker {os.getpid()}: {error.message}\n')
            status = 1

    _flush_stdio()
    sys.exit(status)


__all__.append('serve_if_worker')


# --- workers -----------------------------------------------------------------

def _worker_error(code, message):
    return GLib.Error.new_literal(Mpaio.error_quark(), message, code)


def _wrap_process(process):
    @functools.wraps(process)
    def do_process(self, chunk):
        try:
            result = process(self, chunk)
        except GLib.Error:
            raise
        except BaseException as exception:
            # The message says what happened; a trailer carries the class,
            # args and traceback to the caller (see _mpaio_errors).
            raise _worker_error(Mpaio.Error.WORKER_FAILED,
                                _errors.encode(exception, _OWN_FILES)) from None
        finally:
            _flush_stdio()

        if not isinstance(result, GLib.Variant):
            raise _worker_error(Mpaio.Error.INVALID_RESULT,
                                f'{type(self).__name__}.do_process() returned '
                                f'{type(result).__name__}, not a GLib.Variant; return '
                                "one, such as GLib.Variant('x', value)")
        return result

    return do_process


def _wrap_process_callback(process_callback):
    @functools.wraps(process_callback)
    def do_process_callback(self, chunk_index, result):
        runs = [run for run in _Run.running if run.has_worker(self)]
        if any(run.error is not None for run in runs):
            return  # the run failed already: deliver nothing more
        try:
            process_callback(self, chunk_index, result)
        except BaseException as exception:
            if not runs:
                raise  # not started from Python: PyGObject prints it
            for run in runs:
                run.fail(exception)

    return do_process_callback


def _wrap_dup_result_type(dup_result_type):
    @functools.wraps(dup_result_type)
    def do_dup_result_type(self):
        result_type = dup_result_type(self)
        if isinstance(result_type, str):
            if not GLib.VariantType.string_is_valid(result_type):
                raise ValueError(f'{type(self).__name__}.do_dup_result_type() returned '
                                 f'{result_type!r}, which is not a GVariant type string')
            result_type = GLib.VariantType.new(result_type)
        return result_type

    return do_dup_result_type


_VFUNC_WRAPPERS = {
    'do_process': _wrap_process,
    'do_process_callback': _wrap_process_callback,
    'do_dup_result_type': _wrap_dup_result_type,
}


class Worker(Mpaio.Worker):
    """Python classes that implement Mpaio.Worker get, from this override:

    - a check that they set ``__gtype_name__``: a worker process finds the
      class by that name, so it must not depend on the module it is in;
    - ``do_process`` errors: a ``GLib.Error`` keeps its domain and code;
      any other exception becomes ``Mpaio.Error.WORKER_FAILED`` with the
      message "Type: message", followed by its traceback and a trailer from
      which the caller raises the exception again (see _mpaio_errors.py); a
      result that is not a ``GLib.Variant`` becomes
      ``Mpaio.Error.INVALID_RESULT``;
    - ``do_process_callback`` exceptions fail the run, and
      ``Orchestrator.run()`` / ``run_finish()`` raise them again;
    - ``do_dup_result_type`` may return a type string such as ``'x'``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)

        # Classes that wrap an existing GType (from a typelib or C) are left
        # alone; only classes written in Python are checked and wrapped.
        if '__gtype__' in cls.__dict__ or '__info__' in cls.__dict__:
            return

        if '__gtype_name__' not in cls.__dict__:
            raise TypeError(
                f'{cls.__qualname__} implements Mpaio.Worker, so it needs an explicit '
                f"__gtype_name__ (such as '{cls.__name__}'): worker processes find the "
                'class by that name')

        for name, wrap in _VFUNC_WRAPPERS.items():
            function = cls.__dict__.get(name)
            if callable(function):
                setattr(cls, name, wrap(function))


Worker = override(Worker)
__all__.append('Worker')

RemoteTraceback = _errors.RemoteTraceback
__all__.append('RemoteTraceback')


# The generic worker of map(), which every process that loads the
# overrides knows.
_MapWorker = _mpaio_map.define_worker(Mpaio, Worker, _worker_error)


# --- running -----------------------------------------------------------------

class _Run:
    """A run started from Python, which a process_callback exception or an
    interruption can fail."""

    running = []

    def __init__(self, workers, cancellable):
        self.workers = workers
        self.cancellable = Gio.Cancellable()
        self.error = None
        self._user_cancellable = cancellable
        self._handler_id = 0

        if cancellable is not None:
            self._handler_id = GObject.Object.connect(
                cancellable, 'cancelled', lambda _: self.cancellable.cancel())
            if cancellable.is_cancelled():
                self.cancellable.cancel()

        _Run.running.append(self)

    def has_worker(self, worker):
        return any(w is worker for w in self.workers)

    def fail(self, exception):
        if self.error is None:
            self.error = exception
        self.cancellable.cancel()

    def finished(self):
        _Run.running.remove(self)
        if self._handler_id:
            self._user_cancellable.disconnect(self._handler_id)
            self._handler_id = 0


def _raise_run_error(error):
    """Raises the error of a run as Python expects it: a worker's exception
    as its own class where this process has it, with the remote traceback
    as its cause."""
    if error.matches(Mpaio.error_quark(), Mpaio.Error.WORKER_FAILED):
        exception = _errors.from_worker_error(
            error, lambda message: _worker_error(error.code, message))
        if exception is not None:
            raise exception
    if error.matches(Mpaio.error_quark(), Mpaio.Error.UNKNOWN_WORKER_TYPE) and \
            _MapWorker.__gtype_name__ in error.message:
        raise _worker_error(error.code, f'{error.message}. The worker processes do not load '
                            "Mpaio's PyGObject overrides: put "
                            f'{os.path.dirname(os.path.dirname(os.path.dirname(__file__)))} '
                            'on their PYTHONPATH') from None
    raise error


class Orchestrator(Mpaio.Orchestrator):

    def add(self, worker, iterator):
        super().add(worker, iterator)
        # Which workers a run has, so that their callbacks can fail it.
        self.__dict__.setdefault('_mpaio_workers', []).append(worker)

    def _start(self, cancellable, callback, user_data):
        run = _Run(list(self.__dict__.get('_mpaio_workers', ())), cancellable)

        def on_done(source, result):
            run.finished()
            result._mpaio_run = run
            if callback is not None:
                callback(source, result, *user_data)

        super().run_async(run.cancellable, on_done)
        return run

    def run_async(self, cancellable=None, callback=None, *user_data):
        """Like ``Mpaio.Orchestrator.run_async()``; an exception raised by a
        worker's ``do_process_callback`` fails the run, and ``run_finish()``
        raises it again."""
        self._start(cancellable, callback, user_data)

    def run_finish(self, result):
        run = getattr(result, '_mpaio_run', None)
        try:
            done = super().run_finish(result)
        except GLib.Error as error:
            if run is None or run.error is None:
                _raise_run_error(error)
        if run is not None and run.error is not None:
            raise run.error
        return done

    def run(self, cancellable=None):
        """Processes every chunk, and returns when all are delivered.

        Runs the thread-default main context meanwhile, so results reach
        ``do_process_callback`` and progress notifies as with
        ``run_async()``. Raises the run's ``GLib.Error``, such as
        ``Gio.IOErrorEnum.CANCELLED`` if ``cancellable`` is cancelled, or the
        exception a ``do_process_callback`` raised. On ``KeyboardInterrupt``
        the run is cancelled and the interruption raised once it is over.

        This is for scripts; applications call ``run_async()`` from their
        main loop.
        """
        context = GLib.MainContext.ref_thread_default()
        results = []
        run = self._start(cancellable, lambda source, result: results.append(result), ())

        with _wakeup_on_signal():
            try:
                while not results:
                    context.iteration(True)
            except BaseException as exception:
                run.fail(exception)
                while not results:
                    context.iteration(True)

        self.run_finish(results[0])


Orchestrator = override(Orchestrator)
__all__.append('Orchestrator')


class Executor(Mpaio.Executor):

    def shutdown(self, cancellable=None):
        """Shuts the executor down and waits until its workers are gone,
        running the thread-default main context meanwhile."""
        return _wait(lambda callback: self.shutdown_async(cancellable, callback),
                     self.shutdown_finish)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.shutdown()

    def _map_job(self, function, array, chunk_size, dtype, progress):
        return _mpaio_map.MapJob(sys.modules[__name__], _MapWorker, self, function, array, chunk_size,
                                 dtype, progress)

    def map(self, function, array, chunk_size=None, *, dtype=None, cancellable=None,
            progress=None):
        """Calls ``function`` on each chunk of ``array``, in the worker
        processes, and returns the results in chunk order.

        ``function`` is a module-level function (or a numpy ufunc), which a
        worker process finds by its module and qualified name:
        ``numpy.sum``, or a function of your script above
        ``Mpaio.serve_if_worker()``. It gets a read-only numpy view of
        ``chunk_size`` elements (rows, for an array of more dimensions; by
        default the array is cut into as many chunks as the pool has
        workers) and returns an int, float, bool, str, bytes, None, a numpy
        array or scalar, or a tuple, list or dict of these.

        ``array`` is a numpy array (copied once into a sealed
        ``Mpaio.SharedMemory``), or an ``Mpaio.SharedMemory`` with its
        ``dtype``. An exception ``function`` raises is raised here, with
        the worker's traceback as its ``__cause__``. ``progress(n_done,
        n_total)`` is called as chunks complete. Runs the thread-default
        main context meanwhile, as ``Orchestrator.run()`` does.
        """
        job = self._map_job(function, array, chunk_size, dtype, progress)
        if job.n_elements:
            job.orchestrator.run(cancellable)
        return job.results()

    def map_async(self, function, array, chunk_size=None, cancellable=None, callback=None,
                  *user_data, dtype=None, progress=None):
        """``map()`` without waiting.

        With a ``callback``, on the GLib main loop: the map runs on the
        thread-default main context and ``callback(executor, result,
        *user_data)`` is called there; ``map_finish(result)`` gives the
        results. Without one, from asyncio: returns a future of the results.
        A thread of Mpaio runs the pool's main context while asyncio awaits
        (asyncio does not run GLib's sources); ``progress`` is called on the
        asyncio loop. Cancelling the future, or ``cancellable``, cancels the
        map.
        """
        if callback is None:
            return self._map_asyncio(function, array, chunk_size, cancellable, dtype, progress)

        job = self._map_job(function, array, chunk_size, dtype, progress)

        def on_done(orchestrator, result):
            result._mpaio_map = job
            callback(self, result, *user_data)

        if job.n_elements:
            job.orchestrator.run_async(cancellable, on_done)
        else:
            task = Gio.Task.new(job.orchestrator, cancellable, on_done)
            task.return_boolean(True)

    def map_finish(self, result):
        """The results of ``map_async()``, in chunk order; raises as
        ``map()`` does."""
        job = result._mpaio_map
        if job.n_elements:
            job.orchestrator.run_finish(result)
        return job.results()

    def _map_asyncio(self, function, array, chunk_size, cancellable, dtype, progress):
        import asyncio
        loop = asyncio.get_running_loop()
        if progress is not None:
            on_progress = progress
            progress = lambda *args: loop.call_soon_threadsafe(on_progress, *args)  # noqa: E731
        job = self._map_job(function, array, chunk_size, dtype, progress)

        def start(inner, on_done):
            if cancellable is not None:
                GObject.Object.connect(cancellable, 'cancelled', lambda _: inner.cancel())
                if cancellable.is_cancelled():
                    inner.cancel()
            if not job.n_elements:
                on_done(None)
                return
            job.orchestrator.run_async(inner, lambda orchestrator, result: on_done(result))

        def finish(result):
            if result is not None:
                job.orchestrator.run_finish(result)
            return job.results()

        return _mpaio_map.asyncio_future(start, finish)


Executor = override(Executor)
__all__.append('Executor')


_MODULES_WORKER = """\
import importlib, json, sys
sys.path[:] = json.loads(sys.argv[1])
import gi
gi.require_version("Mpaio", "1")
from gi.repository import Mpaio
for name in sys.argv[2:]:
    importlib.import_module(name)
Mpaio.serve_if_worker()
sys.exit("this program is an Mpaio worker; only an Mpaio.ProcessPool starts it")
"""


def _why_not_run_again():
    """Why this program cannot be started again as its own worker, if it
    cannot."""
    ipython = sys.modules.get('IPython')
    if ipython is not None and getattr(ipython, 'get_ipython', lambda: None)() is not None:
        return 'an IPython shell or Jupyter kernel'
    if not sys.argv or sys.argv[0] == '':
        return 'an interactive Python shell'
    if sys.argv[0] == '-':
        return 'a program read from standard input'
    return None


class ProcessPool(Mpaio.ProcessPool, Executor):

    @classmethod
    def new(cls, max_workers=0):
        """Like ``Mpaio.ProcessPool.new()``: a pool whose workers are this
        program again. Raises ``RuntimeError`` where that cannot work (an
        interactive shell, a notebook); use ``new_for_modules()`` there."""
        reason = _why_not_run_again()
        if reason is not None:
            raise RuntimeError(
                f'this program is {reason}, which cannot be started again as a worker; '
                'put the worker classes in a module and use '
                'Mpaio.ProcessPool.new_for_modules([module name]) instead')
        return Mpaio.ProcessPool.new(max_workers)

    @classmethod
    def new_for_modules(cls, modules, max_workers=0):
        """Creates a pool whose workers are this Python interpreter, importing
        ``modules`` (module names, importable with this process's
        ``sys.path``) to define the worker classes, then serving.

        This is how interactive shells and notebooks use Mpaio: they cannot
        be started again, so their worker classes live in a module.
        """
        if isinstance(modules, str):
            modules = [modules]
        if not sys.executable:
            raise RuntimeError('sys.executable is unknown, so no worker can be started')
        argv = [sys.executable, '-c', _MODULES_WORKER, json.dumps(sys.path), *modules]
        return cls.new_for_argv(argv, max_workers)


ProcessPool = override(ProcessPool)
__all__.append('ProcessPool')


# --- numpy -------------------------------------------------------------------

def _dtype_string(dtype):
    """The numpy type string ('<i8', '<U6', '|S8') of anything numpy.dtype()
    takes; strings pass through if numpy is missing."""
    try:
        numpy = _numpy()
    except ImportError:
        if isinstance(dtype, str):
            return dtype
        raise
    return numpy.dtype(dtype).str


_HUGE_PAGE_HINT_SIZE = 4 * 1024 * 1024


def _mapping(memory):
    """This process's read-only mapping of ``memory``, made once: it lives
    as long as the memory or the arrays that view it."""
    try:
        return memory._mpaio_mapping
    except AttributeError:
        if getattr(memory, '_mpaio_closed', False):
            raise ValueError('this Mpaio.SharedMemory was closed') from None
        size = memory.get_size()
        try:
            mapping = mmap.mmap(memory.get_fd(), size, flags=mmap.MAP_SHARED, prot=mmap.PROT_READ)
        except ValueError:
            _raise_if_shrunk(memory)
            raise
        if size >= _HUGE_PAGE_HINT_SIZE and hasattr(mmap, 'MADV_HUGEPAGE'):
            # As Mpaio does for its own mappings: fewer page faults per worker
            # where the system allows huge pages for shared memory.
            mapping.madvise(mmap.MADV_HUGEPAGE)
        memory._mpaio_mapping = mapping
        return mapping


def _raise_if_shrunk(memory):
    """An attached memory or a file that is shorter than it was: say so, as
    Mpaio does, rather than let mmap() complain about lengths."""
    actual = os.fstat(memory.get_fd()).st_size
    if actual < memory.get_size():
        raise _worker_error(Mpaio.Error.INPUT_CHANGED,
                            f'The input shrank from {memory.get_size()} to {actual} bytes '
                            'since it was attached or mapped; keep it the same size while '
                            'runs use it')


class SharedMemory(Mpaio.SharedMemory):

    @classmethod
    def new_from_array(cls, array):
        """Creates a sealed memory holding a copy of ``array``'s elements in
        C order.

        The elements are written once, straight from the array's buffer to
        the memory (no intermediate copy; an array that is not C-contiguous
        is made contiguous first, which is one more copy). Arrays of Python
        objects cannot be shared.
        """
        numpy = _numpy()
        array = numpy.ascontiguousarray(array)
        if array.dtype.hasobject:
            raise TypeError(f'cannot share an array of Python objects ({array.dtype})')

        memory = cls.new(array.nbytes)
        data = memoryview(array.reshape(-1).view(numpy.uint8))
        fd = memory.get_fd()
        written = 0
        while written < len(data):
            written += os.pwrite(fd, data[written:], written)
        memory.seal()
        return memory

    def as_array(self, dtype=None, count=-1, offset=0):
        """A read-only numpy view of the memory, as ``numpy.frombuffer()``
        gives: ``count`` elements of ``dtype`` (bytes by default) from byte
        ``offset`` on. Nothing is copied; the memory is mapped once per
        process."""
        numpy = _numpy()
        if dtype is None and self.get_dtype() is not None and (count, offset) == (-1, 0):
            return self._file_array()
        dtype = numpy.uint8 if dtype is None else dtype
        return numpy.frombuffer(_mapping(self), dtype=dtype, count=count, offset=offset)

    # --- files: a .npy or raw file mapped read-only ---

    @classmethod
    def new_for_file(cls, file, dtype=None, offset=0):
        """Maps a ``.npy`` file (``dtype=None``), or a raw file of ``dtype``
        elements from byte ``offset`` on, read-only. ``file`` is a
        ``Gio.File`` or a path; ``dtype`` anything numpy takes as a dtype.
        The file may be larger than memory: workers read it through the page
        cache. ``as_array()`` views its array, with its shape."""
        if not isinstance(file, Gio.File):
            file = Gio.File.new_for_path(os.fspath(file))
        if dtype is not None and not isinstance(dtype, str):
            dtype = _numpy().dtype(dtype).str
        return Mpaio.SharedMemory.new_for_file(file, dtype, offset)

    def _file_array(self):
        array = _numpy().frombuffer(_mapping(self), dtype=self.get_dtype(),
                                    count=self.get_n_elements(),
                                    offset=self.get_array_offset())
        return array.reshape(tuple(self.get_shape()))

    def close(self):
        """Releases this process's numpy mapping of the memory now, rather
        than when the memory is garbage-collected; ``as_array()`` then
        raises ``ValueError``. Like ``multiprocessing.shared_memory``,
        raises ``BufferError`` while a view of it is alive. Closing twice
        does nothing. The memory itself lives on while an iterator or a run
        holds it."""
        mapping = self.__dict__.get('_mpaio_mapping')
        if mapping is not None:
            mapping.close()     # BufferError while views exist
            del self._mpaio_mapping
        self._mpaio_closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


SharedMemory = override(SharedMemory)
__all__.append('SharedMemory')


class Chunk(Mpaio.Chunk):

    def as_array(self, dtype=None):
        """The chunk's elements as a read-only numpy array, without copying.

        The dtype is the iterator's (``Mpaio.DataIterator:dtype``), or
        ``dtype`` if given; when its items are smaller than an element, each
        element is a row, so ``dtype='<f8'`` views 24-byte elements as an
        array of shape (n, 3). Without either, elements are opaque
        (``'V<size>'``).

        The worker maps each memory once and every chunk is a slice of that
        mapping; the view stays valid as long as it is referenced.
        """
        numpy = _numpy()
        element_size = self.get_element_size()
        if dtype is None:
            dtype = self.get_dtype() or f'V{element_size}'
        dtype = numpy.dtype(dtype)

        n_elements = self.get_n_elements()
        if dtype.itemsize == element_size:
            shape = (n_elements,)
        elif 0 < dtype.itemsize < element_size and element_size % dtype.itemsize == 0:
            shape = (n_elements, element_size // dtype.itemsize)
        else:
            raise ValueError(f'a {element_size}-byte element cannot be viewed as '
                             f'{dtype.str} ({dtype.itemsize} bytes)')

        offset = self.get_offset() + self.get_start() * element_size
        return numpy.ndarray(shape, dtype=dtype, buffer=_mapping(self.get_memory()),
                             offset=offset)


Chunk = override(Chunk)
__all__.append('Chunk')


class DataIterator(Mpaio.DataIterator):

    @classmethod
    def new_for_dtype(cls, memory, dtype, n_elements, chunk_size):
        """Like ``Mpaio.DataIterator.new_for_dtype()``, but ``dtype`` may be
        anything ``numpy.dtype()`` takes: ``numpy.int64``, ``'int64'``,
        ``array.dtype``, ``'<U6'``."""
        return Mpaio.DataIterator.new_for_dtype(memory, _dtype_string(dtype),
                                                n_elements, chunk_size)


DataIterator = override(DataIterator)
__all__.append('DataIterator')
