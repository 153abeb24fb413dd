// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A small TAP harness for the GJS suite. Tests are async functions, run one
// after the other; while a test awaits, GJS runs the default main context,
// which is where the pools live and results are delivered. Nothing sleeps.

import GLib from 'gi://GLib';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';
import System from 'system';

Gio._promisify(Mpaio.Orchestrator.prototype, 'run_async', 'run_finish');
Gio._promisify(Mpaio.ProcessPool.prototype, 'start_async', 'start_finish');
Gio._promisify(Mpaio.ProcessPool.prototype, 'shutdown_async', 'shutdown_finish');
Gio._promisify(Gio.Subprocess.prototype, 'communicate_utf8_async', 'communicate_utf8_finish');

const tests = [];

export function test(name, func) {
    tests.push({name, func});
}

// Runs the tests registered so far, prints TAP, and exits with 1 if one
// failed.
export async function run() {
    let failed = 0;

    print(`1..${tests.length}`);
    for (const [i, {name, func}] of tests.entries()) {
        try {
            await func();
            print(`ok ${i + 1} - ${name}`);
        } catch (e) {
            failed++;
            print(`not ok ${i + 1} - ${name}`);
            for (const line of `${e}\n${e.stack ?? ''}`.trimEnd().split('\n'))
                print(`# ${line}`);
        }
    }

    System.exit(failed > 0 ? 1 : 0);
}

export class AssertionError extends Error {
    name = 'AssertionError';
}

export function assert(condition, message) {
    if (!condition)
        throw new AssertionError(message);
}

export function assertEqual(actual, expected, what = 'value') {
    const show = v => typeof v === 'string' ? JSON.stringify(v) : String(v);

    if (actual !== expected)
        throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

export function assertDeepEqual(actual, expected, what = 'value') {
    const show = v => JSON.stringify(v, (_, x) => typeof x === 'bigint' ? `${x}n` : x);

    if (show(actual) !== show(expected))
        throw new AssertionError(`${what}: expected ${show(expected)}, got ${show(actual)}`);
}

// Checks that `error` is a GLib.Error of `domain` (an error enum such as
// Mpaio.Error, or a quark) and `code`, whose message contains each of
// `fragments`.
export function assertGError(error, domain, code, ...fragments) {
    assert(error instanceof GLib.Error,
        `expected a GLib.Error, got ${error?.constructor?.name}: ${error}`);
    assert(error.matches(domain, code),
        `expected error code ${code} of domain ${domain}, got ` +
        `${GLib.quark_to_string(error.domain)} ${error.code}: ${error.message}`);
    assertMessage(error, ...fragments);
}

export function assertMessage(error, ...fragments) {
    for (const fragment of fragments) {
        assert(error.message.includes(fragment),
            `expected the message to contain ${JSON.stringify(fragment)}: ${error.message}`);
    }
}

// Runs this very gjs with `args`; resolves to its exit status and output.
export async function runGjs(...args) {
    const gjs = GLib.file_read_link('/proc/self/exe');
    const process = Gio.Subprocess.new([gjs, ...args],
        Gio.SubprocessFlags.STDOUT_PIPE | Gio.SubprocessFlags.STDERR_PIPE);
    const [stdout, stderr] = await process.communicate_utf8_async(null, null);

    return {status: process.get_exit_status(), stdout, stderr};
}

// Returns what `promise` rejects with; fails if it resolves.
export async function rejection(promise) {
    try {
        await promise;
    } catch (e) {
        return e;
    }
    throw new AssertionError('expected a failure, but it succeeded');
}

// Returns what `func` throws; fails if it returns.
export function exception(func) {
    try {
        func();
    } catch (e) {
        return e;
    }
    throw new AssertionError('expected an exception, but none was thrown');
}

// A sealed memory holding `values` (BigInts or Numbers) as int64.
export function int64Memory(values) {
    const array = BigInt64Array.from(values, BigInt);

    return Mpaio.SharedMemory.new_from_bytes(new GLib.Bytes(new Uint8Array(array.buffer)));
}

// 1..n as int64, and their sum.
export function countingMemory(n) {
    const values = Array.from({length: n}, (_, i) => BigInt(i + 1));

    return [int64Memory(values), BigInt(n) * BigInt(n + 1) / 2n];
}
