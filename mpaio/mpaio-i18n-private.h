/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

#include "mpaio-internal-private.h"

G_BEGIN_DECLS

MPAIO_INTERNAL
const char *mpaio_gettext  (const char *msgid) G_GNUC_FORMAT (1);
MPAIO_INTERNAL
const char *mpaio_ngettext (const char *msgid,
                            const char *msgid_plural,
                            gulong      n) G_GNUC_FORMAT (1) G_GNUC_FORMAT (2);

#define _(s) mpaio_gettext (s)
#define N_(s) (s)
#define NG_(s, p, n) mpaio_ngettext (s, p, n)

G_END_DECLS
