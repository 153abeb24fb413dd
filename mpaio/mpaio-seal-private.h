/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* How a memfd was sealed against writes. */
typedef enum
{
  MPAIO_SEAL_NONE,
  MPAIO_SEAL_IN_PLACE,     /* F_SEAL_FUTURE_WRITE; the caller's view made read-only */
  MPAIO_SEAL_REMAPPED,     /* F_SEAL_WRITE, after unmapping every writable view */
} MpaioSealKind;

MpaioSealKind mpaio_seal_in_place         (int       fd,
                                           gpointer  data,
                                           gsize     size,
                                           GError  **error);
gboolean      mpaio_seal_fd_is_constant   (int       fd);
void          mpaio_seal_pretend_unsupported (gboolean unsupported);

G_END_DECLS
