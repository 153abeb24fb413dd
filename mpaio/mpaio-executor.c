/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-executor-private.h"

/**
 * MpaioExecutor:
 *
 * Something that runs [iface@Mpaio.Worker]s on chunks: a pool of worker
 * processes ([class@Mpaio.ProcessPool]).
 *
 * An executor is made by the caller and injected into one or more
 * [class@Mpaio.Orchestrator]s, which can run on it at the same time. Its
 * workers are kept between runs. It belongs to the main context that was
 * the thread-default one when it was created.
 *
 * This interface is implemented by Mpaio only; its virtual methods are
 * private.
 */

G_DEFINE_INTERFACE (MpaioExecutor, mpaio_executor, G_TYPE_OBJECT)

static void
mpaio_executor_default_init (MpaioExecutorInterface *iface)
{
  /**
   * MpaioExecutor:max-workers:
   *
   * The largest number of workers that run at once.
   */
  g_object_interface_install_property (iface,
                                       g_param_spec_uint ("max-workers", NULL, NULL,
                                                          1, G_MAXUINT, 1,
                                                          (G_PARAM_READWRITE |
                                                           G_PARAM_CONSTRUCT_ONLY |
                                                           G_PARAM_STATIC_STRINGS)));
}

/**
 * mpaio_executor_get_max_workers:
 * @self: an executor
 *
 * Gets the largest number of workers that run at once.
 *
 * Returns: the largest number of workers that run at once
 */
guint
mpaio_executor_get_max_workers (MpaioExecutor *self)
{
  g_return_val_if_fail (MPAIO_IS_EXECUTOR (self), 0);

  return MPAIO_EXECUTOR_GET_IFACE (self)->get_max_workers (self);
}

/**
 * mpaio_executor_shutdown_async:
 * @self: an executor
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when the executor has stopped
 * @user_data: data for @callback
 *
 * Stops the executor: runs still going fail with %MPAIO_ERROR_CLOSED, and
 * every worker is stopped (killed, if it is busy). The operation completes
 * once no worker is left. Shutting down twice is harmless; later runs fail
 * with %MPAIO_ERROR_CLOSED.
 */
void
mpaio_executor_shutdown_async (MpaioExecutor       *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (MPAIO_IS_EXECUTOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  MPAIO_EXECUTOR_GET_IFACE (self)->shutdown_async (self, cancellable, callback, user_data);
}

/**
 * mpaio_executor_shutdown_finish:
 * @self: an executor
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Mpaio.Executor.shutdown_async].
 *
 * Returns: %TRUE once every worker has stopped
 */
gboolean
mpaio_executor_shutdown_finish (MpaioExecutor  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  g_return_val_if_fail (MPAIO_IS_EXECUTOR (self), FALSE);

  return MPAIO_EXECUTOR_GET_IFACE (self)->shutdown_finish (self, result, error);
}

gboolean
mpaio_executor_attach_run (MpaioExecutor  *self,
                           MpaioRun       *run,
                           GError        **error)
{
  return MPAIO_EXECUTOR_GET_IFACE (self)->attach_run (self, run, error);
}

void
mpaio_executor_detach_run (MpaioExecutor *self,
                           MpaioRun      *run)
{
  MPAIO_EXECUTOR_GET_IFACE (self)->detach_run (self, run);
}
