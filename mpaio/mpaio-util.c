/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-util-private.h"

/* Text from a caller or a worker (a dtype, a type or memory name) that an
 * error message quotes: enough to recognise it, never a 100 KB echo, and
 * valid UTF-8 as GError messages must be. */
char *
mpaio_ellipsize (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  const char *cut;

  if (g_utf8_strlen (valid, -1) <= MPAIO_ELLIPSIZE_CHARS)
    return g_steal_pointer (&valid);

  cut = g_utf8_offset_to_pointer (valid, MPAIO_ELLIPSIZE_CHARS);
  return g_strdup_printf ("%.*s…", (int) (cut - valid), valid);
}
