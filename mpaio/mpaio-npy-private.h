/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The layout of an array in a memory: what a .npy header says, or what a
 * raw file was opened with. */
typedef struct
{
  char    *dtype;
  guint64 *shape;
  guint    n_dims;
  guint64  offset;            /* where the first element starts, in bytes */
  guint64  n_elements;
  gsize    element_size;
} MpaioArrayInfo;

#define MPAIO_NPY_MAX_DIMS 64

void            mpaio_array_info_free (MpaioArrayInfo *info);
MpaioArrayInfo *mpaio_array_info_new  (const char     *dtype,
                                       const guint64  *shape,
                                       guint           n_dims,
                                       guint64         offset,
                                       guint64         size,
                                       GError        **error);
MpaioArrayInfo *mpaio_npy_parse       (const guint8   *data,
                                       guint64         size,
                                       GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpaioArrayInfo, mpaio_array_info_free)

G_END_DECLS
