/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The thread-pool executor gives the same results as the process pool,
 * through the same orchestrator API, with callbacks on the caller's main
 * context. */
#include "config.h"

#include <string.h>

#include "test-workers.h"

static void
test_sum_chunk_sizes (void)
{
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  const guint64 chunk_sizes[] = { 1, 7, 100, 1000, 5000 };

  g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (pool)), ==, 2);

  for (guint i = 0; i < G_N_ELEMENTS (chunk_sizes); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator =
        test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, chunk_sizes[i], &worker);
      guint64 n_chunks = (1000 + chunk_sizes[i] - 1) / chunk_sizes[i];

      g_assert_true (test_run_sync (orchestrator, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (worker->total, ==, test_sum_1_to_n (1000));
      g_assert_cmpuint (worker->n_callbacks, ==, n_chunks);
    }
}

static void
test_default_size (void)
{
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (0);

  g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (pool)), ==, g_get_num_processors ());
}

static void
test_callbacks_on_caller_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(TestConcatWorker) concat = g_object_new (TEST_TYPE_CONCAT_WORKER, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new_static ("ab\0\0cd\0\0ef\0\0", 12);
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new_from_bytes (bytes, &error);
  g_autoptr(MpaioDataIterator) strings = mpaio_data_iterator_new_for_dtype (memory, "S4", 3, 2, &error);
  g_autofree char *text = NULL;

  g_main_context_push_thread_default (context);

  pool = mpaio_thread_pool_new (2);
  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 50, &worker);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (concat), strings);
  worker->expected_context = context;

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (1000));
  g_assert_cmpuint (worker->n_callbacks, ==, 20);
  g_assert_false (worker->wrong_context);
  text = test_concat_worker_dup_text (concat);
  g_assert_cmpstr (text, ==, "abcdef");

  g_clear_object (&orchestrator);
  g_clear_object (&pool);
  g_main_context_pop_thread_default (context);
}

static void
test_worker_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;

  g_object_set (worker, "fail-on-chunk", (gint64) 4, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, "TestSumWorker failed on chunk 4 (elements 40 to 50): chunk 4 is bad"));

  next = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (100));
}

static void
test_null_result (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &worker);

  g_object_set (worker, "null-on-chunk", (gint64) 2, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT);
}

static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100000, 1, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;

  test_cancel_after_first_result (orchestrator, cancellable);
  g_assert_false (test_run_sync (orchestrator, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (worker->n_callbacks, <, 100000);

  next = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (100));
}

static void
test_runs_on_callers_worker (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 10, &worker);

  /* process() ran on this very object, on the pool's threads; a process
   * pool would have used copies in other processes. */
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&worker->n_processed), ==, 100);
}

static void
test_output_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER, NULL);
  g_autoptr(MpaioSharedMemory) output = NULL;

  g_assert_true (test_run_squares (MPAIO_EXECUTOR (pool), 100000, 777, worker, &output, &error));
  g_assert_no_error (error);
  test_assert_squares (output, 100000);
}

static void
test_unsealed_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (80, &error);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 10, 5, &error);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_NOT_SEALED);
}

static void
on_shutdown (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_assert_true (mpaio_executor_shutdown_finish (MPAIO_EXECUTOR (object), result, NULL));
  (*(guint *) user_data)++;
}

static void
test_shutdown (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) running = test_make_sum_run (MPAIO_EXECUTOR (pool), 100000, 1, &worker);
  g_autoptr(TestSumWorker) late = NULL;
  g_autoptr(MpaioOrchestrator) after = NULL;
  guint n_done = 0;

  mpaio_orchestrator_run_async (running, NULL, NULL, NULL);
  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &n_done);
  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &n_done);
  while (n_done < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (mpaio_orchestrator_is_running (running));

  after = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &late);
  g_assert_false (test_run_sync (after, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_CLOSED);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_workers_register ();

  g_test_add_func ("/mpaio/thread-pool/sum/chunk-sizes", test_sum_chunk_sizes);
  g_test_add_func ("/mpaio/thread-pool/default-size", test_default_size);
  g_test_add_func ("/mpaio/thread-pool/callbacks-on-caller-context", test_callbacks_on_caller_context);
  g_test_add_func ("/mpaio/thread-pool/worker-error", test_worker_error);
  g_test_add_func ("/mpaio/thread-pool/null-result", test_null_result);
  g_test_add_func ("/mpaio/thread-pool/cancel", test_cancel);
  g_test_add_func ("/mpaio/thread-pool/runs-on-callers-worker", test_runs_on_callers_worker);
  g_test_add_func ("/mpaio/thread-pool/unsealed-refused", test_unsealed_refused);
  g_test_add_func ("/mpaio/thread-pool/output-memory", test_output_memory);
  g_test_add_func ("/mpaio/thread-pool/shutdown", test_shutdown);

  return g_test_run ();
}
