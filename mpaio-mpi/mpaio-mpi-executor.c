/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-executor-private.h"
#include "mpaio-mpi-protocol-private.h"
#include "mpaio-run-private.h"
#include "mpaio-worker-process-private.h"

/**
 * MpaioMpiExecutor:
 *
 * An executor that runs workers on the ranks of an MPI job (Open MPI), on
 * one machine or across a cluster.
 *
 * It works in one of two ways, decided by how the program was started:
 *
 * - *launched*: under `mpirun -np N+1 program` (or `srun`), rank 0 runs the
 *   program and its orchestrator, and ranks 1 to N serve, from
 *   [func@MpaioMpi.serve_if_worker]. This is the way for clusters.
 * - *spawned*: in a program started without a launcher, the executor starts
 *   MPI on a thread of its own when a run first needs it, and spawns its
 *   workers with `MPI_Comm_spawn`, one job per worker: the program again
 *   (as [class@Mpaio.ProcessPool] does) or the program given to
 *   [ctor@MpaioMpi.Executor.new_for_argv]. Where they go comes from the
 *   [property@MpaioMpi.Executor:host] and
 *   [property@MpaioMpi.Executor:hostfile] properties, or from Open MPI's own
 *   configuration.
 *
 * Worker code does not change: a worker receives an [class@Mpaio.Chunk]
 * over its elements. Ranks on the caller's node map the caller's memory
 * themselves; the others receive each chunk's bytes with the chunk. Results
 * come back as serialized `GVariant`s and reach the caller's main context;
 * MPI never runs on it.
 *
 * A rank that dies or stops answering (no heartbeat for
 * [property@MpaioMpi.Executor:heartbeat-timeout]) costs only its chunks:
 * they are retried on the other ranks and, when spawned, on a new one. Under
 * `mpirun`, Open MPI itself ends the whole job when a rank dies.
 *
 * An output memory cannot be carried to other nodes: runs with one are
 * refused.
 */

static const MpaioExecutorMessages messages = {
  .closed = N_("The MPI executor was shut down; make a new one"),
  .closed_during_run = N_("The MPI executor was shut down during the run"),
  .wrong_context = N_("The MPI executor belongs to another main context; use it "
                      "from the thread-default main context it was created in"),
};

static void mpaio_mpi_executor_iface_init (MpaioExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpaioMpiExecutor, mpaio_mpi_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_EXECUTOR,
                                                      mpaio_mpi_executor_iface_init))

enum {
  PROP_0,
  PROP_ARGV,
  PROP_HOST,
  PROP_HOSTFILE,
  PROP_MAX_RETRIES,
  PROP_CHUNK_TIMEOUT,
  PROP_HEARTBEAT_TIMEOUT,
  PROP_LOCAL_MAPPING,
  PROP_LAUNCHED,
  PROP_MAX_WORKERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

char **
mpaio_mpi_own_argv (void)
{
  g_autoptr(GError) error = NULL;
  char **argv = mpaio_current_command_line (&error);

  if (argv == NULL)
    {
      const char *fallback[] = { g_get_prgname (), NULL };

      g_debug ("Could not read this program's command line: %s", error->message);
      return g_strdupv ((char **) fallback);
    }

  return argv;
}

/* Under mpirun, each rank of the job serves one peer, once: a lost rank
 * cannot come back. 0 when none is left. */
int
mpaio_mpi_executor_take_world_rank (MpaioMpiExecutor *self)
{
  if (self->next_world_rank >= mpaio_mpi_get_launched_size ())
    return 0;

  return self->next_world_rank++;
}

/* An output memory has no remote form: such a run is refused up front. */
static gboolean
check_run (MpaioRun  *run,
           GError   **error)
{
  for (guint i = 0; i < mpaio_run_get_n_pairs (run); i++)
    if (mpaio_run_get_pair (run, i)->output != NULL)
      {
        g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_FAILED,
                             _("The MPI executor cannot carry an output memory: workers on other "
                               "nodes cannot write to it; return the results instead, or use a "
                               "process pool"));
        return FALSE;
      }

  return TRUE;
}

static gboolean
mpaio_mpi_executor_attach_run (MpaioExecutor  *executor,
                               MpaioRun       *run,
                               GError        **error)
{
  return check_run (run, error) &&
         mpaio_dispatch_attach_run (&MPAIO_MPI_EXECUTOR (executor)->dispatch, run, error);
}

static void
mpaio_mpi_executor_detach_run (MpaioExecutor *executor,
                               MpaioRun      *run)
{
  mpaio_dispatch_detach_run (&MPAIO_MPI_EXECUTOR (executor)->dispatch, run);
}

static guint
mpaio_mpi_executor_get_max_workers_vfunc (MpaioExecutor *executor)
{
  return MPAIO_MPI_EXECUTOR (executor)->dispatch.max_workers;
}

static void
mpaio_mpi_executor_shutdown_async (MpaioExecutor       *executor,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  mpaio_dispatch_shutdown (&MPAIO_MPI_EXECUTOR (executor)->dispatch, cancellable, callback,
                           user_data);
}

static void
mpaio_mpi_executor_iface_init (MpaioExecutorInterface *iface)
{
  iface->get_max_workers = mpaio_mpi_executor_get_max_workers_vfunc;
  iface->attach_run = mpaio_mpi_executor_attach_run;
  iface->detach_run = mpaio_mpi_executor_detach_run;
  iface->shutdown_async = mpaio_mpi_executor_shutdown_async;
  iface->shutdown_finish = mpaio_executor_base_shutdown_finish;
}

static void
mpaio_mpi_executor_constructed (GObject *object)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  G_OBJECT_CLASS (mpaio_mpi_executor_parent_class)->constructed (object);

  /* Under mpirun, the job's other ranks are the workers. */
  if (self->launched)
    self->dispatch.max_workers = mpaio_mpi_get_launched_size () - 1;
}

static void
mpaio_mpi_executor_dispose (GObject *object)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  mpaio_dispatch_close (&self->dispatch);
  mpaio_dispatch_free_peers (&self->dispatch);
  if (self->watchdog != NULL)
    {
      g_source_destroy (self->watchdog);
      g_clear_pointer (&self->watchdog, g_source_unref);
    }
  if (self->sink != NULL)
    mpaio_mpi_sink_close (g_steal_pointer (&self->sink));

  G_OBJECT_CLASS (mpaio_mpi_executor_parent_class)->dispose (object);
}

static void
mpaio_mpi_executor_finalize (GObject *object)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  mpaio_dispatch_clear (&self->dispatch);
  mpaio_executor_base_clear (&self->base);
  g_clear_pointer (&self->ranks, g_hash_table_unref);
  g_clear_pointer (&self->argv, g_strfreev);
  g_free (self->host);
  g_free (self->hostfile);
  g_free (self->boot_id);

  G_OBJECT_CLASS (mpaio_mpi_executor_parent_class)->finalize (object);
}

static void
mpaio_mpi_executor_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      g_value_set_boxed (value, self->argv);
      break;
    case PROP_HOST:
      g_value_set_string (value, self->host);
      break;
    case PROP_HOSTFILE:
      g_value_set_string (value, self->hostfile);
      break;
    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->dispatch.max_retries);
      break;
    case PROP_CHUNK_TIMEOUT:
      g_value_set_uint (value, self->dispatch.chunk_timeout);
      break;
    case PROP_HEARTBEAT_TIMEOUT:
      g_value_set_uint (value, self->heartbeat_timeout);
      break;
    case PROP_LOCAL_MAPPING:
      g_value_set_boolean (value, self->local_mapping);
      break;
    case PROP_LAUNCHED:
      g_value_set_boolean (value, self->launched);
      break;
    case PROP_MAX_WORKERS:
      g_value_set_uint (value, self->dispatch.max_workers);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
set_uint (MpaioMpiExecutor *self,
          guint            *field,
          const GValue     *value,
          guint             prop_id)
{
  if (*field == g_value_get_uint (value))
    return;

  *field = g_value_get_uint (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
mpaio_mpi_executor_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      self->argv = g_value_dup_boxed (value);
      break;
    case PROP_HOST:
      self->host = g_value_dup_string (value);
      break;
    case PROP_HOSTFILE:
      self->hostfile = g_value_dup_string (value);
      break;
    case PROP_MAX_RETRIES:
      set_uint (self, &self->dispatch.max_retries, value, prop_id);
      break;
    case PROP_CHUNK_TIMEOUT:
      set_uint (self, &self->dispatch.chunk_timeout, value, prop_id);
      break;
    case PROP_HEARTBEAT_TIMEOUT:
      set_uint (self, &self->heartbeat_timeout, value, prop_id);
      break;
    case PROP_LOCAL_MAPPING:
      if (self->local_mapping != g_value_get_boolean (value))
        {
          self->local_mapping = g_value_get_boolean (value);
          g_object_notify_by_pspec (object, pspec);
        }
      break;
    case PROP_MAX_WORKERS:
      self->dispatch.max_workers = mpaio_executor_max_workers_for (g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_mpi_executor_class_init (MpaioMpiExecutorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct_only = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags settable = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = mpaio_mpi_executor_constructed;
  object_class->dispose = mpaio_mpi_executor_dispose;
  object_class->finalize = mpaio_mpi_executor_finalize;
  object_class->get_property = mpaio_mpi_executor_get_property;
  object_class->set_property = mpaio_mpi_executor_set_property;

  /**
   * MpaioMpiExecutor:argv: (getter get_argv)
   *
   * The program spawned workers run, or %NULL to run this program again
   * (its executable and command line) in spawned mode.
   */
  properties[PROP_ARGV] = g_param_spec_boxed ("argv", NULL, NULL, G_TYPE_STRV, construct_only);

  /**
   * MpaioMpiExecutor:host:
   *
   * Where spawned workers go, as the `host` key of `MPI_Comm_spawn`'s info:
   * a comma-separated list of host names, or %NULL to let Open MPI decide.
   */
  properties[PROP_HOST] = g_param_spec_string ("host", NULL, NULL, NULL, construct_only);

  /**
   * MpaioMpiExecutor:hostfile:
   *
   * A hostfile for spawned workers, as the `hostfile` key of
   * `MPI_Comm_spawn`'s info, or %NULL.
   */
  properties[PROP_HOSTFILE] = g_param_spec_string ("hostfile", NULL, NULL, NULL, construct_only);

  /**
   * MpaioMpiExecutor:max-retries:
   *
   * How many more times a chunk is tried after the rank that ran it alone
   * was lost, before its run fails with %MPAIO_ERROR_WORKER_CRASHED.
   */
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL, 0, G_MAXUINT, 2, settable | G_PARAM_CONSTRUCT);

  /**
   * MpaioMpiExecutor:chunk-timeout:
   *
   * How long a rank may spend on one chunk, in milliseconds, before it is
   * taken for stuck and replaced; 0 for no limit.
   */
  properties[PROP_CHUNK_TIMEOUT] =
    g_param_spec_uint ("chunk-timeout", NULL, NULL, 0, G_MAXUINT, 0, settable | G_PARAM_CONSTRUCT);

  /**
   * MpaioMpiExecutor:heartbeat-timeout:
   *
   * How long a rank may send nothing, in milliseconds, before it is taken
   * for dead. Idle workers send a heartbeat every 200 ms, from a thread of
   * their own, even while a chunk runs.
   */
  properties[PROP_HEARTBEAT_TIMEOUT] =
    g_param_spec_uint ("heartbeat-timeout", NULL, NULL, 500, G_MAXUINT, 5000,
                       settable | G_PARAM_CONSTRUCT);

  /**
   * MpaioMpiExecutor:local-mapping:
   *
   * Whether ranks on the caller's node map the caller's memory themselves
   * (through `/proc/PID/fd`), instead of receiving each chunk's bytes.
   */
  properties[PROP_LOCAL_MAPPING] =
    g_param_spec_boolean ("local-mapping", NULL, NULL, TRUE, settable | G_PARAM_CONSTRUCT);

  /**
   * MpaioMpiExecutor:launched: (getter get_launched)
   *
   * Whether this program was started by `mpirun` (or `srun`) with other
   * ranks, which are then the workers; otherwise workers are spawned.
   */
  properties[PROP_LAUNCHED] =
    g_param_spec_boolean ("launched", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, PROP_MAX_WORKERS, properties);
  g_object_class_override_property (object_class, PROP_MAX_WORKERS, "max-workers");
}

static void
mpaio_mpi_executor_init (MpaioMpiExecutor *self)
{
  mpaio_executor_base_init (&self->base, G_OBJECT (self), &messages);
  mpaio_dispatch_init (&self->dispatch, &self->base, &mpaio_mpi_transport, self);
  self->launched = mpaio_mpi_get_role () == MPAIO_MPI_ROLE_ROOT;
  self->next_world_rank = 1;
  self->ranks = g_hash_table_new (NULL, NULL);
  self->boot_id = mpaio_mpi_boot_id ();
}

/**
 * mpaio_mpi_executor_new:
 * @max_workers: the number of workers to spawn, or 0 for one per processor;
 *   ignored under `mpirun`, where every other rank is a worker
 *
 * Creates an MPI executor. Nothing starts until a run needs workers: MPI
 * then starts on a thread of its own.
 *
 * Returns: (transfer full): a new MPI executor
 */
MpaioMpiExecutor *
mpaio_mpi_executor_new (guint max_workers)
{
  return g_object_new (MPAIO_MPI_TYPE_EXECUTOR,
                       "max-workers", max_workers,
                       NULL);
}

/**
 * mpaio_mpi_executor_new_for_argv:
 * @argv: (array zero-terminated=1): the worker program and its arguments;
 *   it registers the worker types and calls [func@MpaioMpi.serve_if_worker]
 * @max_workers: the number of workers to spawn, or 0 for one per processor
 *
 * Creates an MPI executor whose spawned workers run @argv.
 *
 * Returns: (transfer full): a new MPI executor
 */
MpaioMpiExecutor *
mpaio_mpi_executor_new_for_argv (const char * const *argv,
                                 guint               max_workers)
{
  g_return_val_if_fail (argv != NULL && argv[0] != NULL, NULL);

  return g_object_new (MPAIO_MPI_TYPE_EXECUTOR,
                       "argv", argv,
                       "max-workers", max_workers,
                       NULL);
}

/**
 * mpaio_mpi_executor_get_launched: (get-property launched)
 * @self: an MPI executor
 *
 * Gets [property@MpaioMpi.Executor:launched].
 *
 * Returns: %TRUE under `mpirun` with other ranks
 */
gboolean
mpaio_mpi_executor_get_launched (MpaioMpiExecutor *self)
{
  g_return_val_if_fail (MPAIO_MPI_IS_EXECUTOR (self), FALSE);

  return self->launched;
}

/**
 * mpaio_mpi_executor_get_argv: (get-property argv)
 * @self: an MPI executor
 *
 * Gets [property@MpaioMpi.Executor:argv].
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the worker
 *   program, or %NULL for this program
 */
const char * const *
mpaio_mpi_executor_get_argv (MpaioMpiExecutor *self)
{
  g_return_val_if_fail (MPAIO_MPI_IS_EXECUTOR (self), NULL);

  return (const char * const *) self->argv;
}

/**
 * mpaio_mpi_executor_dup_worker_pids:
 * @self: an MPI executor
 * @n_pids: (out): return location for the number of pids
 *
 * Gets the process ids of the worker ranks that said hello, in no order.
 * A pid only means something on its rank's host.
 *
 * Returns: (transfer full) (array length=n_pids): the pids
 */
int *
mpaio_mpi_executor_dup_worker_pids (MpaioMpiExecutor *self,
                                    guint            *n_pids)
{
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (int));
  GHashTableIter iter;
  Rank *rank;

  g_return_val_if_fail (MPAIO_MPI_IS_EXECUTOR (self), NULL);
  g_return_val_if_fail (n_pids != NULL, NULL);

  g_hash_table_iter_init (&iter, self->ranks);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &rank))
    if (rank->pid > 0 && !rank->gone)
      {
        int pid = rank->pid;

        g_array_append_val (pids, pid);
      }

  *n_pids = pids->len;
  return (int *) g_array_free (pids, FALSE);
}
