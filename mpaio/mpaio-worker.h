/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include "mpaio-chunk.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_WORKER (mpaio_worker_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_INTERFACE (MpaioWorker, mpaio_worker, MPAIO, WORKER, GObject)

/**
 * MpaioWorkerInterface:
 * @parent_iface: the parent interface
 * @process: processes one chunk, in a worker process, and returns its result
 * @process_callback: receives one chunk's result, in the caller's process,
 *   on the main context the run was started from
 * @dup_result_type: returns the type every result must have, or %NULL to
 *   accept any
 * @process_callback_full: like @process_callback, but may fail the run:
 *   returns %FALSE with an error to end the run with that error. When set,
 *   it is called instead of @process_callback
 *
 * The virtual methods of a worker. Only @process is required.
 */
struct _MpaioWorkerInterface
{
  GTypeInterface parent_iface;

  GVariant     *(*process)          (MpaioWorker  *self,
                                     MpaioChunk   *chunk,
                                     GError      **error);
  void          (*process_callback) (MpaioWorker  *self,
                                     guint64       chunk_index,
                                     GVariant     *result);
  GVariantType *(*dup_result_type)  (MpaioWorker  *self);

  /* Appended: implementations built against older headers stay valid. */
  gboolean      (*process_callback_full) (MpaioWorker  *self,
                                          guint64       chunk_index,
                                          GVariant     *result,
                                          GError      **error);
};

MPAIO_AVAILABLE_IN_ALL
GVariant     *mpaio_worker_process          (MpaioWorker  *self,
                                             MpaioChunk   *chunk,
                                             GError      **error);
MPAIO_AVAILABLE_IN_ALL
void          mpaio_worker_process_callback (MpaioWorker  *self,
                                             guint64       chunk_index,
                                             GVariant     *result);
MPAIO_AVAILABLE_IN_ALL
gboolean      mpaio_worker_process_callback_full (MpaioWorker  *self,
                                                  guint64       chunk_index,
                                                  GVariant     *result,
                                                  GError      **error);
MPAIO_AVAILABLE_IN_ALL
GVariantType *mpaio_worker_dup_result_type  (MpaioWorker  *self);
MPAIO_AVAILABLE_IN_ALL
GVariant     *mpaio_worker_serialize        (MpaioWorker  *self,
                                             GError      **error);

G_END_DECLS
