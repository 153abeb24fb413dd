/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include "mpaio-shared-memory.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_DATA_ITERATOR (mpaio_data_iterator_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_DERIVABLE_TYPE (MpaioDataIterator, mpaio_data_iterator, MPAIO, DATA_ITERATOR, GObject)

/**
 * MpaioDataIteratorClass:
 * @parent_class: the parent class
 * @get_n_chunks: returns how many chunks the array is cut into
 * @get_chunk_range: returns the element range `[start, end)` of a chunk
 *
 * The virtual methods that decide how the array is cut into chunks. The
 * default cuts `[start-index, n-elements)` into runs of `chunk-size`
 * elements, the last one possibly shorter.
 */
struct _MpaioDataIteratorClass
{
  GObjectClass parent_class;

  guint64 (*get_n_chunks)    (MpaioDataIterator *self);
  void    (*get_chunk_range) (MpaioDataIterator *self,
                              guint64            chunk_index,
                              guint64           *start,
                              guint64           *end);

  /*< private >*/
  gpointer _reserved[8];
};

MPAIO_AVAILABLE_IN_ALL
MpaioDataIterator *mpaio_data_iterator_new           (MpaioSharedMemory  *memory,
                                                      gsize               element_size,
                                                      guint64             n_elements,
                                                      guint64             chunk_size,
                                                      GError            **error);
MPAIO_AVAILABLE_IN_ALL
MpaioDataIterator *mpaio_data_iterator_new_for_dtype (MpaioSharedMemory  *memory,
                                                      const char         *dtype,
                                                      guint64             n_elements,
                                                      guint64             chunk_size,
                                                      GError            **error);
MPAIO_AVAILABLE_IN_ALL
MpaioDataIterator *mpaio_data_iterator_new_for_array (MpaioSharedMemory  *memory,
                                                      guint64             chunk_size,
                                                      GError            **error);
MPAIO_AVAILABLE_IN_ALL
MpaioSharedMemory *mpaio_data_iterator_get_memory    (MpaioDataIterator  *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_data_iterator_get_offset    (MpaioDataIterator  *self);
MPAIO_AVAILABLE_IN_ALL
gsize              mpaio_data_iterator_get_element_size (MpaioDataIterator *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_data_iterator_get_n_elements (MpaioDataIterator *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_data_iterator_get_chunk_size (MpaioDataIterator *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_data_iterator_get_start_index (MpaioDataIterator *self);
MPAIO_AVAILABLE_IN_ALL
const char        *mpaio_data_iterator_get_dtype     (MpaioDataIterator  *self);
MPAIO_AVAILABLE_IN_ALL
guint64            mpaio_data_iterator_get_n_chunks  (MpaioDataIterator  *self);
MPAIO_AVAILABLE_IN_ALL
void               mpaio_data_iterator_get_chunk_range (MpaioDataIterator *self,
                                                      guint64             chunk_index,
                                                      guint64            *start,
                                                      guint64            *end);
MPAIO_AVAILABLE_IN_ALL
gboolean           mpaio_data_iterator_validate      (MpaioDataIterator  *self,
                                                      GError            **error);

MPAIO_AVAILABLE_IN_ALL
gsize              mpaio_dtype_get_element_size      (const char         *dtype,
                                                      GError            **error);

G_END_DECLS
