#!/usr/bin/env -S gjs -m
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// MpaioJs.map(): a function exported from an ES module (kernels.js) on each
// chunk of a typed array, in worker processes; results in chunk order. The
// workers are this script again. From a build tree:
//
//   GI_TYPELIB_PATH=build/mpaio LD_LIBRARY_PATH=build/mpaio GJS_PATH=bindings/gjs \
//       gjs -m examples/gjs/map.js

import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {sum, checkPositive} from './kernels.js';

const MpaioJs = imports.mpaio;

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

const values = Float64Array.from({length: 1_000_000}, (_, i) => i + 1);
const pool = Mpaio.ProcessPool.new(2);

// Ten sums, in chunk order.
print(await MpaioJs.map(pool, sum, values, {chunkSize: 100_000}));

try {
    await MpaioJs.map(pool, checkPositive, values.map(value => value - 5));
} catch (e) {
    // A RangeError: the worker's message, then its stack.
    print(`${e.name}: ${e.message.split('\n')[0]}`);
}
