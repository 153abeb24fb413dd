// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A pool whose workers run an explicit worker program, worker-main.js,
// instead of this script again.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';

import {test, run, assert, assertEqual, assertDeepEqual, assertGError, countingMemory, rejection} from './harness.js';
import {SumInt64} from './workers.js';

// No serving here: the workers never run this script, so a class defined
// in it is unknown to them.
const LocalWorker = GObject.registerClass({
    GTypeName: 'MpaioGjsTestLocalWorker',
    Implements: [Mpaio.Worker],
}, class LocalWorker extends GObject.Object {
    vfunc_process() {
        return new GLib.Variant('b', true);
    }
});

const gjs = GLib.file_read_link('/proc/self/exe');
const workerMain = Gio.File.new_for_uri(import.meta.url).get_parent().get_child('worker-main.js').get_path();
const argv = [gjs, '-m', workerMain];

function commandLine(pid) {
    const [, contents] = GLib.file_get_contents(`/proc/${pid}/cmdline`);
    return new TextDecoder().decode(contents).split('\0').filter(arg => arg.length > 0);
}

test('a pool for an explicit worker program runs chunks in that program', async () => {
    const [ints, expectedSum] = countingMemory(10_000);
    const pool = Mpaio.ProcessPool.new_for_argv(argv, 2);
    const sum = new SumInt64();
    const orchestrator = Mpaio.Orchestrator.new(pool);

    assertDeepEqual(pool.get_argv(), argv, 'argv');
    orchestrator.add(sum, Mpaio.DataIterator.new_for_dtype(ints, '<i8', 10_000, 100));
    await orchestrator.run_async(null);

    assertEqual(sum.total, expectedSum, 'sum');
    const pids = pool.dup_worker_pids();
    assert(pids.length > 0, 'no worker process');
    for (const pid of pids)
        assertDeepEqual(commandLine(pid), argv, `command line of worker ${pid}`);
});

test('a class the worker program does not import fails with UNKNOWN_WORKER_TYPE', async () => {
    const pool = Mpaio.ProcessPool.new_for_argv(argv, 1);
    const orchestrator = Mpaio.Orchestrator.new(pool);
    const [ints] = countingMemory(1);

    orchestrator.add(new LocalWorker(), Mpaio.DataIterator.new(ints, 8, 1, 1));
    const error = await rejection(orchestrator.run_async(null));

    assertGError(error, Mpaio.Error, Mpaio.Error.UNKNOWN_WORKER_TYPE, '“MpaioGjsTestLocalWorker”');
});

await run();
