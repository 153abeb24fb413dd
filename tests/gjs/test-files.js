// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Files as input from GJS: the introspected constructors, a raw file and a
// .npy file summed by a process pool, and a header Mpaio refuses.

import GLib from 'gi://GLib';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

import {test, run, assertEqual, assertDeepEqual, assertGError, exception} from './harness.js';
import {SumInt64} from './workers.js';

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

const N = 10000;
const dir = GLib.dir_make_tmp('mpaio-gjs-files-XXXXXX');

function int64Bytes(n) {
    return new Uint8Array(BigInt64Array.from({length: n}, (_, i) => BigInt(i + 1)).buffer);
}

// A version 1.0 .npy file: magic, version, header length, the header
// padded so that the data starts at a multiple of 64, then the data.
function npyBytes(dict, data) {
    const start = Math.ceil((10 + dict.length + 1) / 64) * 64;
    const header = `${dict}${' '.repeat(start - 10 - dict.length - 1)}\n`;
    const bytes = new Uint8Array(10 + header.length + data.length);

    bytes.set([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, header.length, 0]);
    bytes.set(new TextEncoder().encode(header), 10);
    bytes.set(data, 10 + header.length);
    return bytes;
}

const paths = [];

function writeFile(name, bytes) {
    const path = GLib.build_filenamev([dir, name]);

    GLib.file_set_contents(path, bytes);
    paths.push(path);
    return path;
}

async function sum(memory) {
    const adder = new SumInt64();
    const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(2));

    orchestrator.add(adder, Mpaio.DataIterator.new_for_array(memory, 1000));
    await orchestrator.run_async(null);
    return adder.total;
}

test('a raw file with an offset is summed by a process pool', async () => {
    const bytes = new Uint8Array(8 + N * 8);
    bytes.set(int64Bytes(N), 8);
    const memory = Mpaio.SharedMemory.new_for_path(writeFile('values.raw', bytes), '<i8', 8);

    assertDeepEqual(memory.get_shape(), [N], 'shape');
    assertEqual(await sum(memory), BigInt(N) * BigInt(N + 1) / 2n, 'sum');
});

test('a .npy file gives its dtype and shape', async () => {
    const dict = `{'descr': '<i8', 'fortran_order': False, 'shape': (${N / 10}, 10), }`;
    const memory = Mpaio.SharedMemory.new_for_path(writeFile('values.npy', npyBytes(dict, int64Bytes(N))),
        null, 0);

    assertEqual(memory.get_dtype(), '<i8', 'dtype');
    assertDeepEqual(memory.get_shape(), [N / 10, 10], 'shape');
    assertEqual(memory.get_array_offset(), 128, 'offset');
    assertEqual(await sum(memory), BigInt(N) * BigInt(N + 1) / 2n, 'sum');
});

test('a Fortran-ordered .npy file is refused with INVALID_LAYOUT', () => {
    const dict = "{'descr': '<i8', 'fortran_order': True, 'shape': (2, 2), }";
    const path = writeFile('fortran.npy', npyBytes(dict, int64Bytes(4)));

    assertGError(exception(() => Mpaio.SharedMemory.new_for_path(path, null, 0)),
        Mpaio.Error, Mpaio.Error.INVALID_LAYOUT, 'Fortran');
});

test('the files are removed', () => {
    for (const path of paths)
        assertEqual(GLib.unlink(path), 0, `unlink ${path}`);
    assertEqual(GLib.rmdir(dir), 0, `rmdir ${dir}`);
});

await run();
