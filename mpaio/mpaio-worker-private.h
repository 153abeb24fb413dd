/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-worker.h"

#include "mpaio-internal-private.h"

G_BEGIN_DECLS

#define MPAIO_WORKER_SPEC_TYPE G_VARIANT_TYPE ("(sa{sv})")

MPAIO_INTERNAL
MpaioWorker *mpaio_worker_new_from_spec (GVariant  *spec,
                                         GError   **error);

G_END_DECLS
