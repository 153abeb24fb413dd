// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Worker classes of the GJS suite. Every test script imports this module
// before it serves, so the classes exist in the worker processes under the
// same GType names; worker-main.js imports it too, for the pools that run an
// explicit worker program.

import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Gio from 'gi://Gio';
import Mpaio from 'gi://Mpaio?version=1';

// An application's own error domain: made at module level, it exists in the
// caller and in every worker process.
export const TestError = GLib.quark_from_string('mpaio-gjs-test-error');
export const TestErrorCode = {BAD_CHUNK: 7};

const READWRITE = GObject.ParamFlags.READWRITE;

// The chunk's elements as int64, viewing the worker's mapping.
function int64View(chunk) {
    const bytes = chunk.dup_bytes().toArray();

    return new BigInt64Array(bytes.buffer, bytes.byteOffset,
        bytes.byteLength / BigInt64Array.BYTES_PER_ELEMENT);
}

// Exact, where Variant.unpack() gives a Number.
function int64FromVariant(variant) {
    return BigInt(variant.print(false));
}

// Sums int64 chunks; in the caller, keeps the exact total and every chunk
// index delivered.
export const SumInt64 = GObject.registerClass({
    GTypeName: 'MpaioGjsTestSumInt64',
    Implements: [Mpaio.Worker],
}, class SumInt64 extends GObject.Object {
    total = 0n;
    delivered = [];

    vfunc_process(chunk) {
        const values = int64View(chunk);
        let sum = 0n;

        for (let i = 0; i < values.length; i++)
            sum += values[i];
        return new GLib.Variant('x', sum);
    }

    vfunc_dup_result_type() {
        return new GLib.VariantType('x');
    }

    vfunc_process_callback(chunkIndex, result) {
        this.total += int64FromVariant(result);
        this.delivered.push(chunkIndex);
    }
});

// Concatenates NUL-padded fixed-width strings; in the caller, keeps the
// parts by chunk index.
export const ConcatRecords = GObject.registerClass({
    GTypeName: 'MpaioGjsTestConcatRecords',
    Implements: [Mpaio.Worker],
}, class ConcatRecords extends GObject.Object {
    parts = [];

    vfunc_process(chunk) {
        const records = chunk.dup_bytes().toArray();
        const width = chunk.get_element_size();
        const decoder = new TextDecoder();
        let text = '';

        for (let offset = 0; offset < records.length; offset += width) {
            const record = records.subarray(offset, offset + width);
            const length = record.indexOf(0);
            text += decoder.decode(length < 0 ? record : record.subarray(0, length));
        }
        return new GLib.Variant('s', text);
    }

    vfunc_process_callback(chunkIndex, result) {
        this.parts[chunkIndex] = result.unpack();
    }

    get text() {
        return this.parts.join('');
    }
});

// Reports what the worker process saw: its pid, the chunk, the chunk's
// elements and the worker's state. One GObject property per basic type,
// and a plain field, which does not cross.
export const Describe = GObject.registerClass({
    GTypeName: 'MpaioGjsTestDescribe',
    Implements: [Mpaio.Worker],
    Properties: {
        'label': GObject.ParamSpec.string('label', null, null, READWRITE, null),
        'factor': GObject.ParamSpec.int('factor', null, null, READWRITE, -1000, 1000, 1),
        'big': GObject.ParamSpec.int64('big', null, null, READWRITE,
            Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 0),
        'scale': GObject.ParamSpec.double('scale', null, null, READWRITE, -1e9, 1e9, 1),
        'enabled': GObject.ParamSpec.boolean('enabled', null, null, READWRITE, false),
        'tags': GObject.ParamSpec.boxed('tags', null, null, READWRITE,
            GObject.type_from_name('GStrv')),
        'blob': GObject.ParamSpec.boxed('blob', null, null, READWRITE, GLib.Bytes.$gtype),
        'extra': GObject.param_spec_variant('extra', null, null,
            new GLib.VariantType('a{sv}'), null, READWRITE),
        'flags': GObject.ParamSpec.flags('flags', null, null, READWRITE,
            Gio.FileCreateFlags.$gtype, Gio.FileCreateFlags.NONE),
    },
}, class Describe extends GObject.Object {
    seen = [];  // by chunk index, in the caller
    calls = 0;  // in a worker process

    vfunc_process(chunk) {
        this.calls++;

        const v = (type, value) => new GLib.Variant(type, value);
        const maybe = (type, value) => new GLib.Variant(`m${type}`, value ?? null);

        return new GLib.Variant('a{sv}', {
            pid: v('x', Gio.Credentials.new().get_unix_pid()),
            index: v('t', chunk.get_index()),
            start: v('t', chunk.get_start()),
            end: v('t', chunk.get_end()),
            nElements: v('t', chunk.get_n_elements()),
            elementSize: v('t', chunk.get_element_size()),
            offset: v('t', chunk.get_offset()),
            dtype: maybe('s', chunk.get_dtype()),
            values: v('ax', [...int64View(chunk)]),
            label: maybe('s', this.label),
            factor: v('i', this.factor),
            big: v('x', this.big),
            scale: v('d', this.scale),
            enabled: v('b', this.enabled),
            tags: maybe('as', this.tags),
            blob: maybe('ay', this.blob?.toArray()),
            extra: maybe('v', this.extra),
            flags: v('u', this.flags),
            plain: maybe('s', this.plain),
            calls: v('u', this.calls),
        });
    }

    vfunc_process_callback(chunkIndex, result) {
        this.seen[chunkIndex] = result.recursiveUnpack();
    }
});

class CustomError extends Error {
    name = 'CustomError';
}

// Fails in the way its `mode` says, on the chunk `fail-on` (every chunk if
// it is -1); other chunks succeed with an int64 0.
export const Failing = GObject.registerClass({
    GTypeName: 'MpaioGjsTestFailing',
    Implements: [Mpaio.Worker],
    Properties: {
        'mode': GObject.ParamSpec.string('mode', null, null, READWRITE, null),
        'fail-on': GObject.ParamSpec.int64('fail-on', null, null, READWRITE,
            -1, Number.MAX_SAFE_INTEGER, -1),
    },
}, class Failing extends GObject.Object {
    delivered = [];

    vfunc_process(chunk) {
        const index = chunk.get_index();

        if (this.failOn >= 0 && index !== this.failOn)
            return new GLib.Variant('x', 0);

        switch (this.mode) {
        case 'io-error':
            throw new GLib.Error(Gio.IOErrorEnum, Gio.IOErrorEnum.NOT_FOUND,
                `no data for chunk ${index}`);
        case 'app-error':
            throw new GLib.Error(TestError, TestErrorCode.BAD_CHUNK, `chunk ${index} is bad`);
        case 'type-error':
            throw new TypeError(`chunk ${index} is not a number`);
        case 'custom-error':
            throw new CustomError(`chunk ${index} is odd`);
        case 'engine-error':
            return this.missing.property;  // the engine throws a TypeError
        case 'null':
            return null;
        case 'undefined':
            return undefined;
        case 'wrong-type':
            return new GLib.Variant('s', 'not an int64');
        case 'callback-throws':
            return new GLib.Variant('x', 0);
        case 'write':
            printerr(`writing to chunk ${index}`);
            chunk.dup_bytes().toArray()[0] = 1;  // the mapping is read-only
            return new GLib.Variant('x', 0);
        }
        throw new Error(`unknown mode ${this.mode}`);
    }

    vfunc_dup_result_type() {
        return new GLib.VariantType('x');
    }

    vfunc_process_callback(chunkIndex, result) {
        this.delivered.push(chunkIndex);
        if (this.mode === 'callback-throws' && chunkIndex === 0)
            throw new Error('the callback failed');
    }
});

const MpaioJs = imports.mpaio;

// A Failing registered with MpaioJs.registerWorker(): exceptions carry the
// worker's stack, and a vfunc_process_callback() exception fails the run. One
// more mode: 'string' throws a string.
export const JsFailing = MpaioJs.registerWorker({
    GTypeName: 'MpaioGjsTestJsFailing',
}, class JsFailing extends Failing {
    vfunc_process(chunk) {
        const index = chunk.get_index();

        if (this.mode === 'string' && (this.failOn < 0 || index === this.failOn))
            throw `chunk ${index} threw a string`;  // eslint-disable-line no-throw-literal
        return super.vfunc_process(chunk);
    }

    vfunc_process_callback(chunkIndex) {
        this.delivered.push(chunkIndex);
        if (this.mode === 'callback-throws')
            throw new RangeError(`the callback failed on chunk ${chunkIndex}`);
    }
});
