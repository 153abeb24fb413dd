/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_MPI_INSIDE) && !defined(MPAIO_MPI_COMPILATION)
# error "Only <mpaio-mpi.h> can be included directly."
#endif

#include <mpaio.h>

#include "mpaio-mpi-version-macros.h"

G_BEGIN_DECLS

#define MPAIO_MPI_TYPE_EXECUTOR (mpaio_mpi_executor_get_type ())

MPAIO_MPI_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MpaioMpiExecutor, mpaio_mpi_executor, MPAIO_MPI, EXECUTOR, GObject)

MPAIO_MPI_AVAILABLE_IN_ALL
MpaioMpiExecutor   *mpaio_mpi_executor_new            (guint                 max_workers);
MPAIO_MPI_AVAILABLE_IN_ALL
MpaioMpiExecutor   *mpaio_mpi_executor_new_for_argv   (const char * const   *argv,
                                                       guint                 max_workers);
MPAIO_MPI_AVAILABLE_IN_ALL
gboolean            mpaio_mpi_executor_get_launched   (MpaioMpiExecutor     *self);
MPAIO_MPI_AVAILABLE_IN_ALL
const char * const *mpaio_mpi_executor_get_argv       (MpaioMpiExecutor     *self);
MPAIO_MPI_AVAILABLE_IN_ALL
int                *mpaio_mpi_executor_dup_worker_pids (MpaioMpiExecutor    *self,
                                                       guint                *n_pids);

G_END_DECLS
