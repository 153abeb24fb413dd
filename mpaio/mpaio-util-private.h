/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <unistd.h>

#include <glib.h>

G_BEGIN_DECLS

/* GLib 2.74 has neither g_autofd nor g_clear_fd (both 2.76). */
typedef int MpaioFd;

static inline void
mpaio_clear_fd (int *fd_ptr)
{
  int fd = g_steal_fd (fd_ptr);

  if (fd >= 0)
    {
      int errsv = errno;
      close (fd);
      errno = errsv;
    }
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MpaioFd, mpaio_clear_fd)

/* Destroys a source the caller holds a reference to, and drops it. */
static inline void
mpaio_destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

#define mpaio_autofd g_auto(MpaioFd)

/* How many characters of a caller's text an error message quotes. */
#define MPAIO_ELLIPSIZE_CHARS 80

char *mpaio_ellipsize (const char *text);

G_END_DECLS
