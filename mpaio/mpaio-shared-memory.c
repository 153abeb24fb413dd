/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-mapping-private.h"
#include "mpaio-npy-private.h"
#include "mpaio-seal-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-util-private.h"

/**
 * MpaioSharedMemory:
 *
 * A block of memory that worker processes can map.
 *
 * The usual life of a memory is: create it with
 * [ctor@Mpaio.SharedMemory.new], fill it through
 * [method@Mpaio.SharedMemory.get_writable_data] (C) or
 * [method@Mpaio.SharedMemory.write] (bindings), then
 * [method@Mpaio.SharedMemory.seal] it. Sealing makes the memory constant for
 * good: the kernel refuses any further write, the writable view becomes
 * read-only, and worker processes map it read-only. That is what makes
 * it safe to hand the same bytes to many processes at once.
 *
 * A memory is backed by a `memfd`, so it has no name that could leak in
 * `/dev/shm` and it is not limited by the size of that file system. To hand
 * over memory made by somebody else, such as a Python
 * `multiprocessing.shared_memory.SharedMemory`, attach it with
 * [ctor@Mpaio.SharedMemory.new_from_name]; such a memory cannot be sealed, and
 * is constant by contract only.
 */


struct _MpaioSharedMemory
{
  GObject       parent_instance;

  int           fd;
  gsize         size;
  MpaioMapping *mapping;
  char         *name;
  guint64       id;
  MpaioArrayInfo *array;          /* a file's layout, or NULL */

  guint         sealed : 1;
  guint         writable : 1;
  guint         constant : 1;
};

G_DEFINE_FINAL_TYPE (MpaioSharedMemory, mpaio_shared_memory, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SIZE,
  PROP_SEALED,
  PROP_WRITABLE,
  PROP_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
mpaio_shared_memory_finalize (GObject *object)
{
  MpaioSharedMemory *self = (MpaioSharedMemory *)object;

  g_clear_pointer (&self->mapping, mpaio_mapping_unref);
  mpaio_clear_fd (&self->fd);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->array, mpaio_array_info_free);

  G_OBJECT_CLASS (mpaio_shared_memory_parent_class)->finalize (object);
}

static void
mpaio_shared_memory_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  MpaioSharedMemory *self = MPAIO_SHARED_MEMORY (object);

  switch (prop_id)
    {
    case PROP_SIZE:
      g_value_set_uint64 (value, self->size);
      break;

    case PROP_SEALED:
      g_value_set_boolean (value, self->sealed);
      break;

    case PROP_WRITABLE:
      g_value_set_boolean (value, self->writable);
      break;

    case PROP_NAME:
      g_value_set_string (value, self->name);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_shared_memory_class_init (MpaioSharedMemoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = mpaio_shared_memory_finalize;
  object_class->get_property = mpaio_shared_memory_get_property;

  /**
   * MpaioSharedMemory:size:
   *
   * The size of the memory, in bytes.
   */
  properties[PROP_SIZE] =
    g_param_spec_uint64 ("size", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioSharedMemory:sealed: (getter is_sealed)
   *
   * Whether the memory is sealed: constant, and mapped read-only everywhere.
   */
  properties[PROP_SEALED] =
    g_param_spec_boolean ("sealed", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioSharedMemory:writable: (getter is_writable)
   *
   * Whether this process can still write to the memory.
   */
  properties[PROP_WRITABLE] =
    g_param_spec_boolean ("writable", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioSharedMemory:name:
   *
   * The POSIX shared-memory name the memory was attached by, or %NULL for a
   * memory made by Mpaio.
   */
  properties[PROP_NAME] =
    g_param_spec_string ("name", NULL, NULL,
                         NULL,
                         (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
mpaio_shared_memory_init (MpaioSharedMemory *self)
{
  static guint64 last_id;

  self->fd = -1;
  self->id = __atomic_add_fetch (&last_id, 1, __ATOMIC_RELAXED);
}

static gboolean
check_size (gsize    size,
            GError **error)
{
  if (size == 0)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE,
                           _("A shared memory must be at least one byte long"));
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_range (MpaioSharedMemory *self,
             guint64            offset,
             guint64            length,
             GError           **error)
{
  if (offset > self->size || length > self->size - offset)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE,
                   _("Bytes %" PRIu64 " to %" PRIu64
                     " are outside the shared memory of %zu"
                     " bytes; keep offset + length within the size"),
                   offset, offset + length, self->size);
      return FALSE;
    }

  return TRUE;
}

/**
 * mpaio_shared_memory_new:
 * @size: the size in bytes, at least 1
 * @error: return location for a #GError
 *
 * Creates a writable memory of @size bytes, filled with zeros.
 *
 * Fill it, then call [method@Mpaio.SharedMemory.seal] before giving it to an
 * orchestrator as input.
 *
 * Returns: (transfer full): a new memory, or %NULL on error
 */
MpaioSharedMemory *
mpaio_shared_memory_new (gsize    size,
                         GError **error)
{
  g_autoptr(MpaioSharedMemory) self = NULL;
  mpaio_autofd fd = -1;

  if (!check_size (size, error))
    return NULL;

  fd = memfd_create ("mpaio", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0 || ftruncate (fd, size) < 0)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not create a shared memory of %zu bytes: %s"),
                   size, g_strerror (errsv));
      return NULL;
    }

  self = g_object_new (MPAIO_TYPE_SHARED_MEMORY, NULL);
  self->size = size;
  self->writable = TRUE;
  if (!(self->mapping = mpaio_mapping_new (fd, size, TRUE, error)))
    return NULL;
  self->fd = g_steal_fd (&fd);

  return g_steal_pointer (&self);
}

/**
 * mpaio_shared_memory_new_from_bytes:
 * @bytes: the contents
 * @error: return location for a #GError
 *
 * Creates a memory holding a copy of @bytes, already sealed.
 *
 * Returns: (transfer full): a new sealed memory, or %NULL on error
 */
MpaioSharedMemory *
mpaio_shared_memory_new_from_bytes (GBytes  *bytes,
                                    GError **error)
{
  g_autoptr(MpaioSharedMemory) self = NULL;
  gconstpointer data;
  gsize size;

  g_return_val_if_fail (bytes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  data = g_bytes_get_data (bytes, &size);
  if (!(self = mpaio_shared_memory_new (size, error)))
    return NULL;

  memcpy (self->mapping->data, data, size);

  if (!mpaio_shared_memory_seal (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * mpaio_shared_memory_new_from_name:
 * @name: the name of a POSIX shared-memory object, with or without its
 *   leading `/`
 * @error: return location for a #GError
 *
 * Attaches an existing POSIX shared-memory object, such as the one behind a
 * Python `multiprocessing.shared_memory.SharedMemory` (pass its `name`).
 *
 * The memory is mapped read-only. It cannot be sealed, since Mpaio did not
 * make it: it counts as constant by contract, and whoever owns it must not
 * change it while a run uses it. Mpaio never unlinks the name.
 *
 * Returns: (transfer full): the attached memory, or %NULL on error
 */
MpaioSharedMemory *
mpaio_shared_memory_new_from_name (const char  *name,
                                   GError     **error)
{
  g_autoptr(MpaioSharedMemory) self = NULL;
  g_autofree char *path = NULL;
  mpaio_autofd fd = -1;
  struct stat st;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  path = name[0] == '/' ? g_strdup (name) : g_strconcat ("/", name, NULL);
  fd = shm_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0 || fstat (fd, &st) < 0)
    {
      int errsv = errno;
      g_autofree char *shown = mpaio_ellipsize (path);

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not attach the shared memory “%s”: %s; check that it "
                     "exists and that this user may read it"),
                   shown, g_strerror (errsv));
      return NULL;
    }

  if (!(self = mpaio_shared_memory_new_for_fd (g_steal_fd (&fd), st.st_size, error)))
    return NULL;
  self->name = g_steal_pointer (&path);

  return g_steal_pointer (&self);
}

/* Adopts @fd and maps its first @size bytes read-only: a memory that is
 * constant by contract, attached or a file. */
MpaioSharedMemory *
mpaio_shared_memory_new_for_fd (int      fd,
                                gsize    size,
                                GError **error)
{
  g_autoptr(MpaioSharedMemory) self = NULL;
  mpaio_autofd owned_fd = fd;

  if (!check_size (size, error))
    return NULL;

  self = g_object_new (MPAIO_TYPE_SHARED_MEMORY, NULL);
  self->size = size;
  self->constant = TRUE;
  if (!(self->mapping = mpaio_mapping_new (owned_fd, size, FALSE, error)))
    return NULL;
  self->fd = g_steal_fd (&owned_fd);

  return g_steal_pointer (&self);
}

/* In a worker process: adopts @fd, received from the parent, and maps
 * @size bytes of it read-only. An output memory is mapped so that
 * mpaio_shared_memory_allow_writes() can open one chunk's region at a
 * time. */
MpaioSharedMemory *
mpaio_shared_memory_new_for_worker (int       fd,
                                    gsize     size,
                                    gboolean  output,
                                    GError  **error)
{
  MpaioSharedMemory *self;
  struct stat st;

  /* An input that shrank since the caller looked is mapped all the same:
   * the chunk that reads past its end fails with the reason (see
   * mpaio-input-guard.c), not the whole worker. */
  if (fstat (fd, &st) == 0 && (guint64) st.st_size < size)
    g_debug ("A memory of %zu bytes arrived with %" PRIu64, size, (guint64) st.st_size);

  if (!(self = mpaio_shared_memory_new_for_fd (fd, size, error)))
    return NULL;
  self->constant = !output;
  self->sealed = mpaio_seal_fd_is_constant (self->fd);

  return self;
}

/* Makes the pages that hold [offset, offset + length) of an output memory
 * writable, or read-only again, in this process. Writes outside those
 * pages fault. */
gboolean
mpaio_shared_memory_allow_writes (MpaioSharedMemory *self,
                                  guint64            offset,
                                  guint64            length,
                                  gboolean           allow)
{
  guintptr first, last;

  if (length == 0)
    return TRUE;

  first = ((guintptr) self->mapping->data + offset) & ~(mpaio_page_size () - 1);
  last = (guintptr) self->mapping->data + offset + length;
  self->writable = allow;

  return mprotect ((gpointer) first, last - first, PROT_READ | (allow ? PROT_WRITE : 0)) == 0;
}

/* The old way, where the kernel cannot seal in place: unmap the writable
 * view, seal against writes, map a read-only view. */
static gboolean
seal_remapping (MpaioSharedMemory  *self,
                GError            **error)
{
  const int seals = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;

  if (!g_atomic_ref_count_compare (&self->mapping->ref_count, 1))
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_SEAL_FAILED,
                           _("Cannot seal the memory while a writable view of it "
                             "is alive; release every GBytes from "
                             "mpaio_shared_memory_dup_bytes() first"));
      return FALSE;
    }

  g_clear_pointer (&self->mapping, mpaio_mapping_unref);

  if (fcntl (self->fd, F_ADD_SEALS, seals) < 0)
    {
      int errsv = errno;

      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_SEAL_FAILED,
                   _("Cannot seal the memory: %s; unmap every writable "
                     "mapping of it and try again"),
                   g_strerror (errsv));
      self->mapping = mpaio_mapping_new (self->fd, self->size, TRUE, NULL);
      g_assert (self->mapping != NULL);
      return FALSE;
    }

  self->mapping = mpaio_mapping_new (self->fd, self->size, FALSE, error);
  return self->mapping != NULL;
}

/**
 * mpaio_shared_memory_seal:
 * @self: a memory
 * @error: return location for a #GError
 *
 * Makes the memory constant for good.
 *
 * The kernel seals the memory against writes, shrinking and growing, and
 * this process's view of it becomes read-only; after that, this process and
 * every worker see it read-only, and a write through the view faults.
 * Sealing a sealed memory does nothing.
 *
 * The view stays where it was, with the pages this process already touched
 * (on Linux 5.1 and later: `F_SEAL_FUTURE_WRITE`), so threads of an
 * [class@Mpaio.ThreadPool] read them without faulting them in again; views
 * from [method@Mpaio.SharedMemory.dup_bytes] stay valid. Older kernels
 * replace the view by a new read-only one (`F_SEAL_WRITE`), which needs the
 * #GBytes views released first.
 *
 * Sealing fails with %MPAIO_ERROR_SEAL_FAILED while another mapping of the
 * memory, made from [method@Mpaio.SharedMemory.get_fd], is alive: unmap it
 * and try again. An attached memory cannot be sealed
 * (%MPAIO_ERROR_READ_ONLY).
 *
 * Returns: %TRUE if the memory is sealed
 */
gboolean
mpaio_shared_memory_seal (MpaioSharedMemory  *self,
                          GError            **error)
{
  MpaioSealKind kind;

  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->sealed)
    return TRUE;

  if (!self->writable)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY,
                           _("Only a memory made by Mpaio can be sealed; an "
                             "attached memory is constant by contract"));
      return FALSE;
    }

  kind = mpaio_seal_in_place (self->fd, self->mapping->data, self->size, error);
  if (kind == MPAIO_SEAL_NONE)
    return FALSE;
  if (kind == MPAIO_SEAL_REMAPPED && !seal_remapping (self, error))
    return FALSE;

  g_debug ("Sealed a memory of %zu bytes %s", self->size,
           kind == MPAIO_SEAL_IN_PLACE ? "in place" : "by remapping it");
  self->sealed = TRUE;
  self->writable = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEALED]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WRITABLE]);

  return TRUE;
}

/**
 * mpaio_shared_memory_write:
 * @self: a writable memory
 * @offset: where to write, in bytes from the start of the memory
 * @data: (array length=length): the bytes to write
 * @length: the number of bytes in @data
 * @error: return location for a #GError
 *
 * Copies @data into the memory at @offset. This is how bindings fill a memory
 * before sealing it; C code can also write through
 * [method@Mpaio.SharedMemory.get_writable_data].
 *
 * Returns: %TRUE on success; %FALSE with %MPAIO_ERROR_READ_ONLY if the memory
 *   is sealed or attached, or %MPAIO_ERROR_OUT_OF_RANGE if the bytes do not fit
 */
gboolean
mpaio_shared_memory_write (MpaioSharedMemory  *self,
                           guint64             offset,
                           const guint8       *data,
                           gsize               length,
                           GError            **error)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), FALSE);
  g_return_val_if_fail (data != NULL || length == 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!self->writable)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY,
                           self->sealed
                           ? _("Cannot write to a sealed memory; write before sealing it")
                           : _("Cannot write to an attached memory; it is mapped read-only"));
      return FALSE;
    }

  if (!check_range (self, offset, length, error))
    return FALSE;

  if (length > 0)
    memcpy ((guint8 *) self->mapping->data + offset, data, length);

  return TRUE;
}

/**
 * mpaio_shared_memory_get_size:
 * @self: a memory
 *
 * Gets the size of the memory, in bytes.
 *
 * Returns: the size of the memory, in bytes
 */
gsize
mpaio_shared_memory_get_size (MpaioSharedMemory *self)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), 0);

  return self->size;
}

/**
 * mpaio_shared_memory_is_sealed: (get-property sealed)
 * @self: a memory
 *
 * Tells whether the memory is sealed.
 *
 * Returns: whether the memory is sealed
 */
gboolean
mpaio_shared_memory_is_sealed (MpaioSharedMemory *self)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), FALSE);

  return self->sealed;
}

/**
 * mpaio_shared_memory_is_writable: (get-property writable)
 * @self: a memory
 *
 * Tells whether this process can write to the memory.
 *
 * Returns: whether this process can write to the memory
 */
gboolean
mpaio_shared_memory_is_writable (MpaioSharedMemory *self)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), FALSE);

  return self->writable;
}

/**
 * mpaio_shared_memory_get_name:
 * @self: a memory
 *
 * Gets the POSIX shared-memory name the memory was attached by, or %NULL for
 * a memory made by Mpaio.
 *
 * Returns: (nullable): the POSIX shared-memory name the memory was attached
 *   by, or %NULL for a memory made by Mpaio
 */
const char *
mpaio_shared_memory_get_name (MpaioSharedMemory *self)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), NULL);

  return self->name;
}

/**
 * mpaio_shared_memory_get_fd:
 * @self: a memory
 *
 * Gets the file descriptor behind the memory, for code that maps it itself,
 * such as numpy through `mmap`. The memory keeps ownership of it: do not
 * close it, and `dup()` it to keep it longer than the memory.
 *
 * Returns: the file descriptor
 */
int
mpaio_shared_memory_get_fd (MpaioSharedMemory *self)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), -1);

  return self->fd;
}

/**
 * mpaio_shared_memory_get_data: (skip)
 * @self: a memory
 *
 * Gets the start of this process's mapping of the memory, for C code. It is
 * valid as long as @self and is read-only once the memory is sealed.
 *
 * Returns: the mapped bytes
 */
gconstpointer
mpaio_shared_memory_get_data (MpaioSharedMemory *self)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), NULL);

  return self->mapping->data;
}

/**
 * mpaio_shared_memory_get_writable_data: (skip)
 * @self: a writable memory
 *
 * Gets the writable mapping of the memory, to fill it from C before sealing.
 * Once [method@Mpaio.SharedMemory.seal] succeeds, do not write through the
 * pointer any more: use [method@Mpaio.SharedMemory.get_data] to read.
 *
 * Returns: (nullable): the mapped bytes, or %NULL if the memory is sealed or
 *   attached
 */
gpointer
mpaio_shared_memory_get_writable_data (MpaioSharedMemory *self)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), NULL);

  return self->writable ? self->mapping->data : NULL;
}

/**
 * mpaio_shared_memory_dup_bytes:
 * @self: a memory
 * @offset: the first byte of the view
 * @length: the number of bytes in the view
 * @error: return location for a #GError
 *
 * Makes a #GBytes that views part of the memory without copying it. The view
 * keeps the mapping alive; while a view of a writable memory is alive, the
 * memory cannot be sealed.
 *
 * Returns: (transfer full): the view, or %NULL with %MPAIO_ERROR_OUT_OF_RANGE
 *   if the range is outside the memory
 */
GBytes *
mpaio_shared_memory_dup_bytes (MpaioSharedMemory  *self,
                               guint64             offset,
                               guint64             length,
                               GError            **error)
{
  g_return_val_if_fail (MPAIO_IS_SHARED_MEMORY (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_range (self, offset, length, error))
    return NULL;

  return g_bytes_new_with_free_func ((guint8 *) self->mapping->data + offset,
                                     length,
                                     mpaio_mapping_unref,
                                     mpaio_mapping_ref (self->mapping));
}

guint64
mpaio_shared_memory_get_id (MpaioSharedMemory *self)
{
  return self->id;
}

/* Whether the contents may be handed to workers as constant input. */
gboolean
mpaio_shared_memory_is_constant (MpaioSharedMemory *self)
{
  return self->sealed || self->constant;
}

/* Takes @array: the layout of the array the memory holds. */
void
mpaio_shared_memory_set_array (MpaioSharedMemory *self,
                               MpaioArrayInfo    *array)
{
  g_clear_pointer (&self->array, mpaio_array_info_free);
  self->array = array;
}

const MpaioArrayInfo *
mpaio_shared_memory_get_array (MpaioSharedMemory *self)
{
  return self->array;
}
