/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * End-to-end runs through real worker processes. The pools re-run this test
 * program as their workers, so main() serves before anything else. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "test-workers.h"

#define N_VALUES 1000

static MpaioProcessPool *shared_pool;

static void
test_sum_chunk_sizes (void)
{
  const guint64 chunk_sizes[] = { 1, 7, 100, 999, N_VALUES, 5000 };

  for (guint i = 0; i < G_N_ELEMENTS (chunk_sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator =
        test_make_sum_run (MPAIO_EXECUTOR (shared_pool), N_VALUES, chunk_sizes[i], &worker);
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
test_two_workers_at_once (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) sum = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator =
    test_make_sum_run (MPAIO_EXECUTOR (shared_pool), N_VALUES, 100, &sum);
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
test_orchestrators_share_pool (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) a = NULL;
  g_autoptr(TestSumWorker) b = NULL;
  g_autoptr(MpaioOrchestrator) first = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 500, 10, &a);
  g_autoptr(MpaioOrchestrator) second = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 300, 7, &b);

  /* Both at once on one pool. */
  mpaio_orchestrator_run_async (second, NULL, NULL, NULL);
  g_assert_true (test_run_sync (first, NULL, &error));
  g_assert_no_error (error);
  while (mpaio_orchestrator_is_running (second))
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (a->total, ==, test_sum_1_to_n (500));
  g_assert_cmpint (b->total, ==, test_sum_1_to_n (300));
}

static void
test_callbacks_on_caller_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;

  g_main_context_push_thread_default (context);

  pool = mpaio_process_pool_new (2);
  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), N_VALUES, 50, &worker);
  worker->expected_context = context;

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (worker->n_callbacks, ==, 20);
  g_assert_false (worker->wrong_context);

  g_clear_object (&orchestrator);
  g_clear_object (&pool);
  g_main_context_pop_thread_default (context);
}

static void
test_pool_refuses_other_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator =
    test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 10, 5, &worker);

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
test_progress (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator =
    test_make_sum_run (MPAIO_EXECUTOR (shared_pool), N_VALUES, 40, &worker);
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
test_cancel_mid_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
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

static void
test_cancel_before_start (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 10, 5, &worker);

  g_cancellable_cancel (cancellable);
  g_assert_false (test_run_sync (orchestrator, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
}

static void
test_run_while_running (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 5, &worker);

  mpaio_orchestrator_run_async (orchestrator, NULL, NULL, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);

  while (mpaio_orchestrator_is_running (orchestrator))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (100));
}

static void
test_empty_runs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioOrchestrator) nothing = mpaio_orchestrator_new (MPAIO_EXECUTOR (shared_pool));
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioDataIterator) past_end = NULL;
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  g_autoptr(MpaioOrchestrator) no_chunks = mpaio_orchestrator_new (MPAIO_EXECUTOR (shared_pool));

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
assert_run_fails (MpaioOrchestrator *orchestrator,
                  GQuark             domain,
                  int                code)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, domain, code);
  g_test_message ("%s", error->message);
}

static void
test_bad_input_unsealed (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (80, &error);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 10, 5, &error);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (shared_pool));
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  g_assert_no_error (error);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_NOT_SEALED);
}

static void
test_bad_input_layout (void)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (shared_pool));
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  /* Built without validation, so that the run has to catch it. */
  iterator = g_object_new (MPAIO_TYPE_DATA_ITERATOR, "memory", memory, "dtype", "<i8",
                           "n-elements", (guint64) 10, NULL);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
}

static void
test_bad_input_unserializable (void)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 10, 5, NULL);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (shared_pool));
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(GObject) worker = g_object_new (TEST_TYPE_PROPS_WORKER, "object", object, NULL);

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY);
}

static void
test_bad_input_unknown_type (void)
{
  g_auto(GStrv) argv = test_worker_argv (FALSE);
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv ((const char * const *) argv, 1);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &worker);

  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_UNKNOWN_WORKER_TYPE);
}

static void
test_bad_input_null_result (void)
{
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 10, 5, &worker);

  g_object_set (worker, "null-on-chunk", (gint64) 1, NULL);
  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT);
}

static void
test_bad_input_wrong_result_type (void)
{
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 10, 5, &worker);

  g_object_set (worker, "wrong-type", TRUE, NULL);
  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT);
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
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
test_bad_input_chunk_range (void)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (1);
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (10);
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
  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);

  /* The worker got nothing it could not handle, and serves on. */
  run_sum_on (pool);
  pids_after = mpaio_process_pool_dup_worker_pids (pool, &n_after);
  g_assert_cmpmem (pids_before, n_before * sizeof (int), pids_after, n_after * sizeof (int));
}

static void
test_worker_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 10, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;

  g_object_set (worker, "fail-on-chunk", (gint64) 4, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "chunk 4 is bad"));
  g_assert_nonnull (strstr (error->message, "TestSumWorker"));
  g_assert_false (g_hash_table_contains (worker->seen_chunks, GSIZE_TO_POINTER (4 + 1)));

  /* The pool is fine. */
  next = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 10, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (100));
}

/* Bindings register their error domains on first use: the caller may never
 * have seen the domain a worker's error is in. */
static void
test_worker_error_domains (void)
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
        test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 10, &worker);

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
test_output_memory (void)
{
  const gboolean through_api[] = { FALSE, TRUE };

  for (guint i = 0; i < G_N_ELEMENTS (through_api); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER,
                                                         "through-api", through_api[i], NULL);
      g_autoptr(MpaioSharedMemory) output = NULL;

      g_assert_true (test_run_squares (MPAIO_EXECUTOR (shared_pool), 100000, 777, worker, &output, &error));
      g_assert_no_error (error);
      test_assert_squares (output, 100000);
    }
}

static void
test_output_overrun_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER, "overrun", TRUE, NULL);
  g_autoptr(MpaioSharedMemory) output = NULL;

  /* Regions of 512 int64 are whole pages: the element past one is in a
   * page that is not writable. */
  g_assert_false (test_run_squares (MPAIO_EXECUTOR (shared_pool), 512 * 8, 512, worker, &output, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED);
  g_assert_nonnull (strstr (error->message, "signal 11"));
}

static void
test_output_overrun_through_api (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER, "overrun", TRUE,
                                                     "through-api", TRUE, NULL);
  g_autoptr(MpaioSharedMemory) output = NULL;

  g_assert_false (test_run_squares (MPAIO_EXECUTOR (shared_pool), 1000, 100, worker, &output, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
}

static void
test_output_bad_input (void)
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
      g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (shared_pool));

      mpaio_orchestrator_add_with_output (orchestrator, MPAIO_WORKER (worker), iterator, cases[i].output, 8);
      assert_run_fails (orchestrator, MPAIO_ERROR, cases[i].code);
    }
}

static void
test_crash_is_retried (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mpaio-test-XXXXXX", &error);
  g_autofree char *marker = g_build_filename (dir, "crashed", NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), N_VALUES, 100, &worker);

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
assert_crash_reported (const char *property,
                       const char *expected_exit)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 10, &worker);
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

  next = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 10, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (100));
}

static void
test_crash_segfault (void)
{
  assert_crash_reported ("crash-on-chunk", "signal 11");
}

static void
test_crash_stderr_tail (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 10, &worker);

  g_object_set (worker, "crash-on-chunk", (gint64) 2, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED);
  g_assert_nonnull (strstr (error->message, "about to crash on chunk 2"));
}

static void
test_crash_abort (void)
{
  assert_crash_reported ("abort-on-chunk", "signal 6");
}

static void
test_crash_exit (void)
{
  assert_crash_reported ("exit-on-chunk", "exited with status 3");
}

static void
test_input_is_read_only (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (shared_pool), 100, 10, &worker);

  /* The worker's fault is reported as what it is, not as a SIGSEGV. */
  g_object_set (worker, "write-input", TRUE, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY);
  g_assert_nonnull (strstr (error->message, "wrote to the read-only input, at byte "));
}

static void
test_large_result (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strnfill (300 * 1024, 'q');
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (2);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 2, 1, NULL);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (shared_pool));
  g_autoptr(GObject) worker = g_object_new (TEST_TYPE_PROPS_WORKER, "text", text, NULL);

  /* The worker's property (in) and result (out) are both too large for one
   * packet. TestPropsWorker has no process_callback: a run still works. */
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
}

static void
test_explicit_argv (void)
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
test_spawn_failures (void)
{
  const char *missing[] = { "/nonexistent/mpaio-worker", NULL };
  const char *quitter[] = { "/bin/true", NULL };
  const char * const *argvs[] = { missing, quitter };

  for (guint i = 0; i < G_N_ELEMENTS (argvs); i++)
    {
      g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv (argvs[i], 2);
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &worker);

      assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
    }
}

static void
test_spawn_gives_up (void)
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
test_spawns_what_it_needs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
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
test_start_up_front (void)
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
test_dispose_leaves_no_worker (void)
{
  MpaioProcessPool *pool = mpaio_process_pool_new (2);
  g_autofree int *pids = NULL;
  guint n_pids;

  pids = run_once (pool, &n_pids);
  g_assert_cmpuint (n_pids, ==, 2);
  g_assert_false (test_pids_gone (pids, n_pids));

  g_object_unref (pool);
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
test_shutdown (void)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
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
  assert_run_fails (orchestrator, MPAIO_ERROR, MPAIO_ERROR_CLOSED);
}

static void
test_shutdown_during_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
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
  int status;

  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);
  shared_pool = mpaio_process_pool_new (2);

  g_test_add_func ("/mpaio/orchestrator/sum/chunk-sizes", test_sum_chunk_sizes);
  g_test_add_func ("/mpaio/orchestrator/two-workers-at-once", test_two_workers_at_once);
  g_test_add_func ("/mpaio/orchestrator/orchestrators-share-pool", test_orchestrators_share_pool);
  g_test_add_func ("/mpaio/orchestrator/callbacks-on-caller-context", test_callbacks_on_caller_context);
  g_test_add_func ("/mpaio/orchestrator/pool-refuses-other-context", test_pool_refuses_other_context);
  g_test_add_func ("/mpaio/orchestrator/progress", test_progress);
  g_test_add_func ("/mpaio/orchestrator/cancel/mid-run", test_cancel_mid_run);
  g_test_add_func ("/mpaio/orchestrator/cancel/before-start", test_cancel_before_start);
  g_test_add_func ("/mpaio/orchestrator/run-while-running", test_run_while_running);
  g_test_add_func ("/mpaio/orchestrator/empty-runs", test_empty_runs);
  g_test_add_func ("/mpaio/orchestrator/bad-input/unsealed-memory", test_bad_input_unsealed);
  g_test_add_func ("/mpaio/orchestrator/bad-input/invalid-layout", test_bad_input_layout);
  g_test_add_func ("/mpaio/orchestrator/bad-input/unserializable-property", test_bad_input_unserializable);
  g_test_add_func ("/mpaio/orchestrator/bad-input/unknown-worker-type", test_bad_input_unknown_type);
  g_test_add_func ("/mpaio/orchestrator/bad-input/null-result", test_bad_input_null_result);
  g_test_add_func ("/mpaio/orchestrator/bad-input/wrong-result-type", test_bad_input_wrong_result_type);
  g_test_add_func ("/mpaio/orchestrator/bad-input/chunk-range", test_bad_input_chunk_range);
  g_test_add_func ("/mpaio/orchestrator/worker-error", test_worker_error);
  g_test_add_func ("/mpaio/orchestrator/worker-error-domains", test_worker_error_domains);
  g_test_add_func ("/mpaio/orchestrator/large-result", test_large_result);
  g_test_add_func ("/mpaio/orchestrator/output/squares", test_output_memory);
  g_test_add_func ("/mpaio/orchestrator/output/overrun-refused", test_output_overrun_refused);
  g_test_add_func ("/mpaio/orchestrator/output/overrun-through-api", test_output_overrun_through_api);
  g_test_add_func ("/mpaio/orchestrator/output/bad-input", test_output_bad_input);
  g_test_add_func ("/mpaio/process-pool/crash/retried", test_crash_is_retried);
  g_test_add_func ("/mpaio/process-pool/crash/segfault", test_crash_segfault);
  g_test_add_func ("/mpaio/process-pool/crash/abort", test_crash_abort);
  g_test_add_func ("/mpaio/process-pool/crash/exit", test_crash_exit);
  g_test_add_func ("/mpaio/process-pool/crash/stderr-tail", test_crash_stderr_tail);
  g_test_add_func ("/mpaio/process-pool/input-is-read-only", test_input_is_read_only);
  g_test_add_func ("/mpaio/process-pool/explicit-argv", test_explicit_argv);
  g_test_add_func ("/mpaio/process-pool/spawn-failures", test_spawn_failures);
  g_test_add_func ("/mpaio/process-pool/spawn-gives-up", test_spawn_gives_up);
  g_test_add_func ("/mpaio/process-pool/start-up-front", test_start_up_front);
  g_test_add_func ("/mpaio/process-pool/spawns-what-it-needs", test_spawns_what_it_needs);
  g_test_add_func ("/mpaio/process-pool/dispose-leaves-no-worker", test_dispose_leaves_no_worker);
  g_test_add_func ("/mpaio/process-pool/shutdown", test_shutdown);
  g_test_add_func ("/mpaio/process-pool/shutdown-during-run", test_shutdown_during_run);

  status = g_test_run ();
  g_clear_object (&shared_pool);
  return status;
}
