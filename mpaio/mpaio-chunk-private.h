/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-chunk.h"

#include "mpaio-internal-private.h"

G_BEGIN_DECLS

MPAIO_INTERNAL
MpaioChunk *mpaio_chunk_new (MpaioSharedMemory *memory,
                             guint64            offset,
                             gsize              element_size,
                             const char        *dtype,
                             guint64            index,
                             guint64            start,
                             guint64            end);

MPAIO_INTERNAL
void        mpaio_chunk_set_output (MpaioChunk        *self,
                                    MpaioSharedMemory *output,
                                    gsize              output_element_size);
MPAIO_INTERNAL
void        mpaio_chunk_get_output_range (MpaioChunk *self,
                                          guint64    *offset,
                                          guint64    *length);
MPAIO_INTERNAL
void        mpaio_chunk_set_range (MpaioChunk *self,
                                   guint64     index,
                                   guint64     start,
                                   guint64     end);

G_END_DECLS
