/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <signal.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mpi-executor-private.h"
#include "mpaio-mpi-protocol-private.h"
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

static void mpaio_mpi_executor_iface_init (MpaioExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpaioMpiExecutor, mpaio_mpi_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_EXECUTOR,
                                                      mpaio_mpi_executor_iface_init))

#define STOP_GRACE_USEC (2 * G_USEC_PER_SEC)

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

static gboolean
mpaio_mpi_executor_attach_run (MpaioExecutor  *executor,
                               MpaioRun       *run,
                               GError        **error)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (executor);
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  if (self->closed)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_CLOSED,
                           _("The MPI executor was shut down; make a new one"));
      return FALSE;
    }

  if (context != self->context)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_WRONG_CONTEXT,
                           _("The MPI executor belongs to another main context; use it "
                             "from the thread-default main context it was created in"));
      return FALSE;
    }

  if (self->launched && self->spawn_error != NULL)
    {
      g_propagate_error (error, g_error_copy (self->spawn_error));
      return FALSE;
    }

  if (!mpaio_mpi_executor_bind_run (self, run, error))
    return FALSE;

  if (self->sink == NULL)
    self->sink = mpaio_mpi_sink_new (self->context, mpaio_mpi_executor_on_event, self);

  /* A new run tries spawning again, whatever happened before. */
  self->n_spawn_failures = 0;
  g_ptr_array_add (self->runs, mpaio_run_ref (run));
  mpaio_run_start (run);
  mpaio_mpi_executor_watch (self);
  mpaio_mpi_executor_dispatch (self);

  return TRUE;
}

static void
mpaio_mpi_executor_detach_run (MpaioExecutor *executor,
                               MpaioRun      *run)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (executor);

  mpaio_mpi_executor_unbind_run (self, run);
  g_ptr_array_remove (self->runs, run);
}

static guint
mpaio_mpi_executor_get_max_workers_vfunc (MpaioExecutor *executor)
{
  return MPAIO_MPI_EXECUTOR (executor)->max_workers;
}

/* Stops every rank and fails the runs still going. */
static void
executor_close (MpaioMpiExecutor *self)
{
  g_autoptr(GError) error = NULL;

  if (self->closed)
    return;

  self->closed = TRUE;
  error = g_error_new_literal (MPAIO_ERROR, MPAIO_ERROR_CLOSED,
                               _("The MPI executor was shut down during the run"));
  mpaio_runs_fail (self->runs, error);
  mpaio_mpi_executor_stop_ranks (self);

  if (self->watchdog != NULL)
    {
      g_source_destroy (self->watchdog);
      g_clear_pointer (&self->watchdog, g_source_unref);
    }
}

static gboolean
stopped_ranks_gone (MpaioMpiExecutor *self)
{
  gboolean late = g_get_monotonic_time () > self->shutdown_deadline;

  for (guint i = 0; i < self->stopped_pids->len; i++)
    {
      int pid = g_array_index (self->stopped_pids, int, i);

      if (kill (pid, late ? SIGKILL : 0) == 0)
        return FALSE;
    }

  return TRUE;
}

static void
complete_shutdowns (MpaioMpiExecutor *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->shutdown_tasks)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

/* The workers on this node get a grace period to exit, then are killed. */
static gboolean
on_shutdown_timer (gpointer user_data)
{
  MpaioMpiExecutor *self = user_data;

  if (!stopped_ranks_gone (self))
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&self->shutdown_timer, g_source_unref);
  complete_shutdowns (self);
  return G_SOURCE_REMOVE;
}

static void
mpaio_mpi_executor_shutdown_async (MpaioExecutor       *executor,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (executor);
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, mpaio_executor_shutdown_async);
  if (!self->closed)
    self->shutdown_deadline = g_get_monotonic_time () + STOP_GRACE_USEC;
  executor_close (self);
  g_queue_push_tail (&self->shutdown_tasks, task);

  if (self->shutdown_timer == NULL)
    {
      self->shutdown_timer = g_timeout_source_new (20);
      g_source_set_callback (self->shutdown_timer, on_shutdown_timer, self, NULL);
      g_source_set_static_name (self->shutdown_timer, "[mpaio] MPI shutdown");
      g_source_attach (self->shutdown_timer, self->context);
    }
}

static gboolean
mpaio_mpi_executor_shutdown_finish (MpaioExecutor  *executor,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, executor), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
mpaio_mpi_executor_iface_init (MpaioExecutorInterface *iface)
{
  iface->get_max_workers = mpaio_mpi_executor_get_max_workers_vfunc;
  iface->attach_run = mpaio_mpi_executor_attach_run;
  iface->detach_run = mpaio_mpi_executor_detach_run;
  iface->shutdown_async = mpaio_mpi_executor_shutdown_async;
  iface->shutdown_finish = mpaio_mpi_executor_shutdown_finish;
}

static void
mpaio_mpi_executor_constructed (GObject *object)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  G_OBJECT_CLASS (mpaio_mpi_executor_parent_class)->constructed (object);

  /* Under mpirun, the job's other ranks are the workers. */
  if (self->launched)
    self->max_workers = mpaio_mpi_get_launched_size () - 1;
}

static void
mpaio_mpi_executor_dispose (GObject *object)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  executor_close (self);
  if (self->shutdown_timer != NULL)
    {
      g_source_destroy (self->shutdown_timer);
      g_clear_pointer (&self->shutdown_timer, g_source_unref);
    }
  complete_shutdowns (self);
  if (self->sink != NULL)
    mpaio_mpi_sink_close (g_steal_pointer (&self->sink));

  G_OBJECT_CLASS (mpaio_mpi_executor_parent_class)->dispose (object);
}

static void
mpaio_mpi_executor_finalize (GObject *object)
{
  MpaioMpiExecutor *self = MPAIO_MPI_EXECUTOR (object);

  g_clear_pointer (&self->ranks, g_hash_table_unref);
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_pointer (&self->run_bindings, g_hash_table_unref);
  g_clear_pointer (&self->stopped_pids, g_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_pointer (&self->argv, g_strfreev);
  g_clear_error (&self->spawn_error);
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
      g_value_set_uint (value, self->max_retries);
      break;
    case PROP_CHUNK_TIMEOUT:
      g_value_set_uint (value, self->chunk_timeout);
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
      g_value_set_uint (value, self->max_workers);
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
      set_uint (self, &self->max_retries, value, prop_id);
      break;
    case PROP_CHUNK_TIMEOUT:
      set_uint (self, &self->chunk_timeout, value, prop_id);
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
      self->max_workers = g_value_get_uint (value);
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
  self->context = g_main_context_ref_thread_default ();
  self->max_workers = g_get_num_processors ();
  self->launched = mpaio_mpi_get_role () == MPAIO_MPI_ROLE_ROOT;
  self->ranks = g_hash_table_new_full (NULL, NULL, NULL, mpaio_mpi_rank_free);
  self->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) mpaio_run_unref);
  self->run_bindings = g_hash_table_new_full (NULL, NULL, NULL, mpaio_mpi_run_bindings_free);
  self->stopped_pids = g_array_new (FALSE, FALSE, sizeof (int));
  self->boot_id = mpaio_mpi_boot_id ();
  g_queue_init (&self->shutdown_tasks);
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
                       "max-workers", max_workers > 0 ? max_workers : g_get_num_processors (),
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
                       "max-workers", max_workers > 0 ? max_workers : g_get_num_processors (),
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
    if (rank->state == RANK_READY)
      {
        int pid = rank->pid;

        g_array_append_val (pids, pid);
      }

  *n_pids = pids->len;
  return (int *) g_array_free (pids, FALSE);
}
