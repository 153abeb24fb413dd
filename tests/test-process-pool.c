/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What only a process pool does: worker processes that crash, are killed,
 * cannot start, or are started up front; faults on the input and output
 * memories; errors and results that cross a process boundary; shutdown and
 * dispose. Each test gets a fresh pool of two workers, and a sealed memory
 * of ten int64 values (1 to 10). The pools re-run this test program as
 * their workers, so main() serves before anything else. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "test-workers.h"

#define N_VALUES 1000

typedef struct
{
  MpaioProcessPool  *pool;
  MpaioSharedMemory *memory;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->pool = mpaio_process_pool_new (2);
  fixture->memory = test_make_int64_memory (10);
}

/* Shut down, so that no worker outlives its test. */
static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  if (fixture->pool != NULL)
    test_shutdown_sync (MPAIO_EXECUTOR (fixture->pool));
  g_clear_object (&fixture->pool);
  g_clear_object (&fixture->memory);
}

static void
test_bad_input_unserializable (Fixture       *fixture,
                               gconstpointer  data)
{
  MpaioSharedMemory *memory = fixture->memory;
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 10, 5, NULL);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (fixture->pool));
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) worker = g_object_new (TEST_TYPE_PROPS_WORKER, "object", object, NULL);

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY);
}

static void
test_bad_input_unknown_type (Fixture       *fixture,
                             gconstpointer  data)
{
  g_auto(GStrv) argv = test_worker_argv (FALSE);
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv ((const char * const *) argv, 1);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &worker);

  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_UNKNOWN_WORKER_TYPE);
}

/* An iterator whose chunk 1 runs past the array. */
#define TEST_TYPE_BROKEN_ITERATOR (test_broken_iterator_get_type ())
G_DECLARE_FINAL_TYPE (TestBrokenIterator, test_broken_iterator, TEST, BROKEN_ITERATOR, MpaioDataIterator)

struct _TestBrokenIterator
{
  MpaioDataIterator parent_instance;
};

G_DEFINE_FINAL_TYPE (TestBrokenIterator, test_broken_iterator, MPAIO_TYPE_DATA_ITERATOR)

static void
test_broken_iterator_get_chunk_range (MpaioDataIterator *iterator,
                                      guint64            index,
                                      guint64           *start,
                                      guint64           *end)
{
  *start = index * 5;
  *end = index == 1 ? 1000 : *start + 5;
}

static void
test_broken_iterator_class_init (TestBrokenIteratorClass *klass)
{
  MPAIO_DATA_ITERATOR_CLASS (klass)->get_chunk_range = test_broken_iterator_get_chunk_range;
}

static void
test_broken_iterator_init (TestBrokenIterator *self)
{
}

static void
run_sum_on (MpaioProcessPool *pool)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &worker);

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (100));
}

static void
test_bad_input_chunk_range (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (1);
  MpaioSharedMemory *memory = fixture->memory;
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  g_autofree int *pids_before = NULL;
  g_autofree int *pids_after = NULL;
  guint n_before, n_after;

  run_sum_on (pool);
  pids_before = mpaio_process_pool_dup_worker_pids (pool, &n_before);

  iterator = g_object_new (TEST_TYPE_BROKEN_ITERATOR, "memory", memory, "dtype", "<i8",
                           "chunk-size", (guint64) 5, NULL);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);

  /* The worker got nothing it could not handle, and serves on. */
  run_sum_on (pool);
  pids_after = mpaio_process_pool_dup_worker_pids (pool, &n_after);
  g_assert_cmpmem (pids_before, n_before * sizeof (int), pids_after, n_after * sizeof (int));
}

static void
test_cancel_mid_run (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  MpaioProcessPool *pool = fixture->pool;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), N_VALUES, 100, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;

  /* Chunk 1 never finishes on its own: only a kill stops it. */
  g_object_set (worker, "block-on-chunk", (gint64) 1, NULL);
  test_cancel_after_first_result (orchestrator, cancellable);

  g_assert_false (test_run_sync (orchestrator, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (mpaio_orchestrator_is_running (orchestrator));
  g_assert_cmpuint (worker->n_callbacks, >=, 1);
  g_assert_cmpuint (worker->n_callbacks, <, 10);

  /* The same pool completes the next run, although a worker was stuck. */
  next = test_make_sum_run (MPAIO_EXECUTOR (pool), N_VALUES, 100, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (N_VALUES));
}

/* Bindings register their error domains on first use: the caller may never
 * have seen the domain a worker's error is in. */
static void
test_worker_error_domains (Fixture       *fixture,
                           gconstpointer  data)
{
  struct {
    const char *domain;
    gboolean    kept;
  } cases[] = {
    { "mpaio-test-lazily-registered-error-quark", TRUE },
    { "not a domain name", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator =
        test_make_sum_run (MPAIO_EXECUTOR (fixture->pool), 100, 10, &worker);

      g_assert_cmpuint (g_quark_try_string (cases[i].domain), ==, 0);
      g_object_set (worker, "fail-on-chunk", (gint64) 2, "fail-domain", cases[i].domain, NULL);
      g_assert_false (test_run_sync (orchestrator, NULL, &error));
      g_assert_nonnull (strstr (error->message, "chunk 2 is bad"));

      if (cases[i].kept)
        g_assert_error (error, g_quark_try_string (cases[i].domain), G_IO_ERROR_INVALID_DATA);
      else
        g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED);
    }
}

static void
test_large_result (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (300 * 1024, 'q');
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (2);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 2, 1, NULL);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (fixture->pool));
  g_autoptr(GObject) worker = g_object_new (TEST_TYPE_PROPS_WORKER, "text", text, NULL);

  /* The worker's property (in) and result (out) are both too large for one
   * packet. TestPropsWorker has no process_callback: a run still works. */
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
}

static void
test_output_overrun_refused (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER, "overrun", TRUE, NULL);
  g_autoptr(MpaioSharedMemory) output = NULL;

  /* Regions of 512 int64 are whole pages: the element past one is in a
   * page that is not writable. */
  g_assert_false (test_run_squares (MPAIO_EXECUTOR (fixture->pool), 512 * 8, 512, worker, &output, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED);
  g_assert_nonnull (strstr (error->message, "signal 11"));
}

static void
test_crash_is_retried (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mpaio-test-XXXXXX", &error);
  g_autofree char *marker = g_build_filename (dir, "crashed", NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (fixture->pool), N_VALUES, 100, &worker);

  g_object_set (worker, "crash-once-file", marker, NULL);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
  g_assert_cmpuint (worker->n_callbacks, ==, 10);

  g_unlink (marker);
  g_rmdir (dir);
}

static void
assert_crash_reported (MpaioProcessPool *pool,
                       const char       *property,
                       const char       *expected_exit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;

  g_object_set (worker, property, (gint64) 3, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "TestSumWorker"));
  g_assert_nonnull (strstr (error->message, "chunk 3 (elements 30 to 40)"));
  g_assert_nonnull (strstr (error->message, expected_exit));
  g_assert_nonnull (strstr (error->message, "after 3 attempts"));
  g_assert_false (g_hash_table_contains (worker->seen_chunks, GSIZE_TO_POINTER (3 + 1)));

  next = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (100));
}

static void
test_crash_segfault (Fixture       *fixture,
                     gconstpointer  data)
{
  assert_crash_reported (fixture->pool, "crash-on-chunk", "signal 11");
}

static void
test_crash_stderr_tail (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (fixture->pool), 100, 10, &worker);

  g_object_set (worker, "crash-on-chunk", (gint64) 2, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED);
  g_assert_nonnull (strstr (error->message, "about to crash on chunk 2"));
}

static void
test_crash_abort (Fixture       *fixture,
                  gconstpointer  data)
{
  assert_crash_reported (fixture->pool, "abort-on-chunk", "signal 6");
}

static void
test_crash_exit (Fixture       *fixture,
                 gconstpointer  data)
{
  assert_crash_reported (fixture->pool, "exit-on-chunk", "exited with status 3");
}

static void
test_input_is_read_only (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (fixture->pool), 100, 10, &worker);

  /* The worker's fault is reported as what it is, not as a SIGSEGV. */
  g_object_set (worker, "write-input", TRUE, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, "wrote to the read-only input, at byte "));
}

static void
test_explicit_argv (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) argv = test_worker_argv (TRUE);
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv ((const char * const *) argv, 2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), N_VALUES, 100, &worker);

  g_assert_cmpstrv (mpaio_process_pool_get_argv (pool), argv);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
}

static void
test_spawn_failures (Fixture       *fixture,
                     gconstpointer  data)
{
  const char *missing[] = { "/nonexistent/mpaio-worker", NULL };
  const char *quitter[] = { "/bin/true", NULL };
  const char * const *argvs[] = { missing, quitter };

  for (guint i = 0; i < G_N_ELEMENTS (argvs); i++)
    {
      g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv (argvs[i], 2);
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &worker);

      test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
    }
}

static void
test_spawn_gives_up (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *quitter[] = { "/bin/true", NULL };
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv (quitter, 1);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &worker);

  /* Tried three times, with a pause between, then given up. */
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
  g_assert_nonnull (strstr (error->message, "exited with status 0 before it was ready, like the 2 before it"));
}

static void
test_spawns_what_it_needs (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  MpaioProcessPool *pool = fixture->pool;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 100, &worker);

  /* One chunk: one worker to start, not two. */
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_process_pool_get_n_workers (pool), ==, 1);
}

static void
on_started (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **error = user_data;

  mpaio_process_pool_start_finish (MPAIO_PROCESS_POOL (object), result, error);
  *(gboolean *) g_object_get_data (object, "done") = TRUE;
}

static void
test_start_up_front (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (3);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autofree int *pids_before = NULL;
  g_autofree int *pids_after = NULL;
  guint n_before, n_after;
  gboolean done = FALSE;

  g_assert_cmpuint (mpaio_process_pool_get_n_workers (pool), ==, 0);
  g_object_set_data (G_OBJECT (pool), "done", &done);
  mpaio_process_pool_start_async (pool, NULL, on_started, &error);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_process_pool_get_n_workers (pool), ==, 3);
  pids_before = mpaio_process_pool_dup_worker_pids (pool, &n_before);

  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), N_VALUES, 10, &worker);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);

  /* The same processes did the work. */
  pids_after = mpaio_process_pool_dup_worker_pids (pool, &n_after);
  g_assert_cmpmem (pids_before, n_before * sizeof (int), pids_after, n_after * sizeof (int));
}

typedef struct
{
  guint    n_notifies;
  guint    last;
  gboolean unchanged;
} WorkerCount;

static void
on_n_workers (GObject     *pool,
              GParamSpec  *pspec,
              WorkerCount *count)
{
  guint n = mpaio_process_pool_get_n_workers (MPAIO_PROCESS_POOL (pool));

  count->unchanged |= n == count->last;
  count->last = n;
  count->n_notifies++;
}

/* n-workers notifies once per worker spawned and once per worker gone,
 * and only when it changed. */
static void
test_n_workers_notifies (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  WorkerCount count = { 0 };
  gboolean done = FALSE;

  g_signal_connect (fixture->pool, "notify::n-workers", G_CALLBACK (on_n_workers), &count);

  g_object_set_data (G_OBJECT (fixture->pool), "done", &done);
  mpaio_process_pool_start_async (fixture->pool, NULL, on_started, &error);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (error);
  g_assert_cmpuint (count.n_notifies, ==, 2);
  g_assert_cmpuint (count.last, ==, 2);

  test_shutdown_sync (MPAIO_EXECUTOR (fixture->pool));
  g_assert_cmpuint (count.n_notifies, ==, 4);
  g_assert_cmpuint (count.last, ==, 0);
  g_assert_false (count.unchanged);

  g_signal_handlers_disconnect_by_data (fixture->pool, &count);
}

static int *
run_once (MpaioProcessPool *pool,
          guint            *n_pids)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), N_VALUES, 10, &worker);

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  return mpaio_process_pool_dup_worker_pids (pool, n_pids);
}

static void
test_dispose_leaves_no_worker (Fixture       *fixture,
                               gconstpointer  data)
{
  MpaioProcessPool *pool = fixture->pool;
  g_autofree int *pids = NULL;
  guint n_pids;

  pids = run_once (pool, &n_pids);
  g_assert_cmpuint (n_pids, ==, 2);
  g_assert_false (test_pids_gone (pids, n_pids));

  g_clear_object (&fixture->pool);
  test_wait_for_pids_gone (pids, n_pids);
}

static void
on_shutdown (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mpaio_executor_shutdown_finish (MPAIO_EXECUTOR (object), result, &error));
  g_assert_no_error (error);
  (*(guint *) user_data)++;
}

static void
test_shutdown (Fixture       *fixture,
               gconstpointer  data)
{
  MpaioProcessPool *pool = fixture->pool;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autofree int *pids = NULL;
  guint n_pids, n_done = 0;

  pids = run_once (pool, &n_pids);

  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &n_done);
  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &n_done);
  g_assert_cmpuint (n_done, ==, 0);
  while (n_done < 2)
    g_main_context_iteration (NULL, TRUE);

  /* Complete means reaped. */
  g_assert_true (test_pids_gone (pids, n_pids));
  g_assert_cmpuint (mpaio_process_pool_get_n_workers (pool), ==, 0);

  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &n_done);
  while (n_done < 3)
    g_main_context_iteration (NULL, TRUE);

  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &worker);
  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_CLOSED);
}

static void
test_shutdown_during_run (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  MpaioProcessPool *pool = fixture->pool;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &worker);
  guint n_done = 0;

  g_object_set (worker, "block-on-chunk", (gint64) 0, NULL);
  mpaio_orchestrator_run_async (orchestrator, NULL, NULL, NULL);
  while (mpaio_process_pool_get_n_workers (pool) < 2)
    g_main_context_iteration (NULL, TRUE);

  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &n_done);
  while (n_done < 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (mpaio_orchestrator_is_running (orchestrator));
}


int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

  g_test_add ("/mpaio/process-pool/bad-input/unserializable-property", Fixture, NULL,
              fixture_set_up, test_bad_input_unserializable, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/bad-input/unknown-worker-type", Fixture, NULL,
              fixture_set_up, test_bad_input_unknown_type, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/bad-input/chunk-range", Fixture, NULL,
              fixture_set_up, test_bad_input_chunk_range, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/cancel/mid-run", Fixture, NULL,
              fixture_set_up, test_cancel_mid_run, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/worker-error-domains", Fixture, NULL,
              fixture_set_up, test_worker_error_domains, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/large-result", Fixture, NULL,
              fixture_set_up, test_large_result, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/output/overrun-refused", Fixture, NULL,
              fixture_set_up, test_output_overrun_refused, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/crash/retried", Fixture, NULL,
              fixture_set_up, test_crash_is_retried, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/crash/segfault", Fixture, NULL,
              fixture_set_up, test_crash_segfault, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/crash/abort", Fixture, NULL,
              fixture_set_up, test_crash_abort, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/crash/exit", Fixture, NULL,
              fixture_set_up, test_crash_exit, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/crash/stderr-tail", Fixture, NULL,
              fixture_set_up, test_crash_stderr_tail, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/input-is-read-only", Fixture, NULL,
              fixture_set_up, test_input_is_read_only, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/explicit-argv", Fixture, NULL,
              fixture_set_up, test_explicit_argv, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/spawn-failures", Fixture, NULL,
              fixture_set_up, test_spawn_failures, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/spawn-gives-up", Fixture, NULL,
              fixture_set_up, test_spawn_gives_up, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/start-up-front", Fixture, NULL,
              fixture_set_up, test_start_up_front, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/spawns-what-it-needs", Fixture, NULL,
              fixture_set_up, test_spawns_what_it_needs, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/n-workers-notifies", Fixture, NULL,
              fixture_set_up, test_n_workers_notifies, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/dispose-leaves-no-worker", Fixture, NULL,
              fixture_set_up, test_dispose_leaves_no_worker, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/shutdown", Fixture, NULL,
              fixture_set_up, test_shutdown, fixture_tear_down);
  g_test_add ("/mpaio/process-pool/shutdown-during-run", Fixture, NULL,
              fixture_set_up, test_shutdown_during_run, fixture_tear_down);

  return g_test_run ();
}
