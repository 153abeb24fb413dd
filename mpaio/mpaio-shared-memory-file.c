/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "mpaio-data-iterator.h"
#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-util-private.h"

/* Memories mapped from files, and the layout of the array they hold. A
 * file memory is an attached memory like one from new_from_name(): mapped
 * read-only here and in workers (the fd crosses like a memfd), constant by
 * contract; its pages come from the page cache, so it may be larger than
 * the machine's memory. */

static MpaioArrayInfo *
raw_layout (const char  *dtype,
            guint64      offset,
            guint64      size,
            GError     **error)
{
  gsize element_size = mpaio_dtype_get_element_size (dtype, error);
  guint64 n_elements;

  if (element_size == 0)
    return NULL;

  if (offset > size)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("The offset %" PRIu64 " is past the end of the file of %" PRIu64
                     " bytes; give where its array starts"), offset, size);
      return NULL;
    }

  n_elements = (size - offset) / element_size;
  return mpaio_array_info_new (dtype, &n_elements, 1, offset, size, error);
}

static MpaioArrayInfo *
file_layout (MpaioSharedMemory  *memory,
             const char         *dtype,
             guint64             offset,
             GError            **error)
{
  const guint8 *data = mpaio_shared_memory_get_data (memory);
  gsize size = mpaio_shared_memory_get_size (memory);

  if (dtype != NULL)
    return raw_layout (dtype, offset, size, error);

  if (offset != 0)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("An offset needs a dtype: a raw file is read from its offset as "
                     "elements of the dtype, and a .npy file's header says where "
                     "its data starts (pass offset 0)"));
      return NULL;
    }

  return mpaio_npy_parse (data, size, error);
}

static gboolean
open_file (const char   *path,
           int          *fd_out,
           struct stat  *st,
           GError      **error)
{
  mpaio_autofd fd = open (path, O_RDONLY | O_CLOEXEC);
  int errsv = errno;

  if (fd >= 0 && fstat (fd, st) < 0)
    errsv = errno;
  else if (fd >= 0 && !S_ISREG (st->st_mode))
    errsv = EINVAL;
  else if (fd >= 0)
    {
      *fd_out = g_steal_fd (&fd);
      return TRUE;
    }

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
               _("Could not map the file “%s”: %s; give a regular file this user "
                 "may read"), path, errsv == EINVAL ? _("not a regular file") : g_strerror (errsv));
  return FALSE;
}

/**
 * mpaio_shared_memory_new_for_path:
 * @path: (type filename): the path of a `.npy` file, or of a raw file
 * @dtype: (nullable): for a raw file, the numpy type string of its
 *   elements, such as `"<f8"`; %NULL for a `.npy` file
 * @offset: for a raw file, where its first element starts, in bytes; 0 for a
 *   `.npy` file
 * @error: return location for a #GError
 *
 * Maps a file read-only, as [ctor@Mpaio.SharedMemory.new_for_file] does.
 *
 * Returns: (transfer full): the file's memory, or %NULL on error
 */
MpaioSharedMemory *
mpaio_shared_memory_new_for_path (const char  *path,
                                  const char  *dtype,
                                  guint64      offset,
                                  GError     **error)
{
  g_autoptr(MpaioSharedMemory) memory = NULL;
  MpaioArrayInfo *array;
  struct stat st;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!open_file (path, &fd, &st, error))
    return NULL;

  if (!(memory = mpaio_shared_memory_new_for_fd (fd, st.st_size, error)))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  if (!(array = file_layout (memory, dtype, offset, error)))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  mpaio_shared_memory_set_array (memory, array);
  return g_steal_pointer (&memory);
}

/**
 * mpaio_shared_memory_new_for_file:
 * @file: a local `.npy` file, or a raw file
 * @dtype: (nullable): for a raw file, the numpy type string of its
 *   elements, such as `"<f8"`; %NULL for a `.npy` file
 * @offset: for a raw file, where its first element starts, in bytes; 0 for a
 *   `.npy` file
 * @error: return location for a #GError
 *
 * Maps a file read-only, so that workers read its array through the page
 * cache: the file may be larger than the machine's memory.
 *
 * With @dtype %NULL the file must be a `.npy` file (format version 1, 2 or
 * 3, as `numpy.save()` writes it), in C order: its header gives the dtype,
 * the shape and where the data starts. Otherwise the file is raw: elements
 * of @dtype from @offset to the end of the file (a partial element at the
 * end is left out). Either way [method@Mpaio.SharedMemory.get_dtype],
 * [method@Mpaio.SharedMemory.get_shape] and
 * [method@Mpaio.SharedMemory.get_array_offset] describe the array, and
 * [ctor@Mpaio.DataIterator.new_for_array] makes an iterator over it.
 *
 * Like an attached memory, a file memory is constant by contract: nothing
 * must write to the file while a run reads it. A file that shrinks under a
 * run fails the run with %MPAIO_ERROR_INPUT_CHANGED.
 *
 * Returns: (transfer full): the file's memory, or %NULL with
 *   %MPAIO_ERROR_INVALID_LAYOUT for a bad `.npy` header or layout, or a
 *   %G_IO_ERROR if the file cannot be opened
 */
MpaioSharedMemory *
mpaio_shared_memory_new_for_file (GFile       *file,
                                  const char  *dtype,
                                  guint64      offset,
                                  GError     **error)
{
  const char *path;

  g_return_val_if_fail (G_IS_FILE (file), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if ((path = g_file_peek_path (file)) == NULL)
    {
      g_autofree char *uri = g_file_get_uri (file);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("Cannot map “%s”: only a local file can be mapped"), uri);
      return NULL;
    }

  return mpaio_shared_memory_new_for_path (path, dtype, offset, error);
}

/**
 * mpaio_shared_memory_get_dtype:
 * @self: a memory
 *
 * Gets the numpy type string of the array in a memory made from a file.
 *
 * Returns: (nullable): the dtype of the file's array, or %NULL for a memory
 *   that was not made from a file
 */
const char *
mpaio_shared_memory_get_dtype (MpaioSharedMemory *self)
{
  const MpaioArrayInfo *array;

  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), NULL);

  array = mpaio_shared_memory_get_array (self);
  return array ? array->dtype : NULL;
}

/**
 * mpaio_shared_memory_get_shape:
 * @self: a memory
 * @n_dims: (out): return location for the number of dimensions
 *
 * Gets the shape of the array in a memory made from a file: one dimension
 * for a raw file, what the header says for a `.npy` file (no dimension for
 * a scalar). The elements are in C order.
 *
 * Returns: (array length=n_dims) (nullable) (transfer none): the shape, or
 *   %NULL for a memory that was not made from a file
 */
const guint64 *
mpaio_shared_memory_get_shape (MpaioSharedMemory *self,
                               guint             *n_dims)
{
  const MpaioArrayInfo *array;

  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), NULL);
  g_return_val_if_fail (n_dims != NULL, NULL);

  array = mpaio_shared_memory_get_array (self);
  *n_dims = array ? array->n_dims : 0;
  return array ? array->shape : NULL;
}

/**
 * mpaio_shared_memory_get_array_offset:
 * @self: a memory
 *
 * Gets where the array of a memory made from a file starts: the offset of a
 * raw file, or the end of a `.npy` file's header.
 *
 * Returns: the offset of the file's array in bytes, or 0 for a memory that
 *   was not made from a file
 */
guint64
mpaio_shared_memory_get_array_offset (MpaioSharedMemory *self)
{
  const MpaioArrayInfo *array;

  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), 0);

  array = mpaio_shared_memory_get_array (self);
  return array ? array->offset : 0;
}

/**
 * mpaio_shared_memory_get_n_elements:
 * @self: a memory
 *
 * Gets the number of elements of the array in a memory made from a file:
 * the product of its shape.
 *
 * Returns: the number of elements, or 0 for a memory that was not made from
 *   a file
 */
guint64
mpaio_shared_memory_get_n_elements (MpaioSharedMemory *self)
{
  const MpaioArrayInfo *array;

  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), 0);

  array = mpaio_shared_memory_get_array (self);
  return array ? array->n_elements : 0;
}

/* Before a run: an attached memory or a file can shrink (a sealed one
 * cannot), and its workers would then fault where the bytes were. */
gboolean
mpaio_shared_memory_check_size (MpaioSharedMemory  *self,
                                GError            **error)
{
  gsize size = mpaio_shared_memory_get_size (self);
  struct stat st;

  if (mpaio_shared_memory_is_sealed (self) ||
      fstat (mpaio_shared_memory_get_fd (self), &st) < 0 || (guint64) st.st_size >= size)
    return TRUE;

  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INPUT_CHANGED,
               _("The input shrank from %zu to %" PRIu64 " bytes since it was attached "
                 "or mapped; keep it the same size while runs use it, or attach it again"),
               size, (guint64) st.st_size);
  return FALSE;
}
