/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-npy-private.h"
#include "mpaio-shared-memory.h"

#include "mpaio-internal-private.h"

G_BEGIN_DECLS

MPAIO_INTERNAL
guint64            mpaio_shared_memory_get_id        (MpaioSharedMemory *self);
MPAIO_INTERNAL
gboolean           mpaio_shared_memory_is_constant   (MpaioSharedMemory *self);
MPAIO_INTERNAL
MpaioSharedMemory *mpaio_shared_memory_new_for_worker (int                fd,
                                                       gsize              size,
                                                       gboolean           output,
                                                       GError           **error);
MPAIO_INTERNAL
gboolean           mpaio_shared_memory_allow_writes  (MpaioSharedMemory *self,
                                                       guint64            offset,
                                                       guint64            length,
                                                       gboolean           allow);

MPAIO_INTERNAL
MpaioSharedMemory *mpaio_shared_memory_new_for_fd    (int                fd,
                                                       gsize              size,
                                                       GError           **error);
MPAIO_INTERNAL
void               mpaio_shared_memory_set_array     (MpaioSharedMemory *self,
                                                       MpaioArrayInfo    *array);
MPAIO_INTERNAL
const MpaioArrayInfo *mpaio_shared_memory_get_array  (MpaioSharedMemory *self);
MPAIO_INTERNAL
gboolean           mpaio_shared_memory_check_size    (MpaioSharedMemory *self,
                                                       GError           **error);

G_END_DECLS
