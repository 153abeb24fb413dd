/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A program for the MPI tests. Under mpirun, rank 0 sums 1..100,000 on an
 * MpaioMpiExecutor (launched mode), in 100 chunks or with "one-chunk" in
 * one, and prints what it got, and the other ranks serve. With
 * "busy-exit", started plainly, see busy_exit(). Spawned by an executor, it serves: it is also an explicit
 * worker program. */
#include "config.h"

#include <mpaio-mpi.h>

#include "test-workers.h"

#define N_VALUES 100000

/* "busy-exit": runs again and again until a quarter of a second after the
 * first run, then exits: started plainly, it ends while its second
 * worker's spawn, which began as the first run did, is still going (it
 * takes about 0.3 s), and prints how many runs had the right total. */
static int
busy_exit (void)
{
  g_autoptr(MpaioMpiExecutor) executor = mpaio_mpi_executor_new (2);
  gint64 end = G_MAXINT64;
  guint n_runs = 0, n_right = 0;

  do
    {
      g_autoptr(MpaioOrchestrator) orchestrator = NULL;
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(GError) error = NULL;

      orchestrator = test_make_sum_run (MPAIO_EXECUTOR (executor), N_VALUES, 1000, &worker);
      if (!test_run_sync (orchestrator, NULL, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      if (n_runs++ == 0)
        end = g_get_monotonic_time () + G_USEC_PER_SEC / 4;
      n_right += worker->total == test_sum_1_to_n (N_VALUES);
    }
  while (g_get_monotonic_time () < end);

  g_print ("%u of %u runs right\n", n_right, n_runs);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MpaioMpiExecutor) executor = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(GError) error = NULL;

  test_workers_register ();
  mpaio_mpi_serve_if_worker ();
  if (argc > 1 && g_str_equal (argv[1], "busy-exit"))
    return busy_exit ();

  executor = mpaio_mpi_executor_new (0);
  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (executor), N_VALUES,
                                    argc > 1 && g_str_equal (argv[1], "one-chunk") ? N_VALUES : 1000,
                                    &worker);
  if (!test_run_sync (orchestrator, NULL, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("launched %d, %u workers, %u chunks, total %" G_GINT64_FORMAT "\n",
           mpaio_mpi_executor_get_launched (executor),
           mpaio_executor_get_max_workers (MPAIO_EXECUTOR (executor)),
           worker->n_callbacks, worker->total);
  return 0;
}
