/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-wire-private.h"

G_BEGIN_DECLS

/* Messages between an MPI executor and its worker ranks. Each is one MPI
 * message of MPI_BYTE whose tag says its kind. HELLO, FORGET_MEMORY,
 * WORKER, BIND, UNBIND, PROCESS, RESULT and ERROR are the process pool's messages (the tag is
 * their MpaioMessageKind, the body the same serialized GVariant); these are
 * MPI's own: */
typedef enum
{
  MPAIO_MPI_TAG_HELLO = 40,     /* worker → caller, before HELLO: (usts) protocol
                                 * version, host, pid, boot id */
  MPAIO_MPI_TAG_MEMORY,         /* caller → worker: (ttbttt) memory id, size, mapped
                                 * on the node, caller's pid, fd and inode */
  MPAIO_MPI_TAG_DATA,           /* caller → worker: a chunk's bytes, after its PROCESS */
  MPAIO_MPI_TAG_HEARTBEAT,      /* worker → caller: empty, when nothing else went */
  MPAIO_MPI_TAG_STOP,           /* caller → worker: empty, finish and exit */
  MPAIO_MPI_TAG_FAILED,         /* worker → caller: (s) why it stops serving */
} MpaioMpiTag;

#define MPAIO_MPI_PROTOCOL_VERSION 1
/* How often an idle worker says it is alive. */
#define MPAIO_MPI_HEARTBEAT_MS 200

void      mpaio_mpi_send_body (guint    endpoint,
                               int      tag,
                               GVariant *body);
GVariant *mpaio_mpi_decode  (int        tag,
                             GBytes    *bytes,
                             GError   **error);
char     *mpaio_mpi_boot_id (void);

G_END_DECLS
