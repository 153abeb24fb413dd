/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mpaio_orchestrator_run(): a run that blocks, for programs without a main
 * loop, and the clear errors where it would wait for ever. The process
 * pool runs this program again as its workers, so main() serves first.
 */
#include "config.h"

#include <string.h>

#include "test-workers.h"

#define N_VALUES 10000
#define CHUNK_SIZE 100

static void
check_owner (MpaioOrchestrator *orchestrator,
             MpaioWorker       *worker,
             guint64            chunk_index,
             GMainContext      *context)
{
  g_assert_true (g_main_context_is_owner (context));
  g_assert_true (g_main_context_ref_thread_default () == context);
  g_main_context_unref (context);
}

/* Delivered on @context, by this thread. */
static void
assert_sums (MpaioExecutor *executor,
             GMainContext  *context)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (executor, N_VALUES, CHUNK_SIZE, &worker);

  g_signal_connect (orchestrator, "chunk-processed", G_CALLBACK (check_owner), context);
  g_assert_true (mpaio_orchestrator_run (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
  g_assert_cmpuint (worker->n_callbacks, ==, N_VALUES / CHUNK_SIZE);
  g_assert_cmpuint (mpaio_orchestrator_get_n_chunks_done (orchestrator), ==, N_VALUES / CHUNK_SIZE);
  g_assert_false (mpaio_orchestrator_is_running (orchestrator));
}

static void
assert_wrong_context (MpaioExecutor *executor,
                      const char    *why)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (executor, N_VALUES, CHUNK_SIZE, &worker);

  g_assert_false (mpaio_orchestrator_run (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_WRONG_CONTEXT);
  g_assert_nonnull (strstr (error->message, why));
  g_assert_cmpuint (worker->n_callbacks, ==, 0);
}

/* main() of a program without a main loop: the default context. */
static void
test_without_main_loop (void)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(MpaioThreadPool) threads = mpaio_thread_pool_new (2);

  assert_sums (MPAIO_EXECUTOR (pool), g_main_context_default ());
  assert_sums (MPAIO_EXECUTOR (pool), g_main_context_default ());
  assert_sums (MPAIO_EXECUTOR (threads), g_main_context_default ());
}

static gpointer
run_in_own_context (gpointer user_data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MpaioProcessPool) pool = NULL;

  g_main_context_push_thread_default (context);
  pool = mpaio_process_pool_new (2);
  assert_sums (MPAIO_EXECUTOR (pool), context);
  g_clear_object (&pool);
  g_main_context_pop_thread_default (context);
  return NULL;
}

/* A thread of its own, with a context of its own, while another thread
 * holds the default context. */
static void
test_thread_with_own_context (void)
{
  g_assert_true (g_main_context_acquire (g_main_context_default ()));
  g_thread_join (g_thread_new ("blocking-run", run_in_own_context, NULL));
  g_main_context_release (g_main_context_default ());
}

/* The executor belongs to the default context, not to the one pushed. */
static void
test_executor_of_another_context (void)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(GMainContext) context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  assert_wrong_context (MPAIO_EXECUTOR (pool), "belongs to another main context");
  g_main_context_pop_thread_default (context);
}

static gpointer
run_on_owned_context (gpointer user_data)
{
  assert_wrong_context (user_data, "Another thread runs this thread’s main context");
  return NULL;
}

/* Another thread owns the context, as a main loop would: it would never
 * dispatch the run's sources here. */
static void
test_context_owned_elsewhere (void)
{
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);

  g_assert_true (g_main_context_acquire (g_main_context_default ()));
  g_thread_join (g_thread_new ("blocking-run", run_on_owned_context, pool));
  g_main_context_release (g_main_context_default ());
}

static gboolean
run_from_callback (gpointer user_data)
{
  assert_wrong_context (user_data, "called from a callback of the main context");
  g_object_set_data (user_data, "ran", GINT_TO_POINTER (TRUE));
  return G_SOURCE_REMOVE;
}

/* From a main loop's callback, as in a user interface. */
static void
test_from_callback (void)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);

  g_idle_add (run_from_callback, pool);
  while (g_object_get_data (G_OBJECT (pool), "ran") == NULL)
    g_main_context_iteration (NULL, TRUE);
}

static void
cancel_on_first_chunk (MpaioOrchestrator *orchestrator,
                       MpaioWorker       *worker,
                       guint64            chunk_index,
                       GCancellable      *cancellable)
{
  g_cancellable_cancel (cancellable);
}

/* Cancelled from a callback it runs, while a chunk never ends: the run
 * fails, the orchestrator and executor run again. */
static void
test_cancel (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), N_VALUES, CHUNK_SIZE, &worker);
  gulong handler = g_signal_connect (orchestrator, "chunk-processed",
                                     G_CALLBACK (cancel_on_first_chunk), cancellable);

  g_object_set (worker, "block-on-chunk", (gint64) 10, NULL);
  g_assert_false (mpaio_orchestrator_run (orchestrator, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (worker->n_callbacks, <, N_VALUES / CHUNK_SIZE);
  g_clear_error (&error);

  g_signal_handler_disconnect (orchestrator, handler);
  g_object_set (worker, "block-on-chunk", (gint64) -1, NULL);
  worker->total = 0;
  g_hash_table_remove_all (worker->seen_chunks);
  g_assert_true (mpaio_orchestrator_run (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
}

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/blocking-run/without-main-loop", test_without_main_loop);
  g_test_add_func ("/mpaio/blocking-run/thread-with-own-context", test_thread_with_own_context);
  g_test_add_func ("/mpaio/blocking-run/cancel", test_cancel);
  g_test_add_func ("/mpaio/blocking-run/refuses/executor-of-another-context",
                   test_executor_of_another_context);
  g_test_add_func ("/mpaio/blocking-run/refuses/context-owned-elsewhere", test_context_owned_elsewhere);
  g_test_add_func ("/mpaio/blocking-run/refuses/from-callback", test_from_callback);

  return g_test_run ();
}
