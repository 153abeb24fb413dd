// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Runs the MpaioJs examples, examples/gjs/map.js and errors.js (their
// directory is the first argument), and checks what they print.

import System from 'system';

import {test, run, assertEqual, runGjs} from './harness.js';

const [examples] = System.programArgs;

test('map.js prints ten sums in order, then the worker\'s RangeError', async () => {
    const {status, stdout, stderr} = await runGjs('-m', `${examples}/map.js`);
    const sums = Array.from({length: 10}, (_, i) => (2 * i * 100_000 + 100_001) * 50_000);

    assertEqual(status, 0, `exit status (stderr: ${stderr})`);
    assertEqual(stdout, `${sums.join(',')}\n` +
        'RangeError: MpaioGjsMap failed on chunk 0 (elements 0 to 500000): ' +
        '5 values are not positive\n', 'output');
});

test('errors.js shows a worker\'s RangeError with its stack, then a failed callback', async () => {
    const {status, stdout, stderr} = await runGjs('-m', `${examples}/errors.js`);

    assertEqual(status, 0, `exit status (stderr: ${stderr})`);
    assertEqual(stdout, 'all positive\n' +
        'RangeError: ExampleJsCheckPositive failed on chunk 1 (elements 2 to 4): ' +
        'chunk 1 has a value that is not positive\n' +
        'vfunc_process@…/errors.js:36:19\n' +
        'Error: more than 1 chunks\n', 'output');
});

await run();
