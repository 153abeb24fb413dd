/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * What an orchestrator does whatever its executor: every case below runs on
 * every executor of the table at the end (a process pool and a thread pool,
 * two workers each), one test path per pair. The process pools re-run this
 * test program as their workers, so main() serves before anything else.
 * Behaviour of the process pool alone is in test-process-pool.c. */
#include "config.h"

#include <string.h>

#include "test-workers.h"

#define N_VALUES 1000

/* One row per executor: how to make one with @max_workers workers. */
typedef struct
{
  const char     *name;
  MpaioExecutor *(*make) (guint max_workers);
} ExecutorKind;

typedef struct
{
  const ExecutorKind *kind;
  MpaioExecutor      *executor;
} Fixture;

static MpaioExecutor *
make_process_pool (guint max_workers)
{
  return MPAIO_EXECUTOR (mpaio_process_pool_new (max_workers));
}

static MpaioExecutor *
make_thread_pool (guint max_workers)
{
  return MPAIO_EXECUTOR (mpaio_thread_pool_new (max_workers));
}

/* The MPI executor (libmpaio-mpi) becomes one more row here once its
 * library is built with the tests. */
static const ExecutorKind executor_kinds[] = {
  { "process-pool", make_process_pool },
  { "thread-pool", make_thread_pool },
};

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  fixture->kind = data;
  fixture->executor = fixture->kind->make (2);
}

/* Shut down, so that no worker outlives its test. */
static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  test_shutdown_sync (fixture->executor);
  g_clear_object (&fixture->executor);
}

static void
test_sum_chunk_sizes (Fixture       *fixture,
                      gconstpointer  data)
{
  const guint64 chunk_sizes[] = { 1, 7, 100, 999, N_VALUES, 5000 };

  for (guint i = 0; i < G_N_ELEMENTS (chunk_sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator =
        test_make_sum_run (fixture->executor, N_VALUES, chunk_sizes[i], &worker);
      guint64 n_chunks = (N_VALUES + chunk_sizes[i] - 1) / chunk_sizes[i];

      g_assert_true (test_run_sync (orchestrator, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
      g_assert_cmpuint (worker->n_callbacks, ==, n_chunks);
      g_assert_cmpuint (g_hash_table_size (worker->seen_chunks), ==, n_chunks);
      g_assert_cmpuint (mpaio_orchestrator_get_n_chunks_done (orchestrator), ==, n_chunks);
      g_assert_false (mpaio_orchestrator_is_running (orchestrator));
    }
}

static MpaioDataIterator *
make_strings_iterator (guint n_strings,
                       guint chunk_size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GByteArray) records = g_byte_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;
  MpaioDataIterator *iterator;

  for (guint i = 0; i < n_strings; i++)
    {
      char record[8] = { 0 };

      g_snprintf (record, sizeof record, "foo_%u", i);
      g_byte_array_append (records, (guint8 *) record, sizeof record);
    }

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&records));
  memory = mpaio_shared_memory_new_from_bytes (bytes, &error);
  g_assert_no_error (error);
  iterator = mpaio_data_iterator_new_for_dtype (memory, "S8", n_strings, chunk_size, &error);
  g_assert_no_error (error);
  return iterator;
}

static void
test_two_workers_at_once (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) sum = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator =
    test_make_sum_run (fixture->executor, N_VALUES, 100, &sum);
  g_autoptr(TestConcatWorker) concat = g_object_new (TEST_TYPE_CONCAT_WORKER, NULL);
  g_autoptr(MpaioDataIterator) strings = make_strings_iterator (100, 20);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *text = NULL;

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (concat), strings);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);

  for (guint i = 0; i < 100; i++)
    g_string_append_printf (expected, "foo_%u", i);
  text = test_concat_worker_dup_text (concat);
  g_assert_cmpstr (text, ==, expected->str);
  g_assert_cmpint (sum->total, ==, test_sum_1_to_n (N_VALUES));
  g_assert_cmpuint (mpaio_orchestrator_get_n_chunks_total (orchestrator), ==, 15);
}

static void
test_orchestrators_share_executor (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) a = NULL;
  g_autoptr(TestSumWorker) b = NULL;
  g_autoptr(MpaioOrchestrator) first = test_make_sum_run (fixture->executor, 500, 10, &a);
  g_autoptr(MpaioOrchestrator) second = test_make_sum_run (fixture->executor, 300, 7, &b);

  /* Both at once on one executor. */
  mpaio_orchestrator_run_async (second, NULL, NULL, NULL);
  g_assert_true (test_run_sync (first, NULL, &error));
  g_assert_no_error (error);
  while (mpaio_orchestrator_is_running (second))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (a->total, ==, test_sum_1_to_n (500));
  g_assert_cmpint (b->total, ==, test_sum_1_to_n (300));
}

static void
test_callbacks_on_caller_context (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioExecutor) executor = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;

  g_main_context_push_thread_default (context);

  executor = fixture->kind->make (2);
  orchestrator = test_make_sum_run (executor, N_VALUES, 50, &worker);
  worker->expected_context = context;

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (worker->n_callbacks, ==, 20);
  g_assert_false (worker->wrong_context);

  g_clear_object (&orchestrator);
  g_clear_object (&executor);
  g_main_context_pop_thread_default (context);
}

static void
test_refuses_other_context (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator =
    test_make_sum_run (fixture->executor, 10, 5, &worker);

  g_main_context_push_thread_default (context);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_main_context_pop_thread_default (context);

  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WRONG_CONTEXT);
  g_assert_false (mpaio_orchestrator_is_running (orchestrator));
}

typedef struct
{
  guint   n_done_notifies;
  guint   n_fraction_notifies;
  guint64 last_done;
  double  last_fraction;
  gboolean went_backwards;
} Progress;

static void
on_done_notify (MpaioOrchestrator *orchestrator,
                GParamSpec        *pspec,
                Progress          *progress)
{
  guint64 done = mpaio_orchestrator_get_n_chunks_done (orchestrator);

  progress->went_backwards |= done < progress->last_done;
  progress->last_done = done;
  progress->n_done_notifies++;
}

static void
on_fraction_notify (MpaioOrchestrator *orchestrator,
                    GParamSpec        *pspec,
                    Progress          *progress)
{
  double fraction = mpaio_orchestrator_get_fraction (orchestrator);

  progress->went_backwards |= fraction < progress->last_fraction;
  progress->last_fraction = fraction;
  progress->n_fraction_notifies++;
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

static void
on_chunk_processed (MpaioOrchestrator *orchestrator,
                    MpaioWorker       *worker,
                    guint64            chunk_index,
                    GHashTable        *seen)
{
  g_assert_true (TEST_IS_SUM_WORKER (worker));
  g_assert_true (g_hash_table_add (seen, GSIZE_TO_POINTER (chunk_index + 1)));
  g_assert_true (g_hash_table_contains (TEST_SUM_WORKER (worker)->seen_chunks, GSIZE_TO_POINTER (chunk_index + 1)));
}

static void
test_progress (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator =
    test_make_sum_run (fixture->executor, N_VALUES, 40, &worker);
  Progress progress = { 0 };
  guint n_running_notifies = 0;
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  g_signal_connect (orchestrator, "notify::n-chunks-done", G_CALLBACK (on_done_notify), &progress);
  g_signal_connect (orchestrator, "notify::fraction", G_CALLBACK (on_fraction_notify), &progress);
  g_signal_connect (orchestrator, "notify::running", G_CALLBACK (count_notify), &n_running_notifies);
  g_signal_connect (orchestrator, "chunk-processed", G_CALLBACK (on_chunk_processed), seen);

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_orchestrator_get_n_chunks_total (orchestrator), ==, 25);
  /* Notified once per batch of results, at most once per chunk. */
  g_assert_cmpuint (progress.n_done_notifies, >=, 1);
  g_assert_cmpuint (progress.n_done_notifies, <=, 25);
  g_assert_cmpuint (progress.n_fraction_notifies, ==, progress.n_done_notifies);
  g_assert_cmpuint (progress.last_done, ==, 25);
  g_assert_cmpfloat (progress.last_fraction, ==, 1.0);
  g_assert_false (progress.went_backwards);
  g_assert_cmpuint (n_running_notifies, ==, 2);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 25);
}

static void
test_cancel_before_start (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (fixture->executor, 10, 5, &worker);

  g_cancellable_cancel (cancellable);
  g_assert_false (test_run_sync (orchestrator, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
}

static void
test_run_while_running (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (fixture->executor, 100, 5, &worker);

  mpaio_orchestrator_run_async (orchestrator, NULL, NULL, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);

  while (mpaio_orchestrator_is_running (orchestrator))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (100));
}

static void
test_empty_runs (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioOrchestrator) nothing = mpaio_orchestrator_new (fixture->executor);
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioDataIterator) past_end = NULL;
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  g_autoptr(MpaioOrchestrator) no_chunks = mpaio_orchestrator_new (fixture->executor);

  g_assert_true (test_run_sync (nothing, NULL, &error));
  g_assert_no_error (error);

  past_end = g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory, "dtype", "<i8",
                           "chunk-size", (guint64) 3, "start-index", (guint64) 10, NULL);
  mpaio_orchestrator_add (no_chunks, MPAIO_WORKER (worker), past_end);
  g_assert_true (test_run_sync (no_chunks, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
}

static void
test_bad_input_unsealed (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (80, &error);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 10, 5, &error);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (fixture->executor);
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  g_assert_no_error (error);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_NOT_SEALED);
}

static void
test_bad_input_layout (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (fixture->executor);
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  /* Built without validation, so that the run has to catch it. */
  iterator = g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory, "dtype", "<i8",
                           "n-elements", (guint64) 10, NULL);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
}

static void
test_bad_input_null_result (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (fixture->executor, 10, 5, &worker);

  g_object_set (worker, "null-on-chunk", (gint64) 1, NULL);
  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT);
}

static void
test_bad_input_wrong_result_type (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (fixture->executor, 10, 5, &worker);

  g_object_set (worker, "wrong-type", TRUE, NULL);
  test_assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT);
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
}

static void
test_worker_error (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (fixture->executor, 100, 10, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;

  g_object_set (worker, "fail-on-chunk", (gint64) 4, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "chunk 4 is bad"));
  g_assert_nonnull (strstr (error->message, "TestSumWorker"));
  g_assert_false (g_hash_table_contains (worker->seen_chunks, GSIZE_TO_POINTER (4 + 1)));

  /* The executor is fine. */
  next = test_make_sum_run (fixture->executor, 100, 10, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (100));
}

static void
test_output_memory (Fixture       *fixture,
                    gconstpointer  data)
{
  const gboolean through_api[] = { FALSE, TRUE };

  for (guint i = 0; i < G_N_ELEMENTS (through_api); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER,
                                                         "through-api", through_api[i], NULL);
      g_autoptr(MpaioSharedMemory) output = NULL;

      g_assert_true (test_run_squares (fixture->executor, 100000, 777, worker, &output, &error));
      g_assert_no_error (error);
      test_assert_squares (output, 100000);
    }
}

static void
test_output_overrun_through_api (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER, "overrun", TRUE,
                                                     "through-api", TRUE, NULL);
  g_autoptr(MpaioSharedMemory) output = NULL;

  g_assert_false (test_run_squares (fixture->executor, 1000, 100, worker, &output, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
}

static void
test_output_bad_input (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 10, 5, NULL);
  g_autoptr(MpaioSharedMemory) sealed = test_make_int64_memory (10);
  g_autoptr(MpaioSharedMemory) small = mpaio_shared_memory_new (79, NULL);
  g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER, NULL);
  struct {
    MpaioSharedMemory *output;
    int                code;
  } cases[] = {
    { sealed, MPAIO_ERROR_READ_ONLY },
    { memory, MPAIO_ERROR_READ_ONLY },
    { small, MPAIO_ERROR_INVALID_LAYOUT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (fixture->executor);

      mpaio_orchestrator_add_with_output (orchestrator, MPAIO_WORKER (worker), iterator, cases[i].output, 8);
      test_assert_run_fails (orchestrator, MPAIO_ERROR, cases[i].code);
    }
}


typedef void (*CaseFunc) (Fixture *fixture, gconstpointer data);

static const struct
{
  const char *path;
  CaseFunc    func;
} cases[] = {
  { "sum/chunk-sizes", test_sum_chunk_sizes },
  { "two-workers-at-once", test_two_workers_at_once },
  { "orchestrators-share-executor", test_orchestrators_share_executor },
  { "callbacks-on-caller-context", test_callbacks_on_caller_context },
  { "refuses-other-context", test_refuses_other_context },
  { "progress", test_progress },
  { "cancel/before-start", test_cancel_before_start },
  { "run-while-running", test_run_while_running },
  { "empty-runs", test_empty_runs },
  { "bad-input/unsealed-memory", test_bad_input_unsealed },
  { "bad-input/invalid-layout", test_bad_input_layout },
  { "bad-input/null-result", test_bad_input_null_result },
  { "bad-input/wrong-result-type", test_bad_input_wrong_result_type },
  { "worker-error", test_worker_error },
  { "output/squares", test_output_memory },
  { "output/overrun-through-api", test_output_overrun_through_api },
  { "output/bad-input", test_output_bad_input },
};

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (executor_kinds); i++)
    for (guint j = 0; j < G_N_ELEMENTS (cases); j++)
      {
        g_autofree char *path = g_strdup_printf ("/mpaio/orchestrator/%s/%s",
                                                 executor_kinds[i].name, cases[j].path);

        g_test_add (path, Fixture, &executor_kinds[i], fixture_set_up, cases[j].func,
                    fixture_tear_down);
      }

  return g_test_run ();
}
