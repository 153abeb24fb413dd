/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Chunk affinity: which worker gets which chunk of a run.
 *
 * A worker process keeps a memory mapped between runs (mpaio-peer-cache.c),
 * but its page tables hold only the pages of the chunks it processed: a
 * chunk that goes to another worker in the next run costs that worker the
 * page faults again, and on memory-bound work faults are a large part of
 * a cold run. So a dispatch remembers, for each memory, which of its peers
 * was given each chunk of the layout the memory was last cut with
 * (MpaioChunkOwners), and a later run with the same layout hands each peer
 * its own chunks first (MpaioChunkQueue), then chunks nobody had, and only
 * then takes from the end of the peer with the most chunks left, which
 * would reach them last: a peer that is faster, or new, takes over a
 * contiguous part, and the next run gives it that part again.
 *
 * Peers are named by serial numbers, never 0 (which stands for nobody);
 * a peer that died owns chunks no one prefers, so they go by taking from
 * the end. A run with another layout of the memory starts the record
 * afresh. Owners are kept per group of chunks, at most
 * MPAIO_CHUNK_OWNERS_MAX_GROUPS of them, so that a run of tiny chunks
 * keeps a small record. */

#define MPAIO_CHUNK_OWNERS_MAX_GROUPS 65536

/* How a run cuts a memory: two iterators that agree on these cut it the
 * same way, as far as affinity needs to know. */
typedef struct
{
  GType   type;
  guint64 offset;
  guint64 element_size;
  guint64 n_elements;
  guint64 n_chunks;
} MpaioChunkLayout;

typedef struct _MpaioChunkOwners MpaioChunkOwners;
typedef struct _MpaioChunkQueue  MpaioChunkQueue;

MpaioChunkOwners *mpaio_chunk_owners_new   (void);
void              mpaio_chunk_owners_free  (MpaioChunkOwners       *owners);
void              mpaio_chunk_owners_reset (MpaioChunkOwners       *owners);

MpaioChunkQueue  *mpaio_chunk_queue_new    (MpaioChunkOwners       *owners,
                                            const MpaioChunkLayout *layout);
void              mpaio_chunk_queue_free   (MpaioChunkQueue        *queue);
gboolean          mpaio_chunk_queue_take   (MpaioChunkQueue        *queue,
                                            guint                   peer,
                                            guint64                *chunk);
void              mpaio_chunk_queue_note   (MpaioChunkQueue        *queue,
                                            guint64                 chunk,
                                            guint                   peer);

G_END_DECLS
