/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-internal-private.h"
#include "mpaio-serve.h"

G_BEGIN_DECLS

/* Names the worker's end of its channel; only a pool sets it. */
#define MPAIO_WORKER_ENV "MPAIO_WORKER_FD"
#define MPAIO_WORKER_CHANNEL_FD 3

MPAIO_INTERNAL
void mpaio_serve_count_cached (guint *n_memories,
                               guint *n_workers,
                               guint *n_bindings);

G_END_DECLS
