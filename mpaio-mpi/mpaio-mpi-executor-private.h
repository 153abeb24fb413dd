/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-dispatch-private.h"
#include "mpaio-executor-base-private.h"
#include "mpaio-mpi-executor.h"
#include "mpaio-mpi-transport-private.h"

G_BEGIN_DECLS

/* One worker rank: the transport's data for a peer of the dispatch. */
typedef struct
{
  MpaioMpiExecutor *executor;
  MpaioPeer        *peer;
  guint             endpoint;
  int               world_rank;     /* launched mode; 0 for a spawned one */
  guint64           pid;
  char             *host;
  gboolean          connected;      /* spawned (or found) by MPI */
  gboolean          same_node;      /* runs on the caller's node */
  gboolean          local;          /* maps the caller's memories itself */
  gboolean          gone;           /* let go: its exit is due */
  gint64            started;
  gint64            last_heard;
  gint64            exit_deadline;  /* killed after it, on this node */
  GError           *spawn_error;
  GHashTable       *memories;       /* memory id → MpaioSharedMemory */
  GHashTable       *bindings;       /* binding id → Binding, for the bytes */
} Rank;

struct _MpaioMpiExecutor
{
  GObject            parent_instance;

  MpaioExecutorBase  base;
  MpaioDispatch      dispatch;

  char             **argv;          /* NULL: this program again */
  char              *host;
  char              *hostfile;
  guint              heartbeat_timeout; /* ms */
  gboolean           local_mapping;
  gboolean           launched;
  int                next_world_rank;

  MpaioMpiSink      *sink;
  GHashTable        *ranks;         /* endpoint → Rank, owned by the peers */
  char              *boot_id;
  GSource           *watchdog;
};

extern const MpaioTransport mpaio_mpi_transport;

/* mpaio-mpi-peer.c */
void     mpaio_mpi_executor_on_event      (MpaioMpiEvent     *event,
                                           gpointer           user_data);
void     mpaio_mpi_executor_watch         (MpaioMpiExecutor  *self);

/* mpaio-mpi-executor.c */
char   **mpaio_mpi_own_argv               (void);
int      mpaio_mpi_executor_take_world_rank (MpaioMpiExecutor *self);

G_END_DECLS
