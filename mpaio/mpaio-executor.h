/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include <gio/gio.h>

#include "mpaio-version-macros.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_EXECUTOR (mpaio_executor_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (MpaioExecutor, mpaio_executor, MPAIO, EXECUTOR, GObject)

MPAIO_AVAILABLE_IN_ALL
guint    mpaio_executor_get_max_workers (MpaioExecutor        *self);
MPAIO_AVAILABLE_IN_ALL
void     mpaio_executor_shutdown_async  (MpaioExecutor        *self,
                                         GCancellable         *cancellable,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
MPAIO_AVAILABLE_IN_ALL
gboolean mpaio_executor_shutdown_finish (MpaioExecutor        *self,
                                         GAsyncResult         *result,
                                         GError              **error);

G_END_DECLS
