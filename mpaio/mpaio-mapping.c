/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include <gio/gio.h>

#include "mpaio-i18n-private.h"
#include "mpaio-mapping-private.h"

#define HUGE_PAGE_HINT_SIZE (4 * 1024 * 1024)

gsize
mpaio_page_size (void)
{
  static gsize size;

  if (size == 0)
    size = sysconf (_SC_PAGESIZE);
  return size;
}

/* Maps @size bytes of @fd followed by an inaccessible page, reserved
 * first so that no other mapping can sit right after the memory. A worker
 * that writes past the end of its output then faults there, always, and
 * dies of it like any stray write. Without the guard the write could land
 * in whatever the kernel placed next: the input (and be reported as a
 * write to the input), or a writable mapping (and not be noticed). */
static gpointer
map_with_guard (int    fd,
                gsize  size,
                int    prot,
                gsize *reserved)
{
  gsize page = mpaio_page_size ();
  gpointer base, data;

  *reserved = ((size + page - 1) & ~(page - 1)) + page;
  base = mmap (NULL, *reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED)
    return MAP_FAILED;

  data = mmap (base, size, prot, MAP_SHARED | MAP_FIXED, fd, 0);
  if (data == MAP_FAILED)
    {
      int errsv = errno;

      munmap (base, *reserved);
      errno = errsv;
    }

  return data;
}

MpaioMapping *
mpaio_mapping_new (int       fd,
                   gsize     size,
                   gboolean  writable,
                   GError  **error)
{
  int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  MpaioMapping *mapping;
  gpointer data;
  gsize reserved;

  data = map_with_guard (fd, size, prot, &reserved);
  if (data == MAP_FAILED)
    {
      int errsv = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                   _("Could not map %zu bytes of shared memory: %s"),
                   size, g_strerror (errsv));
      return NULL;
    }

  /* Huge pages, where the system allows them for shared memory, cut the
   * cost of every worker's page faults on a large array. */
  if (size >= HUGE_PAGE_HINT_SIZE)
    madvise (data, size, MADV_HUGEPAGE);

  mapping = g_new0 (MpaioMapping, 1);
  g_atomic_ref_count_init (&mapping->ref_count);
  mapping->data = data;
  mapping->reserved = reserved;
  return mapping;
}

MpaioMapping *
mpaio_mapping_ref (MpaioMapping *mapping)
{
  g_atomic_ref_count_inc (&mapping->ref_count);
  return mapping;
}

void
mpaio_mapping_unref (gpointer data)
{
  MpaioMapping *mapping = data;

  if (g_atomic_ref_count_dec (&mapping->ref_count))
    {
      munmap (mapping->data, mapping->reserved);
      g_free (mapping);
    }
}
