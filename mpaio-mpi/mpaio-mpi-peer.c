/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-executor-private.h"
#include "mpaio-mpi-protocol-private.h"
#include "mpaio-shared-memory-private.h"

/* The MPI executor's transport: each peer of its dispatch is a worker rank,
 * reached through the MPI thread (mpaio-mpi-transport.c). Dispatch,
 * batching, retries, chunk timeouts and respawns are the dispatch's; what
 * is MPI's own is here: starting a rank (a spawn, or a rank of the job
 * under mpirun), the chunk's bytes for a rank off the caller's node, and
 * heartbeats, since MPI says nothing when a peer dies. */

#define WATCHDOG_MS 100
/* MPI_Comm_spawn blocks the MPI thread; one that takes this long is taken
 * for hung. */
#define SPAWN_TIMEOUT_USEC (60 * G_USEC_PER_SEC)
/* How long a stopped rank on this node has to exit before it is killed. */
#define STOP_GRACE_USEC (2 * G_USEC_PER_SEC)

typedef struct
{
  MpaioSharedMemory *memory;
  guint64            offset;
  guint64            element_size;
} Binding;

static Rank *
rank_of (MpaioPeer *peer)
{
  return mpaio_peer_get_data (peer);
}

static void
rank_send_stop (Rank *rank)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

  mpaio_mpi_send (rank->endpoint, MPAIO_MPI_TAG_STOP, empty);
}

/* Nothing more goes to the rank or comes from it; once it has exited (on
 * this node: its pid is gone; elsewhere: at once), the dispatch is told. */
static void
rank_let_go (Rank   *rank,
             gint64  grace_usec)
{
  if (rank->gone)
    return;

  rank->gone = TRUE;
  rank->exit_deadline = g_get_monotonic_time () + grace_usec;
  mpaio_mpi_abandon (rank->endpoint);
  mpaio_mpi_executor_watch (rank->executor);
}

static gboolean
rank_has_exited (Rank *rank)
{
  if (!rank->same_node || rank->pid == 0)
    return TRUE;

  if (g_get_monotonic_time () >= rank->exit_deadline)
    kill ((pid_t) rank->pid, SIGKILL);

  return kill ((pid_t) rank->pid, 0) != 0;
}

/* The transport */

static gpointer
mpi_start (MpaioDispatch  *dispatch,
           MpaioPeer      *peer,
           GError        **error)
{
  MpaioMpiExecutor *self = dispatch->transport_data;
  g_auto(GStrv) own_argv = NULL;
  Rank *rank;
  int world_rank = 0;

  if (self->launched && (world_rank = mpaio_mpi_executor_take_world_rank (self)) == 0)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED,
                           _("No worker rank of the MPI job is left: under mpirun, a lost "
                             "rank cannot be replaced"));
      return NULL;
    }

  if (self->sink == NULL)
    self->sink = mpaio_mpi_sink_new (self->base.context, mpaio_mpi_executor_on_event, self);

  rank = g_new0 (Rank, 1);
  rank->executor = self;
  rank->peer = peer;
  rank->world_rank = world_rank;
  rank->host = g_strdup ("?");
  rank->started = rank->last_heard = g_get_monotonic_time ();
  rank->bindings = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  rank->memories = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_object_unref);

  if (self->launched)
    rank->endpoint = mpaio_mpi_connect_rank (self->sink, world_rank);
  else
    {
      const char * const *argv = (const char * const *) self->argv;

      if (argv == NULL)
        argv = (const char * const *) (own_argv = mpaio_mpi_own_argv ());
      rank->endpoint = mpaio_mpi_spawn (self->sink, argv, self->host, self->hostfile);
    }

  g_hash_table_insert (self->ranks, GUINT_TO_POINTER (rank->endpoint), rank);
  mpaio_mpi_executor_watch (self);
  return rank;
}

static void
mpi_free (gpointer data)
{
  Rank *rank = data;

  g_hash_table_remove (rank->executor->ranks, GUINT_TO_POINTER (rank->endpoint));
  g_hash_table_unref (rank->bindings);
  g_hash_table_unref (rank->memories);
  g_clear_error (&rank->spawn_error);
  g_free (rank->host);
  g_free (rank);
}

/* A rank on the caller's node maps the memory itself, through /proc; the
 * others get the bytes of each chunk. */
static void
mpi_send_memory (MpaioPeer         *peer,
                 MpaioSharedMemory *memory,
                 gboolean           output)
{
  Rank *rank = rank_of (peer);
  int fd = mpaio_shared_memory_get_fd (memory);
  struct stat st = { 0 };
  MpaioMpiMemory body = {
    mpaio_shared_memory_get_id (memory), mpaio_shared_memory_get_size (memory),
    rank->local, getpid (), fd, 0
  };

  if (rank->local && fstat (fd, &st) == 0)
    body.inode = st.st_ino;

  g_hash_table_replace (rank->memories, g_memdup2 (&body.id, sizeof body.id), g_object_ref (memory));
  mpaio_mpi_send_body (rank->endpoint, MPAIO_MPI_TAG_MEMORY, mpaio_mpi_memory_build (&body));
}

static void
mpi_forget_memory (MpaioPeer *peer,
                   guint64    memory_id)
{
  g_hash_table_remove (rank_of (peer)->memories, &memory_id);
  mpaio_mpi_send_body (rank_of (peer)->endpoint, MPAIO_MESSAGE_FORGET_MEMORY,
                       mpaio_wire_forget_memory_build (memory_id));
}

static void
mpi_send_worker (MpaioPeer             *peer,
                 const MpaioWireWorker *worker)
{
  mpaio_mpi_send_body (rank_of (peer)->endpoint, MPAIO_MESSAGE_WORKER,
                       mpaio_wire_worker_build (worker));
}

static void
mpi_send_bind (MpaioPeer           *peer,
               const MpaioWireBind *bind)
{
  Rank *rank = rank_of (peer);
  Binding *binding = g_new0 (Binding, 1);

  binding->memory = g_hash_table_lookup (rank->memories, &bind->memory_id);
  binding->offset = bind->offset;
  binding->element_size = bind->element_size;
  g_hash_table_replace (rank->bindings, GUINT_TO_POINTER (bind->binding_id), binding);
  mpaio_mpi_send_body (rank->endpoint, MPAIO_MESSAGE_BIND, mpaio_wire_bind_build (bind));
}

static void
mpi_send_unbind (MpaioPeer *peer,
                 guint32    binding_id)
{
  g_hash_table_remove (rank_of (peer)->bindings, GUINT_TO_POINTER (binding_id));
  mpaio_mpi_send_body (rank_of (peer)->endpoint, MPAIO_MESSAGE_UNBIND,
                       mpaio_wire_unbind_build (binding_id));
}

/* The bytes go straight from the caller's mapping: the memory is
 * constant, and the GBytes keeps it mapped until MPI has sent them. */
static void
mpi_send_jobs (MpaioPeer              *peer,
               const MpaioWireProcess *jobs)
{
  Rank *rank = rank_of (peer);
  Binding *binding = g_hash_table_lookup (rank->bindings, GUINT_TO_POINTER (jobs->binding_id));

  mpaio_mpi_send_body (rank->endpoint, MPAIO_MESSAGE_PROCESS, mpaio_wire_process_build (jobs));
  if (rank->local || binding == NULL || binding->memory == NULL)
    return;

  for (gsize i = 0; i < jobs->n_ranges; i++)
    {
      const MpaioWireRange *range = &jobs->ranges[i];
      g_autoptr(GBytes) data = NULL;

      data = mpaio_shared_memory_dup_bytes (binding->memory,
                                            binding->offset + range->start * binding->element_size,
                                            (range->end - range->start) * binding->element_size,
                                            NULL);
      if (data == NULL)
        data = g_bytes_new_static ("", 0);
      mpaio_mpi_send (rank->endpoint, MPAIO_MPI_TAG_DATA, data);
    }
}

static void
mpi_close (MpaioPeer *peer)
{
  rank_send_stop (rank_of (peer));
  rank_let_go (rank_of (peer), STOP_GRACE_USEC);
}

static void
mpi_kill (MpaioPeer *peer)
{
  Rank *rank = rank_of (peer);

  rank_send_stop (rank);
  rank_let_go (rank, 0);
}

static void
mpi_hello (MpaioPeer            *peer,
           const MpaioWireHello *hello)
{
  rank_of (peer)->pid = hello->pid;
}

static char *
mpi_describe (MpaioPeer *peer)
{
  Rank *rank = rank_of (peer);

  if (rank->executor->launched)
    return g_strdup_printf (_("MPI rank %d (pid %" PRIu64 " on %s)"),
                            rank->world_rank, rank->pid, rank->host);

  return g_strdup_printf (_("Spawned MPI worker (pid %" PRIu64 " on %s)"), rank->pid, rank->host);
}

static char *
mpi_describe_output (MpaioPeer *peer)
{
  return g_strdup (_("Open MPI reports what it knows on the standard error of mpirun or of "
                     "this program"));
}

static GError *
mpi_startup_error (MpaioPeer  *peer,
                   const char *exit_description,
                   guint       n_failed_before)
{
  Rank *rank = rank_of (peer);
  g_autofree char *name = mpi_describe (peer);

  if (rank->spawn_error != NULL)
    return g_error_copy (rank->spawn_error);

  return g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                      _("%s %s before it was ready, after %u failed starts; check that the "
                        "program calls mpaio_mpi_serve_if_worker() early in main"),
                      name, exit_description, n_failed_before);
}

const MpaioTransport mpaio_mpi_transport = {
  .start = mpi_start,
  .free = mpi_free,
  .send_memory = mpi_send_memory,
  .forget_memory = mpi_forget_memory,
  .send_worker = mpi_send_worker,
  .send_bind = mpi_send_bind,
  .send_unbind = mpi_send_unbind,
  .send_jobs = mpi_send_jobs,
  .close = mpi_close,
  .kill = mpi_kill,
  .hello = mpi_hello,
  .describe = mpi_describe,
  .describe_output = mpi_describe_output,
  .startup_error = mpi_startup_error,
};

/* What the MPI thread reports */

static gboolean
on_mpi_hello (Rank      *rank,
              GVariant  *body,
              GError   **error)
{
  MpaioMpiExecutor *self = rank->executor;
  MpaioMpiHello hello;

  if (!mpaio_mpi_hello_parse (body, &hello, error))
    return FALSE;

  g_free (rank->host);
  rank->host = g_strdup (hello.host);
  rank->pid = hello.pid;
  rank->same_node = g_strcmp0 (hello.boot_id, self->boot_id) == 0;
  rank->local = self->local_mapping && rank->same_node;
  return TRUE;
}

/* A failure that stopped a worker serving: it exits. */
static gboolean
on_worker_failed (Rank      *rank,
                  GVariant  *body,
                  GError   **error)
{
  g_autofree char *name = NULL;
  const char *message;

  if (!mpaio_mpi_failed_parse (body, &message, error))
    return FALSE;

  name = mpi_describe (rank->peer);
  mpaio_peer_abandon (rank->peer, g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED,
                                               "%s: %s", name, message));
  rank_let_go (rank, STOP_GRACE_USEC);
  return TRUE;
}

static gboolean
on_message (Rank           *rank,
            MpaioMpiEvent  *event,
            GError        **error)
{
  MpaioMessage message = { event->tag, NULL, -1 };
  gboolean ok;

  rank->last_heard = g_get_monotonic_time ();
  if (event->tag == MPAIO_MPI_TAG_HEARTBEAT)
    return TRUE;

  if (!(message.body = mpaio_mpi_decode (event->tag, event->bytes, error)))
    return FALSE;

  if (event->tag == MPAIO_MPI_TAG_HELLO)
    ok = on_mpi_hello (rank, message.body, error);
  else if (event->tag == MPAIO_MPI_TAG_FAILED)
    ok = on_worker_failed (rank, message.body, error);
  else
    ok = mpaio_peer_receive (rank->peer, &message, error);

  mpaio_message_clear (&message);
  return ok;
}

/* A spawn that failed is a start that failed, unless other workers run:
 * then Open MPI had no slot for more, and the executor goes on with those. */
static void
on_failed (Rank   *rank,
           GError *error)
{
  MpaioMpiExecutor *self = rank->executor;
  g_autofree char *name = mpi_describe (rank->peer);

  if (rank->connected)
    {
      g_debug ("%s failed: %s", name, error->message);
      rank_let_go (rank, 0);
      mpaio_peer_lost (rank->peer);
      g_error_free (error);
      return;
    }

  if (mpaio_dispatch_get_n_peers (&self->dispatch) > 1)
    {
      self->dispatch.max_workers = mpaio_dispatch_get_n_peers (&self->dispatch) - 1;
      g_debug ("Going on with %u MPI workers: %s", self->dispatch.max_workers, error->message);
    }

  rank->spawn_error = error;
  rank_let_go (rank, 0);
}

void
mpaio_mpi_executor_on_event (MpaioMpiEvent *event,
                             gpointer       user_data)
{
  MpaioMpiExecutor *self = user_data;
  g_autoptr(GObject) hold = g_object_ref (G_OBJECT (self));
  g_autoptr(GError) error = NULL;
  Rank *rank;

  /* The end of a batch: the peers are refilled in one go. */
  if (event == NULL)
    {
      mpaio_dispatch_run (&self->dispatch);
      return;
    }

  rank = g_hash_table_lookup (self->ranks, GUINT_TO_POINTER (event->endpoint));
  if (rank == NULL || rank->gone)
    return;

  switch (event->kind)
    {
    case MPAIO_MPI_EVENT_CONNECTED:
      rank->connected = TRUE;
      rank->last_heard = g_get_monotonic_time ();
      break;
    case MPAIO_MPI_EVENT_FAILED:
      on_failed (rank, g_steal_pointer (&event->error));
      break;
    case MPAIO_MPI_EVENT_MESSAGE:
    default:
      if (!on_message (rank, event, &error))
        {
          g_autofree char *name = mpi_describe (rank->peer);

          g_prefix_error (&error, "%s: ", name);
          mpaio_peer_abandon (rank->peer, g_steal_pointer (&error));
          rank_let_go (rank, 0);
        }
      break;
    }

}

/* The watchdog: a rank that sends nothing (not even a heartbeat) for the
 * heartbeat timeout is taken for dead, a spawn that never returns for
 * failed; ranks let go are reported to the dispatch once they are gone. */
static void
rank_check (Rank   *rank,
            gint64  now)
{
  MpaioMpiExecutor *self = rank->executor;
  g_autofree char *name = NULL;

  if (rank->gone)
    {
      if (rank_has_exited (rank))
        mpaio_peer_exited (rank->peer, rank->spawn_error != NULL ? _("could not be spawned")
                                                                 : _("stopped"));
      return;
    }

  name = mpi_describe (rank->peer);
  if (rank->connected && now - rank->last_heard > (gint64) self->heartbeat_timeout * 1000)
    {
      g_debug ("%s sent nothing for %u ms (no heartbeat): taken for dead", name,
               self->heartbeat_timeout);
      rank_let_go (rank, 0);
      mpaio_peer_lost (rank->peer);
    }
  else if (!rank->connected && now - rank->started > SPAWN_TIMEOUT_USEC)
    {
      rank_send_stop (rank);
      rank->spawn_error = g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                                       _("MPI_Comm_spawn did not return within %d s; check "
                                         "Open MPI's configuration and hosts"),
                                       (int) (SPAWN_TIMEOUT_USEC / G_USEC_PER_SEC));
      rank_let_go (rank, 0);
    }
}

static gboolean
on_watchdog (gpointer user_data)
{
  MpaioMpiExecutor *self = user_data;
  g_autoptr(GObject) hold = g_object_ref (G_OBJECT (self));
  g_autoptr(GList) endpoints = g_hash_table_get_keys (self->ranks);
  gint64 now = g_get_monotonic_time ();

  /* Each step may free ranks: look each one up again. */
  for (GList *l = endpoints; l != NULL; l = l->next)
    {
      Rank *rank = g_hash_table_lookup (self->ranks, l->data);

      if (rank != NULL)
        rank_check (rank, now);
    }

  mpaio_dispatch_run (&self->dispatch);

  if (g_hash_table_size (self->ranks) > 0)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&self->watchdog, g_source_unref);
  return G_SOURCE_REMOVE;
}

void
mpaio_mpi_executor_watch (MpaioMpiExecutor *self)
{
  if (self->watchdog != NULL)
    return;

  self->watchdog = g_timeout_source_new (WATCHDOG_MS);
  g_source_set_callback (self->watchdog, on_watchdog, self, NULL);
  g_source_set_static_name (self->watchdog, "[mpaio] MPI watchdog");
  g_source_attach (self->watchdog, self->base.context);
}
