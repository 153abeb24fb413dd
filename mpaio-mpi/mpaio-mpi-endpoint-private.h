/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <mpi.h>

#include "mpaio-mpi-transport-private.h"

G_BEGIN_DECLS

/* One peer process on a communicator, as the MPI thread sees it: what it
 * receives from it (into buffers, or large messages of its place tag
 * straight into the places its owner gives) and when it last sent to it.
 * Only the MPI thread touches endpoints (mpaio-mpi-transport.c). */
typedef struct
{
  guint         id;
  MPI_Comm      comm;
  int           rank;
  MpaioMpiSink *sink;
  guint         heartbeat_ms;
  int           heartbeat_tag;
  gint64        last_send;
  int           place_tag;          /* large messages of this tag go to places */
  GQueue        places;             /* GBytes, where the next ones go */
  MPI_Message   held;               /* one matched before its place was given */
  int           held_count;
  gboolean      failed;             /* receiving failed: to be dropped */
} MpaioMpiEndpoint;

MpaioMpiEndpoint *mpaio_mpi_endpoint_new       (guint             id,
                                                MpaioMpiSink     *sink,
                                                MPI_Comm          comm,
                                                int               rank);
void              mpaio_mpi_endpoint_free      (gpointer          endpoint);
void              mpaio_mpi_endpoint_add_place (MpaioMpiEndpoint *endpoint,
                                                GBytes           *place);
int               mpaio_mpi_endpoint_receive   (MpaioMpiEndpoint *endpoint,
                                                guint             max_messages);

GError           *mpaio_mpi_error_new_from_code (int              code,
                                                 int              error_code,
                                                 const char      *what);

G_END_DECLS
