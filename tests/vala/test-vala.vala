// SPDX-License-Identifier: LGPL-2.1-or-later
//
// A worker written in Vala, run on a pool of worker processes through
// mpaio-1.vapi. The pool starts this program again as its workers.

errordomain TestError {
    BAD_CHUNK
}

// Sums its chunk of int64, times `scale`; fails on the chunk `fail-on`.
// Vala properties are GObject properties, so both cross to the workers.
public class TestSum : Object, Mpaio.Worker {
    public int64 scale { get; set; default = 1; }
    public int64 fail_on { get; set; default = -1; }

    // In the caller's process only.
    public int64 total;
    public uint n_delivered;

    public Variant process (Mpaio.Chunk chunk) throws Error {
        if (chunk.get_index () == fail_on)
            throw new TestError.BAD_CHUNK ("chunk %" + uint64.FORMAT + " is bad", chunk.get_index ());

        // A view of the worker's read-only mapping; nothing is copied.
        Bytes bytes = chunk.dup_bytes ();
        int64* values = (int64*) bytes.get_data ();
        int64 sum = 0;

        for (uint64 i = 0; i < chunk.get_n_elements (); i++)
            sum += values[i];

        return new Variant.int64 (sum * scale);
    }

    public void process_callback (uint64 chunk_index, Variant result) {
        total += result.get_int64 ();
        n_delivered++;
    }

    public VariantType? dup_result_type () {
        return VariantType.INT64;
    }
}

// 1..n as int64, sealed.
static Mpaio.SharedMemory counting_memory (int64 n, bool seal = true) throws Error {
    var values = new int64[n];
    for (int64 i = 0; i < n; i++)
        values[i] = i + 1;

    unowned uint8[] bytes = (uint8[]) values;
    bytes.length = (int) (n * sizeof (int64));

    var memory = new Mpaio.SharedMemory (bytes.length);
    memory.write (0, bytes);
    if (seal)
        memory.seal ();
    return memory;
}

// Runs the orchestrator on a main loop of its own until it is done.
static void run_orchestrator (Mpaio.Orchestrator orchestrator) throws Error {
    var loop = new MainLoop (MainContext.get_thread_default ());
    Error? error = null;

    orchestrator.run_async.begin (null, (obj, result) => {
        try {
            orchestrator.run_async.end (result);
        } catch (Error e) {
            error = e;
        }
        loop.quit ();
    });
    loop.run ();

    if (error != null)
        throw error.copy ();
}

static Mpaio.ProcessPool pool;

static void test_sum () {
    try {
        var memory = counting_memory (100000);
        var sum = new TestSum () { scale = 3 };
        var orchestrator = new Mpaio.Orchestrator (pool);

        orchestrator.add (sum, new Mpaio.DataIterator.for_dtype (memory, "<i8", 100000, 1000));
        run_orchestrator (orchestrator);

        assert_cmpint ((int) sum.n_delivered, CompareOperator.EQ, 100);
        assert_true (sum.total == 3 * (int64) 100000 * 100001 / 2);
        assert_true (orchestrator.get_n_chunks_done () == 100);
        assert_cmpuint (pool.get_n_workers (), CompareOperator.EQ, 2);
    } catch (Error e) {
        error ("%s", e.message);
    }
}

static void test_worker_error () {
    try {
        var memory = counting_memory (10);
        var orchestrator = new Mpaio.Orchestrator (pool);

        orchestrator.add (new TestSum () { fail_on = 2 },
                          new Mpaio.DataIterator.for_dtype (memory, "<i8", 10, 1));
        run_orchestrator (orchestrator);
        assert_not_reached ();
    } catch (TestError.BAD_CHUNK e) {
        assert_true ("TestSum failed on chunk 2" in e.message);
        assert_true ("chunk 2 is bad" in e.message);
    } catch (Error e) {
        error ("expected TestError.BAD_CHUNK, got %s (%s %d)", e.message, e.domain.to_string (), e.code);
    }
}

static void test_not_sealed () {
    try {
        var memory = counting_memory (10, false);
        var orchestrator = new Mpaio.Orchestrator (pool);

        orchestrator.add (new TestSum (), new Mpaio.DataIterator.for_dtype (memory, "<i8", 10, 1));
        run_orchestrator (orchestrator);
        assert_not_reached ();
    } catch (Mpaio.Error.NOT_SEALED e) {
        assert_true ("seal" in e.message);
    } catch (Error e) {
        error ("expected Mpaio.Error.NOT_SEALED, got %s", e.message);
    }
}

static void test_invalid_layout () {
    try {
        new Mpaio.DataIterator (counting_memory (4), sizeof (int64), 4, 0);
        assert_not_reached ();
    } catch (Mpaio.Error.INVALID_LAYOUT e) {
        assert_true ("chunk size" in e.message);
    } catch (Error e) {
        error ("expected Mpaio.Error.INVALID_LAYOUT, got %s", e.message);
    }
}

int main (string[] args) {
    // A worker process is this program again: register the worker type,
    // then serve. In the caller, serve_if_worker() returns at once.
    typeof (TestSum).ensure ();
    Mpaio.serve_if_worker ();

    // Vala makes an errordomain's quark on first use: this process has not
    // made it when the worker's error arrives, and Mpaio must keep it.

    Test.init (ref args);
    pool = new Mpaio.ProcessPool (2);

    Test.add_func ("/vala/sum", test_sum);
    Test.add_func ("/vala/worker-error", test_worker_error);
    Test.add_func ("/vala/not-sealed", test_not_sealed);
    Test.add_func ("/vala/invalid-layout", test_invalid_layout);

    return Test.run ();
}
