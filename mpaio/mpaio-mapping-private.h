/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A shared mapping of a memory's fd, followed by an inaccessible guard
 * page. It outlives its MpaioSharedMemory as long as a GBytes view of it
 * is alive. */
typedef struct
{
  gatomicrefcount ref_count;
  gpointer        data;
  gsize           reserved;       /* the memory, in whole pages, and the guard */
} MpaioMapping;

gsize         mpaio_page_size     (void);
MpaioMapping *mpaio_mapping_new   (int           fd,
                                   gsize         size,
                                   gboolean      writable,
                                   GError      **error);
MpaioMapping *mpaio_mapping_ref   (MpaioMapping *mapping);
void          mpaio_mapping_unref (gpointer      data);

G_END_DECLS
