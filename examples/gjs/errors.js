#!/usr/bin/env -S gjs -m
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// How failures reach the caller from JavaScript workers registered with
// MpaioJs.registerWorker(): an exception in vfunc_process() arrives as its
// class, with the worker's stack in its message; an exception in
// vfunc_process_callback() fails the run. The workers are this script again.
// From a build tree:
//
//   GI_TYPELIB_PATH=build/mpaio LD_LIBRARY_PATH=build/mpaio GJS_PATH=bindings/gjs \
//       gjs -m examples/gjs/errors.js

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

const MpaioJs = imports.mpaio;

// Checks that every int64 of its chunk is positive; in the caller, refuses
// results after `limit` chunks.
const CheckPositive = MpaioJs.registerWorker({
    GTypeName: 'ExampleJsCheckPositive',
    Properties: {
        'limit': GObject.ParamSpec.int('limit', null, null, GObject.ParamFlags.READWRITE,
            0, 1000, 1000),
    },
}, class CheckPositive extends GObject.Object {
    nChecked = 0;  // in the caller

    vfunc_process(chunk) {
        const bytes = chunk.dup_bytes().toArray();
        const values = new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);

        if (values.some(value => value <= 0n))
            throw new RangeError(`chunk ${chunk.get_index()} has a value that is not positive`);
        return new GLib.Variant('b', true);
    }

    vfunc_process_callback() {
        if (++this.nChecked > this.limit)
            throw new Error(`more than ${this.limit} chunks`);
    }
});

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

// Runs CheckPositive over `values`, 2 per chunk; prints how it ends.
async function check(pool, values, properties) {
    const bytes = new Uint8Array(BigInt64Array.from(values).buffer);
    const memory = Mpaio.SharedMemory.new_from_bytes(new GLib.Bytes(bytes));
    const orchestrator = Mpaio.Orchestrator.new(pool);

    orchestrator.add(new CheckPositive(properties),
        Mpaio.DataIterator.new_for_dtype(memory, '<i8', values.length, 2));
    try {
        await orchestrator.run_async(null);  // a Promise, with MpaioJs loaded
        print('all positive');
    } catch (e) {
        const [message, , heading, firstFrame] = e.message.split('\n');
        print(`${e.name}: ${message}`);
        if (heading)  // the worker's stack follows the message
            print(firstFrame.replace(/@.*\//, '@…/'));
    }
}

const pool = Mpaio.ProcessPool.new(2);
await check(pool, [1n, 2n, 3n, 4n], {});
await check(pool, [1n, 2n, -3n, 4n], {});
await check(pool, [1n, 2n, 3n, 4n], {limit: 1});
