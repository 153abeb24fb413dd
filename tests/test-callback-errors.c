/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A worker's process_callback_full fails the run with its own GError; the
 * results delivered before stay delivered, nothing more is delivered, and
 * the executor runs again. The process pool runs this program again as its
 * workers, so main() serves before anything else.
 */
#include "config.h"

#include "test-workers.h"

#define N_VALUES 1000
#define CHUNK_SIZE 10
#define PICKY_ERROR (g_quark_from_static_string ("test-picky-error-quark"))

/* Sums int64 chunks; in the caller, refuses chunk refuse_chunk, with an
 * error or (without_error) without one, and counts the callbacks that come
 * after the refusal (there must be none). */
#define TEST_TYPE_PICKY_WORKER (test_picky_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestPickyWorker, test_picky_worker, TEST, PICKY_WORKER, GObject)

struct _TestPickyWorker
{
  GObject  parent_instance;

  gint64   refuse_chunk;
  gboolean without_error;
  guint    n_taken;
  gint64   total;
  gboolean refused;
  guint    n_after_refusal;
};

static void test_picky_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestPickyWorker, test_picky_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_picky_worker_iface_init))

static GVariant *
test_picky_worker_process (MpaioWorker  *worker,
                           MpaioChunk   *chunk,
                           GError      **error)
{
  gsize size;
  const gint64 *values = mpaio_chunk_get_data (chunk, &size);
  gint64 sum = 0;

  for (gsize i = 0; i < size / sizeof (gint64); i++)
    sum += values[i];

  return g_variant_new_int64 (sum);
}

static gboolean
test_picky_worker_process_callback_full (MpaioWorker  *worker,
                                         guint64       chunk_index,
                                         GVariant     *result,
                                         GError      **error)
{
  TestPickyWorker *self = TEST_PICKY_WORKER (worker);

  self->n_after_refusal += self->refused;

  if ((gint64) chunk_index == self->refuse_chunk)
    {
      self->refused = TRUE;
      if (!self->without_error)
        g_set_error (error, PICKY_ERROR, 7, "no room for chunk %" G_GUINT64_FORMAT, chunk_index);
      return FALSE;
    }

  self->n_taken++;
  self->total += g_variant_get_int64 (result);
  return TRUE;
}

static void
test_picky_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_picky_worker_process;
  iface->process_callback_full = test_picky_worker_process_callback_full;
}

static void
test_picky_worker_class_init (TestPickyWorkerClass *klass)
{
}

static void
test_picky_worker_init (TestPickyWorker *self)
{
  self->refuse_chunk = -1;
}

static TestPickyWorker *
add_picky (MpaioOrchestrator *orchestrator,
           gint64             refuse_chunk)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (N_VALUES);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", N_VALUES,
                                                                              CHUNK_SIZE, &error);
  TestPickyWorker *picky = g_object_new (TEST_TYPE_PICKY_WORKER, NULL);

  g_assert_no_error (error);
  picky->refuse_chunk = refuse_chunk;
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (picky), iterator);
  return picky;
}

/* The run fails with the callback's own error, once; what was delivered
 * before stays, nothing is delivered after, and the executor runs again. */
static void
check_callback_fails_run (MpaioExecutor *executor)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) sum = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (executor, N_VALUES, CHUNK_SIZE, &sum);
  g_autoptr(TestPickyWorker) picky = add_picky (orchestrator, 5);
  g_autoptr(TestSumWorker) later_sum = NULL;
  g_autoptr(MpaioOrchestrator) later = NULL;
  guint n_sums, n_taken;

  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, PICKY_ERROR, 7);
  g_assert_cmpstr (error->message, ==, "no room for chunk 5");
  g_assert_false (mpaio_orchestrator_is_running (orchestrator));
  g_clear_error (&error);

  /* The other worker's results were delivered and stay. Results come in
   * completion order, not chunk order, so any of the other chunks may have
   * reached the picky worker before chunk 5, but none after it. */
  n_sums = sum->n_callbacks;
  n_taken = picky->n_taken;
  g_assert_true (picky->refused);
  g_assert_cmpuint (picky->n_after_refusal, ==, 0);
  g_assert_cmpuint (n_taken, <, N_VALUES / CHUNK_SIZE);
  g_assert_cmpuint (g_hash_table_size (sum->seen_chunks), ==, n_sums);

  /* The executor runs again, and the failed run delivers nothing more
   * while it does. */
  later = test_make_sum_run (executor, N_VALUES, CHUNK_SIZE, &later_sum);
  g_assert_true (test_run_sync (later, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (later_sum->total, ==, test_sum_1_to_n (N_VALUES));
  g_assert_cmpuint (sum->n_callbacks, ==, n_sums);
  g_assert_cmpuint (picky->n_taken, ==, n_taken);
  g_assert_cmpuint (picky->n_after_refusal, ==, 0);
}

static void
test_thread_pool (void)
{
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);

  check_callback_fails_run (MPAIO_EXECUTOR (pool));
}

static void
test_process_pool (void)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);

  check_callback_fails_run (MPAIO_EXECUTOR (pool));
}

/* A failure without an error still fails the run, and says so. */
static void
test_without_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (1);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  g_autoptr(TestPickyWorker) picky = add_picky (orchestrator, 3);

  picky->without_error = TRUE;
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED);
  g_assert_cmpstr (error->message, ==,
                   "TestPickyWorker failed in process_callback_full for chunk 3 without "
                   "saying why; set the error");
}

/* Called directly: the _full method reports the error, the plain one can
 * only warn; a worker with only process_callback never fails. */
static void
test_direct_calls (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestPickyWorker) picky = g_object_new (TEST_TYPE_PICKY_WORKER, NULL);
  g_autoptr(TestSumWorker) sum = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  g_autoptr(GVariant) result = g_variant_ref_sink (g_variant_new_int64 (42));

  picky->refuse_chunk = 1;
  g_assert_true (mpaio_worker_process_callback_full (MPAIO_WORKER (picky), 0, result, &error));
  g_assert_no_error (error);
  g_assert_false (mpaio_worker_process_callback_full (MPAIO_WORKER (picky), 1, result, &error));
  g_assert_error (error, PICKY_ERROR, 7);

  g_test_expect_message ("Mpaio", G_LOG_LEVEL_WARNING, "no room for chunk 1; *");
  mpaio_worker_process_callback (MPAIO_WORKER (picky), 1, result);
  g_test_assert_expected_messages ();
  g_assert_cmpint (picky->total, ==, 42);

  g_assert_true (mpaio_worker_process_callback_full (MPAIO_WORKER (sum), 0, result, NULL));
  g_assert_cmpint (sum->total, ==, 42);
}

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  g_type_ensure (TEST_TYPE_PICKY_WORKER);
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/callback-errors/thread-pool", test_thread_pool);
  g_test_add_func ("/mpaio/callback-errors/process-pool", test_process_pool);
  g_test_add_func ("/mpaio/callback-errors/without-error", test_without_error);
  g_test_add_func ("/mpaio/callback-errors/direct-calls", test_direct_calls);

  return g_test_run ();
}
