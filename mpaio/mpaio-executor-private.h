/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-executor.h"
#include "mpaio-run-private.h"

#include "mpaio-internal-private.h"

G_BEGIN_DECLS

/* The vfuncs are private: Mpaio's own executors implement them. An executor
 * pulls jobs from its attached runs whenever it has room, and reports each
 * outcome back to the run on the run's main context. */
struct _MpaioExecutorInterface
{
  GTypeInterface parent_iface;

  guint    (*get_max_workers) (MpaioExecutor        *self);
  gboolean (*attach_run)      (MpaioExecutor        *self,
                               MpaioRun             *run,
                               GError              **error);
  void     (*detach_run)      (MpaioExecutor        *self,
                               MpaioRun             *run);
  void     (*shutdown_async)  (MpaioExecutor        *self,
                               GCancellable         *cancellable,
                               GAsyncReadyCallback   callback,
                               gpointer              user_data);
  gboolean (*shutdown_finish) (MpaioExecutor        *self,
                               GAsyncResult         *result,
                               GError              **error);
};

/* The number of workers that MpaioExecutor:max-workers @value asks for:
 * 0, its default, is one per processor. */
static inline guint
mpaio_executor_max_workers_for (guint value)
{
  return value > 0 ? value : g_get_num_processors ();
}

MPAIO_INTERNAL
gboolean mpaio_executor_attach_run (MpaioExecutor  *self,
                                    MpaioRun       *run,
                                    GError        **error);
MPAIO_INTERNAL
void     mpaio_executor_detach_run (MpaioExecutor  *self,
                                    MpaioRun       *run);

G_END_DECLS
