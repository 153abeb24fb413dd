// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Cancelling runs with a Gio.Cancellable.

import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {test, run, assert, assertEqual, assertGError, countingMemory, rejection} from './harness.js';
import {SumInt64} from './workers.js';

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

test('cancelling mid-run fails it with CANCELLED; the pool and orchestrator run again', async () => {
    const N = 100_000;
    const CHUNK = 10;
    const [ints, expectedSum] = countingMemory(N);
    const pool = Mpaio.ProcessPool.new(2);
    const sum = new SumInt64();
    const orchestrator = Mpaio.Orchestrator.new(pool);
    const cancellable = new Gio.Cancellable();

    orchestrator.add(sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', N, CHUNK));

    // Cancel when the first results are in, with thousands of chunks to go.
    const handler = orchestrator.connect('notify::n-chunks-done', () => cancellable.cancel());
    const error = await rejection(orchestrator.run_async(cancellable));
    orchestrator.disconnect(handler);

    assertGError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assert(sum.delivered.length > 0, 'no chunk was delivered before the cancellation');
    assert(sum.delivered.length < N / CHUNK, 'every chunk was delivered');
    assert(orchestrator.n_chunks_done < orchestrator.n_chunks_total, 'the run completed');
    assert(!orchestrator.is_running(), 'the orchestrator still runs');

    // Another orchestrator on the same pool.
    const second = new SumInt64();
    const other = Mpaio.Orchestrator.new(pool);
    other.add(second, Mpaio.DataIterator.new_for_dtype(ints, '<i8', N, 1000));
    await other.run_async(null);
    assertEqual(second.total, expectedSum, 'sum on the same pool');

    // The cancelled orchestrator itself, with its worker's state reset.
    sum.total = 0n;
    sum.delivered = [];
    await orchestrator.run_async(null);
    assertEqual(sum.total, expectedSum, 'sum on the same orchestrator');
    assertEqual(sum.delivered.length, N / CHUNK, 'chunks delivered');
});

test('a run with an already cancelled cancellable fails at once, and nothing runs', async () => {
    const [ints] = countingMemory(10);
    const pool = Mpaio.ProcessPool.new(2);
    const sum = new SumInt64();
    const orchestrator = Mpaio.Orchestrator.new(pool);
    const cancellable = new Gio.Cancellable();

    orchestrator.add(sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 10, 1));
    cancellable.cancel();
    const error = await rejection(orchestrator.run_async(cancellable));

    assertGError(error, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(sum.delivered.length, 0, 'chunks delivered');
    assertEqual(pool.n_workers, 0, 'worker processes started');
});

test('cancelling one run leaves another run on the same pool alone', async () => {
    const N = 100_000;
    const [ints, expectedSum] = countingMemory(N);
    const pool = Mpaio.ProcessPool.new(2);
    const cancelled = Mpaio.Orchestrator.new(pool);
    const kept = Mpaio.Orchestrator.new(pool);
    const keptSum = new SumInt64();
    const cancellable = new Gio.Cancellable();

    cancelled.add(new SumInt64(), Mpaio.DataIterator.new_for_dtype(ints, '<i8', N, 10));
    kept.add(keptSum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', N, 10));
    cancelled.connect('notify::n-chunks-done', () => cancellable.cancel());

    const [cancelledResult, keptResult] = await Promise.allSettled([
        cancelled.run_async(cancellable),
        kept.run_async(null),
    ]);

    assertEqual(cancelledResult.status, 'rejected', 'the cancelled run');
    assertGError(cancelledResult.reason, Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED);
    assertEqual(keptResult.status, 'fulfilled', `the other run (${keptResult.reason})`);
    assertEqual(keptSum.total, expectedSum, 'sum of the other run');
});

await run();
