/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-wire-private.h"

G_BEGIN_DECLS

/* Messages between an MPI executor and its worker ranks. Each is one MPI
 * message of MPI_BYTE whose tag says its kind. This module owns the
 * format of MPI's own bodies: they are built and read here only. HELLO, FORGET_MEMORY,
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

/* The bodies of MPI's own messages; the strings of a parsed one point
 * into its body. */
typedef struct
{
  guint32     version;
  const char *host;
  guint64     pid;
  const char *boot_id;
} MpaioMpiHello;

typedef struct
{
  guint64  id;
  guint64  size;
  gboolean local;       /* mapped on the node: open the caller's fd */
  guint64  pid;         /* the caller's, with its fd and the inode */
  guint64  fd;
  guint64  inode;
} MpaioMpiMemory;

GVariant *mpaio_mpi_hello_build  (const MpaioMpiHello  *hello);
gboolean  mpaio_mpi_hello_parse  (GVariant             *body,
                                  MpaioMpiHello        *hello,
                                  GError              **error);
GVariant *mpaio_mpi_memory_build (const MpaioMpiMemory *memory);
gboolean  mpaio_mpi_memory_parse (GVariant             *body,
                                  MpaioMpiMemory       *memory,
                                  GError              **error);
GVariant *mpaio_mpi_failed_build (const char           *message);
gboolean  mpaio_mpi_failed_parse (GVariant             *body,
                                  const char          **message,
                                  GError              **error);

void      mpaio_mpi_send_body (guint    endpoint,
                               int      tag,
                               GVariant *body);
GVariant *mpaio_mpi_decode  (int        tag,
                             GBytes    *bytes,
                             GError   **error);
char     *mpaio_mpi_boot_id (void);

G_END_DECLS
