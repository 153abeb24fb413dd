/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include "mpaio-shared-memory.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_CHUNK (mpaio_chunk_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MpaioChunk, mpaio_chunk, MPAIO, CHUNK, GObject)

MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_chunk_get_index        (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_chunk_get_start        (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_chunk_get_end          (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_chunk_get_n_elements   (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
gsize              mpaio_chunk_get_element_size (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_chunk_get_offset       (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
const char        *mpaio_chunk_get_dtype        (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
MpaioSharedMemory *mpaio_chunk_get_memory       (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
gconstpointer      mpaio_chunk_get_data         (MpaioChunk *self,
                                                 gsize      *size);
MPAIO_AVAILABLE_IN_ALL
GBytes            *mpaio_chunk_dup_bytes        (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_chunk_has_output       (MpaioChunk *self);
MPAIO_AVAILABLE_IN_ALL
gpointer           mpaio_chunk_get_output_data  (MpaioChunk *self,
                                                 gsize      *size);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_chunk_write_output     (MpaioChunk    *self,
                                                 guint64        offset,
                                                 const guint8  *data,
                                                 gsize          length,
                                                 GError       **error);

G_END_DECLS
