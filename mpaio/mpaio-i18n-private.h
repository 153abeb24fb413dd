/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

const char *mpaio_gettext (const char *msgid) G_GNUC_FORMAT (1);

#define _(s) mpaio_gettext (s)
#define N_(s) (s)

G_END_DECLS
