// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Runs examples/gjs/map.js (its path is the first argument) and checks what
// it prints.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import System from 'system';

import {test, run, assertEqual} from './harness.js';

Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async', 'communicate_utf8_finish');

const [example] = System.programArgs;

test('the map example prints ten sums in order, then the worker\'s RangeError', async () => {
    const gjs = GLib.file_read_link('/proc/self/exe');
    const process = Gio.Subprocess.new([gjs, '-m', example],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    const [stdout, stderr] = await process.communicate_utf8_async(null, null);
    const sums = Array.from({length: 10}, (_, i) => (2 * i * 100_000 + 100_001) * 50_000);

    assertEqual(process.get_exit_status(), 0, `exit status (stderr: ${stderr})`);
    assertEqual(stdout, `${sums.join(',')}\n` +
        'RangeError: MpaioGjsMap failed on chunk 0 (elements 0 to 500000): ' +
        '5 values are not positive\n', 'output');
});

await run();
