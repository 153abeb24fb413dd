# SPDX-License-Identifier: LGPL-2.1-or-later
"""``ProcessPool.map()``: a module-level function over the chunks of an
array, as ``ProcessPoolExecutor.map()`` over its items.

The function never crosses: a generic worker (GType ``MpaioPythonMap``) does,
with its module and qualified name as properties, and the worker process
finds it there, as pickle finds a function. Each chunk is a zero-copy numpy
view; the function's result comes back as a ``(sv)`` variant, tagged with
its kind (see ``encode_result``), never pickled.
"""

import functools
import importlib
import json
import math
import sys
import threading

from gi.repository import GLib, GObject, Gio

RESULT_TYPE = '(sv)'
_SUPPORTED = ('an int, float, bool, str, bytes, None, a numpy array or scalar, '
              'or a tuple, list or dict of these')


def _numpy():
    import numpy
    return numpy


# --- results ---------------------------------------------------------------

# The GLib.Variant(type string, value) constructor parses its type string in
# Python; these build each variant directly, several times faster per chunk.
V = GLib.Variant
_UNIT = V.new_tuple()
_AY = GLib.VariantType.new('ay')
_T = GLib.VariantType.new('t')
_V = GLib.VariantType.new('v')


@functools.lru_cache(maxsize=64)
def _dtype(text):
    return _numpy().dtype(text)


def _bytes_variant(data):
    return V.new_from_bytes(_AY, GLib.Bytes.new(data), True)


def _variant_bytes(variant):
    return variant.get_data_as_bytes().get_data()


def _tagged(tag, value):
    return V.new_tuple(V.new_string(tag), V.new_variant(value))


def _array_variant(array):
    shape = V.new_array(_T, [V.new_uint64(n) for n in array.shape])
    return V.new_tuple(V.new_tuple(V.new_string(array.dtype.str), shape),
                       _bytes_variant(array.tobytes()))


def encode_result(value, function):
    """``value``, which ``function`` returned, as a ``(sv)`` variant: a kind
    and its data."""
    numpy = _numpy()
    if value is None:
        return _tagged('none', _UNIT)
    if isinstance(value, bool):
        return _tagged('bool', V.new_boolean(value))
    if isinstance(value, int):
        if -2**63 <= value < 2**63:
            return _tagged('int', V.new_int64(value))
        return _tagged('bigint', V.new_string(str(value)))
    if isinstance(value, float):
        return _tagged('float', V.new_double(value))
    if isinstance(value, str):
        return _tagged('str', _bytes_variant(value.encode('utf-8', 'surrogatepass')))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return _tagged('bytes', _bytes_variant(bytes(value)))
    if isinstance(value, numpy.generic) and not value.dtype.hasobject:
        return _tagged('scalar', V.new_tuple(V.new_string(value.dtype.str),
                                             _bytes_variant(value.tobytes())))
    if isinstance(value, numpy.ndarray) and not value.dtype.hasobject:
        return _tagged('ndarray', _array_variant(value))
    if isinstance(value, (tuple, list)):
        items = [V.new_variant(encode_result(item, function)) for item in value]
        return _tagged(type(value).__name__, V.new_array(_V, items))
    if isinstance(value, dict):
        return _tagged('dict', encode_result(list(value.items()), function))
    name = (f"{getattr(function, '__module__', None) or 'numpy'}."
            f"{getattr(function, '__qualname__', function.__name__)}")
    raise TypeError(f'{name} returned {type(value).__module__}.{type(value).__qualname__}, '
                    f'which map() cannot send back: return {_SUPPORTED}')


def decode_result(variant):
    """The value ``encode_result`` made ``variant`` of; raises ValueError on
    anything else (the variant comes from another process)."""
    tag, value = variant.get_child_value(0).get_string(), variant.get_child_value(1).get_variant()
    kind = _KINDS.get(tag)
    if kind is None or value.get_type_string() != kind[0]:
        raise ValueError(f'a map() result of an unknown kind: {tag} {value.get_type_string()}')
    return kind[1](value)


def _decode_items(variant):
    for i in range(variant.n_children()):
        item = variant.get_child_value(i).get_variant()
        if item.get_type_string() != RESULT_TYPE:
            raise ValueError('a map() result holds an item of an unknown kind')
        yield decode_result(item)


def _decode_array(variant):
    numpy = _numpy()
    dtype, shape = variant.get_child_value(0).unpack()
    dtype = _dtype(dtype)
    if dtype.hasobject:
        raise ValueError('a map() result of Python objects')
    data = _variant_bytes(variant.get_child_value(1))
    return numpy.frombuffer(data, dtype=dtype).reshape(shape).copy()


def _decode_scalar(variant):
    dtype = _dtype(variant.get_child_value(0).get_string())
    data = _variant_bytes(variant.get_child_value(1))
    if dtype.hasobject or len(data) != dtype.itemsize:
        raise ValueError('a map() result of an unknown kind: a bad numpy scalar')
    return _numpy().frombuffer(data, dtype=dtype)[0]


# Each kind: the type of its data, and how to read it.
_KINDS = {
    'none': ('()', lambda v: None),
    'bool': ('b', lambda v: v.get_boolean()),
    'int': ('x', lambda v: v.get_int64()),
    'bigint': ('s', lambda v: int(v.get_string())),
    'float': ('d', lambda v: v.get_double()),
    'str': ('ay', lambda v: _variant_bytes(v).decode('utf-8', 'surrogatepass')),
    'bytes': ('ay', _variant_bytes),
    'ndarray': ('((sat)ay)', _decode_array),
    'scalar': ('(say)', lambda v: _decode_scalar(v)),
    'tuple': ('av', lambda v: tuple(_decode_items(v))),
    'list': ('av', lambda v: list(_decode_items(v))),
    'dict': ('(sv)', lambda v: dict(decode_result(v))),
}


# --- finding the function --------------------------------------------------

def function_name(function):
    """(module, qualified name) by which a worker process finds
    ``function``; TypeError if it cannot."""
    numpy = sys.modules.get('numpy')
    if numpy is not None and isinstance(function, numpy.ufunc) and \
            getattr(numpy, function.__name__, None) is function:
        return 'numpy', function.__name__     # ufuncs have no __module__
    module = getattr(function, '__module__', None)
    qualname = getattr(function, '__qualname__', None)
    if not callable(function) or not isinstance(module, str) or not isinstance(qualname, str):
        raise TypeError(f'map() needs a module-level function, not {function!r}')
    try:
        found = find_function(module, qualname, importing=False)
    except LookupError:
        found = None
    if found is not function:
        raise TypeError(f'map() cannot send {module}.{qualname}: a worker process finds the '
                        'function by its module and name, so it must be defined at module '
                        'level (not a lambda, a nested function or a bound method)')
    return module, qualname


def find_function(module_name, qualname, importing=True):
    """The function ``qualname`` of ``module_name``; LookupError if it is not
    there."""
    module = sys.modules.get(module_name)
    if module is None and importing:
        module = importlib.import_module(module_name)
    if module is None:
        raise LookupError(module_name)
    found = module
    for part in qualname.split('.'):
        if '<' in part or not hasattr(found, part):
            raise LookupError(f'{module_name}.{qualname}')
        found = getattr(found, part)
    return found


# --- the worker ------------------------------------------------------------

def define_worker(Mpaio, Worker, worker_error):
    """Defines the generic map worker (here, so that the caller and every
    worker process that loads the overrides know it)."""

    class MapWorker(GObject.Object, Worker):
        __gtype_name__ = 'MpaioPythonMap'
        # PyGObject registers no GType for classes of gi.overrides.*.
        __module__ = 'mpaio_map'

        module = GObject.Property(type=str)
        qualname = GObject.Property(type=str)
        dtype = GObject.Property(type=str)
        row_shape = GObject.Property(type=str)   # JSON, for arrays of more than one dimension

        def __init__(self, **properties):
            super().__init__(**properties)
            self._function = None
            self.results = {}               # in the caller, by chunk index
            self.on_result = None

        def _find(self):
            """The function, dtype and row shape, read once per worker."""
            if self._function is None:
                dtype = _dtype(self.dtype) if self.dtype else None
                row_shape = json.loads(self.row_shape) if self.row_shape else None
                try:
                    self._function = (find_function(self.module, self.qualname),
                                      dtype, row_shape)
                except (ImportError, LookupError) as error:
                    main = ' A function of __main__ is only found when the pool re-runs ' \
                        'the script (ProcessPool.new()).' if self.module == '__main__' else ''
                    raise worker_error(
                        Mpaio.Error.WORKER_FAILED,
                        f'map(): cannot find {self.module}.{self.qualname} in the worker '
                        f'process ({error}). Define it at module level in a module the '
                        f'worker process imports.{main}') from None
            return self._function

        def do_process(self, chunk):
            function, dtype, row_shape = self._find()
            array = chunk.as_array(dtype)
            if row_shape:
                array = array.reshape((chunk.get_n_elements(), *row_shape))
            return encode_result(function(array), function)

        def do_process_callback(self, chunk_index, result):
            self.results[chunk_index] = decode_result(result)
            if self.on_result is not None:
                self.on_result()

        def do_dup_result_type(self):
            return RESULT_TYPE

    return MapWorker


# --- the map itself --------------------------------------------------------

class MapJob:
    """One map: its memory, iterator, worker and orchestrator."""

    def __init__(self, Mpaio, MapWorker, pool, function, array, chunk_size, dtype, progress):
        module, qualname = function_name(function)
        memory, dtype, n_elements, row_shape = _input(Mpaio, array, dtype)
        element_size = dtype.itemsize * math.prod(row_shape)
        if chunk_size is None:
            chunk_size = max(1, -(-n_elements // max(1, pool.get_max_workers())))
        self.n_elements = n_elements
        self.worker = MapWorker(module=module, qualname=qualname, dtype=dtype.str,
                                row_shape=json.dumps(row_shape) if row_shape else None)
        self.orchestrator = Mpaio.Orchestrator.new(pool)
        if n_elements:
            # A row is an element; the worker views it with the dtype.
            self.iterator = Mpaio.DataIterator(memory=memory, element_size=element_size,
                                               n_elements=n_elements, chunk_size=chunk_size)
            self.orchestrator.add(self.worker, self.iterator)
        if progress is not None:
            self.worker.on_result = lambda: progress(
                len(self.worker.results), self.orchestrator.get_n_chunks_total())

    def results(self):
        results = self.worker.results
        return [results[i] for i in range(len(results))]


def _input(Mpaio, array, dtype):
    """(sealed memory, dtype, number of rows, shape of a row)."""
    numpy = _numpy()
    if isinstance(array, Mpaio.SharedMemory):
        if dtype is None:
            raise TypeError('map() over an Mpaio.SharedMemory needs its dtype= as well')
        dtype = numpy.dtype(dtype)
        return array, dtype, array.get_size() // dtype.itemsize, []
    array = numpy.asarray(array)
    if dtype is not None:
        array = array.astype(dtype, copy=False)
    if array.ndim == 0:
        raise TypeError('map() needs an array of at least one dimension')
    memory = Mpaio.SharedMemory.new_from_array(array) if array.nbytes else None
    return memory, array.dtype, array.shape[0] if array.nbytes else 0, list(array.shape[1:])


# --- asyncio ---------------------------------------------------------------

class ContextDriver:
    """Runs a GLib main context on a thread of its own while asyncio maps
    need it: asyncio does not run GLib's sources."""

    _lock = threading.Lock()
    _drivers = {}

    def __init__(self, context):
        self.context = context
        self.pending = 0

    @classmethod
    def submit(cls, context, start):
        """Calls ``start(done)`` on the thread that runs ``context``;
        ``done()`` must be called there once the job is over."""
        with cls._lock:
            driver = cls._drivers.get(context)
            if driver is None:
                driver = cls._drivers[context] = ContextDriver(context)
                thread = threading.Thread(target=driver._run, name='mpaio-map', daemon=True)
                if not context.acquire():
                    del cls._drivers[context]
                    raise RuntimeError(
                        'map_async() without a callback runs the pool\'s main context on a '
                        'thread of its own, but another thread runs it: give map_async() a '
                        'callback, or call map() from that thread')
                context.release()
                thread.start()
            driver.pending += 1

        def done():
            with cls._lock:
                driver.pending -= 1

        source = GLib.Idle()
        source.set_callback(lambda *_: start(done) or GLib.SOURCE_REMOVE)
        source.attach(context)

    def _run(self):
        self.context.push_thread_default()
        try:
            while True:
                with ContextDriver._lock:
                    if self.pending == 0:
                        del ContextDriver._drivers[self.context]
                        return
                self.context.iteration(True)
        finally:
            self.context.pop_thread_default()


def asyncio_future(start, finish):
    """An asyncio future of the job ``start(cancellable, on_done)`` starts
    on the caller's main context, which a thread runs meanwhile."""
    import asyncio

    loop = asyncio.get_running_loop()
    future = loop.create_future()
    cancellable = Gio.Cancellable()
    context = GLib.MainContext.ref_thread_default()

    def settle(result):
        try:
            value = finish(result)
        except BaseException as exception:  # noqa: BLE001 (handed to the future)
            loop.call_soon_threadsafe(_set, future, exception, None)
        else:
            loop.call_soon_threadsafe(_set, future, None, value)

    def run(done):
        start(cancellable, lambda result: (settle(result), done()))

    future.add_done_callback(lambda f: cancellable.cancel() if f.cancelled() else None)
    ContextDriver.submit(context, run)
    return future


def _set(future, exception, value):
    if future.done():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(value)
