#!/usr/bin/env -S gjs -m
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The original MPAIO example, in JavaScript: two arrays in shared memory,
// processed at once on one pool of worker processes.
//
//  - the integers 1..100,000,000 (int64), summed by AddInt, cut into as many
//    chunks as there are workers;
//  - the strings foo_0..foo_99 (8-byte records, NUL-padded), concatenated by
//    ConcatStr, 20 per chunk.
//
// Chunks complete in any order; the concatenation is put back in index order
// from the chunk indices.
//
// The worker processes are this script again: the pool starts `gjs -m
// sum-and-concat.js …` with MPAIO_WORKER_FD set, and they stop at
// Mpaio.serve() below, after the worker classes exist and before anything
// else happens. From a build tree (`meson setup build`):
//
//   GI_TYPELIB_PATH=build/mpaio LD_LIBRARY_PATH=build/mpaio \
//       gjs -m examples/gjs/sum-and-concat.js [--workers N] [--ints N]
//
// With --executor mpi the workers are MPI ranks (docs/cluster.md): add
// build/mpaio-mpi to both paths.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

const N_STRINGS = 100;
const STRING_WIDTH = 8;  // numpy "S8": NUL-padded, not NUL-terminated

// GJS unpacks 64-bit integers to Number, which is exact only up to 2^53; the
// text form of the variant is always exact.
function int64FromVariant(variant) {
    return BigInt(variant.print(false));
}

// AddInt: sums its chunk of int64.
const AddInt = GObject.registerClass({
    GTypeName: 'ExampleJsAddInt',
    Implements: [Mpaio.Worker],
}, class AddInt extends GObject.Object {
    total = 0n;  // only meaningful in the caller's process

    // In a worker process. dup_bytes() and toArray() do not copy: the
    // Uint8Array views the worker's read-only mapping of the memory, and so
    // does the BigInt64Array over the same buffer.
    vfunc_process(chunk) {
        const bytes = chunk.dup_bytes().toArray();
        const values = new BigInt64Array(bytes.buffer, bytes.byteOffset,
            bytes.byteLength / BigInt64Array.BYTES_PER_ELEMENT);
        let sum = 0n;

        for (let i = 0; i < values.length; i++)
            sum += values[i];

        return new GLib.Variant('x', sum);
    }

    vfunc_dup_result_type() {
        return new GLib.VariantType('x');
    }

    // In this process, on the main context, once per chunk.
    vfunc_process_callback(chunkIndex, result) {
        this.total += int64FromVariant(result);
    }
});

// ConcatStr: concatenates its chunk of fixed-width strings.
const ConcatStr = GObject.registerClass({
    GTypeName: 'ExampleJsConcatStr',
    Implements: [Mpaio.Worker],
}, class ConcatStr extends GObject.Object {
    parts = [];  // by chunk index, only in the caller's process

    vfunc_process(chunk) {
        const records = chunk.dup_bytes().toArray();
        const width = chunk.get_element_size();
        const decoder = new TextDecoder();
        let text = '';

        for (let offset = 0; offset < records.length; offset += width) {
            const record = records.subarray(offset, offset + width);
            const length = record.indexOf(0);
            text += decoder.decode(length < 0 ? record : record.subarray(0, length));
        }

        return new GLib.Variant('s', text);
    }

    vfunc_dup_result_type() {
        return new GLib.VariantType('s');
    }

    vfunc_process_callback(chunkIndex, result) {
        this.parts[chunkIndex] = result.unpack();
    }

    get text() {
        return this.parts.join('');
    }
});

// A worker process stops here.
if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

// So does an MPI rank, where MpaioMpi is built (docs/cluster.md).
const MpaioMpi = await import('gi://MpaioMpi?version=1').then(module => module.default, () => null);
if (MpaioMpi?.is_worker_process())
    System.exit(MpaioMpi.serve() ? 0 : 1);

// The caller's side.

Gio._promisify(Mpaio.Orchestrator.prototype, 'run_async', 'run_finish');

function parseArguments(args) {
    const options = {workers: 0, ints: 100_000_000, executor: 'process'};

    for (let i = 0; i < args.length; i++) {
        const [name, inline] = args[i].split(/=(.*)/s);
        const key = {'--workers': 'workers', '-w': 'workers', '--ints': 'ints',
            '--executor': 'executor'}[name];
        const text = inline ?? args[++i];
        const value = key === 'executor' ? text : Number(text);
        const valid = key === 'executor'
            ? ['process', 'mpi'].includes(value) && (value !== 'mpi' || MpaioMpi)
            : Number.isSafeInteger(value) && value >= (key === 'ints' ? 1 : 0);

        if (!key || !valid) {
            printerr('Usage: gjs -m sum-and-concat.js [--workers N] [--ints N] [--executor E]\n' +
                '  --workers N   number of worker processes (default: one per processor)\n' +
                '  --ints N      sum 1..N (default: 100000000)\n' +
                '  --executor E  process (default), or mpi where MpaioMpi is built');
            System.exit(2);
        }
        options[key] = value;
    }

    return options;
}

// Fills the memory through a small buffer that write() copies in: 64 Ki
// elements (512 KiB) stay in the cache. Each int64 goes in as two 32-bit
// words (little-endian, as "<i8" says), which is six times faster than
// storing BigInts; it is exact for values up to 2^53.
function makeInts(n) {
    const memory = Mpaio.SharedMemory.new(n * BigInt64Array.BYTES_PER_ELEMENT);
    const SLAB = 64 * 1024;
    const words = new Int32Array(2 * SLAB);
    const bytes = new Uint8Array(words.buffer);

    for (let start = 0; start < n; start += SLAB) {
        const count = Math.min(SLAB, n - start);

        for (let i = 0; i < count; i++) {
            const value = start + i + 1;
            words[2 * i] = value;  // the low 32 bits (Int32Array wraps)
            words[2 * i + 1] = Math.floor(value / 2 ** 32);
        }
        memory.write(start * BigInt64Array.BYTES_PER_ELEMENT, bytes.subarray(0, count * 8));
    }

    memory.seal();
    return memory;
}

// A small array can be built in JavaScript and copied once into a sealed
// memory.
function makeStrings() {
    const records = new Uint8Array(N_STRINGS * STRING_WIDTH);  // zeros: the padding
    const encoder = new TextEncoder();

    for (let i = 0; i < N_STRINGS; i++)
        encoder.encodeInto(`foo_${i}`, records.subarray(i * STRING_WIDTH, (i + 1) * STRING_WIDTH));

    return Mpaio.SharedMemory.new_from_bytes(new GLib.Bytes(records));
}

const options = parseArguments(System.programArgs);
const ints = makeInts(options.ints);
const strings = makeStrings();

const begin = GLib.get_monotonic_time();

function makePool() {
    if (options.executor === 'mpi')
        return MpaioMpi.Executor.new(options.workers);  // MPI ranks: docs/cluster.md
    const pool = Mpaio.ProcessPool.new(options.workers);  // 0: one per processor
    return pool;
}

const pool = makePool();
const nWorkers = pool.get_max_workers();

const intIterator = Mpaio.DataIterator.new_for_dtype(ints, '<i8', options.ints,
    Math.max(1, Math.ceil(options.ints / nWorkers)));
const stringIterator = Mpaio.DataIterator.new_for_dtype(strings, 'S8', N_STRINGS, 20);

const addInt = new AddInt();
const concatStr = new ConcatStr();

const orchestrator = Mpaio.Orchestrator.new(pool);
orchestrator.add(addInt, intIterator);
orchestrator.add(concatStr, stringIterator);

// GJS runs the default main context while the module awaits.
try {
    await orchestrator.run_async(null);
} catch (error) {
    printerr(`The run failed: ${error.message}`);
    System.exit(1);
}

print(addInt.total);
print(concatStr.text);
print(`elapsed: ${((GLib.get_monotonic_time() - begin) / 1e6).toFixed(3)} s ` +
    `with ${nWorkers} workers (${orchestrator.n_chunks_total} chunks)`);
