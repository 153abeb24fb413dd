/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The dispatch remembers what each peer was told (memories, worker specs,
 * bindings) in a set keyed by kind and 64-bit id. Keys of different kinds,
 * or ids that differ only in their high bits, must never be taken for each
 * other, or a peer would miss an announcement. The old key, a gsize made
 * of `kind << 56 | id`, mixed the kind into large ids, and on 32-bit
 * architectures (where gsize has 32 bits) the shift was undefined and the
 * id lost its high half: the 32-bit cases below are what this protects. */
#include "config.h"

#include "mpaio-sent-set-private.h"

static void
test_kinds_never_collide (void)
{
  g_autoptr(GHashTable) set = mpaio_sent_set_new ();
  struct {
    MpaioSentKind kind;
    guint64       id;
  } keys[] = {
    { MPAIO_SENT_MEMORY, 1 },
    { MPAIO_SENT_WORKER, 1 },
    { MPAIO_SENT_BINDING, 1 },
    { MPAIO_SENT_BINDING, 0 },
    /* kind << 56 | id: MEMORY with 2 << 56 was BINDING 0. */
    { MPAIO_SENT_MEMORY, G_GUINT64_CONSTANT (2) << 56 },
    { MPAIO_SENT_WORKER, G_GUINT64_CONSTANT (1) << 56 },
    /* Where gsize has 32 bits: only the low half of the id was kept. */
    { MPAIO_SENT_MEMORY, G_GUINT64_CONSTANT (1) + (G_GUINT64_CONSTANT (1) << 32) },
    { MPAIO_SENT_MEMORY, G_MAXUINT64 },
    { MPAIO_SENT_MEMORY, G_MAXUINT32 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_true (mpaio_sent_set_add (set, keys[i].kind, keys[i].id));

  /* Each is known once, and only as itself. */
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    g_assert_false (mpaio_sent_set_add (set, keys[i].kind, keys[i].id));
  g_assert_cmpuint (g_hash_table_size (set), ==, G_N_ELEMENTS (keys));

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_assert_true (mpaio_sent_set_remove (set, keys[i].kind, keys[i].id));
      g_assert_false (mpaio_sent_set_remove (set, keys[i].kind, keys[i].id));
      g_assert_cmpuint (g_hash_table_size (set), ==, G_N_ELEMENTS (keys) - i - 1);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/sent-set/kinds-never-collide", test_kinds_never_collide);

  return g_test_run ();
}
