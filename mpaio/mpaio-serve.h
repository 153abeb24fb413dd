/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include <glib.h>

#include "mpaio-version-macros.h"

G_BEGIN_DECLS

MPAIO_AVAILABLE_IN_ALL
gboolean mpaio_is_worker_process (void);
MPAIO_AVAILABLE_IN_ALL
gboolean mpaio_serve             (GError **error);
MPAIO_AVAILABLE_IN_ALL
void     mpaio_serve_if_worker   (void);

G_END_DECLS
