/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <stdlib.h>

#include "mpaio-data-iterator-private.h"
#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-util-private.h"

/**
 * MpaioDataIterator:
 *
 * The layout of an array in a [class@Mpaio.SharedMemory], and how it is cut
 * into chunks.
 *
 * The array starts [property@Mpaio.DataIterator:offset] bytes into the memory
 * and holds [property@Mpaio.DataIterator:n-elements] elements of
 * [property@Mpaio.DataIterator:element-size] bytes each (or of the size that
 * [property@Mpaio.DataIterator:dtype] implies). By default the elements from
 * [property@Mpaio.DataIterator:start-index] on are cut into chunks of
 * [property@Mpaio.DataIterator:chunk-size] elements; the last chunk may be
 * shorter.
 *
 * Subclasses can cut differently by overriding
 * [vfunc@Mpaio.DataIterator.get_n_chunks] and
 * [vfunc@Mpaio.DataIterator.get_chunk_range], for example to cut a packed
 * array of strings only at record boundaries. Every range they return is
 * checked against the array before it is sent to a worker.
 *
 * All properties are construct-only: an iterator does not change while a run
 * uses it.
 */

typedef struct
{
  MpaioSharedMemory *memory;
  guint64            offset;
  guint64            element_size;
  guint64            n_elements;
  guint64            chunk_size;
  guint64            start_index;
  char              *dtype;
} MpaioDataIteratorPrivate;

G_DEFINE_TYPE_WITH_PRIVATE (MpaioDataIterator, mpaio_data_iterator, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MEMORY,
  PROP_OFFSET,
  PROP_ELEMENT_SIZE,
  PROP_N_ELEMENTS,
  PROP_CHUNK_SIZE,
  PROP_START_INDEX,
  PROP_DTYPE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static guint64
mpaio_data_iterator_real_get_n_chunks (MpaioDataIterator *self)
{
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);
  guint64 n = priv->n_elements;

  if (priv->chunk_size == 0 || priv->start_index >= n)
    return 0;

  return (n - priv->start_index - 1) / priv->chunk_size + 1;
}

static void
mpaio_data_iterator_real_get_chunk_range (MpaioDataIterator *self,
                                          guint64            chunk_index,
                                          guint64           *start,
                                          guint64           *end)
{
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);
  guint64 n = priv->n_elements;
  guint64 skipped;

  /* Checked: a chunk size or index near G_MAXUINT64 must not wrap around.
   * Past the end, a chunk is the empty range at the end. */
  if (!g_uint64_checked_mul (&skipped, chunk_index, priv->chunk_size) ||
      !g_uint64_checked_add (start, priv->start_index, skipped) ||
      *start > n)
    *start = n;
  *end = *start + MIN (priv->chunk_size, n - *start);
}

static void
mpaio_data_iterator_constructed (GObject *object)
{
  MpaioDataIterator *self = MPAIO_DATA_ITERATOR (object);
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);

  G_OBJECT_CLASS (mpaio_data_iterator_parent_class)->constructed (object);

  /* Resolve what the caller left out; validate() reports what is wrong. */
  if (priv->element_size == 0 && priv->dtype != NULL)
    priv->element_size = mpaio_dtype_get_element_size (priv->dtype, NULL);

  if (priv->n_elements == G_MAXUINT64 && priv->element_size > 0 && priv->memory != NULL)
    {
      gsize size = mpaio_shared_memory_get_size (priv->memory);

      priv->n_elements = priv->offset <= size ? (size - priv->offset) / priv->element_size : 0;
    }
}

static void
mpaio_data_iterator_finalize (GObject *object)
{
  MpaioDataIterator *self = (MpaioDataIterator *)object;
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);

  g_clear_object (&priv->memory);
  g_clear_pointer (&priv->dtype, g_free);

  G_OBJECT_CLASS (mpaio_data_iterator_parent_class)->finalize (object);
}

static void
mpaio_data_iterator_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MpaioDataIterator *self = MPAIO_DATA_ITERATOR (object);
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_MEMORY:
      g_value_set_object (value, priv->memory);
      break;

    case PROP_OFFSET:
      g_value_set_uint64 (value, priv->offset);
      break;

    case PROP_ELEMENT_SIZE:
      g_value_set_uint64 (value, priv->element_size);
      break;

    case PROP_N_ELEMENTS:
      g_value_set_uint64 (value, priv->n_elements);
      break;

    case PROP_CHUNK_SIZE:
      g_value_set_uint64 (value, priv->chunk_size);
      break;

    case PROP_START_INDEX:
      g_value_set_uint64 (value, priv->start_index);
      break;

    case PROP_DTYPE:
      g_value_set_string (value, priv->dtype);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_data_iterator_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  MpaioDataIterator *self = MPAIO_DATA_ITERATOR (object);
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_MEMORY:
      priv->memory = g_value_dup_object (value);
      break;

    case PROP_OFFSET:
      priv->offset = g_value_get_uint64 (value);
      break;

    case PROP_ELEMENT_SIZE:
      priv->element_size = g_value_get_uint64 (value);
      break;

    case PROP_N_ELEMENTS:
      priv->n_elements = g_value_get_uint64 (value);
      break;

    case PROP_CHUNK_SIZE:
      priv->chunk_size = g_value_get_uint64 (value);
      break;

    case PROP_START_INDEX:
      priv->start_index = g_value_get_uint64 (value);
      break;

    case PROP_DTYPE:
      priv->dtype = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_data_iterator_class_init (MpaioDataIteratorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = mpaio_data_iterator_constructed;
  object_class->finalize = mpaio_data_iterator_finalize;
  object_class->get_property = mpaio_data_iterator_get_property;
  object_class->set_property = mpaio_data_iterator_set_property;

  klass->get_n_chunks = mpaio_data_iterator_real_get_n_chunks;
  klass->get_chunk_range = mpaio_data_iterator_real_get_chunk_range;

  /**
   * MpaioDataIterator:memory:
   *
   * The memory that holds the array.
   */
  properties[PROP_MEMORY] =
    g_param_spec_object ("memory", NULL, NULL,
                         MPAIO_TYPE_SHARED_MEMORY,
                         flags);

  /**
   * MpaioDataIterator:offset:
   *
   * Where the array starts in the memory, in bytes.
   */
  properties[PROP_OFFSET] =
    g_param_spec_uint64 ("offset", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         flags);

  /**
   * MpaioDataIterator:element-size:
   *
   * The size of one element in bytes. When it is 0, the size comes from
   * [property@Mpaio.DataIterator:dtype].
   */
  properties[PROP_ELEMENT_SIZE] =
    g_param_spec_uint64 ("element-size", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         flags);

  /**
   * MpaioDataIterator:n-elements:
   *
   * The number of elements in the array. Left unset, it is as many as fit in
   * the memory after the offset.
   */
  properties[PROP_N_ELEMENTS] =
    g_param_spec_uint64 ("n-elements", NULL, NULL,
                         0, G_MAXUINT64, G_MAXUINT64,
                         flags);

  /**
   * MpaioDataIterator:chunk-size:
   *
   * The number of elements in each chunk (the last one may have fewer).
   */
  properties[PROP_CHUNK_SIZE] =
    g_param_spec_uint64 ("chunk-size", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         flags);

  /**
   * MpaioDataIterator:start-index:
   *
   * The index of the first element to process; the elements before it are
   * skipped.
   */
  properties[PROP_START_INDEX] =
    g_param_spec_uint64 ("start-index", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         flags);

  /**
   * MpaioDataIterator:dtype:
   *
   * The numpy type string of the elements, such as `"<i8"` or `"<U6"`, or
   * %NULL. Workers can read it from [method@Mpaio.Chunk.get_dtype] to view
   * their data.
   */
  properties[PROP_DTYPE] =
    g_param_spec_string ("dtype", NULL, NULL,
                         NULL,
                         flags);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mpaio_data_iterator_init (MpaioDataIterator *self)
{
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);

  priv->n_elements = G_MAXUINT64;
}

static MpaioDataIterator *
new_validated (MpaioDataIterator  *self,
               GError            **error)
{
  if (!mpaio_data_iterator_validate (self, error))
    {
      g_object_unref (self);
      return NULL;
    }

  return self;
}

/**
 * mpaio_data_iterator_new:
 * @memory: the memory that holds the array
 * @element_size: the size of one element in bytes
 * @n_elements: the number of elements
 * @chunk_size: the number of elements in each chunk
 * @error: return location for a #GError
 *
 * Creates an iterator over an array at the start of @memory. Use
 * g_object_new() to also set an offset, a start index or a dtype.
 *
 * Returns: (transfer full): a new iterator, or %NULL with
 *   %MPAIO_ERROR_INVALID_LAYOUT if the layout is impossible
 */
MpaioDataIterator *
mpaio_data_iterator_new (MpaioSharedMemory  *memory,
                         gsize               element_size,
                         guint64             n_elements,
                         guint64             chunk_size,
                         GError            **error)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (memory), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return new_validated (g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                                      "memory", memory,
                                      "element-size", (guint64) element_size,
                                      "n-elements", n_elements,
                                      "chunk-size", chunk_size,
                                      NULL),
                        error);
}

/**
 * mpaio_data_iterator_new_for_dtype:
 * @memory: the memory that holds the array
 * @dtype: the numpy type string of the elements, such as `"<i8"`
 * @n_elements: the number of elements, or %G_MAXUINT64 for as many as fit
 * @chunk_size: the number of elements in each chunk
 * @error: return location for a #GError
 *
 * Creates an iterator over an array of @dtype elements at the start of
 * @memory.
 *
 * Returns: (transfer full): a new iterator, or %NULL with
 *   %MPAIO_ERROR_INVALID_LAYOUT if the layout is impossible
 */
MpaioDataIterator *
mpaio_data_iterator_new_for_dtype (MpaioSharedMemory  *memory,
                                   const char         *dtype,
                                   guint64             n_elements,
                                   guint64             chunk_size,
                                   GError            **error)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (memory), NULL);
  g_return_val_if_fail (dtype != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return new_validated (g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                                      "memory", memory,
                                      "dtype", dtype,
                                      "n-elements", n_elements,
                                      "chunk-size", chunk_size,
                                      NULL),
                        error);
}

/**
 * mpaio_data_iterator_new_for_array:
 * @memory: a memory made from a file, which knows its array's layout
 * @chunk_size: the number of elements in each chunk
 * @error: return location for a #GError
 *
 * Creates an iterator over the whole array of a memory made with
 * [ctor@Mpaio.SharedMemory.new_for_file]: its dtype, offset and number of
 * elements come from the file. The elements are cut in C order; to keep
 * the rows of a 2-D array whole, make @chunk_size a multiple of the row
 * length.
 *
 * Returns: (transfer full): a new iterator, or %NULL with
 *   %MPAIO_ERROR_INVALID_LAYOUT if @memory holds no array or the layout is
 *   impossible
 */
MpaioDataIterator *
mpaio_data_iterator_new_for_array (MpaioSharedMemory  *memory,
                                   guint64             chunk_size,
                                   GError            **error)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (memory), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (mpaio_shared_memory_get_dtype (memory) == NULL)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                           _("This memory does not know the layout of an array; only "
                             "a memory made from a file does: use "
                             "mpaio_data_iterator_new_for_dtype() instead"));
      return NULL;
    }

  return new_validated (g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                                      "memory", memory,
                                      "offset", mpaio_shared_memory_get_array_offset (memory),
                                      "dtype", mpaio_shared_memory_get_dtype (memory),
                                      "n-elements", mpaio_shared_memory_get_n_elements (memory),
                                      "chunk-size", chunk_size,
                                      NULL),
                        error);
}

/**
 * mpaio_data_iterator_validate:
 * @self: an iterator
 * @error: return location for a #GError
 *
 * Checks that the layout is possible: a memory is set, the element and chunk
 * sizes are not zero, the dtype (if any) parses and agrees with the element
 * size, the array fits in the memory, the start index is inside it, and
 * there are at most 4,294,967,295 (`G_MAXUINT32`) chunks, the most a run
 * tracks. Orchestrators call this before every run.
 *
 * Returns: %TRUE if the layout is possible; otherwise %FALSE with
 *   %MPAIO_ERROR_INVALID_LAYOUT
 */
gboolean
mpaio_data_iterator_validate (MpaioDataIterator  *self,
                              GError            **error)
{
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self);
  guint64 memory_size;

  g_return_val_if_fail (MPAIO_IS_DATA_ITERATOR (self), FALSE);

  if (priv->memory == NULL)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                           _("The iterator has no memory; set its “memory” property"));
      return FALSE;
    }

  if (priv->dtype != NULL)
    {
      gsize dtype_size = mpaio_dtype_get_element_size (priv->dtype, error);

      if (dtype_size == 0)
        return FALSE;

      if (dtype_size != priv->element_size)
        {
          g_autofree char *shown = mpaio_ellipsize (priv->dtype);

          g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                       _("The dtype “%s” has %zu-byte elements but "
                         "the element size is %" PRIu64 "; set only one of them"),
                       shown, dtype_size, priv->element_size);
          return FALSE;
        }
    }

  if (priv->element_size == 0)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                           _("The element size is 0; set “element-size” or a dtype such as “<i8”"));
      return FALSE;
    }

  if (priv->chunk_size == 0 && G_TYPE_FROM_INSTANCE (self) == MPAIO_TYPE_DATA_ITERATOR)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                           _("The chunk size is 0; give each chunk at least one element"));
      return FALSE;
    }

  memory_size = mpaio_shared_memory_get_size (priv->memory);
  if (priv->offset > memory_size ||
      priv->n_elements > (memory_size - priv->offset) / priv->element_size)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("%" PRIu64 " elements of %" PRIu64 " bytes at offset %"
                     PRIu64 " do not fit in a memory of %" PRIu64
                     " bytes; make the memory larger or the array smaller"),
                   priv->n_elements, priv->element_size, priv->offset, memory_size);
      return FALSE;
    }

  if (priv->start_index > priv->n_elements)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("The start index %" PRIu64 " is past the end of the array of %"
                     PRIu64 " elements"),
                   priv->start_index, priv->n_elements);
      return FALSE;
    }

  return mpaio_data_iterator_count_chunks (self, NULL, error);
}

/* Gets the number of chunks, refusing more than a run can track: a custom
 * iterator may report any number. */
gboolean
mpaio_data_iterator_count_chunks (MpaioDataIterator  *self,
                                  guint64            *n_chunks,
                                  GError            **error)
{
  guint64 n = mpaio_data_iterator_get_n_chunks (self);

  if (n > MPAIO_MAX_CHUNKS)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("%s cuts its array into %" PRIu64 " chunks, more than the %"
                     PRIu64 " a run can track; make the chunks larger"),
                   G_OBJECT_TYPE_NAME (self), n, MPAIO_MAX_CHUNKS);
      return FALSE;
    }

  if (n_chunks != NULL)
    *n_chunks = n;
  return TRUE;
}

/**
 * mpaio_data_iterator_get_n_chunks:
 * @self: an iterator
 *
 * Gets the number of chunks the array is cut into.
 *
 * Returns: the number of chunks the array is cut into
 */
guint64
mpaio_data_iterator_get_n_chunks (MpaioDataIterator *self)
{
  g_return_val_if_fail (MPAIO_IS_DATA_ITERATOR (self), 0);

  return MPAIO_DATA_ITERATOR_GET_CLASS (self)->get_n_chunks (self);
}

/**
 * mpaio_data_iterator_get_chunk_range:
 * @self: an iterator
 * @chunk_index: a chunk index, less than the number of chunks
 * @start: (out): return location for the first element of the chunk
 * @end: (out): return location for the element after the last one
 *
 * Gets the elements `[start, end)` that chunk @chunk_index covers.
 */
void
mpaio_data_iterator_get_chunk_range (MpaioDataIterator *self,
                                     guint64            chunk_index,
                                     guint64           *start,
                                     guint64           *end)
{
  guint64 s = 0, e = 0;

  g_return_if_fail (MPAIO_IS_DATA_ITERATOR (self));

  MPAIO_DATA_ITERATOR_GET_CLASS (self)->get_chunk_range (self, chunk_index, &s, &e);

  if (start != NULL)
    *start = s;
  if (end != NULL)
    *end = e;
}

#define DEFINE_GETTER(type, name, field, fallback) \
type \
mpaio_data_iterator_get_##name (MpaioDataIterator *self) \
{ \
  MpaioDataIteratorPrivate *priv = mpaio_data_iterator_get_instance_private (self); \
\
  g_return_val_if_fail (MPAIO_IS_DATA_ITERATOR (self), fallback); \
\
  return priv->field; \
}

/**
 * mpaio_data_iterator_get_memory:
 * @self: an iterator
 *
 * Gets the memory that holds the array.
 *
 * Returns: (transfer none): the memory that holds the array
 */
DEFINE_GETTER (MpaioSharedMemory *, memory, memory, NULL)

/**
 * mpaio_data_iterator_get_offset:
 * @self: an iterator
 *
 * Gets where the array starts in the memory, in bytes.
 *
 * Returns: where the array starts in the memory, in bytes
 */
DEFINE_GETTER (guint64, offset, offset, 0)

/**
 * mpaio_data_iterator_get_element_size:
 * @self: an iterator
 *
 * Gets the size of one element in bytes.
 *
 * Returns: the size of one element in bytes
 */
DEFINE_GETTER (gsize, element_size, element_size, 0)

/**
 * mpaio_data_iterator_get_n_elements:
 * @self: an iterator
 *
 * Gets the number of elements in the array.
 *
 * Returns: the number of elements in the array
 */
DEFINE_GETTER (guint64, n_elements, n_elements, 0)

/**
 * mpaio_data_iterator_get_chunk_size:
 * @self: an iterator
 *
 * Gets the number of elements in each chunk.
 *
 * Returns: the number of elements in each chunk
 */
DEFINE_GETTER (guint64, chunk_size, chunk_size, 0)

/**
 * mpaio_data_iterator_get_start_index:
 * @self: an iterator
 *
 * Gets the index of the first element to process.
 *
 * Returns: the index of the first element to process
 */
DEFINE_GETTER (guint64, start_index, start_index, 0)

/**
 * mpaio_data_iterator_get_dtype:
 * @self: an iterator
 *
 * Gets the numpy type string of the elements.
 *
 * Returns: (nullable): the numpy type string of the elements
 */
DEFINE_GETTER (const char *, dtype, dtype, NULL)
