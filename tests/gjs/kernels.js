// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Functions for MpaioJs.map(): an ES module that exports them, and makes
// them known to map() by its URL. Worker processes that re-run a test have
// imported it already; others import it by its URL.

import GLib from 'gi://GLib';

const MpaioJs = imports.mpaio;

export function sum(values) {
    let total = typeof values[0] === 'bigint' ? 0n : 0;

    for (const value of values)
        total += value;
    return total;
}

// One result of every kind map() sends back.
export function describe(values) {
    return {
        length: values.length,
        first: values[0],
        text: `from ${values[0]}`,
        even: values[0] % 2 === 0,
        doubled: values.map(v => v * 2),
        nothing: null,
        missing: undefined,
        big: 2n ** 70n,
        list: [1.5, 'a', [true]],
    };
}

export function failOnOdd(values) {
    if (values[0] % 2)
        throw new RangeError(`odd start ${values[0]}`);
    return values[0];
}

// Sums the first chunk (which starts with 1); never returns on the others,
// so that only cancelling ends a map of several chunks.
export function stallAfterFirst(values) {
    if (values[0] !== 1)
        new GLib.MainLoop(null, false).run();
    return sum(values);
}

// An error class of this module's own: exported with exportFunctions(), it
// is rebuilt in the caller.
export class KernelError extends Error {
    name = 'KernelError';
}

export function failWithKernelError(values) {
    throw new KernelError(`bad chunk at ${values[0]}`);
}

export function unsupported() {
    return new Map();
}

MpaioJs.exportFunctions(import.meta.url, {
    sum, describe, failOnOdd, stallAfterFirst, unsupported, failWithKernelError, KernelError,
});
