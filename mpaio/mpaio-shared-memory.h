/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include <gio/gio.h>

#include "mpaio-version-macros.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_SHARED_MEMORY (mpaio_shared_memory_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MpaioSharedMemory, mpaio_shared_memory, MPAIO, SHARED_MEMORY, GObject)

MPAIO_AVAILABLE_IN_ALL
MpaioSharedMemory *mpaio_shared_memory_new             (gsize               size,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
MpaioSharedMemory *mpaio_shared_memory_new_from_bytes  (GBytes             *bytes,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
MpaioSharedMemory *mpaio_shared_memory_new_from_name   (const char         *name,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
MpaioSharedMemory *mpaio_shared_memory_new_for_file    (GFile              *file,
                                                        const char         *dtype,
                                                        guint64             offset,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
MpaioSharedMemory *mpaio_shared_memory_new_for_path    (const char         *path,
                                                        const char         *dtype,
                                                        guint64             offset,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_shared_memory_seal            (MpaioSharedMemory  *self,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_shared_memory_write           (MpaioSharedMemory  *self,
                                                        guint64             offset,
                                                        const guint8       *data,
                                                        gsize               length,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
gsize              mpaio_shared_memory_get_size        (MpaioSharedMemory  *self);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_shared_memory_is_sealed       (MpaioSharedMemory  *self);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_shared_memory_is_writable     (MpaioSharedMemory  *self);
MPAIO_AVAILABLE_IN_ALL
const char        *mpaio_shared_memory_get_name        (MpaioSharedMemory  *self);
MPAIO_AVAILABLE_IN_ALL
int                mpaio_shared_memory_get_fd          (MpaioSharedMemory  *self);
MPAIO_AVAILABLE_IN_ALL
gconstpointer      mpaio_shared_memory_get_data        (MpaioSharedMemory  *self);
MPAIO_AVAILABLE_IN_ALL
gpointer           mpaio_shared_memory_get_writable_data (MpaioSharedMemory *self);
MPAIO_AVAILABLE_IN_ALL
GBytes            *mpaio_shared_memory_dup_bytes       (MpaioSharedMemory  *self,
                                                        guint64             offset,
                                                        guint64             length,
                                                        GError            **error);
MPAIO_AVAILABLE_IN_ALL
const char        *mpaio_shared_memory_get_dtype       (MpaioSharedMemory  *self);
MPAIO_AVAILABLE_IN_ALL
const guint64     *mpaio_shared_memory_get_shape       (MpaioSharedMemory  *self,
                                                        guint              *n_dims);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_shared_memory_get_array_offset (MpaioSharedMemory *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_shared_memory_get_n_elements  (MpaioSharedMemory  *self);

G_END_DECLS
