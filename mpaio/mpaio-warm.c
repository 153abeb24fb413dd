/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <sys/mman.h>
#include <unistd.h>

#include "mpaio-shared-memory-private.h"
#include "mpaio-warm-private.h"

/* A worker process reads its input through a mapping it keeps for as long
 * as the caller's memory lives, but it builds page tables only for the
 * pages it reads: by faults as process() reads (the kernel maps 16 pages
 * around each), and chunks move between workers from one run to the next,
 * so a worker's second run still faults on the chunks the other worker
 * had. So, by default, a worker populates the rest of each sealed memfd
 * (MADV_POPULATE_READ) between runs, a slice at a time, and stops as soon
 * as a message comes: the first run costs what it did, later ones find
 * every page mapped if the application left the worker a moment between
 * them. A file is never populated ahead (it
 * may be larger than memory), nor a memory attached by name.
 *
 * MPAIO_POPULATE chooses another way, for measuring them (see
 * docs/benchmarks.md, "Cold and warm mappings"): "fault" (faults only),
 * "chunk" (MADV_POPULATE_READ on each chunk before process()), "mapping"
 * (on the whole memory when it arrives, as MAP_POPULATE would). */

#define SLICE_SIZE ((gsize) 4 * 1024 * 1024)

typedef struct
{
  MpaioSharedMemory *memory;
  gsize              done;
} Warming;

struct _MpaioWarmer
{
  GQueue warming;                   /* Warming*, oldest first */
};

MpaioPopulate
mpaio_populate_mode (void)
{
  static const struct { const char *name; MpaioPopulate mode; } modes[] = {
    { "fault", MPAIO_POPULATE_FAULT },
    { "chunk", MPAIO_POPULATE_CHUNK },
    { "mapping", MPAIO_POPULATE_MAPPING },
  };
  const char *value = g_getenv ("MPAIO_POPULATE");

  for (gsize i = 0; value != NULL && i < G_N_ELEMENTS (modes); i++)
    if (g_str_equal (value, modes[i].name))
      return modes[i].mode;

  return MPAIO_POPULATE_IDLE;
}

/* Errors are left to the faults that would come anyway (a file that
 * shrank gives SIGBUS there, which the input guard reports). */
void
mpaio_populate (gconstpointer data,
                gsize         length)
{
  gsize page_size = sysconf (_SC_PAGESIZE);
  guintptr first = (guintptr) data & ~(page_size - 1);
  guintptr end = ((guintptr) data + length + page_size - 1) & ~(page_size - 1);

  if (length > 0)
    madvise ((void *) first, end - first, MADV_POPULATE_READ);
}

static void
warming_free (gpointer data)
{
  Warming *warming = data;

  g_object_unref (warming->memory);
  g_free (warming);
}

MpaioWarmer *
mpaio_warmer_new (void)
{
  MpaioWarmer *self = g_new0 (MpaioWarmer, 1);

  g_queue_init (&self->warming);
  return self;
}

void
mpaio_warmer_free (MpaioWarmer *self)
{
  g_queue_clear_full (&self->warming, warming_free);
  g_free (self);
}

/* Only a sealed memfd: its pages are in memory already. */
void
mpaio_warmer_add (MpaioWarmer       *self,
                  MpaioSharedMemory *memory)
{
  Warming *warming;

  if (!mpaio_shared_memory_is_sealed (memory))
    return;

  warming = g_new0 (Warming, 1);
  warming->memory = g_object_ref (memory);
  g_queue_push_tail (&self->warming, warming);
}

void
mpaio_warmer_remove (MpaioWarmer       *self,
                     MpaioSharedMemory *memory)
{
  for (GList *l = self->warming.head; l != NULL; l = l->next)
    if (((Warming *) l->data)->memory == memory)
      {
        warming_free (l->data);
        g_queue_delete_link (&self->warming, l);
        return;
      }
}

/* Populates one more slice; FALSE when there is nothing left to do. */
gboolean
mpaio_warmer_step (MpaioWarmer *self)
{
  Warming *warming = g_queue_peek_head (&self->warming);
  gsize size, length;

  if (warming == NULL)
    return FALSE;

  size = mpaio_shared_memory_get_size (warming->memory);
  length = MIN (SLICE_SIZE, size - warming->done);
  mpaio_populate ((const guint8 *) mpaio_shared_memory_get_data (warming->memory) + warming->done,
                  length);
  warming->done += length;
  if (warming->done >= size)
    warming_free (g_queue_pop_head (&self->warming));

  return TRUE;
}
