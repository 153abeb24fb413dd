/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"
#include "mpaio-executor-private.h"
#include "mpaio-i18n-private.h"

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
 * Only Mpaio's own executors implement this interface: its virtual
 * methods are private, so a class of yours (in C, Python or JavaScript)
 * that lists it among its interfaces implements nothing. Such an object
 * fails every run and shutdown with %MPAIO_ERROR_FAILED, saying so; give
 * an orchestrator a [class@Mpaio.ProcessPool] or a [class@Mpaio.ThreadPool].
 */

G_DEFINE_INTERFACE (MpaioExecutor, mpaio_executor, G_TYPE_OBJECT)

/* Whether @vfunc is there; an executor class from outside Mpaio, such as a
 * binding's, has none. */
static gboolean
check_vfunc (MpaioExecutor  *self,
             gconstpointer   vfunc,
             GError        **error)
{
  if (vfunc != NULL)
    return TRUE;

  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED,
               _("%s lists MpaioExecutor among its interfaces, but only Mpaio's own "
                 "executors can implement it; use an MpaioProcessPool or an MpaioThreadPool"),
               G_OBJECT_TYPE_NAME (self));
  return FALSE;
}

static void
mpaio_executor_default_init (MpaioExecutorInterface *iface)
{
  /**
   * MpaioExecutor:max-workers:
   *
   * The largest number of workers that run at once. Set it when the
   * executor is made; 0, the default, means one per processor (as
   * g_get_num_processors() counts them), so that an executor made with
   * g_object_new() and no properties, as bindings make it, has that many.
   * Reading it gives the number, never 0.
   */
  g_object_interface_install_property (iface,
                                       g_param_spec_uint ("max-workers", NULL, NULL,
                                                          0, G_MAXUINT, 0,
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
 * Returns: the largest number of workers that run at once (1, with a
 *   critical warning, for an object that is not one of Mpaio's executors)
 */
guint
mpaio_executor_get_max_workers (MpaioExecutor *self)
{
  g_autoptr(GError) error = NULL;
  MpaioExecutorInterface *iface;

  g_return_val_if_fail (MPAIO_IS_EXECUTOR (self), 0);

  iface = MPAIO_EXECUTOR_GET_IFACE (self);
  if (!check_vfunc (self, iface->get_max_workers, &error))
    {
      g_critical ("%s", error->message);
      return 1;
    }

  return iface->get_max_workers (self);
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
  g_autoptr(GError) error = NULL;
  MpaioExecutorInterface *iface;

  g_return_if_fail (MPAIO_IS_EXECUTOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  iface = MPAIO_EXECUTOR_GET_IFACE (self);
  if (!check_vfunc (self, iface->shutdown_async, &error))
    {
      g_task_report_error (self, callback, user_data, mpaio_executor_shutdown_async,
                           g_steal_pointer (&error));
      return;
    }

  iface->shutdown_async (self, cancellable, callback, user_data);
}

/**
 * mpaio_executor_shutdown_finish:
 * @self: an executor
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Mpaio.Executor.shutdown_async].
 *
 * Returns: %TRUE once every worker has stopped; %FALSE with
 *   %MPAIO_ERROR_FAILED for an object that is not one of Mpaio's executors
 */
gboolean
mpaio_executor_shutdown_finish (MpaioExecutor  *self,
                                GAsyncResult   *result,
                                GError        **error)
{
  MpaioExecutorInterface *iface;

  g_return_val_if_fail (MPAIO_IS_EXECUTOR (self), FALSE);

  /* A shutdown refused by mpaio_executor_shutdown_async() above. */
  iface = MPAIO_EXECUTOR_GET_IFACE (self);
  if (iface->shutdown_finish == NULL)
    {
      g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
      return g_task_propagate_boolean (G_TASK (result), error);
    }

  return iface->shutdown_finish (self, result, error);
}

/* Fails with MPAIO_ERROR_FAILED for an executor from outside Mpaio. */
gboolean
mpaio_executor_attach_run (MpaioExecutor  *self,
                           MpaioRun       *run,
                           GError        **error)
{
  MpaioExecutorInterface *iface = MPAIO_EXECUTOR_GET_IFACE (self);

  if (!check_vfunc (self, iface->attach_run, error))
    return FALSE;

  return iface->attach_run (self, run, error);
}

void
mpaio_executor_detach_run (MpaioExecutor *self,
                           MpaioRun      *run)
{
  MpaioExecutorInterface *iface = MPAIO_EXECUTOR_GET_IFACE (self);

  if (iface->detach_run != NULL)
    iface->detach_run (self, run);
}
