// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Introspection alone lets a JavaScript worker fail a run from its
// callback (vfunc_process_callback_full), and a script without a main loop
// wait for a run (Orchestrator.run).

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {test, run, assert, assertEqual, assertDeepEqual, assertGError, countingMemory, rejection} from './harness.js';

const PickyError = GLib.quark_from_string('mpaio-gjs-test-picky-error');

// Sums int64 chunks; in the caller, refuses chunk 3.
const Picky = GObject.registerClass({
    GTypeName: 'MpaioGjsTestPicky',
    Implements: [Mpaio.Worker],
}, class Picky extends GObject.Object {
    taken = [];

    vfunc_process(chunk) {
        const bytes = chunk.dup_bytes().toArray();
        const values = new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);

        return new GLib.Variant('x', Number(values.reduce((a, b) => a + b, 0n)));
    }

    vfunc_process_callback_full(chunkIndex, result) {
        if (chunkIndex === 3) {
            if (this.throwTypeError)
                throw new TypeError(`cannot take chunk ${chunkIndex}`);
            throw new GLib.Error(PickyError, 7, `no room for chunk ${chunkIndex}`);
        }
        this.taken.push(chunkIndex);
        return true;
    }
});

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

function pickyRun(pool, picky) {
    const [ints] = countingMemory(100);
    const orchestrator = Mpaio.Orchestrator.new(pool);

    orchestrator.add(picky, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 100, 10));
    return orchestrator;
}

// Before the first await: no main loop callback is running yet.
const pool = Mpaio.ProcessPool.new(1);
const blocking = new Picky();
const blockingError = (() => {
    try {
        pickyRun(pool, blocking).run(null);
    } catch (e) {
        return e;
    }
    return null;
})();

test('Orchestrator.run() waits for the run, outside the main loop', async () => {
    assertGError(blockingError, PickyError, 7, 'no room for chunk 3');
    assertDeepEqual(blocking.taken, [0, 1, 2], 'chunks taken');
});

test('a GLib.Error thrown in vfunc_process_callback_full fails the run with it', async () => {
    const picky = new Picky();
    const error = await rejection(pickyRun(pool, picky).run_async(null));

    assertGError(error, PickyError, 7, 'no room for chunk 3');
    assertDeepEqual(picky.taken, [0, 1, 2], 'chunks taken');
});

test('any other exception fails the run too, as itself', async () => {
    const picky = new Picky();
    picky.throwTypeError = true;
    const error = await rejection(pickyRun(pool, picky).run_async(null));

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertEqual(error.message, 'cannot take chunk 3', 'message');
});

test('Orchestrator.run() refuses to run inside the main loop', async () => {
    const error = (() => {
        try {
            pickyRun(pool, new Picky()).run(null);
        } catch (e) {
            return e;
        }
        return null;
    })();

    assertGError(error, Mpaio.Error, Mpaio.Error.WRONG_CONTEXT, 'run_async');
});

await run();
