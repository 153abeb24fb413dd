/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Many runs on one pool with random sizes, random chunk sizes and workers
 * killed at random moments. Every chunk must be delivered exactly once
 * (TestSumWorker asserts it) with the right total, and memory and fds must
 * stay flat. MPAIO_SOAK_RUNS sets the length (default 30). */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "test-workers.h"

typedef struct
{
  MpaioProcessPool *pool;
  guint64           kill_after;    /* chunks done, 0 for no kill */
  gboolean          killed;
  guint             n_kills;
} Soak;

static void
maybe_kill (MpaioOrchestrator *orchestrator,
            GParamSpec        *pspec,
            Soak              *soak)
{
  g_autofree int *pids = NULL;
  guint n_pids;

  if (soak->killed || soak->kill_after == 0 ||
      mpaio_orchestrator_get_n_chunks_done (orchestrator) < soak->kill_after)
    return;

  pids = mpaio_process_pool_dup_worker_pids (soak->pool, &n_pids);
  if (n_pids == 0)
    return;

  kill (pids[g_test_rand_int_range (0, n_pids)], SIGKILL);
  soak->killed = TRUE;
  soak->n_kills++;
}

static guint64
read_status_kib (const char *field)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, field);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (field), NULL, 10);
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

static void
soak_once (Soak *soak)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  guint64 n = g_test_rand_int_range (1, 20001);
  guint64 chunk_size = g_test_rand_int_range (1, n + 1);
  guint64 n_chunks = (n + chunk_size - 1) / chunk_size;

  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (soak->pool), n, chunk_size, &worker);
  soak->killed = FALSE;
  soak->kill_after = g_test_rand_bit () ? g_test_rand_int_range (1, n_chunks + 1) : 0;
  g_signal_connect (orchestrator, "notify::n-chunks-done", G_CALLBACK (maybe_kill), soak);

  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (n));
  g_assert_cmpuint (worker->n_callbacks, ==, n_chunks);
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
shut_down (MpaioProcessPool *pool)
{
  gboolean done = FALSE;

  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (pool), NULL, on_shutdown, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (pool);
}

static MpaioProcessPool *
make_pool (void)
{
  MpaioProcessPool *pool = mpaio_process_pool_new (2);

  /* Kills land on any chunk; let a chunk survive a few. */
  mpaio_process_pool_set_max_retries (pool, 10);
  return pool;
}

static void
test_soak (void)
{
  const char *runs_env = g_getenv ("MPAIO_SOAK_RUNS");
  guint runs = runs_env ? atoi (runs_env) : 30;
  guint warmup = MAX (runs / 10, 5);
  Soak soak = { 0 };
  guint64 rss_after_warmup = 0;
  guint fds_before;
  gint64 begin = g_get_monotonic_time ();
  gint64 deadline;

  /* A first pool makes what GLib makes once (its worker thread...). */
  soak.pool = make_pool ();
  soak_once (&soak);
  shut_down (soak.pool);
  fds_before = count_fds ();

  soak.pool = make_pool ();
  for (guint i = 0; i < runs; i++)
    {
      soak_once (&soak);
      if (i + 1 == warmup)
        rss_after_warmup = read_status_kib ("VmRSS:");
    }

  g_test_message ("%u runs, %u workers killed, %.1f s; RSS %" G_GUINT64_FORMAT
                  " KiB after %u runs, %" G_GUINT64_FORMAT " KiB at the end",
                  runs, soak.n_kills, (g_get_monotonic_time () - begin) / 1e6,
                  rss_after_warmup, warmup, read_status_kib ("VmRSS:"));

  /* Flat: what the first runs needed is reused, not added to. Under
   * valgrind, VmRSS is mostly valgrind's own (shadow memory, translated
   * code), which grows as the runs reach new code: there, valgrind's leak
   * check, which fails the test on a definite leak, is the measure. */
  if (g_getenv ("MPAIO_TEST_VALGRIND") == NULL)
    g_assert_cmpuint (read_status_kib ("VmRSS:"), <, rss_after_warmup + 8 * 1024);

  /* Every fd of the pool goes with it (GLib closes child-watch pidfds in
   * its worker thread, a moment later). */
  shut_down (soak.pool);
  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (count_fds () > fds_before && g_get_monotonic_time () < deadline)
    test_iterate_a_while ();
  g_assert_cmpuint (count_fds (), <=, fds_before);
}

int
main (int   argc,
      char *argv[])
{
  test_workers_register ();
  mpaio_serve_if_worker ();

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mpaio/soak", test_soak);
  return g_test_run ();
}
