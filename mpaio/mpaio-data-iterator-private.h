/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-data-iterator.h"

G_BEGIN_DECLS

/* The most chunks one iterator may have in a run: the run keeps a bit per
 * chunk, and chunk indices stay below 2^32. */
#define MPAIO_MAX_CHUNKS ((guint64) G_MAXUINT32)

gboolean mpaio_data_iterator_count_chunks (MpaioDataIterator  *self,
                                           guint64            *n_chunks,
                                           GError            **error);

G_END_DECLS
