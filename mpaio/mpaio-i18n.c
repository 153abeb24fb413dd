/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <libintl.h>

#include "mpaio-i18n-private.h"

/* The text domain is bound lazily, on the first message Mpaio translates,
 * so that linking the library costs nothing. */
static void
ensure_text_domain (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&initialized, 1);
    }
}

const char *
mpaio_gettext (const char *msgid)
{
  ensure_text_domain ();
  return g_dgettext (GETTEXT_PACKAGE, msgid);
}

const char *
mpaio_ngettext (const char *msgid,
                const char *msgid_plural,
                gulong      n)
{
  ensure_text_domain ();
  return g_dngettext (GETTEXT_PACKAGE, msgid, msgid_plural, n);
}
