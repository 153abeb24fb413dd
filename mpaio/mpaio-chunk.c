/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-chunk-private.h"

/**
 * MpaioChunk:
 *
 * One chunk of an array, as a worker sees it in
 * [vfunc@Mpaio.Worker.process]: the element range `[start, end)` of the
 * array that a [class@Mpaio.DataIterator] describes.
 *
 * C workers read the elements through [method@Mpaio.Chunk.get_data];
 * bindings get a #GBytes view with [method@Mpaio.Chunk.dup_bytes]. Neither
 * copies: both point into the worker's read-only mapping of the memory.
 * Workers that need the neighbours of their range can reach the whole array
 * through [method@Mpaio.Chunk.get_memory] and [method@Mpaio.Chunk.get_offset].
 */

struct _MpaioChunk
{
  GObject            parent_instance;

  MpaioSharedMemory *memory;
  char              *dtype;
  guint64            offset;
  gsize              element_size;
  guint64            index;
  guint64            start;
  guint64            end;
};

G_DEFINE_FINAL_TYPE (MpaioChunk, mpaio_chunk, G_TYPE_OBJECT)

static void
mpaio_chunk_finalize (GObject *object)
{
  MpaioChunk *self = (MpaioChunk *)object;

  g_clear_object (&self->memory);
  g_clear_pointer (&self->dtype, g_free);

  G_OBJECT_CLASS (mpaio_chunk_parent_class)->finalize (object);
}

static void
mpaio_chunk_class_init (MpaioChunkClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mpaio_chunk_finalize;
}

static void
mpaio_chunk_init (MpaioChunk *self)
{
}

/* The caller has checked that the range lies inside the memory. */
MpaioChunk *
mpaio_chunk_new (MpaioSharedMemory *memory,
                 guint64            offset,
                 gsize              element_size,
                 const char        *dtype,
                 guint64            index,
                 guint64            start,
                 guint64            end)
{
  MpaioChunk *self = g_object_new (MPAIO_TYPE_CHUNK, NULL);

  self->memory = g_object_ref (memory);
  self->dtype = g_strdup (dtype);
  self->offset = offset;
  self->element_size = element_size;
  self->index = index;
  self->start = start;
  self->end = end;

  return self;
}

/* Reuses a chunk nobody else holds for the next range of the same array. */
void
mpaio_chunk_set_range (MpaioChunk *self,
                       guint64     index,
                       guint64     start,
                       guint64     end)
{
  self->index = index;
  self->start = start;
  self->end = end;
}

/**
 * mpaio_chunk_get_index:
 * @self: a chunk
 *
 * Returns: the index of the chunk in its iterator
 */
guint64
mpaio_chunk_get_index (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), 0);

  return self->index;
}

/**
 * mpaio_chunk_get_start:
 * @self: a chunk
 *
 * Returns: the index of the first element of the chunk in the array
 */
guint64
mpaio_chunk_get_start (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), 0);

  return self->start;
}

/**
 * mpaio_chunk_get_end:
 * @self: a chunk
 *
 * Returns: the index of the element after the last one of the chunk
 */
guint64
mpaio_chunk_get_end (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), 0);

  return self->end;
}

/**
 * mpaio_chunk_get_n_elements:
 * @self: a chunk
 *
 * Returns: the number of elements in the chunk
 */
guint64
mpaio_chunk_get_n_elements (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), 0);

  return self->end - self->start;
}

/**
 * mpaio_chunk_get_element_size:
 * @self: a chunk
 *
 * Returns: the size of one element, in bytes
 */
gsize
mpaio_chunk_get_element_size (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), 0);

  return self->element_size;
}

/**
 * mpaio_chunk_get_offset:
 * @self: a chunk
 *
 * Returns: where the whole array (element 0, not this chunk) starts in the
 *   memory, in bytes
 */
guint64
mpaio_chunk_get_offset (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), 0);

  return self->offset;
}

/**
 * mpaio_chunk_get_dtype:
 * @self: a chunk
 *
 * Returns: (nullable): the numpy type string of the elements, if the
 *   iterator has one
 */
const char *
mpaio_chunk_get_dtype (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), NULL);

  return self->dtype;
}

/**
 * mpaio_chunk_get_memory:
 * @self: a chunk
 *
 * Gets the whole memory the array lives in, mapped read-only, for workers
 * that need more than their own range.
 *
 * Returns: (transfer none): the memory
 */
MpaioSharedMemory *
mpaio_chunk_get_memory (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), NULL);

  return self->memory;
}

/**
 * mpaio_chunk_get_data: (skip)
 * @self: a chunk
 * @size: (out) (optional): return location for the size of the chunk in bytes
 *
 * Gets the chunk's elements, for C workers. The pointer is read-only and
 * valid as long as @self.
 *
 * Returns: the first byte of the chunk's first element
 */
gconstpointer
mpaio_chunk_get_data (MpaioChunk *self,
                      gsize      *size)
{
  const guint8 *base;

  g_return_val_if_fail (MPAIO_IS_CHUNK (self), NULL);

  base = mpaio_shared_memory_get_data (self->memory);

  if (size != NULL)
    *size = (self->end - self->start) * self->element_size;

  return base + self->offset + self->start * self->element_size;
}

/**
 * mpaio_chunk_dup_bytes:
 * @self: a chunk
 *
 * Makes a #GBytes that views exactly the chunk's elements, without copying.
 *
 * Returns: (transfer full): the view
 */
GBytes *
mpaio_chunk_dup_bytes (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), NULL);

  return mpaio_shared_memory_dup_bytes (self->memory,
                                        self->offset + self->start * self->element_size,
                                        (self->end - self->start) * self->element_size,
                                        NULL);
}
