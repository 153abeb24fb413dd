// SPDX-License-Identifier: LGPL-2.1-or-later
//
// How failures in JavaScript worker code reach the caller.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {
    test, run, assert, assertEqual, assertDeepEqual, assertGError, assertMessage,
    countingMemory, rejection, exception,
} from './harness.js';
import {Failing, JsFailing, SumInt64, TestError, TestErrorCode} from './workers.js';

const MpaioJs = imports.mpaio;

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

// GJS sends any exception other than a GLib.Error in its own error domain,
// which it registers lazily: this process has not seen it yet, and Mpaio
// must still hand the exception back as what it was.

const pool = Mpaio.ProcessPool.new(2);

// Runs a Failing worker in `mode` over 4 chunks, failing on chunk 2.
async function runFailing(mode, failOn = 2) {
    const [ints] = countingMemory(4);
    const failing = new Failing({mode, failOn});
    const orchestrator = Mpaio.Orchestrator.new(pool);

    orchestrator.add(failing, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 4, 1));
    const error = await rejection(orchestrator.run_async(null));
    return [error, failing];
}

// Sums 1..n in chunks of chunkSize on `pool`, as a pool that still works does.
async function assertRunsAgain(pool_, n, chunkSize) {
    const [ints, expectedSum] = countingMemory(n);
    const sum = new SumInt64();
    const again = Mpaio.Orchestrator.new(pool_);

    again.add(sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', n, chunkSize));
    await again.run_async(null);
    assertEqual(sum.total, expectedSum, 'sum');
}

const WHERE = 'MpaioGjsTestFailing failed on chunk 2 (elements 2 to 3): ';

// First, before any GError has been converted in this process.
test('another exception arrives as the same JavaScript error', async () => {
    const [error] = await runFailing('type-error');

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertEqual(error.message, WHERE + 'chunk 2 is not a number', 'message');
});

test('a GLib.Error thrown by worker code keeps its domain, code and message', async () => {
    const [error] = await runFailing('io-error');

    assertGError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND, WHERE + 'no data for chunk 2');
});

test('an application\'s own error domain crosses too', async () => {
    const [error] = await runFailing('app-error');

    assertGError(error, TestError, TestErrorCode.BAD_CHUNK, WHERE + 'chunk 2 is bad');
});

test('an exception of a class of its own arrives as an Error', async () => {
    const [error] = await runFailing('custom-error');

    assertEqual(error.constructor, Error, 'class');
    assertEqual(error.message, WHERE + 'chunk 2 is odd', 'message');
});

test('an exception thrown by the engine arrives with its message', async () => {
    const [error] = await runFailing('engine-error');

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertMessage(error, WHERE, 'this.missing is undefined');
});

test('returning null fails the run with INVALID_RESULT', async () => {
    const [error] = await runFailing('null');

    assertGError(error, Mpaio.Error, Mpaio.Error.INVALID_RESULT,
        WHERE, 'returned no result and no error for chunk 2');
});

test('returning undefined fails the run with an Error', async () => {
    const [error] = await runFailing('undefined');

    assertEqual(error.constructor, Error, 'class');
    assertMessage(error, WHERE, 'Return value', 'undefined');
});

test('a result of another type than vfunc_dup_result_type() fails with INVALID_RESULT', async () => {
    const [error, failing] = await runFailing('wrong-type', 0);

    assertGError(error, Mpaio.Error, Mpaio.Error.INVALID_RESULT, 'type “s”', 'result type is “x”');
    assert(!failing.delivered.includes(0), 'the wrong result reached vfunc_process_callback');
});

test('without registerWorker(), an exception in vfunc_process_callback is logged, and the run goes on', async () => {
    const [ints] = countingMemory(4);
    const failing = new Failing({mode: 'callback-throws'});
    const orchestrator = Mpaio.Orchestrator.new(pool);

    orchestrator.add(failing, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 4, 1));
    await orchestrator.run_async(null);

    assertDeepEqual(failing.delivered.sort(), [0, 1, 2, 3], 'chunks delivered');
});

// Runs a JsFailing worker (MpaioJs.registerWorker) over 4 chunks.
function startJsFailing(properties, cancellable = null) {
    const [ints] = countingMemory(4);
    const failing = new JsFailing(properties);
    const orchestrator = Mpaio.Orchestrator.new(pool);

    orchestrator.add(failing, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 4, 1));
    return [orchestrator.run_async(cancellable), failing, orchestrator];
}

const JS_WHERE = 'MpaioGjsTestJsFailing failed on chunk 2 (elements 2 to 3): ';

// The message, an empty line, the heading of the worker's stack, its frames.
function assertStack(error, firstLine) {
    const [first, blank, heading, ...frames] = error.message.split('\n');

    assertEqual(first, firstLine, 'first line');
    assertEqual(blank, '', 'second line');
    assert(/^Stack of worker process \d+:$/.test(heading), heading);
    assert(frames.some(frame => /^vfunc_process@file:\/\/.*\/workers\.js:\d+:\d+$/.test(frame)),
        frames.join('\n'));
    assert(!error.message.includes('/mpaio.js:'), 'the helper\'s frames are left out');
}

test('registerWorker(): an exception keeps its class and carries the worker\'s stack', async () => {
    const [promise] = startJsFailing({mode: 'type-error', failOn: 2});
    const error = await rejection(promise);

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertStack(error, JS_WHERE + 'chunk 2 is not a number');
});

test('registerWorker(): a class of its own, not exported, arrives as an Error that names it', async () => {
    const [promise] = startJsFailing({mode: 'custom-error', failOn: 2});
    const error = await rejection(promise);

    assertEqual(error.constructor, Error, 'class');
    assertStack(error, JS_WHERE + 'CustomError: chunk 2 is odd');
    assert(!error.message.includes('[mpaio-js-exception]'), 'no class to rebuild');
});

test('registerWorker(): a thrown string arrives as an Error', async () => {
    const [promise] = startJsFailing({mode: 'string', failOn: 2});
    const error = await rejection(promise);

    assertEqual(error.constructor, Error, 'class');
    assertMessage(error, JS_WHERE + 'chunk 2 threw a string\n\nStack of worker process');
});

test('registerWorker(): a GLib.Error is left as it is', async () => {
    const [promise] = startJsFailing({mode: 'io-error', failOn: 2});

    assertGError(await rejection(promise), Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND,
        JS_WHERE + 'no data for chunk 2');
});

test('registerWorker(): a vfunc_process_callback() exception fails the run', async () => {
    const cancellable = new Gio.Cancellable();
    const [promise, failing, orchestrator] = startJsFailing({mode: 'callback-throws'},
        cancellable);
    const error = await rejection(promise);

    assert(error instanceof RangeError, `expected a RangeError, got ${error}`);
    assertMessage(error, 'the callback failed on chunk');
    assertEqual(failing.delivered.length, 1, 'chunks delivered');
    assert(!cancellable.is_cancelled(), 'the caller\'s cancellable was cancelled');
    assert(!orchestrator.is_running(), 'the orchestrator still runs');

    await assertRunsAgain(pool, 100, 10);
});

test('registerWorker(): run_finish() throws the callback\'s exception', async () => {
    const [ints] = countingMemory(4);
    const orchestrator = Mpaio.Orchestrator.new(pool);
    orchestrator.add(new JsFailing({mode: 'callback-throws'}),
        Mpaio.DataIterator.new_for_dtype(ints, '<i8', 4, 1));

    const error = await new Promise(resolve => {
        orchestrator.run_async(null, (self, result) => {
            try {
                self.run_finish(result);
                resolve(null);
            } catch (e) {
                resolve(e);
            }
        });
    });

    assert(error instanceof RangeError, `expected a RangeError, got ${error}`);
});

test('registerWorker() needs a GTypeName', () => {
    const error = exception(() => MpaioJs.registerWorker({}, class Anonymous extends GObject.Object {}));

    assert(error instanceof TypeError, `expected a TypeError, got ${error}`);
    assertMessage(error, 'Anonymous needs an explicit GTypeName');
});

test('a chunk view is the read-only mapping: writing to it fails the run with READ_ONLY', async () => {
    const crashPool = Mpaio.ProcessPool.new(1);
    const [ints] = countingMemory(4);
    const failing = new Failing({mode: 'write', failOn: 0});
    const orchestrator = Mpaio.Orchestrator.new(crashPool);

    orchestrator.add(failing, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 4, 4));
    const error = await rejection(orchestrator.run_async(null));

    // The worker's fault is told as what it is, not as a signal number.
    assertGError(error, Mpaio.Error, Mpaio.Error.READ_ONLY,
        'MpaioGjsTestFailing', 'chunk 0', 'wrote to the read-only input, at byte 0');

    // The pool replaced the worker and runs again.
    await assertRunsAgain(crashPool, 4, 2);
});

test('after a failed run the pool runs again', async () => {
    await runFailing('io-error');
    await assertRunsAgain(pool, 1000, 10);
});

await run();
