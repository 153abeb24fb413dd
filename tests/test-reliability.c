/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Faults injected for real: kills from outside, chunks that hang, the
 * caller's death, Ctrl-C, and many runs checked for leaks. */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-workers.h"

typedef struct
{
  char *dir;
  char *marker;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("mpaio-test-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->marker = g_build_filename (fixture->dir, "marker", NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_unlink (fixture->marker);
  g_rmdir (fixture->dir);
  g_free (fixture->marker);
  g_free (fixture->dir);
}

static void
kill_all_workers (MpaioProcessPool *pool)
{
  g_autofree int *pids = NULL;
  guint n_pids;

  pids = mpaio_process_pool_dup_worker_pids (pool, &n_pids);
  for (guint i = 0; i < n_pids; i++)
    kill (pids[i], SIGKILL);
}

static void
test_kill_from_outside (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 100, &worker);
  TestRunWait outcome;

  /* Chunk 0 hangs on its first attempt; kill -9 every worker once it has. */
  g_object_set (worker, "block-once-file", fixture->marker, NULL);
  test_run_start (orchestrator, NULL, &outcome);
  while (!g_file_test (fixture->marker, G_FILE_TEST_EXISTS))
    test_iterate_a_while ();
  kill_all_workers (pool);

  while (!outcome.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (outcome.error);
  g_assert_true (outcome.ok);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (1000));
  g_assert_cmpuint (worker->n_callbacks, ==, 10);
}

static void
test_timeout_retried (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 100, &worker);

  mpaio_process_pool_set_chunk_timeout (pool, 100);
  g_object_set (worker, "block-once-file", fixture->marker, NULL);

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (fixture->marker, G_FILE_TEST_EXISTS));
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (1000));
}

static void
test_timeout_fails (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 100, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;

  mpaio_process_pool_set_chunk_timeout (pool, 50);
  mpaio_process_pool_set_max_retries (pool, 1);
  g_object_set (worker, "block-on-chunk", (gint64) 4, NULL);

  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_TIMED_OUT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "chunk 4 (elements 400 to 500)"));
  g_assert_nonnull (strstr (error->message, "2 times"));
  g_assert_false (g_hash_table_contains (worker->seen_chunks, GSIZE_TO_POINTER (4 + 1)));

  /* The pool is fine. */
  next = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 100, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (1000));
}

static gint64 cancelled_at;

static void
cancel_when_started (MpaioOrchestrator *orchestrator,
                     GParamSpec        *pspec,
                     GCancellable      *cancellable)
{
  if (mpaio_orchestrator_get_n_chunks_done (orchestrator) >= 1 && cancelled_at == 0)
    {
      cancelled_at = g_get_monotonic_time ();
      g_cancellable_cancel (cancellable);
    }
}

static void
test_cancel_stuck_chunks (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 100, &worker);
  g_autoptr(TestSumWorker) again = NULL;
  g_autoptr(MpaioOrchestrator) next = NULL;
  g_autoptr(GError) error = NULL;
  gint64 finished_at;

  /* Chunk 1 hangs: only a kill ends it. */
  g_object_set (worker, "block-on-chunk", (gint64) 1, NULL);
  g_signal_connect (orchestrator, "notify::n-chunks-done", G_CALLBACK (cancel_when_started), cancellable);

  cancelled_at = 0;
  g_assert_false (test_run_sync (orchestrator, cancellable, &error));
  finished_at = g_get_monotonic_time ();
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_test_message ("run_finish came %.2f ms after the cancel", (finished_at - cancelled_at) / 1000.0);

  next = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 100, &again);
  g_clear_error (&error);
  g_assert_true (test_run_sync (next, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (again->total, ==, test_sum_1_to_n (1000));
}

/* A run of @n_chunks chunks of 10 on @n_workers workers of
 * mpaio-test-worker, the first of which dies before its handshake, as
 * @how says (--die-once: exit status 3; --kill-once: SIGKILL): the dead
 * one is replaced, the run goes on, and every chunk is delivered once. */
static void
run_with_startup_death (Fixture    *fixture,
                        const char *how,
                        guint       n_workers,
                        guint       n_chunks)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "mpaio-test-worker", NULL);
  const char *argv[] = { path, "--register", how, fixture->marker, NULL };
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv (argv, n_workers);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;

  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10 * n_chunks, 10, &worker);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (fixture->marker, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (worker->n_callbacks, ==, n_chunks);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (10 * n_chunks));
}

static void
test_startup_death_respawned (Fixture       *fixture,
                              gconstpointer  data)
{
  run_with_startup_death (fixture, "--die-once", 1, 10);
}

/* Two workers, one killed from outside before its handshake: it costs
 * only that worker. */
static void
test_startup_kill_costs_only_the_worker (Fixture       *fixture,
                                         gconstpointer  data)
{
  run_with_startup_death (fixture, "--kill-once", 2, 200);
}

static gboolean
on_hang (gpointer user_data)
{
  g_error ("The result of chunk 0 never came");
  return G_SOURCE_REMOVE;
}

static void
test_result_not_held_behind_stuck_chunk (Fixture       *fixture,
                                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (1);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &worker);
  guint deadline = g_timeout_add_seconds (30, on_hang, NULL);

  /* One worker gets chunks 0 to 3 in one message; chunk 1 never ends, and
   * chunk 0's result must still come. */
  mpaio_process_pool_set_chunks_in_flight (pool, 4);
  g_object_set (worker, "block-on-chunk", (gint64) 1, NULL);
  test_cancel_after_first_result (orchestrator, cancellable);

  g_assert_false (test_run_sync (orchestrator, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (worker->n_callbacks, ==, 1);
  g_assert_true (g_hash_table_contains (worker->seen_chunks, GSIZE_TO_POINTER (0 + 1)));
  g_source_remove (deadline);
}

static int *
read_pids (GDataInputStream *output)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);
  int *pids = g_new0 (int, 2);

  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, "pids %d %d", &pids[0], &pids[1]), ==, 2);
  return pids;
}

static void
lead_process_group (gpointer user_data)
{
  setpgid (0, 0);
}

/* The caller leads its own process group, as a shell's foreground job
 * does; Ctrl-C goes to that group. */
static GSubprocess *
spawn_parent (const char        *mode,
              GSubprocessFlags   flags,
              GDataInputStream **output)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_test_build_filename (G_TEST_BUILT, "mpaio-test-parent", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags | G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  GSubprocess *parent;

  g_subprocess_launcher_set_child_setup (launcher, lead_process_group, NULL, NULL);
  parent = g_subprocess_launcher_spawn (launcher, &error, path, "--mode", mode, NULL);
  g_assert_no_error (error);
  *output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (parent));
  return parent;
}

static void
test_parent_death (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GSubprocess) parent = spawn_parent ("stuck", G_SUBPROCESS_FLAGS_NONE, &output);
  g_autofree int *pids = read_pids (output);
  gint64 killed_at;

  g_assert_false (test_pids_gone (pids, 2));

  killed_at = g_get_monotonic_time ();
  g_subprocess_force_exit (parent);
  test_wait_for_pids_gone (pids, 2);
  g_test_message ("workers gone %.1f ms after their caller was killed",
                  (g_get_monotonic_time () - killed_at) / 1000.0);
  g_subprocess_wait (parent, NULL, NULL);
}

static void
test_sigint_reaches_caller_only (Fixture       *fixture,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autoptr(GSubprocess) parent = NULL;
  g_autofree int *pids = NULL;
  g_autofree char *line = NULL;
  int parent_pid;

  parent = spawn_parent ("interrupt", G_SUBPROCESS_FLAGS_NONE, &output);
  parent_pid = atoi (g_subprocess_get_identifier (parent));
  pids = read_pids (output);

  g_assert_cmpint (kill (-parent_pid, SIGINT), ==, 0);

  /* The caller runs its main loop until its handler has seen the signal,
   * then runs a sum with the same workers. */
  line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "result 500500 interrupted 1 same-workers 1");

  g_subprocess_wait_check (parent, NULL, &error);
  g_assert_no_error (error);
  test_wait_for_pids_gone (pids, 2);
}

static guint
count_lines (const char *path)
{
  g_autofree char *contents = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  for (const char *p = contents; *p; p++)
    n += *p == '\n';
  return n;
}

static guint
count_fds (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static guint
count_children (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  g_autofree char *needle = g_strdup_printf (" %d ", (int) getpid ());
  const char *name;
  guint n = 0;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename ("/proc", name, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *after_comm;

      if (!g_ascii_isdigit (name[0]) || !g_file_get_contents (path, &stat, NULL, NULL))
        continue;

      /* "pid (comm) state ppid ..." */
      after_comm = strrchr (stat, ')');
      if (after_comm != NULL && g_str_has_prefix (after_comm + 3, needle))
        n++;
    }

  return n;
}

static void
on_shutdown (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_assert_true (mpaio_executor_shutdown_finish (MPAIO_EXECUTOR (object), result, NULL));
  *(gboolean *) user_data = TRUE;
}

static void
run_pool_once (gboolean with_crash)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 5000, 37, &worker);
  gboolean shut_down = FALSE;

  if (with_crash)
    g_object_set (worker, "crash-on-chunk", (gint64) 3, NULL);

  g_assert_true (test_run_sync (orchestrator, NULL, &error) != with_crash);

  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &shut_down);
  while (!shut_down)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_no_leaks (Fixture       *fixture,
               gconstpointer  data)
{
  guint fds_before, maps_before, fds_after, maps_after;
  gint64 settle_deadline;

  /* Warm up GLib's own lazily made fds and threads, and let what earlier
   * tests left to the main loop finish. */
  run_pool_once (FALSE);
  while (g_main_context_iteration (NULL, FALSE))
    ;

  fds_before = count_fds ();
  maps_before = count_lines ("/proc/self/maps");

  for (guint i = 0; i < 20; i++)
    run_pool_once (i % 4 == 3);
  settle_deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  /* GLib closes the pidfd of a child watch, and reaps children, in its
   * worker thread, a moment after the exit was reported: give it that
   * moment, which a loaded machine or a sanitizer makes longer. */
  while ((count_fds () > fds_before || count_children () > 0) &&
         g_get_monotonic_time () < settle_deadline)
    test_iterate_a_while ();
  fds_after = count_fds ();
  maps_after = count_lines ("/proc/self/maps");
  g_test_message ("fds %u -> %u, mappings %u -> %u", fds_before, fds_after, maps_before, maps_after);

  /* Whatever an earlier test still held may have gone meanwhile; nothing
   * from these 20 pools may stay. */
  g_assert_cmpuint (fds_after, <=, fds_before);

  /* Valgrind and AddressSanitizer map memory of their own as they go. */
#ifndef __SANITIZE_ADDRESS__
  if (g_getenv ("MPAIO_TEST_VALGRIND") == NULL)
    g_assert_cmpuint (maps_after, <=, maps_before);
#endif
  g_assert_cmpuint (count_children (), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/mpaio/reliability/kill-from-outside", test_kill_from_outside);
  ADD ("/mpaio/reliability/timeout/retried", test_timeout_retried);
  ADD ("/mpaio/reliability/timeout/fails", test_timeout_fails);
  ADD ("/mpaio/reliability/cancel-stuck-chunks", test_cancel_stuck_chunks);
  ADD ("/mpaio/reliability/startup-death-respawned", test_startup_death_respawned);
  ADD ("/mpaio/reliability/startup-kill-costs-only-the-worker", test_startup_kill_costs_only_the_worker);
  ADD ("/mpaio/reliability/result-not-held-behind-stuck-chunk", test_result_not_held_behind_stuck_chunk);
  ADD ("/mpaio/reliability/parent-death", test_parent_death);
  ADD ("/mpaio/reliability/sigint-reaches-caller-only", test_sigint_reaches_caller_only);
  ADD ("/mpaio/reliability/no-leaks", test_no_leaks);
#undef ADD

  return g_test_run ();
}
