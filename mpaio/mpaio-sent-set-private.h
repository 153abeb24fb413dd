/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What a peer has been told about, so that each announcement goes once: a
 * kind and its 64-bit id, kept whole on every architecture (a pointer-sized
 * key would lose the kind, or half the id, where gsize has 32 bits). */
typedef enum
{
  MPAIO_SENT_MEMORY = 1,
  MPAIO_SENT_WORKER,
  MPAIO_SENT_BINDING,
} MpaioSentKind;

GHashTable *mpaio_sent_set_new    (void);
gboolean    mpaio_sent_set_add    (GHashTable    *set,
                                   MpaioSentKind  kind,
                                   guint64        id);
gboolean    mpaio_sent_set_remove (GHashTable    *set,
                                   MpaioSentKind  kind,
                                   guint64        id);

G_END_DECLS
