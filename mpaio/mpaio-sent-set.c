/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-sent-set-private.h"

typedef struct
{
  guint64       id;
  MpaioSentKind kind;
} SentKey;

static guint
sent_key_hash (gconstpointer data)
{
  const SentKey *key = data;

  return g_int64_hash (&key->id) * 31 + key->kind;
}

static gboolean
sent_key_equal (gconstpointer a,
                gconstpointer b)
{
  const SentKey *x = a, *y = b;

  return x->id == y->id && x->kind == y->kind;
}

GHashTable *
mpaio_sent_set_new (void)
{
  return g_hash_table_new_full (sent_key_hash, sent_key_equal, g_free, NULL);
}

/* Returns whether @kind @id is new to the set. */
gboolean
mpaio_sent_set_add (GHashTable    *set,
                    MpaioSentKind  kind,
                    guint64        id)
{
  SentKey key = { id, kind };

  if (g_hash_table_contains (set, &key))
    return FALSE;

  return g_hash_table_add (set, g_memdup2 (&key, sizeof key));
}

/* Returns whether @kind @id was in the set. */
gboolean
mpaio_sent_set_remove (GHashTable    *set,
                       MpaioSentKind  kind,
                       guint64        id)
{
  SentKey key = { id, kind };

  return g_hash_table_remove (set, &key);
}
