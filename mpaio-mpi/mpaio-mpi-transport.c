/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <mpi.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-endpoint-private.h"
#include "mpaio-mpi-protocol-private.h"
#include "mpaio-mpi-transport-private.h"

/* The backoff between polls when nothing happens, in microseconds: the
 * first idle poll waits 1 µs, each next one twice as long, up to 50 µs
 * for a while after the last message (a run is going: every hop of a
 * chunk's round trip would wait as long), then up to 1 ms (idle: the
 * thread wakes a thousand times a second, not twenty thousand). */
#define MAX_BACKOFF_USEC 1000
#define MAX_BUSY_BACKOFF_USEC 50
#define BUSY_USEC (20 * 1000)
#define MAX_SENDING_BACKOFF_USEC 16
/* How long the process waits at exit for MPI_Finalize. */
#define FINALIZE_WAIT_USEC (5 * G_USEC_PER_SEC)
/* Messages taken from one endpoint in one round, so that none starves. */
#define MAX_RECEIVES_PER_ROUND 64
/* How long spawning waits after an endpoint was given up. */
#define SPAWN_QUIET_USEC (500 * 1000)


typedef enum
{
  COMMAND_SPAWN,
  COMMAND_SPAWNED,                  /* from the spawner: add the endpoint */
  COMMAND_CONNECT_RANK,
  COMMAND_CONNECT_PARENT,
  COMMAND_SEND,
  COMMAND_PLACE,
  COMMAND_ABANDON,
  COMMAND_FINALIZE,
} CommandKind;

typedef struct
{
  CommandKind   kind;
  guint         endpoint;
  MpaioMpiSink *sink;
  char        **argv;
  char         *host;
  char         *hostfile;
  int           rank;
  int           tag;
  GBytes       *bytes;
  guint         heartbeat_ms;
  MPI_Comm      comm;               /* COMMAND_SPAWNED */
} Command;


typedef struct
{
  GThread     *thread;
  GAsyncQueue *commands;
  GHashTable  *endpoints;           /* id → MpaioMpiEndpoint */
  GArray      *requests;            /* MPI_Request, pending sends */
  GPtrArray   *request_bytes;       /* GBytes, kept until sent */
  GArray      *request_endpoints;   /* guint */
  GError      *init_error;
  gint         next_endpoint;       /* atomic */
  gint64       last_abandon;       /* under lock */
  GThreadPool *spawner;             /* with MPI_THREAD_MULTIPLE */
  GHashTable  *abandoned;           /* endpoint ids given up, for late spawns */
  GHashTable  *stopped_ranks;       /* ranks of MPI_COMM_WORLD told to stop */

  GMutex       lock;
  GCond        finalized_cond;
  gboolean     finalize_requested;
  gboolean     finalized;
} Transport;

static Transport transport;

static void block_sigpipe (void);
static void command_free  (Command  *command);
static void send_bytes    (MpaioMpiEndpoint *endpoint,
                           int       tag,
                           GBytes   *bytes);

static int
env_int (const char *const *names,
         int                fallback)
{
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *value = g_getenv (names[i]);

      if (value != NULL)
        return atoi (value);
    }

  return fallback;
}

/* Tells the role of this process from the launcher's environment, without
 * starting MPI (which takes a second in a program mpirun did not start).
 * Open MPI gives a spawned process OMPI_PARENT_PORT; its world rank is 0
 * like the root of a launched job's. */
MpaioMpiRole
mpaio_mpi_get_role (void)
{
  static const char *const rank_names[] = { "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK", NULL };

  if (g_getenv ("OMPI_PARENT_PORT") != NULL)
    return MPAIO_MPI_ROLE_SPAWNED_WORKER;

  if (env_int (rank_names, 0) > 0)
    return MPAIO_MPI_ROLE_LAUNCHED_WORKER;

  if (mpaio_mpi_get_launched_size () > 1)
    return MPAIO_MPI_ROLE_ROOT;

  return MPAIO_MPI_ROLE_PLAIN;
}

/* The size of the job mpirun or srun launched, or 1. */
int
mpaio_mpi_get_launched_size (void)
{
  static const char *const size_names[] = { "OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "SLURM_NTASKS", NULL };

  if (g_getenv ("OMPI_PARENT_PORT") != NULL)
    return 1;

  return MAX (env_int (size_names, 1), 1);
}

static void
endpoint_add (guint          id,
              MpaioMpiSink  *sink,
              MPI_Comm       comm,
              int            rank)
{
  MpaioMpiEndpoint *endpoint = mpaio_mpi_endpoint_new (id, sink, comm, rank);

  g_hash_table_insert (transport.endpoints, GUINT_TO_POINTER (id), endpoint);
  mpaio_mpi_sink_push (sink, MPAIO_MPI_EVENT_CONNECTED, id, 0, NULL, NULL);
}

static void
fail_command (Command *command,
              GError  *error)
{
  if (command->sink != NULL)
    mpaio_mpi_sink_push (command->sink, MPAIO_MPI_EVENT_FAILED, command->endpoint, 0, NULL, error);
  else
    g_error_free (error);
}

static MPI_Info
spawn_info (Command *command)
{
  MPI_Info info = MPI_INFO_NULL;

  if (command->host == NULL && command->hostfile == NULL)
    return info;

  MPI_Info_create (&info);
  if (command->host != NULL)
    MPI_Info_set (info, "host", command->host);
  if (command->hostfile != NULL)
    MPI_Info_set (info, "hostfile", command->hostfile);
  return info;
}

/* One spawn per worker: with recovery on, a worker that dies takes only
 * its own job down. MPI_Comm_spawn blocks: it runs on a thread of its own
 * (the spawner) when MPI allows it, so that a spawn that hangs, as Open
 * MPI's did now and then after a worker died, holds neither the other
 * workers' messages nor the caller. The endpoint is added on the MPI
 * thread. */
static void
spawn (Command *command)
{
  MPI_Info info = spawn_info (command);
  MPI_Comm comm = MPI_COMM_NULL;
  char **args = command->argv[1] != NULL ? command->argv + 1 : MPI_ARGV_NULL;
  int errcode = MPI_SUCCESS;
  gint64 quiet;
  Command *spawned;
  int rc;

  /* Spawning right after a spawned worker was given up (it died) hung more
   * often: Open MPI gets a moment to clean up the dead one first. */
  g_mutex_lock (&transport.lock);
  quiet = transport.last_abandon + SPAWN_QUIET_USEC - g_get_monotonic_time ();
  g_mutex_unlock (&transport.lock);
  if (quiet > 0)
    g_usleep (quiet);

  g_debug ("Spawning MPI worker %u: %s", command->endpoint, command->argv[0]);
  rc = MPI_Comm_spawn (command->argv[0], args, 1, info, 0, MPI_COMM_SELF, &comm, &errcode);
  g_debug ("Spawned MPI worker %u: %s", command->endpoint, rc == MPI_SUCCESS ? "done" : "failed");
  if (info != MPI_INFO_NULL)
    MPI_Info_free (&info);

  if (rc != MPI_SUCCESS || errcode != MPI_SUCCESS)
    {
      fail_command (command, mpaio_mpi_error_new_from_code (rc != MPI_SUCCESS ? rc : errcode,
                                             MPAIO_ERROR_SPAWN_FAILED,
                                             _("Could not spawn an MPI worker (when Open MPI "
                                               "says there are not enough slots, give it a "
                                               "hostfile with more, or set "
                                               "OMPI_MCA_rmaps_base_oversubscribe=1)")));
      return;
    }

  MPI_Comm_set_errhandler (comm, MPI_ERRORS_RETURN);
  spawned = g_new0 (Command, 1);
  spawned->kind = COMMAND_SPAWNED;
  spawned->endpoint = command->endpoint;
  spawned->sink = g_steal_pointer (&command->sink);
  spawned->comm = comm;
  g_async_queue_push (transport.commands, spawned);
}

static void
spawner_main (gpointer data,
              gpointer user_data)
{
  block_sigpipe ();
  spawn (data);
  command_free (data);
}

/* Hands the spawn to the spawner, or does it here. */
static void
do_spawn (Command *command)
{
  Command *moved;

  if (transport.spawner == NULL)
    {
      spawn (command);
      return;
    }

  moved = g_memdup2 (command, sizeof *command);
  memset (command, 0, sizeof *command);
  command->kind = COMMAND_SPAWN;
  g_thread_pool_push (transport.spawner, moved, NULL);
}

/* A worker given up before its spawn returned is told to go at once. */
static void
do_spawned (Command *command)
{
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  MpaioMpiEndpoint *endpoint;

  endpoint_add (command->endpoint, command->sink, command->comm, 0);
  if (!g_hash_table_remove (transport.abandoned, GUINT_TO_POINTER (command->endpoint)))
    return;

  endpoint = g_hash_table_lookup (transport.endpoints, GUINT_TO_POINTER (command->endpoint));
  send_bytes (endpoint, MPAIO_MPI_TAG_STOP, empty);
  g_hash_table_remove (transport.endpoints, GUINT_TO_POINTER (command->endpoint));
}

static void
do_connect_parent (Command *command)
{
  MPI_Comm parent = MPI_COMM_NULL;
  MpaioMpiEndpoint *endpoint;

  MPI_Comm_get_parent (&parent);
  if (parent != MPI_COMM_NULL)
    MPI_Comm_set_errhandler (parent, MPI_ERRORS_RETURN);
  else
    parent = MPI_COMM_WORLD;

  endpoint_add (command->endpoint, command->sink, parent, 0);
  endpoint = g_hash_table_lookup (transport.endpoints, GUINT_TO_POINTER (command->endpoint));
  endpoint->heartbeat_ms = command->heartbeat_ms;
  endpoint->heartbeat_tag = command->tag;
  endpoint->place_tag = command->rank;
}

static void
send_bytes (MpaioMpiEndpoint *endpoint,
            int       tag,
            GBytes   *bytes)
{
  MPI_Request request = MPI_REQUEST_NULL;
  gsize size;
  gconstpointer data = g_bytes_get_data (bytes, &size);
  int rc;

  if (size > G_MAXINT)
    rc = MPI_ERR_COUNT;
  else
    rc = MPI_Isend (data, size, MPI_BYTE, endpoint->rank, tag, endpoint->comm, &request);

  endpoint->last_send = g_get_monotonic_time ();
  if (tag == MPAIO_MPI_TAG_STOP && endpoint->comm == MPI_COMM_WORLD)
    g_hash_table_add (transport.stopped_ranks, GINT_TO_POINTER (endpoint->rank));
  if (rc != MPI_SUCCESS)
    {
      mpaio_mpi_sink_push (endpoint->sink, MPAIO_MPI_EVENT_FAILED, endpoint->id, tag, NULL,
                 mpaio_mpi_error_new_from_code (rc, MPAIO_ERROR_FAILED, _("Could not send to an MPI worker")));
      return;
    }

  g_array_append_val (transport.requests, request);
  g_ptr_array_add (transport.request_bytes, g_bytes_ref (bytes));
  g_array_append_val (transport.request_endpoints, endpoint->id);
}

static void
do_send (Command *command)
{
  MpaioMpiEndpoint *endpoint = g_hash_table_lookup (transport.endpoints, GUINT_TO_POINTER (command->endpoint));

  if (endpoint != NULL)
    send_bytes (endpoint, command->tag, command->bytes);
}

static void
do_place (Command *command)
{
  MpaioMpiEndpoint *endpoint = g_hash_table_lookup (transport.endpoints, GUINT_TO_POINTER (command->endpoint));

  if (endpoint != NULL)
    mpaio_mpi_endpoint_add_place (endpoint, g_steal_pointer (&command->bytes));
}

static void
command_free (Command *command)
{
  g_clear_pointer (&command->sink, mpaio_mpi_sink_unref);
  g_strfreev (command->argv);
  g_free (command->host);
  g_free (command->hostfile);
  g_clear_pointer (&command->bytes, g_bytes_unref);
  g_free (command);
}

/* Returns FALSE once MPI is finalized. */
static gboolean
run_command (Command *command)
{
  if (transport.init_error != NULL && command->kind != COMMAND_FINALIZE)
    {
      fail_command (command, g_error_copy (transport.init_error));
      return TRUE;
    }

  switch (command->kind)
    {
    case COMMAND_SPAWN:
      do_spawn (command);
      break;
    case COMMAND_SPAWNED:
      do_spawned (command);
      break;
    case COMMAND_CONNECT_RANK:
      endpoint_add (command->endpoint, command->sink, MPI_COMM_WORLD, command->rank);
      break;
    case COMMAND_CONNECT_PARENT:
      do_connect_parent (command);
      break;
    case COMMAND_SEND:
      do_send (command);
      break;
    case COMMAND_PLACE:
      do_place (command);
      break;
    case COMMAND_ABANDON:
      if (!g_hash_table_remove (transport.endpoints, GUINT_TO_POINTER (command->endpoint)))
        g_hash_table_add (transport.abandoned, GUINT_TO_POINTER (command->endpoint));
      g_mutex_lock (&transport.lock);
      transport.last_abandon = g_get_monotonic_time ();
      g_mutex_unlock (&transport.lock);
      break;
    case COMMAND_FINALIZE:
    default:
      return FALSE;
    }

  return TRUE;
}

/* Completed sends release their bytes; a failed one fails its endpoint. */
static gboolean
poll_sends (void)
{
  guint n = transport.requests->len;
  g_autofree int *indices = NULL;
  g_autofree MPI_Status *statuses = NULL;
  int n_done = 0;

  if (n == 0)
    return FALSE;

  indices = g_new (int, n);
  statuses = g_new (MPI_Status, n);
  MPI_Testsome (n, (MPI_Request *) (gpointer) transport.requests->data, &n_done, indices, statuses);
  if (n_done == MPI_UNDEFINED || n_done <= 0)
    return FALSE;

  /* Highest index first, so that removing by swapping with the last keeps
   * the indices still to remove valid. */
  for (int i = n_done - 1; i >= 0; i--)
    for (int j = 0; j < i; j++)
      if (indices[j] > indices[j + 1])
        {
          int swap = indices[j];

          indices[j] = indices[j + 1];
          indices[j + 1] = swap;
        }

  for (int i = n_done - 1; i >= 0; i--)
    {
      guint index = indices[i];

      g_array_remove_index_fast (transport.requests, index);
      g_ptr_array_remove_index_fast (transport.request_bytes, index);
      g_array_remove_index_fast (transport.request_endpoints, index);
    }

  return TRUE;
}

/* Sends to an endpoint still in use: those to a worker that was given up
 * may never complete, and must not keep the thread polling hard. */
static guint
count_live_sends (void)
{
  guint n = 0;

  for (guint i = 0; i < transport.request_endpoints->len; i++)
    if (g_hash_table_contains (transport.endpoints,
                               GUINT_TO_POINTER (g_array_index (transport.request_endpoints, guint, i))))
      n++;

  return n;
}

static gboolean
poll_endpoints (void)
{
  g_autoptr(GList) endpoints = g_hash_table_get_values (transport.endpoints);
  gint64 now = g_get_monotonic_time ();
  gboolean active = FALSE;

  for (GList *l = endpoints; l != NULL; l = l->next)
    {
      MpaioMpiEndpoint *endpoint = l->data;
      int n;

      if (endpoint->heartbeat_ms > 0 && now - endpoint->last_send >= endpoint->heartbeat_ms * 1000)
        {
          g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);

          send_bytes (endpoint, endpoint->heartbeat_tag, empty);
        }

      n = mpaio_mpi_endpoint_receive (endpoint, MAX_RECEIVES_PER_ROUND);
      if (n < 0)
        g_hash_table_remove (transport.endpoints, GUINT_TO_POINTER (endpoint->id));
      active |= n != 0;
    }

  return active;
}

static void
initialise (void)
{
  int initialized = 0, provided = 0, rc;

  MPI_Initialized (&initialized);
  if (initialized)
    MPI_Query_thread (&provided);
  else if ((rc = MPI_Init_thread (NULL, NULL, MPI_THREAD_MULTIPLE, &provided)) != MPI_SUCCESS)
    {
      transport.init_error = g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                                          _("MPI could not be initialised (error %d)"), rc);
      return;
    }

  if (initialized && provided < MPI_THREAD_MULTIPLE)
    {
      transport.init_error = g_error_new_literal (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                                                  _("MPI was initialised before Mpaio, with a thread "
                                                    "level below MPI_THREAD_MULTIPLE; initialise it "
                                                    "with MPI_THREAD_MULTIPLE, or let Mpaio do it"));
      return;
    }

  MPI_Comm_set_errhandler (MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_set_errhandler (MPI_COMM_SELF, MPI_ERRORS_RETURN);

  if (provided >= MPI_THREAD_MULTIPLE)
    transport.spawner = g_thread_pool_new (spawner_main, NULL, 1, FALSE, NULL);
}

/* A write to a worker that died raises SIGPIPE in the thread that writes:
 * this one, or a thread Open MPI starts from it, which inherits the mask.
 * Blocked there, the write fails with EPIPE instead of killing the
 * process; the rest of the process keeps its own handling. */
static void
block_sigpipe (void)
{
  sigset_t set;

  sigemptyset (&set);
  sigaddset (&set, SIGPIPE);
  pthread_sigmask (SIG_BLOCK, &set, NULL);
}

/* A spawn still going when the program ends (its runs ended before its
 * last worker came up) is waited for: Open MPI crashed when MPI_Finalize
 * came during MPI_Comm_spawn. The worker it brought up is told to go at
 * once; spawns not started are dropped. A spawn that hangs holds this
 * thread, and the process exits at mpaio_mpi_finalize()'s bound. */
static void
finish_spawns (void)
{
  Command *command;

  if (transport.spawner == NULL)
    return;

  g_thread_pool_free (g_steal_pointer (&transport.spawner), TRUE, TRUE);
  while ((command = g_async_queue_try_pop (transport.commands)) != NULL)
    {
      if (command->kind == COMMAND_SPAWNED)
        MPI_Send (NULL, 0, MPI_BYTE, 0, MPAIO_MPI_TAG_STOP, command->comm);
      command_free (command);
    }
}

/* Under mpirun, MPI_Finalize waits for every rank of the job. A worker rank
 * that no executor connected (a run with fewer chunks than workers) or
 * released (an executor never freed) is told to go now, or rank 0 and
 * the whole job would wait for it. */
static void
stop_idle_ranks (void)
{
  int size = 0;

  if (transport.init_error != NULL || mpaio_mpi_get_role () != MPAIO_MPI_ROLE_ROOT)
    return;

  MPI_Comm_size (MPI_COMM_WORLD, &size);
  for (int rank = 1; rank < size; rank++)
    if (!g_hash_table_contains (transport.stopped_ranks, GINT_TO_POINTER (rank)))
      MPI_Send (NULL, 0, MPI_BYTE, rank, MPAIO_MPI_TAG_STOP, MPI_COMM_WORLD);
}

static gpointer
thread_main (gpointer data)
{
  gboolean running = TRUE;
  guint64 backoff = 0;
  gint64 last_active = 0;

  block_sigpipe ();
  initialise ();

  while (running)
    {
      Command *command;
      gboolean active = FALSE;

      command = backoff == 0 ? g_async_queue_try_pop (transport.commands)
                             : g_async_queue_timeout_pop (transport.commands, backoff);
      while (command != NULL && running)
        {
          running = run_command (command);
          command_free (command);
          active = TRUE;
          command = running ? g_async_queue_try_pop (transport.commands) : NULL;
        }

      if (running && transport.init_error == NULL)
        {
          active |= poll_sends ();
          active |= poll_endpoints ();
        }

      /* Large sends only move while MPI is called: no sleeping then
       * beyond a short yield. */
      if (active)
        {
          backoff = 0;
          last_active = g_get_monotonic_time ();
        }
      else if (count_live_sends () > 0)
        backoff = MIN (backoff * 2 + 1, MAX_SENDING_BACKOFF_USEC);
      else if (g_get_monotonic_time () - last_active < BUSY_USEC)
        backoff = MIN (backoff * 2 + 1, MAX_BUSY_BACKOFF_USEC);
      else
        backoff = MIN (backoff * 2 + 1, MAX_BACKOFF_USEC);
    }

  finish_spawns ();
  stop_idle_ranks ();
  g_hash_table_remove_all (transport.endpoints);
  if (transport.init_error == NULL)
    MPI_Finalize ();

  g_mutex_lock (&transport.lock);
  transport.finalized = TRUE;
  g_cond_broadcast (&transport.finalized_cond);
  g_mutex_unlock (&transport.lock);

  return NULL;
}

static void
finalize_at_exit (void)
{
  mpaio_mpi_finalize ();
}

/* Starts the MPI thread, once. In a program no launcher started, Open MPI's
 * recovery is turned on first, so that a dead worker takes only its own
 * spawned job down; the user's own setting wins. */
static void
ensure_thread (void)
{
  static gsize started;

  if (!g_once_init_enter (&started))
    return;

  if (mpaio_mpi_get_role () == MPAIO_MPI_ROLE_PLAIN)
    g_setenv ("OMPI_MCA_orte_enable_recovery", "1", FALSE);

  transport.commands = g_async_queue_new_full ((GDestroyNotify) command_free);
  transport.endpoints = g_hash_table_new_full (NULL, NULL, NULL, mpaio_mpi_endpoint_free);
  transport.abandoned = g_hash_table_new (NULL, NULL);
  transport.stopped_ranks = g_hash_table_new (NULL, NULL);
  transport.requests = g_array_new (FALSE, FALSE, sizeof (MPI_Request));
  transport.request_bytes = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  transport.request_endpoints = g_array_new (FALSE, FALSE, sizeof (guint));
  g_atomic_int_set (&transport.next_endpoint, 1);
  transport.thread = g_thread_new ("mpaio-mpi", thread_main, NULL);
  atexit (finalize_at_exit);

  g_once_init_leave (&started, 1);
}

static Command *
command_new (CommandKind   kind,
             MpaioMpiSink *sink)
{
  Command *command = g_new0 (Command, 1);

  ensure_thread ();
  command->kind = kind;
  command->sink = sink != NULL ? mpaio_mpi_sink_ref (sink) : NULL;
  if (sink != NULL)
    command->endpoint = g_atomic_int_add (&transport.next_endpoint, 1);
  return command;
}

static guint
push (Command *command)
{
  guint endpoint = command->endpoint;

  g_async_queue_push (transport.commands, command);
  return endpoint;
}

guint
mpaio_mpi_spawn (MpaioMpiSink       *sink,
                 const char * const *argv,
                 const char         *host,
                 const char         *hostfile)
{
  Command *command = command_new (COMMAND_SPAWN, sink);

  command->argv = g_strdupv ((char **) argv);
  command->host = g_strdup (host);
  command->hostfile = g_strdup (hostfile);
  return push (command);
}

guint
mpaio_mpi_connect_rank (MpaioMpiSink *sink,
                        int           rank)
{
  Command *command = command_new (COMMAND_CONNECT_RANK, sink);

  command->rank = rank;
  return push (command);
}

/* In a worker: the caller, with a heartbeat sent whenever nothing else
 * went for @heartbeat_ms. Its messages of @place_tag of at least
 * MPAIO_MPI_PLACE_MIN_SIZE bytes go where mpaio_mpi_place() says. */
guint
mpaio_mpi_connect_parent (MpaioMpiSink *sink,
                          guint         heartbeat_ms,
                          int           heartbeat_tag,
                          int           place_tag)
{
  Command *command = command_new (COMMAND_CONNECT_PARENT, sink);

  command->heartbeat_ms = heartbeat_ms;
  command->tag = heartbeat_tag;
  command->rank = place_tag;
  return push (command);
}

/* The next large message of the endpoint's place tag is received straight
 * into @data, which must stay valid and untouched until its event comes
 * (whose bytes are then @data): no copy. Places are used in the order
 * given, one per message of at least MPAIO_MPI_PLACE_MIN_SIZE bytes. */
void
mpaio_mpi_place (guint    endpoint,
                 gpointer data,
                 gsize    size)
{
  Command *command = command_new (COMMAND_PLACE, NULL);

  command->endpoint = endpoint;
  command->bytes = g_bytes_new_static (data, size);
  push (command);
}

/* Sends @bytes as they are: they must not change until sent. */
void
mpaio_mpi_send (guint   endpoint,
                int     tag,
                GBytes *bytes)
{
  Command *command = command_new (COMMAND_SEND, NULL);

  command->endpoint = endpoint;
  command->tag = tag;
  command->bytes = g_bytes_ref (bytes);
  push (command);
}

/* Forgets an endpoint: nothing more is received from it or sent to it. Its
 * sends still pending keep their bytes until MPI is done with them. */
void
mpaio_mpi_abandon (guint endpoint)
{
  Command *command = command_new (COMMAND_ABANDON, NULL);

  command->endpoint = endpoint;
  push (command);
}

/* Finalizes MPI on its thread, once; waits a bounded time, so that a
 * runtime that hangs cannot hold the process at exit. */
void
mpaio_mpi_finalize (void)
{
  gint64 deadline = g_get_monotonic_time () + FINALIZE_WAIT_USEC;

  if (transport.thread == NULL)
    return;

  g_mutex_lock (&transport.lock);
  if (!transport.finalize_requested)
    {
      Command *command = g_new0 (Command, 1);

      command->kind = COMMAND_FINALIZE;
      transport.finalize_requested = TRUE;
      g_async_queue_push (transport.commands, command);
    }

  while (!transport.finalized && g_cond_wait_until (&transport.finalized_cond, &transport.lock, deadline))
    ;
  g_mutex_unlock (&transport.lock);
}
