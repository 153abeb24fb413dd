/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-affinity-private.h"

/* See mpaio-affinity-private.h for what affinity is for. */

struct _MpaioChunkOwners
{
  MpaioChunkLayout layout;          /* type 0 while nothing is recorded */
  guint64          group_size;      /* chunks per group */
  guint            n_groups;
  guint           *owners;          /* the peer of each group, 0 for nobody */
};

typedef struct
{
  guint64 start;
  guint64 end;
} ChunkSpan;

/* The chunks of a run that one peer had: spans in order, those from
 * @head on not empty. */
typedef struct
{
  guint   peer;
  GArray *spans;                    /* ChunkSpan */
  guint   head;
  guint64 n_left;
} PeerChunks;

struct _MpaioChunkQueue
{
  MpaioChunkOwners *owners;
  MpaioChunkLayout  layout;
  GPtrArray        *lists;          /* PeerChunks*, nobody's first */
};

static gboolean
layout_equal (const MpaioChunkLayout *a,
              const MpaioChunkLayout *b)
{
  return a->type == b->type && a->offset == b->offset && a->element_size == b->element_size &&
         a->n_elements == b->n_elements && a->n_chunks == b->n_chunks;
}

MpaioChunkOwners *
mpaio_chunk_owners_new (void)
{
  return g_new0 (MpaioChunkOwners, 1);
}

void
mpaio_chunk_owners_reset (MpaioChunkOwners *owners)
{
  g_clear_pointer (&owners->owners, g_free);
  owners->layout = (MpaioChunkLayout) { 0, 0, 0, 0, 0 };
  owners->group_size = 1;
  owners->n_groups = 0;
}

void
mpaio_chunk_owners_free (MpaioChunkOwners *owners)
{
  g_free (owners->owners);
  g_free (owners);
}

/* Starts a record of nobody's chunks for @layout. */
static void
owners_start (MpaioChunkOwners       *owners,
              const MpaioChunkLayout *layout)
{
  mpaio_chunk_owners_reset (owners);
  owners->layout = *layout;
  owners->group_size = MAX (1, (layout->n_chunks + MPAIO_CHUNK_OWNERS_MAX_GROUPS - 1) /
                                 MPAIO_CHUNK_OWNERS_MAX_GROUPS);
  owners->n_groups = (layout->n_chunks + owners->group_size - 1) / owners->group_size;
  owners->owners = g_new0 (guint, owners->n_groups);
}

static void
peer_chunks_free (gpointer data)
{
  PeerChunks *list = data;

  g_array_unref (list->spans);
  g_free (list);
}

static PeerChunks *
queue_add_list (MpaioChunkQueue *queue,
                guint            peer)
{
  PeerChunks *list = g_new0 (PeerChunks, 1);

  list->peer = peer;
  list->spans = g_array_new (FALSE, FALSE, sizeof (ChunkSpan));
  g_ptr_array_add (queue->lists, list);
  return list;
}

static PeerChunks *
queue_find_list (MpaioChunkQueue *queue,
                 guint            peer)
{
  for (guint i = 0; i < queue->lists->len; i++)
    {
      PeerChunks *list = g_ptr_array_index (queue->lists, i);

      if (list->peer == peer)
        return list;
    }

  return NULL;
}

/* Adds the chunks [@start, @end) to @list, after those it has. */
static void
list_append (PeerChunks *list,
             guint64     start,
             guint64     end)
{
  ChunkSpan *last = list->spans->len > 0 ? &g_array_index (list->spans, ChunkSpan,
                                                            list->spans->len - 1) : NULL;

  if (last != NULL && last->end == start)
    last->end = end;
  else
    g_array_append_val (list->spans, ((ChunkSpan) { start, end }));
  list->n_left += end - start;
}

/* The queue of a run pair that cuts the memory of @owners as @layout:
 * the chunks of each peer, as the record has them. A record of another
 * layout starts again for this one. */
MpaioChunkQueue *
mpaio_chunk_queue_new (MpaioChunkOwners       *owners,
                       const MpaioChunkLayout *layout)
{
  MpaioChunkQueue *queue = g_new0 (MpaioChunkQueue, 1);

  if (!layout_equal (&owners->layout, layout))
    owners_start (owners, layout);

  queue->owners = owners;
  queue->layout = *layout;
  queue->lists = g_ptr_array_new_with_free_func (peer_chunks_free);
  queue_add_list (queue, 0);

  for (guint g = 0; g < owners->n_groups; g++)
    {
      guint peer = owners->owners[g];
      PeerChunks *list = queue_find_list (queue, peer);
      guint64 start = g * owners->group_size;

      if (list == NULL)
        list = queue_add_list (queue, peer);
      list_append (list, start, MIN (start + owners->group_size, layout->n_chunks));
    }

  return queue;
}

void
mpaio_chunk_queue_free (MpaioChunkQueue *queue)
{
  g_ptr_array_unref (queue->lists);
  g_free (queue);
}

static guint64
list_take_head (PeerChunks *list)
{
  ChunkSpan *span = &g_array_index (list->spans, ChunkSpan, list->head);
  guint64 chunk = span->start++;

  if (span->start == span->end)
    list->head++;
  list->n_left--;
  return chunk;
}

static guint64
list_take_tail (PeerChunks *list)
{
  ChunkSpan *span = &g_array_index (list->spans, ChunkSpan, list->spans->len - 1);
  guint64 chunk = --span->end;

  if (span->start == span->end)
    g_array_set_size (list->spans, list->spans->len - 1);
  list->n_left--;
  return chunk;
}

/* The next chunk for @peer: its own, else nobody's, else the last of the
 * peer with the most left. FALSE once every chunk is taken. */
gboolean
mpaio_chunk_queue_take (MpaioChunkQueue *queue,
                        guint            peer,
                        guint64         *chunk)
{
  PeerChunks *own = queue_find_list (queue, peer);
  PeerChunks *nobody = g_ptr_array_index (queue->lists, 0);
  PeerChunks *most = NULL;

  g_return_val_if_fail (peer != 0, FALSE);

  if (own != NULL && own->n_left > 0)
    {
      *chunk = list_take_head (own);
      return TRUE;
    }

  if (nobody->n_left > 0)
    {
      *chunk = list_take_head (nobody);
      return TRUE;
    }

  for (guint i = 1; i < queue->lists->len; i++)
    {
      PeerChunks *list = g_ptr_array_index (queue->lists, i);

      if (list->n_left > (most != NULL ? most->n_left : 0))
        most = list;
    }

  if (most == NULL)
    return FALSE;

  *chunk = list_take_tail (most);
  return TRUE;
}

/* @chunk went to @peer: the next run with this layout gives it there
 * first. Nothing is noted once another layout took over the record. */
void
mpaio_chunk_queue_note (MpaioChunkQueue *queue,
                        guint64          chunk,
                        guint            peer)
{
  MpaioChunkOwners *owners = queue->owners;

  if (!layout_equal (&owners->layout, &queue->layout))
    return;

  g_return_if_fail (chunk < owners->layout.n_chunks);
  owners->owners[chunk / owners->group_size] = peer;
}
