/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-i18n-private.h"
#include "mpaio-process-pool-private.h"
#include "mpaio-startup-private.h"
#include "mpaio-worker-process-private.h"

/**
 * MpaioProcessPool:
 *
 * A pool of long-lived worker processes, spawned with #GSubprocess.
 *
 * Workers are spawned when a run first needs them (or all at once with
 * [method@Mpaio.ProcessPool.start_async]) and kept for every later run, by
 * any number of [class@Mpaio.Orchestrator]s. Each worker talks to the pool
 * over a private socket; its standard output is left alone and its standard
 * error is passed through, and remembered to explain a crash.
 *
 * A worker process runs one of two programs:
 *
 * - by default ([ctor@Mpaio.ProcessPool.new]), the current program again,
 *   with the same command line. The program must call
 *   mpaio_serve_if_worker() (C) or its equivalent early in `main`, after
 *   registering its worker types and before any other work: in a worker it
 *   serves and never returns, in the caller it returns at once;
 * - a program you name ([ctor@Mpaio.ProcessPool.new_for_argv]) that
 *   registers the worker types and serves. Interactive shells and notebooks
 *   need this, since they cannot be started again.
 *
 * Each worker holds several chunks (see
 * [property@Mpaio.ProcessPool:chunks-in-flight]), so that it never waits
 * for the pool between two chunks, and the next chunks go to whichever
 * worker answers first. When a worker dies, its
 * chunks go to a fresh worker; the chunk it was processing is retried
 * [property@Mpaio.ProcessPool:max-retries] times before its run fails with
 * %MPAIO_ERROR_WORKER_CRASHED. Workers die with the pool's process and sit
 * in their own process group, so that Ctrl-C in a terminal reaches the
 * caller only.
 *
 * A pool belongs to the main context that was the thread-default one when
 * it was created; use it from there.
 */

static const MpaioExecutorMessages messages = {
  .closed = N_("The process pool was shut down; make a new one"),
  .closed_during_run = N_("The process pool was shut down during the run"),
  .wrong_context = N_("The process pool belongs to another main context; use it "
                      "from the thread-default main context it was created in"),
};

static void mpaio_process_pool_executor_iface_init (MpaioExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpaioProcessPool, mpaio_process_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_EXECUTOR,
                                                      mpaio_process_pool_executor_iface_init))

enum {
  PROP_0,
  PROP_ARGV,
  PROP_CHUNKS_IN_FLIGHT,
  PROP_MAX_RETRIES,
  PROP_N_WORKERS,
  PROP_CHUNK_TIMEOUT,
  PROP_MAX_WORKERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static gboolean
mpaio_process_pool_attach_run (MpaioExecutor  *executor,
                               MpaioRun       *run,
                               GError        **error)
{
  return mpaio_dispatch_attach_run (&MPAIO_PROCESS_POOL (executor)->dispatch, run, error);
}

static void
mpaio_process_pool_detach_run (MpaioExecutor *executor,
                               MpaioRun      *run)
{
  mpaio_dispatch_detach_run (&MPAIO_PROCESS_POOL (executor)->dispatch, run);
}

static guint
mpaio_process_pool_get_max_workers (MpaioExecutor *executor)
{
  return MPAIO_PROCESS_POOL (executor)->dispatch.max_workers;
}

/* Runs fail with MPAIO_ERROR_CLOSED; idle workers' channels are closed,
 * busy ones killed, and the shutdown completes when all are reaped. */
static void
mpaio_process_pool_shutdown_async (MpaioExecutor       *executor,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  mpaio_dispatch_shutdown (&MPAIO_PROCESS_POOL (executor)->dispatch, cancellable, callback,
                           user_data);
}

static void
notify_n_workers (GObject *pool)
{
  g_object_notify_by_pspec (pool, properties[PROP_N_WORKERS]);
}

static void
mpaio_process_pool_executor_iface_init (MpaioExecutorInterface *iface)
{
  iface->get_max_workers = mpaio_process_pool_get_max_workers;
  iface->attach_run = mpaio_process_pool_attach_run;
  iface->detach_run = mpaio_process_pool_detach_run;
  iface->shutdown_async = mpaio_process_pool_shutdown_async;
  iface->shutdown_finish = mpaio_executor_base_shutdown_finish;
}

static void
mpaio_process_pool_dispose (GObject *object)
{
  MpaioProcessPool *self = (MpaioProcessPool *)object;

  mpaio_dispatch_close (&self->dispatch);
  mpaio_dispatch_free_peers (&self->dispatch);

  G_OBJECT_CLASS (mpaio_process_pool_parent_class)->dispose (object);
}

static void
mpaio_process_pool_finalize (GObject *object)
{
  MpaioProcessPool *self = (MpaioProcessPool *)object;

  mpaio_dispatch_clear (&self->dispatch);
  mpaio_executor_base_clear (&self->base);
  g_clear_pointer (&self->argv, g_strfreev);

  G_OBJECT_CLASS (mpaio_process_pool_parent_class)->finalize (object);
}

static void
mpaio_process_pool_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MpaioProcessPool *self = MPAIO_PROCESS_POOL (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      g_value_set_boxed (value, self->argv);
      break;

    case PROP_CHUNKS_IN_FLIGHT:
      g_value_set_uint (value, self->dispatch.chunks_in_flight);
      break;

    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->dispatch.max_retries);
      break;

    case PROP_N_WORKERS:
      g_value_set_uint (value, mpaio_dispatch_get_n_peers (&self->dispatch));
      break;

    case PROP_CHUNK_TIMEOUT:
      g_value_set_uint (value, self->dispatch.chunk_timeout);
      break;

    case PROP_MAX_WORKERS:
      g_value_set_uint (value, self->dispatch.max_workers);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_process_pool_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MpaioProcessPool *self = MPAIO_PROCESS_POOL (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      self->argv = g_value_dup_boxed (value);
      if (self->argv != NULL && self->argv[0] == NULL)
        g_clear_pointer (&self->argv, g_strfreev);
      break;

    case PROP_CHUNKS_IN_FLIGHT:
      mpaio_process_pool_set_chunks_in_flight (self, g_value_get_uint (value));
      break;

    case PROP_MAX_RETRIES:
      mpaio_process_pool_set_max_retries (self, g_value_get_uint (value));
      break;

    case PROP_CHUNK_TIMEOUT:
      mpaio_process_pool_set_chunk_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MAX_WORKERS:
      self->dispatch.max_workers = mpaio_executor_max_workers_for (g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_process_pool_class_init (MpaioProcessPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mpaio_process_pool_dispose;
  object_class->finalize = mpaio_process_pool_finalize;
  object_class->get_property = mpaio_process_pool_get_property;
  object_class->set_property = mpaio_process_pool_set_property;

  /**
   * MpaioProcessPool:argv:
   *
   * The command line of the worker program, or %NULL to start the current
   * program again.
   */
  properties[PROP_ARGV] =
    g_param_spec_boxed ("argv", NULL, NULL,
                        G_TYPE_STRV,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:chunks-in-flight:
   *
   * How many chunks each worker holds at once: one it works on, the others
   * queued so that it never waits for the pool. The default, 0, adapts to
   * the chunks: 2 for long ones, more for short ones, so that each worker
   * has about 2 ms of work queued (at most 256 chunks).
   */
  properties[PROP_CHUNKS_IN_FLIGHT] =
    g_param_spec_uint ("chunks-in-flight", NULL, NULL,
                       0, 1024, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:max-retries:
   *
   * How many times a chunk whose worker died is given to a fresh worker
   * before its run fails with %MPAIO_ERROR_WORKER_CRASHED.
   */
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL,
                       0, 100, 2,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:n-workers:
   *
   * How many worker processes the pool has now, starting or ready. It
   * notifies as each one is spawned and as each one is gone.
   */
  properties[PROP_N_WORKERS] =
    g_param_spec_uint ("n-workers", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:chunk-timeout:
   *
   * How long a worker may spend on one chunk, in milliseconds, or 0 for no
   * limit. A worker that takes longer is killed; the chunk is retried like a
   * crashed one ([property@Mpaio.ProcessPool:max-retries]), and then its run
   * fails with %MPAIO_ERROR_TIMED_OUT.
   */
  properties[PROP_CHUNK_TIMEOUT] =
    g_param_spec_uint ("chunk-timeout", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS - 1, properties);
  g_object_class_override_property (object_class, PROP_MAX_WORKERS, "max-workers");
}

static void
mpaio_process_pool_init (MpaioProcessPool *self)
{
  mpaio_executor_base_init (&self->base, G_OBJECT (self), &messages);
  mpaio_dispatch_init (&self->dispatch, &self->base, &mpaio_process_transport, self);
  self->dispatch.peers_changed = notify_n_workers;

  /* In a worker process that forgot to serve, the pool that started it
   * learns it now, and stops it. */
  mpaio_startup_check_can_spawn (NULL);
}

/**
 * mpaio_process_pool_new:
 * @max_workers: the number of worker processes, or 0 for one per processor
 *
 * Creates a pool whose workers run the current program again. The program
 * must call mpaio_serve_if_worker() early in `main`.
 *
 * A process started as a worker that has not called it cannot start
 * workers of its own: its pools fail every run and start with
 * %MPAIO_ERROR_SPAWN_FAILED, and the pool that started it fails its runs
 * with the same advice, instead of each worker running the program again.
 *
 * Returns: (transfer full): a new pool
 */
MpaioProcessPool *
mpaio_process_pool_new (guint max_workers)
{
  return mpaio_process_pool_new_for_argv (NULL, max_workers);
}

/**
 * mpaio_process_pool_new_for_argv:
 * @argv: (array zero-terminated=1) (nullable): the command line of the
 *   worker program, or %NULL to start the current program again
 * @max_workers: the number of worker processes, or 0 for one per processor
 *
 * Creates a pool whose workers run @argv: a program that registers the
 * worker types and then calls mpaio_serve_if_worker().
 *
 * Returns: (transfer full): a new pool
 */
MpaioProcessPool *
mpaio_process_pool_new_for_argv (const char * const *argv,
                                 guint               max_workers)
{
  return g_object_new (MPAIO_TYPE_PROCESS_POOL,
                       "argv", argv,
                       "max-workers", max_workers,
                       NULL);
}

/**
 * mpaio_process_pool_get_argv:
 * @self: a pool
 *
 * Gets the command line of the worker program, or %NULL if the pool starts
 * the current program again.
 *
 * Returns: (array zero-terminated=1) (nullable) (transfer none): the
 *   command line of the worker program, or %NULL if the pool starts the
 *   current program again
 */
const char * const *
mpaio_process_pool_get_argv (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), NULL);

  return (const char * const *) self->argv;
}

/**
 * mpaio_process_pool_get_chunks_in_flight:
 * @self: a pool
 *
 * Gets how many chunks each worker holds at once.
 *
 * Returns: how many chunks each worker holds at once
 */
guint
mpaio_process_pool_get_chunks_in_flight (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return self->dispatch.chunks_in_flight;
}

/**
 * mpaio_process_pool_set_chunks_in_flight:
 * @self: a pool
 * @chunks_in_flight: how many chunks each worker holds at once, or 0 to
 *   adapt to the chunks' duration
 *
 * Sets [property@Mpaio.ProcessPool:chunks-in-flight].
 */
void
mpaio_process_pool_set_chunks_in_flight (MpaioProcessPool *self,
                                         guint             chunks_in_flight)
{
  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));
  g_return_if_fail (chunks_in_flight <= 1024);

  if (self->dispatch.chunks_in_flight == chunks_in_flight)
    return;

  self->dispatch.chunks_in_flight = chunks_in_flight;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHUNKS_IN_FLIGHT]);
  mpaio_dispatch_run (&self->dispatch);
}

/**
 * mpaio_process_pool_get_max_retries:
 * @self: a pool
 *
 * Gets how many times a chunk whose worker died is retried.
 *
 * Returns: how many times a chunk whose worker died is retried
 */
guint
mpaio_process_pool_get_max_retries (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return self->dispatch.max_retries;
}

/**
 * mpaio_process_pool_set_max_retries:
 * @self: a pool
 * @max_retries: how many times to retry a chunk whose worker died
 *
 * Sets [property@Mpaio.ProcessPool:max-retries].
 */
void
mpaio_process_pool_set_max_retries (MpaioProcessPool *self,
                                    guint             max_retries)
{
  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));

  if (self->dispatch.max_retries == max_retries)
    return;

  self->dispatch.max_retries = max_retries;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRIES]);
}

/**
 * mpaio_process_pool_get_chunk_timeout:
 * @self: a pool
 *
 * Gets how long a worker may spend on one chunk, in milliseconds, or 0.
 *
 * Returns: how long a worker may spend on one chunk, in milliseconds, or 0
 */
guint
mpaio_process_pool_get_chunk_timeout (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return self->dispatch.chunk_timeout;
}

/**
 * mpaio_process_pool_set_chunk_timeout:
 * @self: a pool
 * @chunk_timeout: how long a worker may spend on one chunk, in
 *   milliseconds, or 0 for no limit
 *
 * Sets [property@Mpaio.ProcessPool:chunk-timeout]. It applies to the chunks
 * that start after the change.
 */
void
mpaio_process_pool_set_chunk_timeout (MpaioProcessPool *self,
                                      guint             chunk_timeout)
{
  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));

  if (self->dispatch.chunk_timeout == chunk_timeout)
    return;

  self->dispatch.chunk_timeout = chunk_timeout;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHUNK_TIMEOUT]);
}

/**
 * mpaio_process_pool_get_n_workers:
 * @self: a pool
 *
 * Gets how many worker processes the pool has now.
 *
 * Returns: how many worker processes the pool has now
 */
guint
mpaio_process_pool_get_n_workers (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return mpaio_dispatch_get_n_peers (&self->dispatch);
}

/**
 * mpaio_process_pool_dup_worker_pids:
 * @self: a pool
 * @n_pids: (out): return location for the number of pids
 *
 * Gets the process ids of the pool's worker processes, to watch them.
 *
 * Returns: (array length=n_pids) (transfer full): the process ids
 */
int *
mpaio_process_pool_dup_worker_pids (MpaioProcessPool *self,
                                    guint            *n_pids)
{
  int *pids;

  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), NULL);
  g_return_val_if_fail (n_pids != NULL, NULL);

  *n_pids = mpaio_dispatch_get_n_peers (&self->dispatch);
  pids = g_new0 (int, *n_pids + 1);
  for (guint i = 0; i < *n_pids; i++)
    {
      MpaioPeer *peer = mpaio_dispatch_get_peer (&self->dispatch, i);

      pids[i] = mpaio_worker_process_get_pid (mpaio_peer_get_data (peer));
    }

  return pids;
}

/**
 * mpaio_process_pool_start_async:
 * @self: a pool
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every worker is ready
 * @user_data: data for @callback
 *
 * Spawns all the workers now instead of on the first run, and completes
 * when every one of them is ready. Spawning is the slowest thing a pool
 * does, so an application can do it while it starts up.
 */
void
mpaio_process_pool_start_async (MpaioProcessPool    *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mpaio_process_pool_start_async);

  if (!mpaio_executor_base_check (&self->base, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  mpaio_dispatch_start_all (&self->dispatch, g_steal_pointer (&task));
}

/**
 * mpaio_process_pool_start_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Mpaio.ProcessPool.start_async].
 *
 * Returns: %TRUE if every worker is ready; %FALSE with
 *   %MPAIO_ERROR_SPAWN_FAILED if one could not start
 */
gboolean
mpaio_process_pool_start_finish (MpaioProcessPool  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mpaio_process_pool_start_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
