// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Runs on a pool of GJS worker processes: results, the processes they come
// from, what crosses to a worker, and how a chunk sees its elements.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {
    test, run, assert, assertEqual, assertDeepEqual, countingMemory, int64Memory,
} from './harness.js';
import {SumInt64, ConcatRecords, Describe} from './workers.js';

// The pool runs this script again as its workers; they serve here.
if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

function recordsMemory(strings, width) {
    const records = new Uint8Array(strings.length * width);
    const encoder = new TextEncoder();

    strings.forEach((s, i) => encoder.encodeInto(s, records.subarray(i * width, (i + 1) * width)));
    return Mpaio.SharedMemory.new_from_bytes(new GLib.Bytes(records));
}

test('two workers over two arrays in one run give every result once', async () => {
    const [ints, expectedSum] = countingMemory(100_000);
    const strings = Array.from({length: 100}, (_, i) => `foo_${i}`);
    const pool = Mpaio.ProcessPool.new(2);
    const sum = new SumInt64();
    const concat = new ConcatRecords();
    const orchestrator = Mpaio.Orchestrator.new(pool);

    orchestrator.add(sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 100_000, 1000));
    orchestrator.add(concat, Mpaio.DataIterator.new_for_dtype(recordsMemory(strings, 8), 'S8', 100, 20));
    await orchestrator.run_async(null);

    assertEqual(sum.total, expectedSum, 'sum');
    assertEqual(concat.text, strings.join(''), 'concatenation');
    assertDeepEqual(sum.delivered.sort((a, b) => a - b), [...Array(100).keys()], 'chunks delivered');
    assertEqual(concat.parts.length, 5, 'string chunks');
    assertEqual(orchestrator.n_chunks_total, 105, 'n-chunks-total');
    assertEqual(orchestrator.n_chunks_done, 105, 'n-chunks-done');
    assertEqual(orchestrator.fraction, 1, 'fraction');
    assert(!orchestrator.is_running(), 'the orchestrator still runs');
});

test('chunks run in both worker processes, never in the caller', async () => {
    const [ints] = countingMemory(8);
    const pool = Mpaio.ProcessPool.new(2);
    const describe = new Describe();
    const orchestrator = Mpaio.Orchestrator.new(pool);

    // With both workers ready, the pool hands out chunks one per worker in
    // turn, so each gets some.
    await pool.start_async(null);
    const pids = [...pool.dup_worker_pids()].sort();
    assertEqual(pids.length, 2, 'worker processes');

    orchestrator.add(describe, Mpaio.DataIterator.new(ints, 8, 8, 1));
    await orchestrator.run_async(null);

    const used = [...new Set(describe.seen.map(seen => seen.pid))].sort();
    assertDeepEqual(used, pids, 'processes that ran chunks');
    assert(!used.includes(Gio.Credentials.new().get_unix_pid()), 'a chunk ran in the caller');
});

test('the same pool serves later runs and orchestrators with the same processes', async () => {
    const [ints, expectedSum] = countingMemory(10_000);
    const pool = Mpaio.ProcessPool.new(2);
    let pids = null;

    for (let i = 0; i < 3; i++) {
        const sum = new SumInt64();
        const orchestrator = Mpaio.Orchestrator.new(pool);

        orchestrator.add(sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 10_000, 300));
        await orchestrator.run_async(null);

        assertEqual(sum.total, expectedSum, `sum of run ${i}`);
        pids ??= [...pool.dup_worker_pids()];
        assertDeepEqual([...pool.dup_worker_pids()], pids, `worker processes after run ${i}`);
    }
});

test('int64 results beyond 2^53 arrive exactly', async () => {
    const values = [2n ** 62n, 1n, -(2n ** 61n), 3n, 2n ** 60n + 7n];
    const sum = new SumInt64();
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(1));

    orchestrator.add(sum, Mpaio.DataIterator.new_for_dtype(int64Memory(values), '<i8', values.length, 2));
    await orchestrator.run_async(null);

    assertEqual(sum.total, values.reduce((a, b) => a + b), 'sum');
});

test('GObject properties cross to the worker process; plain fields do not', async () => {
    const describe = new Describe({
        label: 'left',
        factor: -3,
        big: 2 ** 40 + 1,
        scale: 0.25,
        enabled: true,
        tags: ['a', 'b'],
        blob: new GLib.Bytes(new Uint8Array([1, 2, 255])),
        extra: new GLib.Variant('a{sv}', {n: new GLib.Variant('u', 42)}),
        flags: Gio.FileCreateFlags.PRIVATE | Gio.FileCreateFlags.REPLACE_DESTINATION,
    });
    describe.plain = 'stays in the caller';
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(1));

    orchestrator.add(describe, Mpaio.DataIterator.new(int64Memory([0]), 8, 1, 1));
    await orchestrator.run_async(null);

    const seen = describe.seen[0];
    assertEqual(seen.label, 'left', 'string');
    assertEqual(seen.factor, -3, 'int');
    assertEqual(seen.big, 2 ** 40 + 1, 'int64');
    assertEqual(seen.scale, 0.25, 'double');
    assertEqual(seen.enabled, true, 'boolean');
    assertDeepEqual(seen.tags, ['a', 'b'], 'string array');
    assertDeepEqual([...seen.blob], [1, 2, 255], 'bytes');
    assertDeepEqual(seen.extra, {n: 42}, 'variant');
    assertEqual(seen.flags, Gio.FileCreateFlags.PRIVATE | Gio.FileCreateFlags.REPLACE_DESTINATION, 'flags');
    assertEqual(seen.plain, null, 'plain field');
});

test('a worker process keeps its instance for later chunks and runs', async () => {
    const pool = Mpaio.ProcessPool.new(1);
    const calls = [];

    for (let run = 0; run < 2; run++) {
        const describe = new Describe({label: 'kept'});
        const orchestrator = Mpaio.Orchestrator.new(pool);

        orchestrator.add(describe, Mpaio.DataIterator.new(int64Memory([1, 2, 3]), 8, 3, 1));
        await orchestrator.run_async(null);
        calls.push(...describe.seen.map(seen => seen.calls));
    }

    assertDeepEqual(calls, [1, 2, 3, 4, 5, 6], 'calls seen by the worker instance');
});

test('properties left at their defaults arrive as their defaults', async () => {
    const describe = new Describe();
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(1));

    orchestrator.add(describe, Mpaio.DataIterator.new(int64Memory([0]), 8, 1, 1));
    await orchestrator.run_async(null);

    // GJS reads a NULL string array as [].
    const seen = describe.seen[0];
    assertDeepEqual([seen.label, seen.factor, seen.big, seen.scale, seen.enabled, seen.tags, seen.blob],
        [null, 1, 0, 1, false, [], null], 'defaults');
});

test('a chunk views exactly its elements, past the iterator\'s offset', async () => {
    // A header word, then ten int64 that need all 64 bits.
    const values = [-5n, 2n ** 40n, -(2n ** 40n), 3n, 4n, 5n, 6n, 7n, 8n, -9n];
    const memory = int64Memory([123456789n, ...values]);
    const describe = new Describe();
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(2));

    // Elements 1..9 of the array that starts at byte 8, three per chunk.
    orchestrator.add(describe, new Mpaio.DataIterator({
        memory, offset: 8, element_size: 8, n_elements: 10, chunk_size: 3, start_index: 1,
    }));
    await orchestrator.run_async(null);

    assertEqual(describe.seen.length, 3, 'chunks');
    describe.seen.forEach((seen, index) => {
        const start = 1 + 3 * index;
        const end = Math.min(start + 3, 10);

        assertDeepEqual([seen.index, seen.start, seen.end, seen.nElements, seen.elementSize, seen.offset],
            [index, start, end, end - start, 8, 8], `chunk ${index} geometry`);
        assertDeepEqual(seen.values, values.slice(start, end).map(Number), `chunk ${index} elements`);
        assertEqual(seen.dtype, null, `chunk ${index} dtype`);
    });
});

test('a chunk of a dtype iterator knows its dtype', async () => {
    const describe = new Describe();
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(1));

    orchestrator.add(describe, Mpaio.DataIterator.new_for_dtype(int64Memory([1, 2]), '<i8', 2, 2));
    await orchestrator.run_async(null);

    assertEqual(describe.seen[0].dtype, '<i8', 'dtype');
    assertDeepEqual(describe.seen[0].values, [1, 2], 'elements');
});

test('progress notifies on the caller\'s main context up to every chunk', async () => {
    const [ints] = countingMemory(1000);
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(2));
    const done = [];
    const fractions = [];

    orchestrator.add(new SumInt64(), Mpaio.DataIterator.new_for_dtype(ints, '<i8', 1000, 10));
    orchestrator.connect('notify::n-chunks-done', () => done.push(orchestrator.n_chunks_done));
    orchestrator.connect('notify::fraction', () => fractions.push(orchestrator.fraction));
    await orchestrator.run_async(null);

    assert(done.length > 0, 'n-chunks-done never notified');
    assert(done.every((n, i) => i === 0 || n > done[i - 1]), `n-chunks-done went back: ${done}`);
    assertEqual(done.at(-1), 100, 'last n-chunks-done');
    assertEqual(fractions.at(-1), 1, 'last fraction');
});

await run();
