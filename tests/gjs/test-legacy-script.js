// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A legacy script (`gjs script.js`, imports.gi) is its own worker just like
// a module. Prints TAP.

const {GLib, GObject, Mpaio} = imports.gi;
const System = imports.system;

const Count = GObject.registerClass({
    GTypeName: 'MpaioGjsTestLegacyCount',
    Implements: [Mpaio.Worker],
}, class Count extends GObject.Object {
    vfunc_process(chunk) {
        return new GLib.Variant('t', chunk.get_n_elements());
    }

    vfunc_process_callback(chunkIndex, result) {
        this.total = (this.total ?? 0) + result.unpack();
    }
});

if (Mpaio.is_worker_process())
    System.exit(Mpaio.serve() ? 0 : 1);

const memory = Mpaio.SharedMemory.new_from_bytes(new GLib.Bytes(new Uint8Array(10)));
const count = new Count();
const orchestrator = Mpaio.Orchestrator.new(Mpaio.ProcessPool.new(2));
const loop = new GLib.MainLoop(null, false);
let error = null;

orchestrator.add(count, Mpaio.DataIterator.new(memory, 1, 10, 3));
orchestrator.run_async(null, (self, result) => {
    try {
        self.run_finish(result);
    } catch (e) {
        error = e;
    }
    loop.quit();
});
loop.run();

print('1..1');
if (error === null && count.total === 10) {
    print('ok 1 - a legacy script serves as its own worker');
} else {
    print('not ok 1 - a legacy script serves as its own worker');
    print(`# ${error ?? `counted ${count.total} elements, not 10`}`);
    System.exit(1);
}
