// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The functions examples/gjs/map.js maps: an ES module that exports them and
// makes them known to MpaioJs.map(), which finds them in worker processes
// by this module's URL and their names.

const MpaioJs = imports.mpaio;

export function sum(values) {
    let total = 0;

    for (const value of values)
        total += value;
    return total;
}

export function checkPositive(values) {
    const bad = values.filter(value => value <= 0).length;

    if (bad > 0)
        throw new RangeError(`${bad} values are not positive`);
    return true;
}

MpaioJs.exportFunctions(import.meta.url, {sum, checkPositive});
