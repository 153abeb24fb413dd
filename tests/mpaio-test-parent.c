/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A caller for tests that must kill or interrupt the caller itself. It
 * starts a pool of two workers (which re-run this program), prints
 * "pids A B" and then:
 *
 *  --mode stuck:     runs chunks that never finish, until it is killed;
 *  --mode interrupt: runs its main loop until its SIGINT handler has run
 *                    (the test sends SIGINT to this process group), then
 *                    runs a sum and prints
 *                    "result R interrupted I same-workers S".
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>

#include "test-workers.h"

static gboolean interrupted;

static gboolean
on_sigint (gpointer user_data)
{
  interrupted = TRUE;
  return G_SOURCE_CONTINUE;
}

static void
on_started (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mpaio_process_pool_start_finish (MPAIO_PROCESS_POOL (object), result, &error))
    g_error ("%s", error->message);
  *(gboolean *) user_data = TRUE;
}

static int *
start_pool (MpaioProcessPool *pool)
{
  gboolean started = FALSE;
  guint n_pids;
  int *pids;

  mpaio_process_pool_start_async (pool, NULL, on_started, &started);
  while (!started)
    g_main_context_iteration (NULL, TRUE);

  pids = mpaio_process_pool_dup_worker_pids (pool, &n_pids);
  g_assert_cmpuint (n_pids, ==, 2);
  g_print ("pids %d %d\n", pids[0], pids[1]);
  fflush (stdout);
  return pids;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree int *before = NULL;
  g_autofree int *after = NULL;
  guint n_after;

  test_workers_register ();
  mpaio_serve_if_worker ();

  if (argc != 3 || strcmp (argv[1], "--mode") != 0)
    {
      g_printerr ("Usage: %s --mode stuck|interrupt\n", argv[0]);
      return 2;
    }

  g_unix_signal_add (SIGINT, on_sigint, NULL);
  pool = mpaio_process_pool_new (2);
  before = start_pool (pool);
  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 100, &worker);

  if (strcmp (argv[2], "stuck") == 0)
    {
      g_object_set (worker, "block-all", TRUE, NULL);
      test_run_sync (orchestrator, NULL, &error);
      g_error ("A stuck run ended");
    }

  /* The handler is a source of the main context: wait for it there. A
   * signal that killed this process, or its workers, shows in what the
   * test reads (no line, or other workers). */
  while (!interrupted)
    g_main_context_iteration (NULL, TRUE);

  if (!test_run_sync (orchestrator, NULL, &error))
    g_error ("%s", error->message);

  after = mpaio_process_pool_dup_worker_pids (pool, &n_after);
  g_print ("result %" G_GINT64_FORMAT " interrupted %d same-workers %d\n",
           worker->total, interrupted,
           n_after == 2 && memcmp (before, after, 2 * sizeof (int)) == 0);
  return 0;
}
