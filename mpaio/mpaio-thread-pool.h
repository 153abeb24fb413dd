/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include "mpaio-executor.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_THREAD_POOL (mpaio_thread_pool_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MpaioThreadPool, mpaio_thread_pool, MPAIO, THREAD_POOL, GObject)

MPAIO_AVAILABLE_IN_ALL
MpaioThreadPool *mpaio_thread_pool_new (guint max_workers);

G_END_DECLS
