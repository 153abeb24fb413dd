/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_MPI_INSIDE) && !defined(MPAIO_MPI_COMPILATION)
# error "Only <mpaio-mpi.h> can be included directly."
#endif

#include <glib.h>

#include "mpaio-mpi-version-macros.h"

G_BEGIN_DECLS

MPAIO_MPI_AVAILABLE_IN_ALL
gboolean mpaio_mpi_is_worker_process (void);
MPAIO_MPI_AVAILABLE_IN_ALL
gboolean mpaio_mpi_serve             (GError **error);
MPAIO_MPI_AVAILABLE_IN_ALL
void     mpaio_mpi_serve_if_worker   (void);

G_END_DECLS
