/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The MPI transport: MPI lives on one thread of its own, started on first
 * use, which initialises it (MPI_THREAD_MULTIPLE, for the spawner), sets
 * MPI_ERRORS_RETURN on every communicator, and moves bytes. It polls with
 * MPI_Improbe and MPI_Testsome and a backoff, never a blocking call that
 * spins; MPI_Comm_spawn, which blocks, runs on a second thread, the
 * spawner. No other thread calls MPI. It knows endpoints (a peer process on a
 * communicator), tags and bytes; nothing about runs or message bodies.
 *
 * Endpoint ids are handed out at once; what happens to an endpoint comes
 * back as events in a sink, in order. */

/* Messages this large are received straight into a place the owner gives
 * (mpaio_mpi_place()); smaller ones into a buffer of their own, which
 * costs less than the round trip between threads. */
#define MPAIO_MPI_PLACE_MIN_SIZE (64 * 1024)

typedef enum
{
  MPAIO_MPI_ROLE_PLAIN,            /* no MPI launcher: spawns its workers */
  MPAIO_MPI_ROLE_ROOT,             /* rank 0 of an mpirun job of 2 or more */
  MPAIO_MPI_ROLE_LAUNCHED_WORKER,  /* rank 1 or more of an mpirun job */
  MPAIO_MPI_ROLE_SPAWNED_WORKER,   /* started by MPI_Comm_spawn */
} MpaioMpiRole;

typedef enum
{
  MPAIO_MPI_EVENT_CONNECTED,       /* the endpoint can be used */
  MPAIO_MPI_EVENT_FAILED,          /* spawning or sending failed: error */
  MPAIO_MPI_EVENT_MESSAGE,         /* tag and bytes; without bytes, a large
                                    * message of the place tag waits for its
                                    * place */
} MpaioMpiEventKind;

typedef struct
{
  MpaioMpiEventKind  kind;
  guint              endpoint;
  int                tag;
  GBytes            *bytes;
  GError            *error;
} MpaioMpiEvent;

typedef struct _MpaioMpiSink MpaioMpiSink;

typedef void (*MpaioMpiSinkFunc) (MpaioMpiEvent *event,
                                  gpointer       user_data);

MpaioMpiRole   mpaio_mpi_get_role        (void);
int            mpaio_mpi_get_launched_size (void);

/* With a context, events reach @func there, in batches; without one, the
 * owner takes them with mpaio_mpi_sink_pop(). */
MpaioMpiSink  *mpaio_mpi_sink_new        (GMainContext     *context,
                                          MpaioMpiSinkFunc  func,
                                          gpointer          user_data);
void           mpaio_mpi_sink_close      (MpaioMpiSink     *sink);
MpaioMpiEvent *mpaio_mpi_sink_pop        (MpaioMpiSink     *sink);
MpaioMpiEvent *mpaio_mpi_sink_try_pop    (MpaioMpiSink     *sink);
void           mpaio_mpi_event_free      (MpaioMpiEvent    *event);
MpaioMpiSink  *mpaio_mpi_sink_ref        (MpaioMpiSink     *sink);
void           mpaio_mpi_sink_unref      (MpaioMpiSink     *sink);
void           mpaio_mpi_sink_push       (MpaioMpiSink      *sink,
                                          MpaioMpiEventKind  kind,
                                          guint              endpoint,
                                          int                tag,
                                          GBytes            *bytes,
                                          GError            *error);

guint          mpaio_mpi_spawn           (MpaioMpiSink       *sink,
                                          const char * const *argv,
                                          const char         *host,
                                          const char         *hostfile);
guint          mpaio_mpi_connect_rank    (MpaioMpiSink     *sink,
                                          int               rank);
guint          mpaio_mpi_connect_parent  (MpaioMpiSink     *sink,
                                          guint             heartbeat_ms,
                                          int               heartbeat_tag,
                                          int               place_tag);
void           mpaio_mpi_place           (guint             endpoint,
                                          gpointer          data,
                                          gsize             size);
void           mpaio_mpi_send            (guint             endpoint,
                                          int               tag,
                                          GBytes           *bytes);
void           mpaio_mpi_abandon         (guint             endpoint);
void           mpaio_mpi_finalize        (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpaioMpiEvent, mpaio_mpi_event_free)

G_END_DECLS
