// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Input that cannot work is refused with an Mpaio.Error, before anything
// runs where that is possible.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {
    test, run, assert, assertEqual, assertGError, countingMemory, exception, int64Memory, rejection,
} from './harness.js';
import {SumInt64} from './workers.js';

// A worker with a property that cannot cross: an object.
const HoldsObject = GObject.registerClass({
    GTypeName: 'MpaioGjsTestHoldsObject',
    Implements: [Mpaio.Worker],
    Properties: {
        'cancellable': GObject.ParamSpec.object('cancellable', null, null,
            GObject.ParamFlags.READWRITE, Gio.Cancellable.$gtype),
    },
}, class HoldsObject extends GObject.Object {
    vfunc_process() {
        return new GLib.Variant('b', true);
    }
});

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

// Registered after the worker processes stopped at serve(): only this
// process knows the type.
const CallerOnly = GObject.registerClass({
    GTypeName: 'MpaioGjsTestCallerOnly',
    Implements: [Mpaio.Worker],
}, class CallerOnly extends GObject.Object {
    vfunc_process() {
        return new GLib.Variant('b', true);
    }
});

function runOne(pool, worker, iterator, cancellable = null) {
    const orchestrator = Mpaio.Orchestrator.new(pool);

    orchestrator.add(worker, iterator);
    return orchestrator.run_async(cancellable);
}

test('an unsealed memory fails the run with NOT_SEALED before anything runs', async () => {
    const memory = Mpaio.SharedMemory.new(8 * 4);
    const pool = Mpaio.ProcessPool.new(1);
    const sum = new SumInt64();

    memory.write(0, new Uint8Array(new BigInt64Array([1n, 2n, 3n, 4n]).buffer));
    const error = await rejection(runOne(pool, sum, Mpaio.DataIterator.new_for_dtype(memory, '<i8', 4, 2)));

    assertGError(error, Mpaio.Error, Mpaio.Error.NOT_SEALED, 'seal');
    assertEqual(sum.delivered.length, 0, 'chunks delivered');
    assertEqual(pool.n_workers, 0, 'worker processes started');
});

test('impossible layouts fail with INVALID_LAYOUT', () => {
    const memory = int64Memory([1, 2, 3, 4]);
    const layouts = {
        'zero chunk size': () => Mpaio.DataIterator.new(memory, 8, 4, 0),
        'zero element size': () => Mpaio.DataIterator.new(memory, 0, 4, 1),
        'more elements than the memory holds': () => Mpaio.DataIterator.new(memory, 8, 5, 1),
        'an unknown dtype': () => Mpaio.DataIterator.new_for_dtype(memory, 'int64', 4, 1),
    };

    for (const [what, make] of Object.entries(layouts)) {
        const error = exception(make);
        assert(error instanceof GLib.Error && error.matches(Mpaio.Error, Mpaio.Error.INVALID_LAYOUT),
            `${what}: expected INVALID_LAYOUT, got ${error}`);
    }
});

test('a layout built from properties is checked when the run starts', async () => {
    const iterator = new Mpaio.DataIterator({
        memory: int64Memory([1, 2, 3, 4]), element_size: 8, n_elements: 4, chunk_size: 0,
    });
    const error = await rejection(runOne(Mpaio.ProcessPool.new(1), new SumInt64(), iterator));

    assertGError(error, Mpaio.Error, Mpaio.Error.INVALID_LAYOUT, 'chunk size');
});

test('a start index past the end fails with INVALID_LAYOUT', async () => {
    const iterator = new Mpaio.DataIterator({
        memory: int64Memory([1, 2, 3, 4]), element_size: 8, n_elements: 4, chunk_size: 1, start_index: 5,
    });
    const error = await rejection(runOne(Mpaio.ProcessPool.new(1), new SumInt64(), iterator));

    assertGError(error, Mpaio.Error, Mpaio.Error.INVALID_LAYOUT);
});

test('writing to a sealed memory fails with READ_ONLY, and outside it with OUT_OF_RANGE', () => {
    const memory = Mpaio.SharedMemory.new(8);

    assertGError(exception(() => memory.write(4, new Uint8Array(8))),
        Mpaio.Error, Mpaio.Error.OUT_OF_RANGE);
    memory.seal();
    assertGError(exception(() => memory.write(0, new Uint8Array(8))),
        Mpaio.Error, Mpaio.Error.READ_ONLY);
});

test('a view of a writable memory stays valid, read-only, once it is sealed', () => {
    const memory = Mpaio.SharedMemory.new(8);
    memory.write(0, [7]);
    const view = memory.dup_bytes(0, 8);

    // Sealing keeps the caller's mapping (and its pages) in place.
    assert(memory.seal(), 'seal');
    assert(memory.is_sealed(), 'the memory is not sealed');
    assertEqual(view.toArray()[0], 7, 'the first byte of the view');
});

test('a property that cannot cross fails with UNSERIALIZABLE_PROPERTY before anything runs', async () => {
    const pool = Mpaio.ProcessPool.new(1);
    const worker = new HoldsObject({cancellable: new Gio.Cancellable()});
    const error = await rejection(runOne(pool, worker, Mpaio.DataIterator.new(int64Memory([1]), 8, 1, 1)));

    assertGError(error, Mpaio.Error, Mpaio.Error.UNSERIALIZABLE_PROPERTY,
        '“cancellable”', 'MpaioGjsTestHoldsObject');
    assertEqual(pool.n_workers, 0, 'worker processes started');

    // At its default (null), the property does not need to cross.
    await runOne(pool, new HoldsObject(), Mpaio.DataIterator.new(int64Memory([1]), 8, 1, 1));
});

test('a class the worker processes do not register fails with UNKNOWN_WORKER_TYPE', async () => {
    const error = await rejection(runOne(Mpaio.ProcessPool.new(1), new CallerOnly(),
        Mpaio.DataIterator.new(int64Memory([1]), 8, 1, 1)));

    assertGError(error, Mpaio.Error, Mpaio.Error.UNKNOWN_WORKER_TYPE, '“MpaioGjsTestCallerOnly”');
});

test('a pool used from another main context fails with WRONG_CONTEXT', () => {
    const pool = Mpaio.ProcessPool.new(1);
    const orchestrator = Mpaio.Orchestrator.new(pool);
    const context = new GLib.MainContext();
    let error = null;
    let done = false;

    orchestrator.add(new SumInt64(), Mpaio.DataIterator.new(int64Memory([1]), 8, 1, 1));

    // The result is delivered in the context the run was started from.
    context.push_thread_default();
    try {
        orchestrator.run_async(null, (self, result) => {
            try {
                self.run_finish(result);
            } catch (e) {
                error = e;
            }
            done = true;
        });
        while (!done)
            context.iteration(true);
    } finally {
        context.pop_thread_default();
    }

    assertGError(error, Mpaio.Error, Mpaio.Error.WRONG_CONTEXT);
});

test('a run on a shut-down pool fails with CLOSED', async () => {
    const pool = Mpaio.ProcessPool.new(1);
    const [ints, expectedSum] = countingMemory(10);
    const sum = new SumInt64();

    await runOne(pool, sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 10, 5));
    assertEqual(sum.total, expectedSum, 'sum before the shutdown');

    await pool.shutdown_async(null);
    await pool.shutdown_async(null);  // idempotent
    assertEqual(pool.n_workers, 0, 'worker processes after the shutdown');

    const error = await rejection(runOne(pool, new SumInt64(),
        Mpaio.DataIterator.new_for_dtype(ints, '<i8', 10, 5)));
    assertGError(error, Mpaio.Error, Mpaio.Error.CLOSED);
});

test('starting a running orchestrator again fails with PENDING', async () => {
    const [ints, expectedSum] = countingMemory(1000);
    const sum = new SumInt64();
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(1));

    orchestrator.add(sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 1000, 10));
    const first = orchestrator.run_async(null);
    const error = await rejection(orchestrator.run_async(null));
    await first;

    assertGError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.PENDING);
    assertEqual(sum.total, expectedSum, 'sum of the first run');
});

await run();
