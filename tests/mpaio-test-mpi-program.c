/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A program for the MPI tests. Under mpirun, rank 0 sums 1..100,000 on an
 * MpaioMpiExecutor (launched mode), in 100 chunks or with "one-chunk" in
 * one, and prints what it got, and the other ranks serve. Spawned by an executor, it serves: it is also an explicit
 * worker program. */
#include "config.h"

#include <mpaio-mpi.h>

#include "test-workers.h"

#define N_VALUES 100000

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
