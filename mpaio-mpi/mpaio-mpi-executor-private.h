/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-executor-private.h"
#include "mpaio-mpi-executor.h"
#include "mpaio-mpi-transport-private.h"

G_BEGIN_DECLS

typedef enum
{
  RANK_SPAWNING,                    /* MPI_Comm_spawn not done yet */
  RANK_CONNECTED,                   /* waiting for its HELLO */
  RANK_READY,
} RankState;

/* One worker rank, as the executor sees it. */
typedef struct
{
  MpaioMpiExecutor *executor;
  guint             endpoint;
  RankState         state;
  int               world_rank;     /* launched mode; 0 for a spawned one */
  guint64           pid;
  char             *host;
  gboolean          same_node;      /* runs on the caller's node */
  gboolean          local;          /* maps the caller's memories itself */
  GQueue            in_flight;      /* InFlight*, in the order sent */
  GHashTable       *memories;       /* memory ids it has */
  GHashTable       *bindings;       /* binding ids it has */
  gint64            last_heard;
  gint64            head_since;     /* when the first chunk in flight became first */
  double            chunk_usec;     /* moving average of a chunk's time */
} Rank;

struct _MpaioMpiExecutor
{
  GObject        parent_instance;

  GMainContext  *context;
  guint          max_workers;
  char         **argv;              /* NULL: this program again */
  char          *host;
  char          *hostfile;
  guint          max_retries;
  guint          chunk_timeout;     /* ms, 0 for none */
  guint          heartbeat_timeout; /* ms */
  gboolean       local_mapping;
  gboolean       launched;

  MpaioMpiSink  *sink;
  GHashTable    *ranks;             /* endpoint → Rank */
  GPtrArray     *runs;              /* MpaioRun*, attached */
  guint          next_run;
  GHashTable    *run_bindings;      /* MpaioRun* → RunBindings */
  guint32        next_binding;
  char          *boot_id;
  GSource       *watchdog;
  guint          n_spawn_failures;  /* in a row */
  GError        *spawn_error;

  GQueue         shutdown_tasks;
  GSource       *shutdown_timer;
  gint64         shutdown_deadline;
  GArray        *stopped_pids;      /* local pids of stopped ranks */
  guint          closed : 1;
  guint          dispatching : 1;
};

/* mpaio-mpi-dispatch.c */
void     mpaio_mpi_executor_start_ranks   (MpaioMpiExecutor  *self);
void     mpaio_mpi_executor_dispatch      (MpaioMpiExecutor  *self);
gboolean mpaio_mpi_executor_bind_run      (MpaioMpiExecutor  *self,
                                           MpaioRun          *run,
                                           GError           **error);
void     mpaio_mpi_executor_unbind_run    (MpaioMpiExecutor  *self,
                                           MpaioRun          *run);
void     mpaio_mpi_executor_watch         (MpaioMpiExecutor  *self);
char   **mpaio_mpi_own_argv              (void);
void     mpaio_mpi_executor_stop_ranks    (MpaioMpiExecutor  *self);
void     mpaio_mpi_executor_on_event      (MpaioMpiEvent     *event,
                                           gpointer           user_data);
void     mpaio_mpi_rank_free              (gpointer           data);
void     mpaio_mpi_run_bindings_free      (gpointer           data);

G_END_DECLS
