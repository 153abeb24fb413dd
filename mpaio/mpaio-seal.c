/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-seal-private.h"

/* Sealing a memfd without remapping it.
 *
 * F_SEAL_WRITE needs every writable mapping gone, the caller's included, so
 * the old way unmaps the caller's view and maps it again read-only: every
 * page the caller touched faults in again, in the caller's threads too.
 * F_SEAL_FUTURE_WRITE (Linux 5.1) forbids every *new* way to write (a
 * writable mapping, write(), mprotect() of a read-only mapping to
 * writable) and leaves existing mappings alone; with the caller's view made
 * read-only, the only way left to change the memory would be a writable
 * mapping made before sealing, so sealing refuses while one exists in this
 * process, as F_SEAL_WRITE would. */

#define IN_PLACE_SEALS (F_SEAL_FUTURE_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static gboolean in_place_unsupported;  /* tests pretend to be Linux 5.0 */

void
mpaio_seal_pretend_unsupported (gboolean unsupported)
{
  in_place_unsupported = unsupported;
}

/* Whether /proc/self/maps shows a mapping of @st's file outside
 * [start, end): a view made elsewhere, which could still be writable. */
static gboolean
has_other_mapping (const struct stat *st,
                   guintptr           start,
                   guintptr           end)
{
  g_autofree char *maps = NULL;
  char *line, *saveptr = NULL;

  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return FALSE;

  for (line = strtok_r (maps, "\n", &saveptr); line != NULL; line = strtok_r (NULL, "\n", &saveptr))
    {
      uintmax_t from, to, inode;
      unsigned int dev_major, dev_minor;

      if (sscanf (line, "%jx-%jx %*s %*s %x:%x %ju", &from, &to, &dev_major, &dev_minor, &inode) != 5)
        continue;

      if (inode == (uintmax_t) st->st_ino && dev_major == major (st->st_dev) &&
          dev_minor == minor (st->st_dev) && (from < start || to > end))
        return TRUE;
    }

  return FALSE;
}

/* Seals @fd, whose writable view in this process is @data, without
 * remapping it: the view becomes read-only and keeps its page tables.
 * Returns MPAIO_SEAL_REMAPPED when this kernel cannot, so that the caller
 * falls back to F_SEAL_WRITE; MPAIO_SEAL_NONE with @error when the memory
 * cannot be sealed at all now. */
MpaioSealKind
mpaio_seal_in_place (int       fd,
                     gpointer  data,
                     gsize     size,
                     GError  **error)
{
  gsize page_size = sysconf (_SC_PAGESIZE);
  guintptr end = ((guintptr) data + size + page_size - 1) & ~(page_size - 1);
  struct stat st;

  if (fstat (fd, &st) < 0 || has_other_mapping (&st, (guintptr) data, end))
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_SEAL_FAILED,
                           _("Cannot seal the memory while another mapping of it is "
                             "alive; unmap every mapping made of its file descriptor "
                             "and try again"));
      return MPAIO_SEAL_NONE;
    }

  if (in_place_unsupported || mprotect (data, size, PROT_READ) < 0)
    return MPAIO_SEAL_REMAPPED;

  if (fcntl (fd, F_ADD_SEALS, IN_PLACE_SEALS) < 0)
    {
      int errsv = errno;

      mprotect (data, size, PROT_READ | PROT_WRITE);
      if (errsv == EINVAL)
        return MPAIO_SEAL_REMAPPED;  /* before Linux 5.1 */

      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_SEAL_FAILED,
                   _("Cannot seal the memory: %s"), g_strerror (errsv));
      return MPAIO_SEAL_NONE;
    }

  return MPAIO_SEAL_IN_PLACE;
}

/* In a worker: whether the kernel guarantees that @fd's contents and size
 * stay as they are. Either write seal will do: with F_SEAL_FUTURE_WRITE,
 * only the caller's own view, made read-only when it sealed, predates the
 * seal. */
gboolean
mpaio_seal_fd_is_constant (int fd)
{
  const int size_seals = F_SEAL_SHRINK | F_SEAL_GROW;
  int seals = fcntl (fd, F_GET_SEALS);

  return seals >= 0 && (seals & size_seals) == size_seals &&
         (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) != 0;
}
