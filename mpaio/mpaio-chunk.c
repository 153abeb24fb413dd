/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <string.h>

#include "mpaio-chunk-private.h"
#include "mpaio-error.h"
#include "mpaio-i18n-private.h"

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
 *
 * When the run has an output memory (see
 * [method@Mpaio.Orchestrator.add_with_output]), a chunk also owns the
 * matching region of it: element `i` of the array maps to output element
 * `i`. C workers write it through [method@Mpaio.Chunk.get_output_data],
 * bindings through [method@Mpaio.Chunk.write_output]. In a worker process
 * only the pages of that region are writable while the chunk is processed.
 */

struct _MpaioChunk
{
  GObject            parent_instance;

  MpaioSharedMemory *memory;
  MpaioSharedMemory *output;
  gsize              output_element_size;
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
  g_clear_object (&self->output);
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

void
mpaio_chunk_set_output (MpaioChunk        *self,
                        MpaioSharedMemory *output,
                        gsize              output_element_size)
{
  g_set_object (&self->output, output);
  self->output_element_size = output_element_size;
}

/* The chunk's region of the output memory, in bytes. */
void
mpaio_chunk_get_output_range (MpaioChunk *self,
                              guint64    *offset,
                              guint64    *length)
{
  *offset = self->start * self->output_element_size;
  *length = (self->end - self->start) * self->output_element_size;
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
 * Gets the index of the chunk in its iterator.
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
 * Gets the index of the first element of the chunk in the array.
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
 * Gets the index of the element after the last one of the chunk.
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
 * Gets the number of elements in the chunk.
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
 * Gets the size of one element, in bytes.
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
 * Gets where the whole array (element 0, not this chunk) starts in the
 * memory, in bytes.
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
 * Gets the numpy type string of the elements, if the iterator has one.
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

/**
 * mpaio_chunk_has_output:
 * @self: a chunk
 *
 * Tells whether the run has an output memory for this chunk to write.
 *
 * Returns: whether the run has an output memory for this chunk to write
 */
gboolean
mpaio_chunk_has_output (MpaioChunk *self)
{
  g_return_val_if_fail (MPAIO_IS_CHUNK (self), FALSE);

  return self->output != NULL;
}

/**
 * mpaio_chunk_get_output_data: (skip)
 * @self: a chunk
 * @size: (out) (optional): return location for the size of the region in bytes
 *
 * Gets the chunk's own region of the output memory, for C workers to write
 * their results in place. Write only inside it: in a worker process, writes
 * outside the pages that hold it crash the worker, and writes elsewhere in
 * those pages land in a neighbour's region.
 *
 * Returns: (nullable): the first byte of the region, or %NULL if the run
 *   has no output memory
 */
gpointer
mpaio_chunk_get_output_data (MpaioChunk *self,
                             gsize      *size)
{
  guint64 offset, length;

  g_return_val_if_fail (MPAIO_IS_CHUNK (self), NULL);

  if (self->output == NULL)
    {
      if (size != NULL)
        *size = 0;
      return NULL;
    }

  mpaio_chunk_get_output_range (self, &offset, &length);
  if (size != NULL)
    *size = length;

  return (guint8 *) mpaio_shared_memory_get_data (self->output) + offset;
}

/**
 * mpaio_chunk_write_output:
 * @self: a chunk
 * @offset: where to write, in bytes from the start of the chunk's region
 * @data: (array length=length): the bytes to write
 * @length: the number of bytes in @data
 * @error: return location for a #GError
 *
 * Copies @data into the chunk's region of the output memory. This is how
 * bindings write results in place; a write that does not fit in the region
 * is refused.
 *
 * Returns: %TRUE on success; %FALSE with %MPAIO_ERROR_OUT_OF_RANGE if the
 *   bytes fall outside the region, or %MPAIO_ERROR_READ_ONLY if the run has
 *   no output memory
 */
gboolean
mpaio_chunk_write_output (MpaioChunk    *self,
                          guint64        offset,
                          const guint8  *data,
                          gsize          length,
                          GError       **error)
{
  gsize size;
  guint8 *region;

  g_return_val_if_fail (MPAIO_IS_CHUNK (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);

  if (!(region = mpaio_chunk_get_output_data (self, &size)))
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY,
                           _("This run has no output memory; add the worker with "
                             "mpaio_orchestrator_add_with_output()"));
      return FALSE;
    }

  if (offset > size || length > size - offset)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE,
                   _("Bytes %" PRIu64 " to %" PRIu64 " are outside the "
                     "chunk's output region of %zu bytes"),
                   offset, offset + length, size);
      return FALSE;
    }

  memcpy (region + offset, data, length);
  return TRUE;
}
