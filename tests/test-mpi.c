/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The MPI executor: spawned and launched modes, data sent or mapped, a
 * worker's error, a rank killed while it works. This program is its own
 * spawned worker. */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include <mpaio-mpi.h>

#include "test-workers.h"

#define N_VALUES 100000
#define CHUNK_SIZE 1000

static MpaioMpiExecutor *
make_executor (guint n_workers)
{
  return g_object_new (MPAIO_MPI_TYPE_EXECUTOR,
                       "max-workers", n_workers,
                       "heartbeat-timeout", 1000,
                       NULL);
}

static void
on_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static void
shutdown_sync (MpaioExecutor *executor)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  mpaio_executor_shutdown_async (executor, NULL, on_done, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (mpaio_executor_shutdown_finish (executor, result, &error));
  g_assert_no_error (error);
}

/* Sums 1..N_VALUES in chunks of @chunk_size and checks every chunk came
 * once. */
static void
check_sum_in_chunks (MpaioMpiExecutor *executor,
                     guint             chunk_size)
{
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(GError) error = NULL;
  guint n_chunks = (N_VALUES + chunk_size - 1) / chunk_size;

  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (executor), N_VALUES, chunk_size, &worker);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
  g_assert_cmpuint (worker->n_callbacks, ==, n_chunks);
  g_assert_cmpuint (g_hash_table_size (worker->seen_chunks), ==, n_chunks);
}

static void
check_sum (MpaioMpiExecutor *executor)
{
  check_sum_in_chunks (executor, CHUNK_SIZE);
}

/* The same, then shuts the executor down and checks its workers are gone. */
static void
check_sum_and_shutdown (MpaioMpiExecutor *executor)
{
  g_autofree int *pids = NULL;
  guint n_pids;

  check_sum (executor);

  pids = mpaio_mpi_executor_dup_worker_pids (executor, &n_pids);
  g_assert_cmpuint (n_pids, >=, 1);
  shutdown_sync (MPAIO_EXECUTOR (executor));
  test_wait_for_pids_gone (pids, n_pids);
}

static void
test_spawned (void)
{
  g_autoptr(MpaioMpiExecutor) executor = make_executor (2);

  g_assert_false (mpaio_mpi_executor_get_launched (executor));
  g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (executor)), ==, 2);
  check_sum_and_shutdown (executor);
}

/* Workers are kept between runs, and know the worker type they were sent
 * for the first one. */
static void
test_two_runs (void)
{
  g_autoptr(MpaioMpiExecutor) executor = make_executor (2);

  check_sum (executor);
  check_sum_and_shutdown (executor);
}

/* Ranks off the caller's node get each chunk's bytes: the same path, on
 * one node, with local mapping turned off. */
static void
test_spawned_sends_bytes (void)
{
  g_autoptr(MpaioMpiExecutor) executor = make_executor (2);

  g_object_set (executor, "local-mapping", FALSE, NULL);
  check_sum_and_shutdown (executor);
}

/* Large chunks' bytes are received straight into the worker's memory
 * (test-mpi-place.c tests how); here, a run mixing them with a small one,
 * twice, so that the places of the first run's pages, given back, are used
 * again. */
static void
test_sends_large_chunks (void)
{
  g_autoptr(MpaioMpiExecutor) executor = make_executor (2);

  g_object_set (executor, "local-mapping", FALSE, NULL);
  check_sum_in_chunks (executor, 30000);
  check_sum_in_chunks (executor, 95000);
  shutdown_sync (MPAIO_EXECUTOR (executor));
}

static void
test_explicit_argv (void)
{
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "mpaio-test-mpi-program", NULL);
  const char *argv[] = { program, NULL };
  g_autoptr(MpaioMpiExecutor) executor = mpaio_mpi_executor_new_for_argv (argv, 1);

  g_assert_cmpstr (mpaio_mpi_executor_get_argv (executor)[0], ==, program);
  check_sum_and_shutdown (executor);
}

static GError *
run_failing (MpaioExecutor *executor)
{
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  GError *error = NULL;

  orchestrator = test_make_sum_run (executor, N_VALUES, CHUNK_SIZE, &worker);
  g_object_set (worker, "fail-on-chunk", (gint64) 7, NULL);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  return error;
}

/* A worker's own error fails the run with the very error a process pool
 * gives. */
static void
test_worker_error (void)
{
  g_autoptr(MpaioMpiExecutor) executor = make_executor (2);
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(GError) mpi_error = run_failing (MPAIO_EXECUTOR (executor));
  g_autoptr(GError) pool_error = run_failing (MPAIO_EXECUTOR (pool));

  g_assert_error (mpi_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_error (pool_error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_cmpstr (mpi_error->message, ==, pool_error->message);

  /* The executor is still usable. */
  check_sum_and_shutdown (executor);
  shutdown_sync (MPAIO_EXECUTOR (pool));
}

static void
test_output_refused (void)
{
  g_autoptr(MpaioMpiExecutor) executor = make_executor (1);
  g_autoptr(TestSquareWorker) worker = g_object_new (TEST_TYPE_SQUARE_WORKER, NULL);
  g_autoptr(MpaioSharedMemory) output = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_false (test_run_squares (MPAIO_EXECUTOR (executor), 1000, 100, worker, &output, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "output memory"));
  shutdown_sync (MPAIO_EXECUTOR (executor));
}

/* Made the way bindings make objects, it has one worker per processor, as
 * the other executors do; 0 asks for the same. Nothing starts MPI here. */
static void
test_default_max_workers (void)
{
  g_autoptr(MpaioMpiExecutor) by_default = g_object_new (MPAIO_MPI_TYPE_EXECUTOR, NULL);
  g_autoptr(MpaioMpiExecutor) zero = g_object_new (MPAIO_MPI_TYPE_EXECUTOR, "max-workers", 0, NULL);
  g_autoptr(MpaioMpiExecutor) three = g_object_new (MPAIO_MPI_TYPE_EXECUTOR, "max-workers", 3, NULL);

  g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (by_default)), ==,
                    g_get_num_processors ());
  g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (zero)), ==,
                    g_get_num_processors ());
  g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (three)), ==, 3);
}

/* The pid in @marker, once the worker that blocked has written it. */
static int
blocked_pid (const char  *marker,
             TestRunWait *wait)
{
  for (;;)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (marker, &contents, NULL, NULL) && strchr (contents, '\n'))
        return atoi (contents);

      g_assert_false (wait->done);
      test_iterate_a_while ();
    }
}

/* The worker rank stuck on a chunk is killed with SIGKILL: its heartbeats
 * stop, its chunks are retried elsewhere (on the other rank or on the one
 * spawned in its place), and the run still gives the right total. No
 * process is left behind. */
static void
test_rank_killed (void)
{
  g_autoptr(MpaioMpiExecutor) executor = make_executor (2);
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mpaio-mpi-XXXXXX", NULL);
  g_autofree char *marker = g_build_filename (dir, "blocked", NULL);
  g_autofree int *pids = NULL;
  guint n_pids;
  gint64 killed_at;
  int killed;
  TestRunWait wait;

  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (executor), N_VALUES, CHUNK_SIZE, &worker);
  g_object_set (worker, "block-once-file", marker, NULL);
  test_run_start (orchestrator, NULL, &wait);

  killed = blocked_pid (marker, &wait);
  g_assert_cmpint (kill (killed, SIGKILL), ==, 0);
  killed_at = g_get_monotonic_time ();

  while (!wait.done)
    g_main_context_iteration (NULL, TRUE);
  g_test_message ("The run ended %.2f s after the rank was killed",
                  (g_get_monotonic_time () - killed_at) / 1e6);

  g_assert_no_error (wait.error);
  g_assert_true (wait.ok);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (N_VALUES));
  test_wait_for_pids_gone (&killed, 1);

  pids = mpaio_mpi_executor_dup_worker_pids (executor, &n_pids);
  shutdown_sync (MPAIO_EXECUTOR (executor));
  test_wait_for_pids_gone (pids, n_pids);

  g_unlink (marker);
  g_rmdir (dir);
}

/* The environment without what MPI put there when this process started
 * it: mpirun would take itself for part of this process's job. */
static char **
environ_for_mpirun (void)
{
  g_auto(GStrv) environ = g_get_environ ();
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; environ[i] != NULL; i++)
    if (!g_str_has_prefix (environ[i], "PMIX_") &&
        (!g_str_has_prefix (environ[i], "OMPI_") || g_str_has_prefix (environ[i], "OMPI_ALLOW_") ||
         g_str_has_prefix (environ[i], "OMPI_MCA_rmaps_")))
      g_strv_builder_add (builder, environ[i]);

  return g_strv_builder_end (builder);
}

/* Runs mpaio-test-mpi-program under mpirun -np 3 (rank 0 orchestrates,
 * ranks 1 and 2 serve) and returns what rank 0 printed; mpirun must exit
 * successfully, which it does only if every rank finalized MPI. */
static char *
run_launched (const char *argument)
{
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "mpaio-test-mpi-program", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) mpirun = NULL;
  g_auto(GStrv) environ = environ_for_mpirun ();
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_subprocess_launcher_set_environ (launcher, environ);
  mpirun = g_subprocess_launcher_spawn (launcher, &error, "mpirun", "-np", "3", program, argument, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (mpirun, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (mpirun));
  return out;
}

static void
test_launched (void)
{
  g_autofree char *out = run_launched (NULL);
  g_autofree char *expected = NULL;

  expected = g_strdup_printf ("launched 1, 2 workers, %u chunks, total %" G_GINT64_FORMAT "\n",
                              N_VALUES / CHUNK_SIZE, test_sum_1_to_n (N_VALUES));
  g_assert_cmpstr (out, ==, expected);
}

/* One chunk: rank 2 never gets work, and is told to go when rank 0 ends,
 * instead of holding every rank's MPI_Finalize (and mpirun failing). */
static void
test_launched_idle_rank (void)
{
  g_autofree char *out = run_launched ("one-chunk");
  g_autofree char *expected = NULL;

  expected = g_strdup_printf ("launched 1, 2 workers, 1 chunks, total %" G_GINT64_FORMAT "\n",
                              test_sum_1_to_n (N_VALUES));
  g_assert_cmpstr (out, ==, expected);
}

/* A program that ends while a spawn is still going must not crash: Open
 * MPI did (SIGSEGV in MPI_Comm_spawn) in about one exit in ten when
 * MPI_Finalize came in the middle; the transport now waits for the spawn
 * and stops the worker it brought. Five programs, each ending about when
 * its second worker connects. */
static void
test_exit_during_spawn (void)
{
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "mpaio-test-mpi-program", NULL);
  g_auto(GStrv) environ = environ_for_mpirun ();

  for (int i = 0; i < 5; i++)
    {
      g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      g_autoptr(GSubprocess) process = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;
      guint n_right = 0, n_runs = 0;

      g_subprocess_launcher_set_environ (launcher, environ);
      process = g_subprocess_launcher_spawn (launcher, &error, program, "busy-exit", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_get_if_exited (process));
      g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
      g_assert_cmpint (sscanf (out, "%u of %u runs right", &n_right, &n_runs), ==, 2);
      g_assert_cmpuint (n_runs, >, 0);
      g_assert_cmpuint (n_right, ==, n_runs);
    }
}

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();
  mpaio_mpi_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/mpi/default-max-workers", test_default_max_workers);
  g_test_add_func ("/mpaio/mpi/spawned", test_spawned);
  g_test_add_func ("/mpaio/mpi/two-runs", test_two_runs);
  g_test_add_func ("/mpaio/mpi/spawned-sends-bytes", test_spawned_sends_bytes);
  g_test_add_func ("/mpaio/mpi/sends-large-chunks", test_sends_large_chunks);
  g_test_add_func ("/mpaio/mpi/explicit-argv", test_explicit_argv);
  g_test_add_func ("/mpaio/mpi/worker-error", test_worker_error);
  g_test_add_func ("/mpaio/mpi/output-refused", test_output_refused);
  g_test_add_func ("/mpaio/mpi/rank-killed", test_rank_killed);
  g_test_add_func ("/mpaio/mpi/launched", test_launched);
  g_test_add_func ("/mpaio/mpi/launched-idle-rank", test_launched_idle_rank);
  g_test_add_func ("/mpaio/mpi/exit-during-spawn", test_exit_during_spawn);

  return g_test_run ();
}
