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
#include "mpaio-wire-private.h"

/* How much work each rank has queued, as the process pool keeps: about
 * 2 ms of it, between 1 and 64 chunks; 2 until a chunk was measured. */
#define QUEUED_WORK_USEC 2000.0
#define MAX_DEPTH 64
#define FIRST_DEPTH 2
/* Spawning stops after this many failures in a row. */
#define MAX_SPAWN_FAILURES 3
#define WATCHDOG_MS 100
/* MPI_Comm_spawn blocks the MPI thread; one that takes this long is taken
 * for hung, so that runs fail instead of waiting for ever. */
#define SPAWN_TIMEOUT_MS 60000

typedef struct
{
  MpaioJob *job;
  guint32   binding_id;
} InFlight;

/* The ids and specs of one run's (worker, iterator) pairs. */
typedef struct
{
  guint32  *ids;
  GVariant **specs;
  guint     n_pairs;
} RunBindings;

static void rank_lost (Rank *rank, GError *failure, const char *reason);

void
mpaio_mpi_run_bindings_free (gpointer data)
{
  RunBindings *bindings = data;

  for (guint i = 0; i < bindings->n_pairs; i++)
    g_clear_pointer (&bindings->specs[i], g_variant_unref);
  g_free (bindings->specs);
  g_free (bindings->ids);
  g_free (bindings);
}

static void
in_flight_free (InFlight *entry)
{
  g_clear_pointer (&entry->job, mpaio_job_free);
  g_free (entry);
}

void
mpaio_mpi_rank_free (gpointer data)
{
  Rank *rank = data;

  g_queue_clear_full (&rank->in_flight, (GDestroyNotify) in_flight_free);
  g_clear_pointer (&rank->memories, g_hash_table_unref);
  g_clear_pointer (&rank->bindings, g_hash_table_unref);
  g_free (rank->host);
  g_free (rank);
}

static Rank *
rank_new (MpaioMpiExecutor *self,
          guint             endpoint,
          int               world_rank)
{
  Rank *rank = g_new0 (Rank, 1);

  rank->executor = self;
  rank->endpoint = endpoint;
  rank->world_rank = world_rank;
  rank->state = RANK_SPAWNING;
  rank->host = g_strdup ("?");
  rank->last_heard = g_get_monotonic_time ();
  g_queue_init (&rank->in_flight);
  rank->memories = g_hash_table_new (g_int64_hash, g_int64_equal);
  rank->bindings = g_hash_table_new (NULL, NULL);
  g_hash_table_insert (self->ranks, GUINT_TO_POINTER (endpoint), rank);
  return rank;
}

static void
rank_send (Rank     *rank,
           int       tag,
           GVariant *body)
{
  g_autoptr(GBytes) bytes = mpaio_mpi_encode (body);

  mpaio_mpi_send (rank->endpoint, tag, bytes);
}

static char *
rank_describe (Rank *rank)
{
  if (rank->executor->launched)
    return g_strdup_printf (_("MPI rank %d (pid %" PRIu64 " on %s)"),
                            rank->world_rank, rank->pid, rank->host);

  return g_strdup_printf (_("spawned MPI worker (pid %" PRIu64 " on %s)"), rank->pid, rank->host);
}

/* Starting ranks. */

static guint
count_ranks (MpaioMpiExecutor *self)
{
  return g_hash_table_size (self->ranks);
}

static guint64
count_pending (MpaioMpiExecutor *self)
{
  guint64 n = 0;

  for (guint i = 0; i < self->runs->len; i++)
    n += mpaio_run_get_n_pending (g_ptr_array_index (self->runs, i));

  return n;
}

/* Launched mode: every other rank of the job, once. Spawned mode: one
 * spawn per worker, as many as the waiting chunks can keep busy. */
void
mpaio_mpi_executor_start_ranks (MpaioMpiExecutor *self)
{
  g_auto(GStrv) own_argv = NULL;
  const char * const *argv;
  guint64 wanted;

  if (self->closed)
    return;

  if (self->launched)
    {
      if (count_ranks (self) == 0 && self->spawn_error == NULL)
        for (guint i = 1; i <= self->max_workers; i++)
          rank_new (self, mpaio_mpi_connect_rank (self->sink, i), i);
      return;
    }

  wanted = MIN (count_pending (self), self->max_workers);
  if (count_ranks (self) >= wanted)
    return;

  /* Spawning failed too often in a row: go on with the ranks there are,
   * or, with none, fail the runs that cannot succeed. */
  if (self->n_spawn_failures >= MAX_SPAWN_FAILURES)
    {
      if (count_ranks (self) == 0)
        mpaio_runs_fail (self->runs, self->spawn_error);
      return;
    }

  argv = (const char * const *) self->argv;
  if (argv == NULL)
    argv = (const char * const *) (own_argv = mpaio_mpi_own_argv ());

  g_debug ("Spawning %u MPI workers for %" G_GUINT64_FORMAT " waiting chunks",
           (guint) (wanted - count_ranks (self)), count_pending (self));
  while (count_ranks (self) < wanted)
    rank_new (self, mpaio_mpi_spawn (self->sink, argv, self->host, self->hostfile), 0);
}

/* Sending chunks. */

static guint
rank_depth (Rank *rank)
{
  if (rank->chunk_usec <= 0)
    return FIRST_DEPTH;

  return CLAMP ((guint) (QUEUED_WORK_USEC / rank->chunk_usec), 1, MAX_DEPTH);
}

static void
rank_send_memory (Rank              *rank,
                  MpaioSharedMemory *memory)
{
  guint64 id = mpaio_shared_memory_get_id (memory);
  int fd = mpaio_shared_memory_get_fd (memory);
  struct stat st = { 0 };

  if (g_hash_table_contains (rank->memories, &id))
    return;

  if (rank->local)
    fstat (fd, &st);

  rank_send (rank, MPAIO_MPI_TAG_MEMORY,
             g_variant_new ("(ttbttt)", id, (guint64) mpaio_shared_memory_get_size (memory),
                            rank->local, (guint64) getpid (), (guint64) fd, (guint64) st.st_ino));
  g_hash_table_add (rank->memories, g_memdup2 (&id, sizeof id));
}

static void
rank_send_binding (Rank         *rank,
                   MpaioRunPair *pair,
                   guint32       binding_id,
                   GVariant     *spec)
{
  MpaioDataIterator *iterator = pair->iterator;
  MpaioSharedMemory *memory = mpaio_data_iterator_get_memory (iterator);

  if (g_hash_table_contains (rank->bindings, GUINT_TO_POINTER (binding_id)))
    return;

  rank_send_memory (rank, memory);
  rank_send (rank, MPAIO_MESSAGE_WORKER, g_variant_new ("(u@(sa{sv}))", binding_id, spec));
  rank_send (rank, MPAIO_MESSAGE_BIND,
             g_variant_new ("(uutttstt)", binding_id, binding_id,
                            mpaio_shared_memory_get_id (memory),
                            mpaio_data_iterator_get_offset (iterator),
                            (guint64) mpaio_data_iterator_get_element_size (iterator),
                            mpaio_data_iterator_get_dtype (iterator), (guint64) 0, (guint64) 0));
  g_hash_table_add (rank->bindings, GUINT_TO_POINTER (binding_id));
}

/* A rank off the caller's node gets the chunk's bytes with it, straight
 * from the caller's mapping (the memory is constant). */
static void
rank_send_job (Rank     *rank,
               MpaioJob *job)
{
  MpaioMpiExecutor *self = rank->executor;
  RunBindings *bindings = g_hash_table_lookup (self->run_bindings, job->run);
  MpaioRunPair *pair = mpaio_run_get_pair (job->run, job->pair);
  guint64 range[3] = { job->chunk, job->start, job->end };
  InFlight *entry = g_new0 (InFlight, 1);

  entry->job = job;
  entry->binding_id = bindings->ids[job->pair];
  rank_send_binding (rank, pair, entry->binding_id, bindings->specs[job->pair]);
  rank_send (rank, MPAIO_MESSAGE_PROCESS,
             g_variant_new ("(u@a(ttt))", entry->binding_id,
                            g_variant_new_fixed_array (G_VARIANT_TYPE ("(ttt)"), range, 1,
                                                       sizeof range)));

  if (!rank->local)
    {
      gsize element_size = mpaio_data_iterator_get_element_size (pair->iterator);
      g_autoptr(GBytes) data = NULL;

      data = mpaio_shared_memory_dup_bytes (mpaio_data_iterator_get_memory (pair->iterator),
                                            mpaio_data_iterator_get_offset (pair->iterator) +
                                            job->start * element_size,
                                            (job->end - job->start) * element_size, NULL);
      mpaio_mpi_send (rank->endpoint, MPAIO_MPI_TAG_DATA, data);
    }

  if (rank->in_flight.length == 0)
    rank->head_since = g_get_monotonic_time ();
  g_queue_push_tail (&rank->in_flight, entry);
}

/* Fills a ready rank up to its depth. A suspect (a chunk that was on a rank
 * that died) only goes to a rank with nothing else in flight, so that a
 * second death names its chunk for certain. */
static void
rank_fill (Rank *rank)
{
  MpaioMpiExecutor *self = rank->executor;
  MpaioJob *job;

  while (rank->in_flight.length < rank_depth (rank) &&
         (job = mpaio_runs_pull (self->runs, &self->next_run)))
    {
      if (job->suspect && rank->in_flight.length > 0)
        {
          mpaio_run_unpull (job->run, job);
          return;
        }

      rank_send_job (rank, job);
    }
}

void
mpaio_mpi_executor_dispatch (MpaioMpiExecutor *self)
{
  g_autoptr(GList) ranks = NULL;

  if (self->closed || self->dispatching)
    return;

  self->dispatching = TRUE;
  ranks = g_hash_table_get_values (self->ranks);
  for (GList *l = ranks; l != NULL; l = l->next)
    {
      Rank *rank = l->data;

      if (rank->state == RANK_READY)
        rank_fill (rank);
    }
  self->dispatching = FALSE;

  mpaio_mpi_executor_start_ranks (self);
}

/* Runs. */

gboolean
mpaio_mpi_executor_bind_run (MpaioMpiExecutor  *self,
                             MpaioRun          *run,
                             GError           **error)
{
  RunBindings *bindings = g_new0 (RunBindings, 1);
  guint n_pairs = mpaio_run_get_n_pairs (run);

  bindings->n_pairs = n_pairs;
  bindings->ids = g_new0 (guint32, n_pairs);
  bindings->specs = g_new0 (GVariant *, n_pairs);

  for (guint i = 0; i < n_pairs; i++)
    {
      MpaioRunPair *pair = mpaio_run_get_pair (run, i);

      if (pair->output != NULL)
        {
          g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED,
                       _("The MPI executor cannot carry an output memory: workers on other "
                         "nodes cannot write to it; return the results instead, or use a "
                         "process pool"));
          mpaio_mpi_run_bindings_free (bindings);
          return FALSE;
        }

      if (!(bindings->specs[i] = mpaio_worker_serialize (pair->worker, error)))
        {
          mpaio_mpi_run_bindings_free (bindings);
          return FALSE;
        }

      g_variant_ref_sink (bindings->specs[i]);
      bindings->ids[i] = ++self->next_binding;
    }

  g_hash_table_insert (self->run_bindings, run, bindings);
  return TRUE;
}

/* The run is over: its workers are dropped from the ranks that have them. */
void
mpaio_mpi_executor_unbind_run (MpaioMpiExecutor *self,
                               MpaioRun         *run)
{
  RunBindings *bindings = g_hash_table_lookup (self->run_bindings, run);
  GHashTableIter iter;
  Rank *rank;

  if (bindings == NULL)
    return;

  g_hash_table_iter_init (&iter, self->ranks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rank))
    for (guint i = 0; i < bindings->n_pairs; i++)
      if (g_hash_table_remove (rank->bindings, GUINT_TO_POINTER (bindings->ids[i])))
        rank_send (rank, MPAIO_MESSAGE_UNBIND, g_variant_new ("(u)", bindings->ids[i]));

  g_hash_table_remove (self->run_bindings, run);
}

/* Failures. */

static void
reclaim_job (Rank     *rank,
             MpaioJob *job,
             gboolean  alone,
             GError   *failure,
             const char *reason)
{
  MpaioMpiExecutor *self = rank->executor;
  MpaioRun *run = job->run;
  g_autofree char *who = NULL;

  if (mpaio_run_is_finished (run))
    {
      mpaio_job_free (job);
      return;
    }

  if (failure != NULL)
    {
      mpaio_run_fail (run, g_error_copy (failure));
      mpaio_job_free (job);
      return;
    }

  if (!alone || ++job->attempts <= self->max_retries)
    {
      job->suspect = TRUE;
      mpaio_run_requeue (run, job);
      return;
    }

  who = rank_describe (rank);
  mpaio_run_fail (run, g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED,
                                    _("The %s running %s %s while processing chunk %" PRIu64
                                      " (elements %" PRIu64 " to %" PRIu64 "), after %u attempts"),
                                    who, mpaio_job_get_worker_name (job), reason, job->chunk,
                                    job->start, job->end, job->attempts));
  mpaio_job_free (job);
}

/* A rank that died, stopped answering or broke the protocol: it is
 * abandoned (and killed, when it runs on this node), its chunks go back to
 * their runs as suspects, or their runs fail with @failure; a spawned rank
 * is replaced. */
static void
rank_lost (Rank       *rank,
           GError     *failure,
           const char *reason)
{
  MpaioMpiExecutor *self = rank->executor;
  g_autoptr(GError) owned_failure = failure;
  gboolean alone = rank->in_flight.length == 1;
  InFlight *entry;

  g_debug ("Lost MPI rank %d (pid %" PRIu64 " on %s): %s", rank->world_rank, rank->pid,
           rank->host, reason);

  g_hash_table_steal (self->ranks, GUINT_TO_POINTER (rank->endpoint));
  mpaio_mpi_abandon (rank->endpoint);
  if (rank->same_node && rank->pid > 0)
    kill ((pid_t) rank->pid, SIGKILL);

  while ((entry = g_queue_pop_head (&rank->in_flight)))
    {
      reclaim_job (rank, g_steal_pointer (&entry->job), alone, failure, reason);
      in_flight_free (entry);
    }

  if (self->launched && count_ranks (self) == 0)
    {
      g_autoptr(GError) error = NULL;

      error = g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED,
                           _("Every worker rank of the MPI job is gone; the last one %s"), reason);
      mpaio_runs_fail (self->runs, error);
    }

  /* Its slot is free again: spawning is worth trying. */
  self->n_spawn_failures = 0;
  mpaio_mpi_rank_free (rank);
  mpaio_mpi_executor_dispatch (self);
}

static void
fail_rank (Rank   *rank,
           GError *error)
{
  g_autofree char *who = rank_describe (rank);

  g_prefix_error (&error, _("The %s failed: "), who);
  rank_lost (rank, error, error->message);
}

/* Under mpirun, only starting MPI can fail, for good; a failed spawn is
 * tried again, up to MAX_SPAWN_FAILURES in a row. */
static void
on_spawn_failed (Rank   *rank,
                 GError *error)
{
  MpaioMpiExecutor *self = rank->executor;

  g_hash_table_remove (self->ranks, GUINT_TO_POINTER (rank->endpoint));
  g_clear_error (&self->spawn_error);
  self->spawn_error = error;
  self->n_spawn_failures++;

  if (self->launched)
    mpaio_runs_fail (self->runs, error);
  else
    mpaio_mpi_executor_dispatch (self);
}

/* Messages. */

static gboolean
on_hello (Rank      *rank,
          GVariant  *body,
          GError   **error)
{
  MpaioMpiExecutor *self = rank->executor;
  const char *host, *boot_id;
  guint32 version;

  g_variant_get (body, "(u&st&s)", &version, &host, &rank->pid, &boot_id);
  if (version != MPAIO_MPI_PROTOCOL_VERSION || rank->state != RANK_CONNECTED)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("An MPI worker speaks protocol %u, not %u: run the same Mpaio on every node"),
                   version, MPAIO_MPI_PROTOCOL_VERSION);
      return FALSE;
    }

  g_free (rank->host);
  rank->host = g_strdup (host);
  rank->same_node = g_strcmp0 (boot_id, self->boot_id) == 0;
  rank->local = self->local_mapping && rank->same_node;
  rank->state = RANK_READY;
  self->n_spawn_failures = 0;
  return TRUE;
}

/* The reply must be for the first chunk in flight. */
static InFlight *
take_head (Rank     *rank,
           guint32   binding_id,
           guint64   chunk,
           GError  **error)
{
  InFlight *entry = g_queue_peek_head (&rank->in_flight);

  if (entry == NULL || entry->binding_id != binding_id || entry->job->chunk != chunk)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("An MPI worker answered for chunk %" PRIu64 " of binding %u, "
                     "which it was not working on"), chunk, binding_id);
      return NULL;
    }

  g_queue_pop_head (&rank->in_flight);
  rank->head_since = g_get_monotonic_time ();
  return entry;
}

static gboolean
on_result (Rank      *rank,
           GVariant  *body,
           GError   **error)
{
  g_autoptr(GVariant) ids = NULL;
  g_autoptr(GVariant) results = NULL;
  const MpaioResultId *entries;
  guint64 busy_usec;
  gsize n;

  g_variant_get (body, "(t@a(ut)@av)", &busy_usec, &ids, &results);
  entries = g_variant_get_fixed_array (ids, &n, sizeof (MpaioResultId));
  if (n != g_variant_n_children (results))
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                           _("An MPI worker sent a different number of ids and results"));
      return FALSE;
    }

  if (n > 0)
    rank->chunk_usec = rank->chunk_usec <= 0 ? (double) busy_usec / n
                                             : 0.7 * rank->chunk_usec + 0.3 * busy_usec / n;

  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GVariant) result = NULL;
      InFlight *entry;

      if (!(entry = take_head (rank, entries[i].binding_id, entries[i].chunk, error)))
        return FALSE;

      result = g_variant_get_child_value (results, i);
      g_variant_take_ref (result);
      {
        g_autoptr(GVariant) inner = g_variant_get_variant (result);

        mpaio_run_deliver (entry->job->run, entry->job, inner);
      }
      in_flight_free (entry);
    }

  return TRUE;
}

static gboolean
on_error (Rank      *rank,
          GVariant  *body,
          GError   **error)
{
  const char *domain, *message;
  guint32 binding_id;
  guint64 chunk;
  int code;
  InFlight *entry;

  g_variant_get (body, "(ut&si&s)", &binding_id, &chunk, &domain, &code, &message);

  /* Binding 0: the worker could not go on serving, and exits. */
  if (binding_id == 0)
    {
      fail_rank (rank, g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED, "%s", message));
      return TRUE;
    }

  if (!(entry = take_head (rank, binding_id, chunk, error)))
    return FALSE;

  mpaio_run_fail (entry->job->run,
                  mpaio_job_error_from_worker (entry->job, domain, code, message));
  in_flight_free (entry);
  return TRUE;
}

static gboolean
on_message (Rank           *rank,
            MpaioMpiEvent  *event,
            GError        **error)
{
  g_autoptr(GVariant) body = NULL;

  rank->last_heard = g_get_monotonic_time ();
  if (event->tag == MPAIO_MPI_TAG_HEARTBEAT)
    return TRUE;

  if (!(body = mpaio_mpi_decode (event->tag, event->bytes, error)))
    return FALSE;

  switch (event->tag)
    {
    case MPAIO_MPI_TAG_HELLO:
      return on_hello (rank, body, error);
    case MPAIO_MESSAGE_RESULT:
      return on_result (rank, body, error);
    case MPAIO_MESSAGE_ERROR:
      return on_error (rank, body, error);
    default:
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("An MPI worker sent a message of kind %d, which only the caller sends"),
                   event->tag);
      return FALSE;
    }
}

void
mpaio_mpi_executor_on_event (MpaioMpiEvent *event,
                             gpointer       user_data)
{
  MpaioMpiExecutor *self = user_data;
  g_autoptr(GObject) hold = g_object_ref (G_OBJECT (self));
  g_autoptr(GError) error = NULL;
  Rank *rank = g_hash_table_lookup (self->ranks, GUINT_TO_POINTER (event->endpoint));

  if (rank == NULL)
    return;

  switch (event->kind)
    {
    case MPAIO_MPI_EVENT_CONNECTED:
      rank->state = RANK_CONNECTED;
      rank->last_heard = g_get_monotonic_time ();
      break;
    case MPAIO_MPI_EVENT_FAILED:
      if (rank->state == RANK_SPAWNING)
        on_spawn_failed (rank, g_steal_pointer (&event->error));
      else
        fail_rank (rank, g_steal_pointer (&event->error));
      return;
    case MPAIO_MPI_EVENT_MESSAGE:
    default:
      if (!on_message (rank, event, &error))
        {
          fail_rank (rank, g_steal_pointer (&error));
          return;
        }
      break;
    }

  mpaio_mpi_executor_dispatch (self);
}

/* The watchdog: a rank that sends nothing (not even a heartbeat) for the
 * heartbeat timeout is taken for dead; one that spends longer than the
 * chunk timeout on one chunk is taken for stuck. */
static gboolean
on_watchdog (gpointer user_data)
{
  MpaioMpiExecutor *self = user_data;
  g_autoptr(GList) ranks = g_hash_table_get_values (self->ranks);
  gint64 now = g_get_monotonic_time ();

  for (GList *l = ranks; l != NULL; l = l->next)
    {
      Rank *rank = l->data;
      g_autofree char *reason = NULL;

      if (rank->state == RANK_SPAWNING)
        {
          if (now - rank->last_heard > (gint64) SPAWN_TIMEOUT_MS * 1000)
            {
              g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

              /* Should it return after all, the worker is told to go. */
              mpaio_mpi_send (rank->endpoint, MPAIO_MPI_TAG_STOP, empty);
              mpaio_mpi_abandon (rank->endpoint);
              self->n_spawn_failures = MAX_SPAWN_FAILURES;
              on_spawn_failed (rank, g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                                                  _("MPI_Comm_spawn did not return within %u s; "
                                                    "check Open MPI's configuration and hosts"),
                                                  SPAWN_TIMEOUT_MS / 1000));
            }
          continue;
        }

      if (now - rank->last_heard > (gint64) self->heartbeat_timeout * 1000)
        reason = g_strdup_printf (_("sent nothing for %u ms (no heartbeat: dead or unreachable)"),
                                  self->heartbeat_timeout);
      else if (self->chunk_timeout > 0 && rank->in_flight.length > 0 &&
               now - rank->head_since > (gint64) self->chunk_timeout * 1000)
        reason = g_strdup_printf (_("took longer than the chunk timeout of %u ms"),
                                  self->chunk_timeout);

      if (reason != NULL)
        rank_lost (rank, NULL, reason);
    }

  return G_SOURCE_CONTINUE;
}

void
mpaio_mpi_executor_watch (MpaioMpiExecutor *self)
{
  if (self->watchdog != NULL)
    return;

  self->watchdog = g_timeout_source_new (WATCHDOG_MS);
  g_source_set_callback (self->watchdog, on_watchdog, self, NULL);
  g_source_set_static_name (self->watchdog, "[mpaio] MPI watchdog");
  g_source_attach (self->watchdog, self->context);
}

/* Tells every rank to finish; the local ones are remembered, to wait for
 * them to exit. */
void
mpaio_mpi_executor_stop_ranks (MpaioMpiExecutor *self)
{
  GHashTableIter iter;
  Rank *rank;

  g_hash_table_iter_init (&iter, self->ranks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rank))
    {
      g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

      /* Sent after the spawn, if it is still going: commands keep order. */
      mpaio_mpi_send (rank->endpoint, MPAIO_MPI_TAG_STOP, empty);
      mpaio_mpi_abandon (rank->endpoint);
      if (rank->same_node && rank->pid > 0)
        {
          int pid = rank->pid;

          g_array_append_val (self->stopped_pids, pid);
        }
      g_hash_table_iter_remove (&iter);
    }
}
