/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include "mpaio-executor.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_PROCESS_POOL (mpaio_process_pool_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MpaioProcessPool, mpaio_process_pool, MPAIO, PROCESS_POOL, GObject)

MPAIO_AVAILABLE_IN_ALL
MpaioProcessPool   *mpaio_process_pool_new             (guint                 max_workers);
MPAIO_AVAILABLE_IN_ALL
MpaioProcessPool   *mpaio_process_pool_new_for_argv    (const char * const   *argv,
                                                        guint                 max_workers);
MPAIO_AVAILABLE_IN_ALL
const char * const *mpaio_process_pool_get_argv        (MpaioProcessPool     *self);
MPAIO_AVAILABLE_IN_ALL
guint               mpaio_process_pool_get_chunks_in_flight (MpaioProcessPool *self);
MPAIO_AVAILABLE_IN_ALL
void                mpaio_process_pool_set_chunks_in_flight (MpaioProcessPool *self,
                                                        guint                 chunks_in_flight);
MPAIO_AVAILABLE_IN_ALL
guint               mpaio_process_pool_get_max_retries (MpaioProcessPool     *self);
MPAIO_AVAILABLE_IN_ALL
void                mpaio_process_pool_set_max_retries (MpaioProcessPool     *self,
                                                        guint                 max_retries);
MPAIO_AVAILABLE_IN_ALL
guint               mpaio_process_pool_get_chunk_timeout (MpaioProcessPool   *self);
MPAIO_AVAILABLE_IN_ALL
void                mpaio_process_pool_set_chunk_timeout (MpaioProcessPool   *self,
                                                        guint                 chunk_timeout);
MPAIO_AVAILABLE_IN_ALL
guint               mpaio_process_pool_get_n_workers   (MpaioProcessPool     *self);
MPAIO_AVAILABLE_IN_ALL
int                *mpaio_process_pool_dup_worker_pids (MpaioProcessPool     *self,
                                                        guint                *n_pids);
MPAIO_AVAILABLE_IN_ALL
void                mpaio_process_pool_start_async     (MpaioProcessPool     *self,
                                                        GCancellable         *cancellable,
                                                        GAsyncReadyCallback   callback,
                                                        gpointer              user_data);
MPAIO_AVAILABLE_IN_ALL
gboolean            mpaio_process_pool_start_finish    (MpaioProcessPool     *self,
                                                        GAsyncResult         *result,
                                                        GError              **error);

G_END_DECLS
