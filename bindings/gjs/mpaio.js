// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Mpaio's JavaScript helpers for GJS: `const MpaioJs = imports.mpaio;`
//
// GJS has no overrides for libraries other than its own, so this is a module
// of the GJS search path (installed in $datadir/gjs-1.0; GJS_PATH names other
// directories). It is a legacy module, so that ES modules (through the
// `imports` global) and legacy scripts both load it; it exports what it
// declares with `var` and `function`.
//
// - registerWorker(): GObject.registerClass() for workers, whose exceptions
//   carry the worker's stack, and whose vfunc_process_callback() exceptions
//   fail the run;
// - Mpaio.Orchestrator.prototype.run_async()/run_finish() learn to fail a
//   run from a callback, and return a Promise when given no callback;
// - exportFunctions() and map(): a function exported from an ES module, on
//   each chunk of a typed array, results in chunk order.

/* exported registerWorker, exportFunctions, map, dtypeOf */

const {GLib, GObject, Gio} = imports.gi;
imports.gi.versions.Mpaio = '1';
const Mpaio = imports.gi.Mpaio;

// This file, as its stack frames name it.
const THIS_FILE = new Error().stack.split('\n')[0].replace(/^[^@]*@(.*):\d+:\d+$/, '$1');

// --- errors ----------------------------------------------------------------

const CLASS_TAG = '[mpaio-js-exception] ';
const BUILTIN_ERRORS = ['Error', 'EvalError', 'InternalError', 'RangeError', 'ReferenceError',
    'SyntaxError', 'TypeError', 'URIError'];

// The stack of `error` without this file's frames.
function _stackText(error) {
    return String(error.stack ?? '').split('\n')
        .filter(line => line && !line.includes(THIS_FILE))
        .join('\n');
}

// The exception to throw from vfunc_process: GJS sends it as a GError of
// its own domain whose code names the class (Error, TypeError, ...) and whose
// message is error.message, and the caller's GJS throws it again as that
// class. The worker's stack follows the message, after an empty line. A
// class of its own that an ES module exported with exportFunctions() is named
// on one last line, the tag and a JSON object, for the caller to rebuild.
function _withStack(error) {
    if (error instanceof GLib.Error)
        return error;
    if (!(error instanceof Error))
        error = new Error(String(error));
    const pid = Gio.Credentials.new().get_unix_pid();
    const builtin = BUILTIN_ERRORS.includes(error.name);
    const name = builtin ? '' : `${error.name}: `;
    const stack = _stackText(error);
    const exported = builtin ? undefined : _functions.get(error.constructor);
    const trailer = exported
        ? `\n${CLASS_TAG}${JSON.stringify({module: exported[0], name: exported[1]})}` : '';
    error.message = `${name}${error.message}\n\nStack of worker process ${pid}:\n${stack}${trailer}`;
    return error;
}

// The error a run failed with, as the caller should see it: an exception of
// an exported class of its own is rebuilt from the class the caller's module
// exported (nothing is imported on a worker's say), without the last line.
function _rebuildError(error) {
    if (!(error instanceof Error) || error instanceof GLib.Error)
        return error;
    const cut = error.message.lastIndexOf('\n');
    const last = error.message.slice(cut + 1);
    if (cut < 0 || !last.startsWith(CLASS_TAG))
        return error;
    const message = error.message.slice(0, cut);
    let Class = null;
    try {
        const {module, name} = JSON.parse(last.slice(CLASS_TAG.length));
        Class = _modules.get(module)?.[name];
    } catch (e) {
        Class = null;
    }
    if (typeof Class !== 'function' || !(Class.prototype instanceof Error)) {
        error.message = message;
        return error;
    }
    try {
        return new Class(message);
    } catch (e) {
        return Reflect.construct(Error, [message], Class);
    }
}

// --- runs a callback can fail ----------------------------------------------

const _running = new Set();                 // runs started from JavaScript
const _workersOf = new WeakMap();           // orchestrator → its workers
const _runOf = new WeakMap();               // GAsyncResult → its run

function _wrapProcess(process) {
    return function (chunk) {
        try {
            return process.call(this, chunk);
        } catch (e) {
            throw _withStack(e);
        }
    };
}

function _wrapProcessCallback(processCallback) {
    return function (chunkIndex, result) {
        const runs = [..._running].filter(run => run.workers.includes(this));
        if (runs.some(run => run.error !== null))
            return;  // the run failed already: deliver nothing more
        try {
            processCallback.call(this, chunkIndex, result);
        } catch (e) {
            if (runs.length === 0)
                throw e;  // not started from JavaScript: GJS logs it
            for (const run of runs) {
                run.error ??= e;
                run.cancellable.cancel();
            }
        }
    };
}

/**
 * GObject.registerClass() for a class that implements Mpaio.Worker (added
 * to `Implements` if missing: GJS wants it there to hook up the vfuncs,
 * even when the parent class implements it). `GTypeName` is required. An exception thrown
 * by its vfunc_process() reaches the caller with the worker's stack in its
 * message; one thrown by its vfunc_process_callback() fails the run, and
 * run_finish() (or the run's Promise) throws it.
 */
function registerWorker(meta, klass) {
    if (!meta?.GTypeName) {
        throw new TypeError(`${klass?.name} needs an explicit GTypeName: worker processes ` +
            'find the class by that name');
    }
    const proto = klass.prototype;
    if (typeof proto.vfunc_process === 'function')
        proto.vfunc_process = _wrapProcess(proto.vfunc_process);
    if (typeof proto.vfunc_process_callback === 'function')
        proto.vfunc_process_callback = _wrapProcessCallback(proto.vfunc_process_callback);
    const implementsList = meta.Implements ?? [];
    return GObject.registerClass({
        ...meta,
        Implements: implementsList.includes(Mpaio.Worker)
            ? implementsList : [Mpaio.Worker, ...implementsList],
    }, klass);
}

function _patchOrchestrator(proto) {
    const add = proto.add;
    // A Gio._promisify() made earlier keeps the introspected one here.
    const runAsync = proto._original_run_async ?? proto.run_async;
    const runFinish = proto.run_finish;

    proto.add = function (worker, iterator) {
        add.call(this, worker, iterator);
        if (!_workersOf.has(this))
            _workersOf.set(this, []);
        _workersOf.get(this).push(worker);
    };

    proto.run_async = function (cancellable = null, callback = undefined) {
        if (typeof callback !== 'function') {
            return new Promise((resolve, reject) => {
                this.run_async(cancellable, (self, result) => {
                    try {
                        resolve(self.run_finish(result));
                    } catch (e) {
                        reject(e);
                    }
                });
            });
        }
        const run = {
            workers: [...(_workersOf.get(this) ?? [])],
            cancellable: new Gio.Cancellable(),
            error: null,
        };
        let handler = 0;
        if (cancellable) {
            handler = cancellable.connect(() => run.cancellable.cancel());
            if (cancellable.is_cancelled())
                run.cancellable.cancel();
        }
        _running.add(run);
        runAsync.call(this, run.cancellable, (self, result) => {
            _running.delete(run);
            if (handler)
                cancellable.disconnect(handler);
            _runOf.set(result, run);
            callback(self, result);
        });
        return undefined;
    };

    proto.run_finish = function (result) {
        const run = _runOf.get(result);
        let done;
        try {
            done = runFinish.call(this, result);
        } catch (e) {
            if (!run?.error)
                throw _rebuildError(e);
        }
        if (run?.error)
            throw run.error;
        return done;
    };
}

_patchOrchestrator(Mpaio.Orchestrator.prototype);

// --- map -------------------------------------------------------------------

const DTYPES = {
    Int8Array: '|i1', Uint8Array: '|u1', Uint8ClampedArray: '|u1',
    Int16Array: '<i2', Uint16Array: '<u2', Int32Array: '<i4', Uint32Array: '<u4',
    Float32Array: '<f4', Float64Array: '<f8', BigInt64Array: '<i8', BigUint64Array: '<u8',
};
const CONSTRUCTORS = Object.fromEntries(Object.entries(DTYPES)
    .filter(([name]) => name !== 'Uint8ClampedArray')
    .map(([name, dtype]) => [dtype, globalThis[name]]));

/** The numpy type string of a typed array's elements ('<f8', '|u1', …). */
function dtypeOf(typedArray) {
    const dtype = DTYPES[typedArray?.constructor?.name];
    if (!dtype)
        throw new TypeError(`map() takes a typed array or an Mpaio.SharedMemory, not ${typedArray}`);
    return dtype;
}

const _functions = new Map();       // function → [module URL, name]
const _modules = new Map();         // module URL → {name: function}

/**
 * Makes the functions of an ES module usable by map(): call it in the module
 * itself, `exportFunctions(import.meta.url, {sum, mean})`. Worker processes
 * find a function by the module's URL and its name. Error classes given here
 * too are rebuilt in the caller when a worker throws them.
 */
function exportFunctions(moduleUrl, functions) {
    const table = _modules.get(moduleUrl) ?? {};
    for (const [name, func] of Object.entries(functions)) {
        if (typeof func !== 'function')
            throw new TypeError(`exportFunctions(): ${name} is not a function`);
        table[name] = func;
        _functions.set(func, [moduleUrl, name]);
    }
    _modules.set(moduleUrl, table);
}

// Imports `url` now: iterates the main context until the import is done,
// which serving worker processes need (they are inside a call from C).
function _importNow(url) {
    let namespace = null, error = null;
    import(url).then(ns => (namespace = ns), e => (error = e));
    const context = GLib.MainContext.default();
    while (namespace === null && error === null)
        context.iteration(true);
    if (error !== null)
        throw error;
    return namespace;
}

function _findFunction(url, name) {
    let func = _modules.get(url)?.[name];
    if (typeof func !== 'function')
        func = _importNow(url)[name] ?? _modules.get(url)?.[name];
    if (typeof func !== 'function') {
        throw new GLib.Error(Mpaio.error_quark(), Mpaio.Error.WORKER_FAILED,
            `map(): ${url} exports no function ${name} in worker process ` +
            `${Gio.Credentials.new().get_unix_pid()}`);
    }
    return func;
}

function _bytesVariant(u8) {
    return GLib.Variant.new_from_bytes(new GLib.VariantType('ay'), new GLib.Bytes(u8), true);
}

function _tagged(tag, value) {
    return new GLib.Variant('(sv)', [tag, value]);
}

// A result as a (sv) variant: its kind, and its data.
function encodeResult(value, name) {
    switch (typeof value) {
    case 'undefined':
        return _tagged('undefined', new GLib.Variant('()', []));
    case 'boolean':
        return _tagged('boolean', new GLib.Variant('b', value));
    case 'number':
        return _tagged('number', new GLib.Variant('d', value));
    case 'bigint':
        return _tagged('bigint', new GLib.Variant('s', value.toString()));
    case 'string':
        return _tagged('string', new GLib.Variant('s', value));
    }
    if (value === null)
        return _tagged('null', new GLib.Variant('()', []));
    if (ArrayBuffer.isView(value) && DTYPES[value.constructor.name]) {
        const u8 = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        return _tagged('typed', new GLib.Variant('(sv)',
            [value.constructor.name, _bytesVariant(u8)]));
    }
    if (Array.isArray(value)) {
        return _tagged('array', new GLib.Variant('av',
            value.map(item => encodeResult(item, name))));
    }
    if (Object.getPrototypeOf(value) === Object.prototype) {
        return _tagged('object', new GLib.Variant('a{sv}', Object.fromEntries(
            Object.entries(value).map(([k, v]) => [k, encodeResult(v, name)]))));
    }
    throw new TypeError(`${name} returned ${value?.constructor?.name ?? typeof value}, which ` +
        'map() cannot send back: return a number, BigInt, string, boolean, null, undefined, ' +
        'a typed array, or an array or plain object of these');
}

// The value encodeResult() made `variant` of; throws on anything else (it
// comes from another process).
function decodeResult(variant) {
    const tag = variant.get_child_value(0).get_string()[0];
    const value = variant.get_child_value(1).get_variant();
    const type = value.get_type_string();
    const kinds = {
        'undefined': ['()', () => undefined],
        'null': ['()', () => null],
        'boolean': ['b', v => v.get_boolean()],
        'number': ['d', v => v.get_double()],
        'bigint': ['s', v => BigInt(v.get_string()[0])],
        'string': ['s', v => v.get_string()[0]],
        'typed': ['(sv)', _decodeTyped],
        'array': ['av', v => Array.from({length: v.n_children()},
            (_, i) => decodeResult(v.get_child_value(i).get_variant()))],
        'object': ['a{sv}', v => Object.fromEntries(Array.from({length: v.n_children()}, (_, i) => {
            const entry = v.get_child_value(i);
            return [entry.get_child_value(0).get_string()[0],
                decodeResult(entry.get_child_value(1).get_variant())];
        }))],
    };
    if (!(tag in kinds) || kinds[tag][0] !== type)
        throw new TypeError(`a map() result of an unknown kind: ${tag} ${type}`);
    return kinds[tag][1](value);
}

function _decodeTyped(variant) {
    const name = variant.get_child_value(0).get_string()[0];
    const data = variant.get_child_value(1).get_variant();
    const Ctor = CONSTRUCTORS[DTYPES[name]];
    if (!Ctor || data.get_type_string() !== 'ay' ||
            data.get_size() % Ctor.BYTES_PER_ELEMENT !== 0)
        throw new TypeError(`a map() result of an unknown kind: typed ${name}`);
    return new Ctor(data.get_data_as_bytes().toArray().slice().buffer);
}

// The generic worker of map(): known to every process that loads this module.
var MapWorker = registerWorker({
    GTypeName: 'MpaioGjsMap',
    Properties: {
        'module': GObject.ParamSpec.string('module', null, null,
            GObject.ParamFlags.READWRITE, null),
        'name': GObject.ParamSpec.string('name', null, null,
            GObject.ParamFlags.READWRITE, null),
        'dtype': GObject.ParamSpec.string('dtype', null, null,
            GObject.ParamFlags.READWRITE, null),
    },
}, class MapWorker extends GObject.Object {
    results = [];
    onResult = null;
    _func = null;

    vfunc_process(chunk) {
        this._func ??= _findFunction(this.module, this.name);
        const bytes = chunk.dup_bytes().toArray();
        const Ctor = CONSTRUCTORS[this.dtype];
        const view = new Ctor(bytes.buffer, bytes.byteOffset,
            bytes.byteLength / Ctor.BYTES_PER_ELEMENT);
        return encodeResult(this._func(view), `${this.module}#${this.name}`);
    }

    vfunc_dup_result_type() {
        return new GLib.VariantType('(sv)');
    }

    vfunc_process_callback(chunkIndex, result) {
        this.results[chunkIndex] = decodeResult(result);
        this.onResult?.();
    }
});

function _input(array, dtype) {
    if (array instanceof Mpaio.SharedMemory) {
        if (!CONSTRUCTORS[dtype])
            throw new TypeError('map() over an Mpaio.SharedMemory needs its dtype: one of ' +
                `${Object.keys(CONSTRUCTORS).join(', ')}`);
        return [array, dtype, array.get_size() / CONSTRUCTORS[dtype].BYTES_PER_ELEMENT];
    }
    dtype = dtypeOf(array);
    if (array.length === 0)
        return [null, dtype, 0];
    const memory = Mpaio.SharedMemory.new(array.byteLength);
    memory.write(0, new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    memory.seal();
    return [memory, dtype, array.length];
}

/**
 * Calls `func` on each chunk of `array` in the pool's worker processes, and
 * resolves to the results in chunk order.
 *
 * `func` is a function exported with exportFunctions(), or
 * `{module: url, name}` of an ES module's export. It gets a typed array
 * viewing the chunk (no copy) and returns what encodeResult() takes.
 * `array` is a typed array (copied once into a sealed Mpaio.SharedMemory),
 * or an Mpaio.SharedMemory with `options.dtype`. Options: `chunkSize`
 * (elements; by default one chunk per worker), `cancellable`, and
 * `progress(nDone, nTotal)`, called as chunks complete.
 */
function map(pool, func, array, options = {}) {
    const [url, name] = typeof func === 'function' ? _functions.get(func) ?? [] : [func?.module, func?.name];
    if (!url || !name) {
        throw new TypeError('map() needs a function exported with MpaioJs.exportFunctions(' +
            'import.meta.url, {…}), or {module: url, name}: worker processes find it by both');
    }
    const [memory, dtype, n] = _input(array, options.dtype);
    if (n === 0)
        return Promise.resolve([]);
    const chunkSize = options.chunkSize ?? Math.ceil(n / Math.max(1, pool.get_max_workers()));
    const worker = new MapWorker({module: url, name, dtype});
    const orchestrator = Mpaio.Orchestrator.new(pool);
    orchestrator.add(worker, Mpaio.DataIterator.new_for_dtype(memory, dtype, n, chunkSize));
    if (options.progress) {
        worker.onResult = () => options.progress(Object.keys(worker.results).length,
            orchestrator.get_n_chunks_total());
    }
    return orchestrator.run_async(options.cancellable ?? null)
        .then(() => Array.from({length: orchestrator.get_n_chunks_total()},
            (_, i) => worker.results[i]));
}
