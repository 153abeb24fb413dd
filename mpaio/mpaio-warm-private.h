/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-shared-memory.h"

G_BEGIN_DECLS

/* How a worker process fills its page tables for its input memories; see
 * mpaio-warm.c. */
typedef enum
{
  MPAIO_POPULATE_IDLE,              /* the default */
  MPAIO_POPULATE_FAULT,
  MPAIO_POPULATE_CHUNK,
  MPAIO_POPULATE_MAPPING,
} MpaioPopulate;

typedef struct _MpaioWarmer MpaioWarmer;

MpaioPopulate mpaio_populate_mode   (void);
void          mpaio_populate        (gconstpointer      data,
                                     gsize              length);

MpaioWarmer  *mpaio_warmer_new      (void);
void          mpaio_warmer_free     (MpaioWarmer       *self);
void          mpaio_warmer_add      (MpaioWarmer       *self,
                                     MpaioSharedMemory *memory);
void          mpaio_warmer_remove   (MpaioWarmer       *self,
                                     MpaioSharedMemory *memory);
gboolean      mpaio_warmer_step     (MpaioWarmer       *self);

G_END_DECLS
