/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <mpaio.h>

G_BEGIN_DECLS

MpaioSharedMemory *consumer_make_memory (gsize    size,
                                         GError **error);

G_END_DECLS
