/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include "mpaio-data-iterator.h"
#include "mpaio-executor.h"
#include "mpaio-worker.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_ORCHESTRATOR (mpaio_orchestrator_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MpaioOrchestrator, mpaio_orchestrator, MPAIO, ORCHESTRATOR, GObject)

MPAIO_AVAILABLE_IN_ALL
MpaioOrchestrator *mpaio_orchestrator_new                (MpaioExecutor        *executor);
MPAIO_AVAILABLE_IN_ALL
void               mpaio_orchestrator_add                (MpaioOrchestrator    *self,
                                                          MpaioWorker          *worker,
                                                          MpaioDataIterator    *iterator);
MPAIO_AVAILABLE_IN_ALL
void               mpaio_orchestrator_add_with_output    (MpaioOrchestrator    *self,
                                                          MpaioWorker          *worker,
                                                          MpaioDataIterator    *iterator,
                                                          MpaioSharedMemory    *output,
                                                          gsize                 output_element_size);
MPAIO_AVAILABLE_IN_ALL
MpaioExecutor     *mpaio_orchestrator_get_executor       (MpaioOrchestrator    *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_orchestrator_get_n_chunks_done  (MpaioOrchestrator    *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_orchestrator_get_n_chunks_total (MpaioOrchestrator    *self);
MPAIO_AVAILABLE_IN_ALL
double             mpaio_orchestrator_get_fraction       (MpaioOrchestrator    *self);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_orchestrator_is_running         (MpaioOrchestrator    *self);
MPAIO_AVAILABLE_IN_ALL
void               mpaio_orchestrator_run_async          (MpaioOrchestrator    *self,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_orchestrator_run_finish         (MpaioOrchestrator    *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_orchestrator_run                (MpaioOrchestrator    *self,
                                                          GCancellable         *cancellable,
                                                          GError              **error);

G_END_DECLS
