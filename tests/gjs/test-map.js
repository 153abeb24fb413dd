// SPDX-License-Identifier: LGPL-2.1-or-later
//
// MpaioJs.map(): a function exported from an ES module, on each chunk of a
// typed array, in the pool's worker processes; results in chunk order.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {
    test, run, assert, assertEqual, assertDeepEqual, assertGError, assertMessage, rejection,
    exception,
} from './harness.js';
import {
    sum, describe, failOnOdd, stallAfterFirst, unsupported, failWithKernelError, KernelError,
} from './kernels.js';

const MpaioJs = imports.mpaio;

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

const pool = Mpaio.ProcessPool.new(2);
const oneToN = n => Float64Array.from({length: n}, (_, i) => i + 1);

test('sums of ten chunks, in chunk order', async () => {
    const sums = await MpaioJs.map(pool, sum, oneToN(1_000_000), {chunkSize: 100_000});

    assertDeepEqual(sums, Array.from({length: 10},
        (_, i) => (i * 100_000 + 1 + (i + 1) * 100_000) * 100_000 / 2), 'sums');
});

test('BigInt64Array chunks give BigInts', async () => {
    const values = BigInt64Array.from({length: 1000}, (_, i) => BigInt(i + 1));

    assertDeepEqual(await MpaioJs.map(pool, sum, values, {chunkSize: 500}),
        [125250n, 375250n], 'sums');
});

test('by default, one chunk per worker', async () => {
    assertDeepEqual(await MpaioJs.map(pool, sum, new Int32Array([1, 2, 3, 4])), [3, 7], 'sums');
});

test('every kind of result comes back', async () => {
    const [first, second] = await MpaioJs.map(pool, describe, new Int16Array([4, 5, 6, 7]),
        {chunkSize: 2});

    assertEqual(first.length, 2, 'length');
    assertEqual(second.first, 6, 'number');
    assertEqual(first.text, 'from 4', 'string');
    assertEqual(first.even, true, 'boolean');
    assert(second.doubled instanceof Int16Array, `expected an Int16Array, got ${second.doubled}`);
    assertDeepEqual([...second.doubled], [12, 14], 'typed array');
    assertEqual(first.nothing, null, 'null');
    assert('missing' in first && first.missing === undefined, 'undefined');
    assertEqual(first.big, 2n ** 70n, 'BigInt');
    assertDeepEqual(first.list, [1.5, 'a', [true]], 'array');
});

test('an Mpaio.SharedMemory with its dtype', async () => {
    const memory = Mpaio.SharedMemory.new_from_bytes(
        new GLib.Bytes(new Uint8Array(new Uint32Array([1, 2, 3, 4, 5, 6]).buffer)));

    assertDeepEqual(await MpaioJs.map(pool, sum, memory, {dtype: '<u4', chunkSize: 3}),
        [6, 15], 'sums');
    assertMessage(exception(() => MpaioJs.map(pool, sum, memory)), 'needs its dtype');
});

test('an empty array gives no results', async () => {
    assertDeepEqual(await MpaioJs.map(pool, sum, new Float64Array(0)), [], 'results');
});

test('an exception arrives as its class, with the worker\'s stack in its message', async () => {
    const error = await rejection(MpaioJs.map(pool, failOnOdd, new Int32Array([2, 3]),
        {chunkSize: 1}));

    assert(error instanceof RangeError, `expected a RangeError, got ${error}`);
    const [first, blank, heading, frame] = error.message.split('\n');
    assertEqual(first, 'MpaioGjsMap failed on chunk 1 (elements 1 to 2): odd start 3', 'first line');
    assertEqual(blank, '', 'second line');
    assert(/^Stack of worker process \d+:$/.test(heading), heading);
    assert(/^failOnOdd@file:\/\/.*\/kernels\.js:\d+:\d+$/.test(frame), frame);
    assert(!error.message.includes('mpaio.js'), 'the helper\'s frames are left out');
});

test('an exception of an exported class of its own is rebuilt as that class', async () => {
    const error = await rejection(MpaioJs.map(pool, failWithKernelError, new Int32Array([7])));

    assert(error instanceof KernelError, `expected a KernelError, got ${error}`);
    assertEqual(error.name, 'KernelError', 'name');
    const lines = error.message.split('\n');
    assertEqual(lines[0], 'MpaioGjsMap failed on chunk 0 (elements 0 to 1): ' +
        'KernelError: bad chunk at 7', 'first line');
    assert(lines.slice(3).some(line => /^failWithKernelError@/.test(line)), error.message);
    assert(!error.message.includes('[mpaio-js-exception]'), 'the last line is left out');
});

test('a function given by module URL and name', async () => {
    const module = import.meta.url.replace(/test-map\.js$/, 'kernels.js');

    assertDeepEqual(await MpaioJs.map(pool, {module, name: 'sum'}, new Int32Array([1, 2, 3, 4]),
        {chunkSize: 2}), [3, 7], 'sums');
});

test('an explicit worker program imports the module by its URL', async () => {
    const gjs = GLib.file_read_link('/proc/self/exe');
    const program = 'imports.gi.versions.Mpaio = "1"; imports.mpaio; ' +
        'imports.system.exit(imports.gi.Mpaio.serve() ? 0 : 1);';
    const explicit = Mpaio.ProcessPool.new_for_argv([gjs, '-c', program], 1);

    assertDeepEqual(await MpaioJs.map(explicit, sum, new Int32Array([1, 2, 3, 4]),
        {chunkSize: 2}), [3, 7], 'sums');

    const error = await rejection(MpaioJs.map(explicit,
        {module: import.meta.url.replace(/test-map\.js$/, 'kernels.js'), name: 'nothing'},
        new Int32Array(2)));
    assertGError(error, Mpaio.Error, Mpaio.Error.WORKER_FAILED, 'exports no function nothing');
    await explicit.shutdown_async(null);
});

test('functions that were not exported are refused', () => {
    const error = exception(() => MpaioJs.map(pool, x => x, new Int32Array(2)));

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertMessage(error, 'exportFunctions(import.meta.url');
});

test('a result that cannot be sent back fails the map', async () => {
    const error = await rejection(MpaioJs.map(pool, unsupported, new Int32Array(2)));

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertMessage(error, '#unsupported returned Map, which map() cannot send back');
});

test('progress, then cancellation; the pool maps again', async () => {
    const stalling = Mpaio.ProcessPool.new(2);
    stalling.chunks_in_flight = 1;
    const cancellable = new Gio.Cancellable();
    const seen = [];

    const error = await rejection(MpaioJs.map(stalling, stallAfterFirst, oneToN(100), {
        chunkSize: 10,
        cancellable,
        progress: (done, total) => {
            seen.push([done, total]);
            cancellable.cancel();
        },
    }));

    assertGError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertDeepEqual(seen, [[1, 10]], 'progress');
    assertDeepEqual(await MpaioJs.map(stalling, sum, oneToN(4), {chunkSize: 2}), [3, 7], 'sums');
    await stalling.shutdown_async(null);
});

await run();
