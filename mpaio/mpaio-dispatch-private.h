/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-executor-base-private.h"
#include "mpaio-internal-private.h"
#include "mpaio-run-private.h"
#include "mpaio-shared-memory.h"
#include "mpaio-wire-private.h"

G_BEGIN_DECLS

/* Dispatch and recovery for executors whose workers live elsewhere and
 * speak the wire protocol: several chunks in flight per worker, sent in
 * batches, pulled from the attached runs; a dead worker's chunks reclaimed
 * as suspects and retried; chunk timeouts; stale workers of finished runs
 * killed; failed starts respawned with a growing delay. It reaches its
 * workers, its peers, through an MpaioTransport (worker processes for
 * MpaioProcessPool), and everything happens on the executor's main
 * context. */
/* How many chunks a peer holds of a binding it has no measure for yet,
 * with chunks-in-flight at 0: every run starts there. */
#define MPAIO_DISPATCH_START_IN_FLIGHT 2

typedef struct _MpaioDispatch MpaioDispatch;
typedef struct _MpaioPeer     MpaioPeer;

/* How a dispatch reaches its workers; every function is required but
 * hello(). Messages go in order, and a peer
 * answers the chunks of each send_jobs() in that order. Every function is
 * called on the executor's main context, and the transport reports on it
 * too:
 *
 * - mpaio_peer_receive() for each message from the peer (HELLO, RESULT,
 *   ERROR, as mpaio_wire_decode() gives them); when it returns FALSE, the
 *   peer broke the protocol: the transport wraps the error to name the
 *   peer and gives up on it with mpaio_peer_abandon();
 * - mpaio_dispatch_run() once it has handed over what was ready, so that
 *   the peers are refilled in one go;
 * - mpaio_peer_abandon() when the peer cannot be used any more (a write
 *   failed, the protocol was broken): its chunks fail with that error;
 * - mpaio_peer_lost() when the way to the peer broke from its side (it is
 *   dying): its chunks are retried as after a crash;
 * - mpaio_peer_exited() once the peer is gone for good, after any of the
 *   above, a kill() or a close(): the peer is freed there.
 *
 * Delivering results runs the caller's callbacks, which may drop the last
 * reference to the executor: hold one (base->owner) around those reports. */
typedef struct
{
  /* Starts one worker for @peer; returns the transport's data for it
   * (mpaio_peer_get_data()), or %NULL with @error set. The worker reports
   * back with mpaio_peer_receive() (its HELLO first), mpaio_peer_abandon(),
   * mpaio_peer_lost() and, once it is gone for good, mpaio_peer_exited(). */
  gpointer (*start)           (MpaioDispatch           *dispatch,
                               MpaioPeer               *peer,
                               GError                 **error);
  /* Frees what start() returned. */
  void     (*free)            (gpointer                 data);

  /* The announcements: a memory (with its fd, for a process), a worker
   * spec, a binding of a run's (worker, iterator) pair, and their ends
   * (see mpaio-peer-cache.c for when the dispatch forgets them). */
  void     (*send_memory)     (MpaioPeer               *peer,
                               MpaioSharedMemory       *memory,
                               gboolean                 output);
  void     (*forget_memory)   (MpaioPeer               *peer,
                               guint64                  memory_id);
  void     (*send_worker)     (MpaioPeer               *peer,
                               const MpaioWireWorker   *worker);
  void     (*forget_worker)   (MpaioPeer               *peer,
                               guint32                  worker_id);
  void     (*send_bind)       (MpaioPeer               *peer,
                               const MpaioWireBind     *bind);
  void     (*send_unbind)     (MpaioPeer               *peer,
                               guint32                  binding_id);
  /* A batch of chunks of one binding. */
  void     (*send_jobs)       (MpaioPeer               *peer,
                               const MpaioWireProcess  *jobs);

  /* No more messages: an idle worker ends on its own. */
  void     (*close)           (MpaioPeer               *peer);
  /* Stops the worker now; mpaio_peer_exited() follows. */
  void     (*kill)            (MpaioPeer               *peer);

  /* The worker said HELLO (already checked by the dispatch but for its
   * version): a transport can learn its pid there. Optional. */
  void     (*hello)           (MpaioPeer               *peer,
                               const MpaioWireHello    *hello);
  /* Names the worker in errors: "Worker process 1234". */
  char    *(*describe)        (MpaioPeer               *peer);
  /* What the worker said before it went: "its standard error ended
   * with: …". */
  char    *(*describe_output) (MpaioPeer               *peer);
  /* The error for a worker that ended before its HELLO, after
   * @n_failed_before others did: the runs fail with it once the dispatch
   * stops respawning. */
  GError  *(*startup_error)   (MpaioPeer               *peer,
                               const char              *exit_description,
                               guint                    n_failed_before);
} MpaioTransport;

struct _MpaioDispatch
{
  MpaioExecutorBase    *base;
  const MpaioTransport *transport;
  gpointer              transport_data;

  /* Settings, which the executor sets (its properties). */
  guint                 max_workers;        /* one per processor at first */
  guint                 chunks_in_flight;   /* 0 (the default): adapt */
  guint                 max_retries;        /* 2 at first */
  guint                 chunk_timeout;      /* ms, 0 (the default) for none */
  /* Called when a peer is added or gone, with base->owner: the executor
   * notifies its number of workers. Optional. */
  void                (*peers_changed)      (GObject *owner);

  /* The dispatch's own. */
  GPtrArray            *peers;              /* MpaioPeer* */
  GHashTable           *spec_ids;           /* GBytes of a spec → MpaioSpecUse* */
  GQueue                spec_idle;          /* MpaioSpecUse* no run uses, newest first */
  guint                 last_spec_id;
  guint                 last_binding_id;
  guint                 last_peer_serial;
  GHashTable           *run_bindings;       /* MpaioRun* → RunBindings* */
  GHashTable           *memories;           /* id → MpaioMemoryUse* */
  struct _MpaioForgetter *forgetter;        /* finalized memories, low memory */
  GQueue                start_tasks;
  guint                 startup_failures;   /* in a row */
  gint64                respawn_after;
  GSource              *respawn_timer;

  guint                 dispatching : 1;
};

MPAIO_INTERNAL
void      mpaio_dispatch_init        (MpaioDispatch        *self,
                                      MpaioExecutorBase    *base,
                                      const MpaioTransport *transport,
                                      gpointer              transport_data);
MPAIO_INTERNAL
void      mpaio_dispatch_clear       (MpaioDispatch        *self);
MPAIO_INTERNAL
void      mpaio_dispatch_free_peers  (MpaioDispatch        *self);
MPAIO_INTERNAL
gboolean  mpaio_dispatch_attach_run  (MpaioDispatch        *self,
                                      MpaioRun             *run,
                                      GError              **error);
MPAIO_INTERNAL
void      mpaio_dispatch_detach_run  (MpaioDispatch        *self,
                                      MpaioRun             *run);
MPAIO_INTERNAL
void      mpaio_dispatch_run         (MpaioDispatch        *self);
MPAIO_INTERNAL
void      mpaio_dispatch_start_all   (MpaioDispatch        *self,
                                      GTask                *task);
MPAIO_INTERNAL
void      mpaio_dispatch_close       (MpaioDispatch        *self);
MPAIO_INTERNAL
void      mpaio_dispatch_shutdown    (MpaioDispatch        *self,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
MPAIO_INTERNAL
void      mpaio_dispatch_fail_runs   (MpaioDispatch        *self,
                                      const GError         *error);
MPAIO_INTERNAL
guint     mpaio_dispatch_get_n_peers (MpaioDispatch        *self);
MPAIO_INTERNAL
void      mpaio_dispatch_count_cached (MpaioDispatch       *self,
                                       guint               *n_specs,
                                       guint               *n_memories);
MPAIO_INTERNAL
void      mpaio_dispatch_forget_idle_memories (MpaioDispatch *self);
MPAIO_INTERNAL
MpaioPeer *mpaio_dispatch_get_peer   (MpaioDispatch        *self,
                                      guint                 index);

MPAIO_INTERNAL
gpointer  mpaio_peer_get_data        (MpaioPeer            *peer);
MPAIO_INTERNAL
MpaioDispatch *mpaio_peer_get_dispatch (MpaioPeer          *peer);
MPAIO_INTERNAL
gboolean  mpaio_peer_receive         (MpaioPeer            *peer,
                                      MpaioMessage         *message,
                                      GError              **error);
MPAIO_INTERNAL
void      mpaio_peer_abandon         (MpaioPeer            *peer,
                                      GError               *error);
MPAIO_INTERNAL
void      mpaio_peer_lost            (MpaioPeer            *peer);
MPAIO_INTERNAL
void      mpaio_peer_exited          (MpaioPeer            *peer,
                                      const char           *exit_description);
MPAIO_INTERNAL
gint64    mpaio_peer_get_deadline    (MpaioPeer            *peer);

G_END_DECLS
