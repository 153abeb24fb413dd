/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How worker processes start: a program that forgets
 * mpaio_serve_if_worker() fails with the advice instead of spawning
 * without end, and a start that failed for another reason is described as
 * it is, without that advice.
 */
#include "config.h"

#include <string.h>
#include <sys/socket.h>

#include <glib-unix.h>
#include <glib/gstdio.h>

#include "mpaio-serve-private.h"
#include "mpaio-util-private.h"
#include "mpaio-wire-private.h"
#include "test-workers.h"

#define ADVICE "call mpaio_serve_if_worker() (Python: Mpaio.serve_if_worker()"

static guint
count_lines (const char *path)
{
  g_autofree char *contents = NULL;
  guint n = 0;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  for (const char *p = contents; (p = strchr (p, '\n')) != NULL; p++)
    n++;
  return n;
}

/* The whole story, as a user meets it: the program ends with the advice,
 * and no process it started ever started another. */
static void
test_forgotten_serve_program (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *program = g_test_build_filename (G_TEST_BUILT, "mpaio-forgetful", NULL);
  g_autofree char *dir = g_dir_make_tmp ("mpaio-startup-XXXXXX", &error);
  g_autofree char *log = NULL;
  g_autofree char *out = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) subprocess = NULL;

  g_assert_no_error (error);
  log = g_build_filename (dir, "pids", NULL);
  g_subprocess_launcher_setenv (launcher, "MPAIO_TEST_PID_LOG", log, TRUE);
  subprocess = g_subprocess_launcher_spawn (launcher, &error, program, NULL);
  g_assert_no_error (error);

  g_assert_true (g_subprocess_communicate_utf8 (subprocess, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_test_message ("%s", out);

  g_assert_true (g_subprocess_get_if_exited (subprocess));
  g_assert_cmpint (g_subprocess_get_exit_status (subprocess), ==, 0);
  g_assert_true (g_str_has_prefix (out, "error: mpaio-error-quark "));
  g_assert_nonnull (strstr (out, "ran the program again instead of serving"));
  g_assert_nonnull (strstr (out, ADVICE));

  /* The program and its two workers, which started nothing. */
  g_assert_cmpuint (count_lines (log), <=, 3);
  g_assert_cmpint (g_unlink (log), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

static void
on_started (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (mpaio_process_pool_start_finish (MPAIO_PROCESS_POOL (object), result, error));
}

static void
assert_told_pool (int fd)
{
  g_autofree guint8 *buffer = g_malloc (MPAIO_WIRE_MAX_INLINE);
  g_autoptr(GError) error = NULL;
  MpaioMessage message = { .fd = -1 };

  g_assert_cmpint (mpaio_wire_receive (fd, buffer, FALSE, &message, &error), ==, MPAIO_WIRE_MESSAGE);
  g_assert_no_error (error);
  g_assert_cmpint (message.kind, ==, MPAIO_MESSAGE_NOT_SERVING);
  mpaio_message_clear (&message);

  /* Once is enough. */
  g_assert_cmpint (mpaio_wire_receive (fd, buffer, FALSE, &message, &error), ==, MPAIO_WIRE_WOULD_BLOCK);
}

/* In the worker process itself: a pool made there tells the parent pool at
 * once, and refuses to start or run with the advice. */
static void
test_forgotten_serve_refuses (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autofree char *fd_string = NULL;
  mpaio_autofd parent_end = -1;
  mpaio_autofd child_end = -1;
  int fds[2];

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
      g_test_trap_assert_passed ();
      return;
    }

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds), ==, 0);
  parent_end = fds[0];
  child_end = fds[1];
  g_unix_set_fd_nonblocking (parent_end, TRUE, NULL);
  fd_string = g_strdup_printf ("%d", child_end);
  g_setenv (MPAIO_WORKER_ENV, fd_string, TRUE);

  pool = mpaio_process_pool_new (2);
  assert_told_pool (parent_end);

  mpaio_process_pool_start_async (pool, NULL, on_started, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
  g_assert_nonnull (strstr (error->message, "has not called mpaio_serve_if_worker()"));
  g_assert_nonnull (strstr (error->message, ADVICE));
  g_clear_error (&error);

  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 100, 10, &worker);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
  g_assert_nonnull (strstr (error->message, ADVICE));
  g_assert_cmpuint (mpaio_process_pool_get_n_workers (pool), ==, 0);
}

static GError *
run_on_argv (const char * const *argv)
{
  GError *error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new_for_argv (argv, 1);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 10, 5, &worker);

  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
  g_test_message ("%s", error->message);
  return error;
}

/* Killed from outside while it starts: the signal, not a missing call. */
static void
test_killed_at_startup (void)
{
  const char *argv[] = { "/bin/sh", "-c", "echo starting >&2; kill -KILL $$", NULL };
  g_autoptr(GError) error = run_on_argv (argv);

  g_assert_nonnull (strstr (error->message, "was killed by signal 9"));
  g_assert_nonnull (strstr (error->message, "starting"));
  g_assert_null (strstr (error->message, "serve_if_worker"));
}

/* A program that fails says why on its standard error, not us. */
static void
test_failed_at_startup (void)
{
  const char *argv[] = { "/bin/sh", "-c", "echo 'no such module' >&2; exit 3", NULL };
  g_autoptr(GError) error = run_on_argv (argv);

  g_assert_nonnull (strstr (error->message, "exited with status 3 before it was ready"));
  g_assert_nonnull (strstr (error->message, "no such module"));
  g_assert_null (strstr (error->message, "serve_if_worker"));
}

/* One that completes without ever serving does not serve. */
static void
test_completed_at_startup (void)
{
  const char *argv[] = { "/bin/true", NULL };
  g_autoptr(GError) error = run_on_argv (argv);

  g_assert_nonnull (strstr (error->message, "exited with status 0 before it was ready"));
  g_assert_nonnull (strstr (error->message, ADVICE));
}

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/startup/forgotten-serve/program", test_forgotten_serve_program);
  g_test_add_func ("/mpaio/startup/forgotten-serve/refuses-to-spawn", test_forgotten_serve_refuses);
  g_test_add_func ("/mpaio/startup/killed-not-blamed", test_killed_at_startup);
  g_test_add_func ("/mpaio/startup/failed-not-blamed", test_failed_at_startup);
  g_test_add_func ("/mpaio/startup/completed-without-serving", test_completed_at_startup);

  return g_test_run ();
}
