// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Runs examples/gjs/sum-and-concat.js (its path is the first argument), on
// a smaller array, and checks what it prints.

import System from 'system';

import {test, run, assert, assertEqual, runGjs} from './harness.js';

const [example] = System.programArgs;

function runExample(...args) {
    return runGjs('-m', example, ...args);
}

test('the example sums, concatenates in order and times one run on two workers', async () => {
    const {status, stdout, stderr} = await runExample('--workers', '2', '--ints', '1000000');
    const lines = stdout.trimEnd().split('\n');
    const strings = Array.from({length: 100}, (_, i) => `foo_${i}`).join('');

    assertEqual(status, 0, `exit status (stderr: ${stderr})`);
    assertEqual(lines.length, 3, 'lines');
    assertEqual(lines[0], '500000500000', 'sum');
    assertEqual(lines[1], strings, 'concatenation');
    assert(/^elapsed: \d+\.\d{3} s with 2 workers \(7 chunks\)$/.test(lines[2]), `elapsed line: ${lines[2]}`);
});

test('the example refuses arguments it does not know', async () => {
    const {status, stderr} = await runExample('--bogus');

    assertEqual(status, 2, 'exit status');
    assert(stderr.startsWith('Usage:'), `stderr: ${stderr}`);
});

await run();
