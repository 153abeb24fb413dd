/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-affinity-private.h"
#include "mpaio-dispatch-private.h"
#include "mpaio-sent-set-private.h"

G_BEGIN_DECLS

/* Shared by mpaio-dispatch.c and mpaio-recovery.c only. */

typedef enum
{
  MPAIO_PEER_STARTING,
  MPAIO_PEER_READY,
  MPAIO_PEER_STOPPING,
} MpaioPeerState;

/* A job on its way to a peer, with the binding it was sent under: the run
 * (and its bindings) may be gone before the reply comes. */
typedef struct
{
  GList     link;                   /* in the peer's in_flight; data is this */
  MpaioJob *job;
  guint32   binding_id;
} MpaioSentJob;

struct _MpaioPeer
{
  MpaioDispatch  *dispatch;
  gpointer        data;             /* the transport's */
  guint           serial;           /* names it in chunk owners, never 0 */
  MpaioPeerState  state;

  GQueue          in_flight;        /* MpaioSentJob, in the order sent */
  GPtrArray      *unsent;           /* MpaioSentJob* of in_flight not sent yet */
  GHashTable     *estimates;        /* binding id → moving average of the
                                     * time per chunk (double*) */
  GHashTable     *sent;             /* what the worker knows: mpaio_sent_set_new() */
  GSource        *stale_timer;
  GSource        *timeout_timer;
  guint64         n_popped;         /* replies so far: names the head chunk */
  guint64         watched;          /* n_popped when the head was timed */
  gint64          watched_since;    /* when the head became the head */
  gint64          deadline;         /* when the head times out, or 0 */
  MpaioJob       *timed_out;        /* the chunk it was killed for */
  GError         *failure;          /* why the dispatch gave up on the worker */
  guint           open : 1;         /* messages can still go */
  guint           killed : 1;       /* on purpose: do not count a crash */
};

static inline MpaioJob *
mpaio_peer_head (MpaioPeer *peer)
{
  MpaioSentJob *sent = g_queue_peek_head (&peer->in_flight);

  return sent != NULL ? sent->job : NULL;
}

MpaioJob *mpaio_peer_pop_job       (MpaioPeer *peer);
void      mpaio_peer_close         (MpaioPeer *peer);
void      mpaio_peer_kill          (MpaioPeer *peer);
void      mpaio_peer_head_changed  (MpaioPeer *peer);
void      mpaio_peer_check_stale   (MpaioPeer *peer);
void      mpaio_peer_free          (MpaioPeer *peer);
void      mpaio_dispatch_spawn     (MpaioDispatch *self,
                                    guint64        n_wanted);
void      mpaio_dispatch_complete_start (MpaioDispatch *self);
void      mpaio_dispatch_forget_peer (MpaioDispatch *self,
                                      MpaioPeer     *peer);
void      mpaio_dispatch_peers_changed (MpaioDispatch *self);

/* mpaio-peer-cache.c: how long peers remember worker specs and memories. */
void      mpaio_dispatch_init_cache      (MpaioDispatch     *self);
void      mpaio_dispatch_clear_cache     (MpaioDispatch     *self);
guint     mpaio_dispatch_use_spec        (MpaioDispatch     *self,
                                          GVariant          *spec);
void      mpaio_dispatch_release_spec    (MpaioDispatch     *self,
                                          GVariant          *spec);
void      mpaio_dispatch_use_memory      (MpaioDispatch     *self,
                                          MpaioSharedMemory *memory);
void      mpaio_dispatch_release_memory  (MpaioDispatch     *self,
                                          MpaioSharedMemory *memory);
MpaioChunkOwners *mpaio_dispatch_get_chunk_owners (MpaioDispatch     *self,
                                                   MpaioSharedMemory *memory);
void      mpaio_dispatch_forget_pending (MpaioDispatch      *self);

G_END_DECLS
