// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Only Mpaio's executors implement Mpaio.Executor: a JavaScript class that
// lists it among its interfaces gets clear errors, never a crash.

import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {test, run, assertEqual, assertGError, int64Memory, rejection} from './harness.js';
import {SumInt64} from './workers.js';

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

const JsExecutor = GObject.registerClass({
    GTypeName: 'MpaioGjsTestExecutor',
    Implements: [Mpaio.Executor],
    Properties: {
        'max-workers': GObject.ParamSpec.uint('max-workers', null, null,
            GObject.ParamFlags.READWRITE | GObject.ParamFlags.CONSTRUCT_ONLY, 1, 1000, 1),
    },
}, class JsExecutor extends GObject.Object {});

Gio._promisify(JsExecutor.prototype, 'shutdown_async', 'shutdown_finish');

const refusal = "only Mpaio's own executors can implement it";

test('a run on a JavaScript executor fails with a clear error', async () => {
    const orchestrator = Mpaio.Orchestrator.new(new JsExecutor());

    orchestrator.add(new SumInt64(), Mpaio.DataIterator.new(int64Memory([1]), 8, 1, 1));
    const error = await rejection(orchestrator.run_async(null));

    assertGError(error, Mpaio.Error, Mpaio.Error.FAILED, 'MpaioGjsTestExecutor', refusal);
    assertEqual(orchestrator.running, false, 'running');
});

test('a shutdown of a JavaScript executor fails with a clear error', async () => {
    const error = await rejection(new JsExecutor().shutdown_async(null));

    assertGError(error, Mpaio.Error, Mpaio.Error.FAILED, refusal);
});

test('pools made with new and no properties have one worker per processor', async () => {
    for (const pool of [new Mpaio.ProcessPool(), new Mpaio.ThreadPool()]) {
        assertEqual(pool.get_max_workers(), GLib.get_num_processors(), 'max workers');
        assertEqual(pool.max_workers, GLib.get_num_processors(), 'max-workers');
    }
});

await run();
