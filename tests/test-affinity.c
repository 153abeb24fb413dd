/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Chunk affinity (mpaio-affinity.c) on its own: which chunk a queue gives
 * to which peer, after what the record says of the run before. */
#include "config.h"

#include "mpaio-affinity-private.h"

static const MpaioChunkLayout layout_10 = { G_TYPE_OBJECT, 0, 8, 1000, 10 };

/* Takes every chunk of @queue for @peer, in order, into a string:
 * "0 1 2 ". */
static char *
take_all (MpaioChunkQueue *queue,
          guint            peer)
{
  GString *taken = g_string_new (NULL);
  guint64 chunk;

  while (mpaio_chunk_queue_take (queue, peer, &chunk))
    g_string_append_printf (taken, "%" G_GUINT64_FORMAT " ", chunk);

  return g_string_free (taken, FALSE);
}

/* Takes one chunk for @peer and notes that it went there. */
static guint64
take_and_note (MpaioChunkQueue *queue,
               guint            peer)
{
  guint64 chunk = G_MAXUINT64;

  g_assert_true (mpaio_chunk_queue_take (queue, peer, &chunk));
  mpaio_chunk_queue_note (queue, chunk, peer);
  return chunk;
}

/* With no record, chunks go in order, whoever asks. */
static void
test_first_run_in_order (void)
{
  MpaioChunkOwners *owners = mpaio_chunk_owners_new ();
  MpaioChunkQueue *queue = mpaio_chunk_queue_new (owners, &layout_10);
  g_autofree char *rest = NULL;

  g_assert_cmpuint (take_and_note (queue, 1), ==, 0);
  g_assert_cmpuint (take_and_note (queue, 2), ==, 1);
  g_assert_cmpuint (take_and_note (queue, 1), ==, 2);
  rest = take_all (queue, 2);
  g_assert_cmpstr (rest, ==, "3 4 5 6 7 8 9 ");

  mpaio_chunk_queue_free (queue);
  mpaio_chunk_owners_free (owners);
}

/* A later run gives each peer the chunks it was given before, its own
 * first, whatever the order peers ask in; then a peer with none left takes
 * from the end of the peer with the most left. */
static void
test_own_chunks_first (void)
{
  MpaioChunkOwners *owners = mpaio_chunk_owners_new ();
  MpaioChunkQueue *queue = mpaio_chunk_queue_new (owners, &layout_10);
  const guint first[10] = { 1, 2, 2, 1, 1, 1, 2, 2, 1, 3 };
  g_autofree char *rest = NULL;
  guint64 chunk;

  for (guint64 i = 0; i < 10; i++)
    {
      g_assert_true (mpaio_chunk_queue_take (queue, first[i], &chunk));
      g_assert_cmpuint (chunk, ==, i);
      mpaio_chunk_queue_note (queue, chunk, first[i]);
    }
  g_assert_false (mpaio_chunk_queue_take (queue, 1, &chunk));
  mpaio_chunk_queue_free (queue);

  /* Peer 3 is gone; peer 4 is new. */
  queue = mpaio_chunk_queue_new (owners, &layout_10);
  g_assert_cmpuint (take_and_note (queue, 2), ==, 1);
  g_assert_cmpuint (take_and_note (queue, 1), ==, 0);
  g_assert_cmpuint (take_and_note (queue, 2), ==, 2);
  /* Peer 1 has 0 3 4 5 8: 4 left, the most; its last goes first. */
  g_assert_cmpuint (take_and_note (queue, 4), ==, 8);
  g_assert_cmpuint (take_and_note (queue, 4), ==, 5);
  /* Peer 1 (2 left: 3 4) and peer 2 (2 left: 6 7) tie: the first. */
  g_assert_cmpuint (take_and_note (queue, 4), ==, 4);
  g_assert_cmpuint (take_and_note (queue, 2), ==, 6);
  /* Then the rest, peer 3's too, from the end of whoever has the most. */
  rest = take_all (queue, 2);
  g_assert_cmpstr (rest, ==, "7 3 9 ");
  g_assert_false (mpaio_chunk_queue_take (queue, 1, &chunk));
  mpaio_chunk_queue_free (queue);

  /* What the run noted is what the next one gives: peer 4 the three it
   * took, peer 1 its chunks but those. */
  queue = mpaio_chunk_queue_new (owners, &layout_10);
  g_assert_cmpuint (take_and_note (queue, 4), ==, 4);
  g_assert_cmpuint (take_and_note (queue, 1), ==, 0);
  g_assert_cmpuint (take_and_note (queue, 4), ==, 5);
  g_assert_cmpuint (take_and_note (queue, 1), ==, 3);
  g_assert_cmpuint (take_and_note (queue, 4), ==, 8);
  mpaio_chunk_queue_free (queue);
  mpaio_chunk_owners_free (owners);
}

/* Another layout of the memory starts the record again; a queue of the
 * old layout notes nothing any more. */
static void
test_other_layout (void)
{
  MpaioChunkOwners *owners = mpaio_chunk_owners_new ();
  MpaioChunkLayout layout_20 = layout_10;
  MpaioChunkQueue *old, *queue;
  g_autofree char *in_order = NULL;
  g_autofree char *of_1 = NULL;

  layout_20.n_chunks = 20;
  old = mpaio_chunk_queue_new (owners, &layout_10);
  for (guint i = 0; i < 10; i++)
    take_and_note (old, 1);
  mpaio_chunk_queue_free (old);

  old = mpaio_chunk_queue_new (owners, &layout_10);
  queue = mpaio_chunk_queue_new (owners, &layout_20);
  for (guint i = 0; i < 10; i++)
    take_and_note (old, 2);
  mpaio_chunk_queue_free (old);
  in_order = take_all (queue, 1);
  g_assert_cmpstr (in_order, ==, "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 ");
  mpaio_chunk_queue_free (queue);

  /* A reset (memory ran low) forgets it all. */
  queue = mpaio_chunk_queue_new (owners, &layout_20);
  take_and_note (queue, 1);
  mpaio_chunk_queue_free (queue);
  mpaio_chunk_owners_reset (owners);
  queue = mpaio_chunk_queue_new (owners, &layout_20);
  g_assert_cmpuint (take_and_note (queue, 2), ==, 0);
  mpaio_chunk_queue_free (queue);

  /* No chunks at all. */
  layout_20.n_chunks = 0;
  queue = mpaio_chunk_queue_new (owners, &layout_20);
  of_1 = take_all (queue, 1);
  g_assert_cmpstr (of_1, ==, "");
  mpaio_chunk_queue_free (queue);
  mpaio_chunk_owners_free (owners);
}

/* Tiny chunks are owned by groups, so that the record stays small: a
 * peer gets back its groups whole, and the last group, which may be
 * short, ends with the last chunk. */
static void
test_groups (gconstpointer data)
{
  const guint64 n_chunks = GPOINTER_TO_SIZE (data);
  MpaioChunkLayout layout = { G_TYPE_OBJECT, 0, 1, n_chunks, n_chunks };
  MpaioChunkOwners *owners = mpaio_chunk_owners_new ();
  MpaioChunkQueue *queue = mpaio_chunk_queue_new (owners, &layout);
  guint64 chunk;

  /* Peer 1 had the first half, peer 2 the second. */
  for (guint64 i = 0; i < n_chunks; i++)
    {
      g_assert_true (mpaio_chunk_queue_take (queue, 1, &chunk));
      mpaio_chunk_queue_note (queue, chunk, chunk < n_chunks / 2 ? 1 : 2);
    }
  mpaio_chunk_queue_free (queue);

  /* Each peer gets its half back, in order, and nothing more is left. */
  queue = mpaio_chunk_queue_new (owners, &layout);
  for (guint64 i = n_chunks / 2; i < n_chunks; i++)
    {
      g_assert_true (mpaio_chunk_queue_take (queue, 2, &chunk));
      g_assert_cmpuint (chunk, ==, i);
    }
  for (guint64 i = 0; i < n_chunks / 2; i++)
    {
      g_assert_true (mpaio_chunk_queue_take (queue, 1, &chunk));
      g_assert_cmpuint (chunk, ==, i);
    }
  g_assert_false (mpaio_chunk_queue_take (queue, 1, &chunk));
  mpaio_chunk_queue_free (queue);
  mpaio_chunk_owners_free (owners);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/affinity/first-run-in-order", test_first_run_in_order);
  g_test_add_func ("/mpaio/affinity/own-chunks-first", test_own_chunks_first);
  g_test_add_func ("/mpaio/affinity/other-layout", test_other_layout);
  g_test_add_data_func ("/mpaio/affinity/groups/even",
                        GSIZE_TO_POINTER (4 * MPAIO_CHUNK_OWNERS_MAX_GROUPS), test_groups);
  g_test_add_data_func ("/mpaio/affinity/groups/short-last",
                        GSIZE_TO_POINTER (100000), test_groups);

  return g_test_run ();
}
