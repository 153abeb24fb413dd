/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-chunk.h"
#include "mpaio-worker.h"

G_BEGIN_DECLS

void            mpaio_input_guard_install  (void);
GVariant       *mpaio_input_guard_process  (MpaioWorker  *worker,
                                            MpaioChunk   *chunk,
                                            GError      **error);
gboolean        mpaio_input_guard_tripped  (void);
G_NORETURN void mpaio_input_guard_hang_up  (int           channel_fd);

G_END_DECLS
