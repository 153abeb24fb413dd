/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-affinity-private.h"
#include "mpaio-peer-private.h"
#include "mpaio-shared-memory-private.h"

/* How long peers remember what they were told.
 *
 * A worker spec (a type and its properties) lives as long as a run uses
 * it, then among the MAX_IDLE_SPECS most recently used: a worker process
 * keeps the instance it built for the next runs of the same spec, even
 * from a new worker object, but an application that makes a new worker
 * with other properties for each run keeps the tables of the pool and of
 * its workers bounded. Peers forget the specs that fall out
 * (FORGET_WORKER).
 *
 * A memory stays mapped in the peers for as long as the caller's
 * MpaioSharedMemory lives, so that a second run on it pays no page faults.
 * The dispatch holds a reference only while a run uses the memory; a weak
 * reference tells it when the object is finalized, and the peers forget
 * it then (FORGET_MEMORY). Under memory pressure (GMemoryMonitor's
 * low-memory-warning), peers forget every memory no run uses. With the
 * memory goes the record of which peer had which of its chunks
 * (mpaio-affinity-private.h).
 *
 * Objects are finalized, and the memory monitor warns, on any thread: both
 * go through an MpaioForgetter, which hands them to the dispatch on its
 * executor's main context. */

#define MAX_IDLE_SPECS 8

typedef struct
{
  GList   idle_link;                /* in spec_idle while no run uses it */
  GBytes *bytes;
  guint   id;
  guint   n_runs;
} MpaioSpecUse;

typedef struct
{
  MpaioSharedMemory *memory;        /* held while a run uses it */
  guint              n_runs;
  MpaioChunkOwners  *owners;
} MpaioMemoryUse;

typedef struct _MpaioForgetter
{
  gatomicrefcount  ref_count;
  GMutex           lock;
  MpaioDispatch   *dispatch;        /* NULL once the dispatch is cleared */
  GMainContext    *context;
  GArray          *finalized;       /* guint64 ids of finalized memories */
  GSource         *source;
  gboolean         low_memory;
  GMemoryMonitor  *monitor;
  gulong           monitor_handler;
} MpaioForgetter;

typedef struct
{
  MpaioForgetter *forgetter;
  guint64         memory_id;
} WatchedMemory;

static MpaioForgetter *
forgetter_ref (MpaioForgetter *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

static void
forgetter_unref (gpointer data)
{
  MpaioForgetter *self = data;

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;

  g_array_unref (self->finalized);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);
  g_free (self);
}

static gboolean
forgetter_dispatch (gpointer data)
{
  MpaioForgetter *self = data;
  MpaioDispatch *dispatch;

  g_mutex_lock (&self->lock);
  g_clear_pointer (&self->source, g_source_unref);
  dispatch = self->dispatch;
  g_mutex_unlock (&self->lock);

  if (dispatch != NULL)
    mpaio_dispatch_forget_pending (dispatch);

  return G_SOURCE_REMOVE;
}

/* With the lock held. */
static void
forgetter_schedule_locked (MpaioForgetter *self)
{
  if (self->source != NULL || self->dispatch == NULL)
    return;

  self->source = g_idle_source_new ();
  g_source_set_static_name (self->source, "[mpaio] forget memories");
  g_source_set_callback (self->source, forgetter_dispatch, forgetter_ref (self), forgetter_unref);
  g_source_attach (self->source, self->context);
}

/* On the thread that finalized the memory. */
static void
memory_finalized (gpointer  data,
                  GObject  *where_the_object_was)
{
  WatchedMemory *watched = data;
  MpaioForgetter *self = watched->forgetter;

  g_mutex_lock (&self->lock);
  if (self->dispatch != NULL)
    {
      g_array_append_val (self->finalized, watched->memory_id);
      forgetter_schedule_locked (self);
    }
  g_mutex_unlock (&self->lock);

  forgetter_unref (self);
  g_free (watched);
}

/* On the thread where the monitor was made. */
static void
low_memory_warning (GMemoryMonitor             *monitor,
                    GMemoryMonitorWarningLevel  level,
                    gpointer                    data)
{
  MpaioForgetter *self = data;

  g_debug ("Low memory (level %d): worker processes unmap the memories no run uses", level);
  g_mutex_lock (&self->lock);
  self->low_memory = TRUE;
  forgetter_schedule_locked (self);
  g_mutex_unlock (&self->lock);
}

static MpaioForgetter *
forgetter_new (MpaioDispatch *dispatch)
{
  MpaioForgetter *self = g_new0 (MpaioForgetter, 1);

  g_atomic_ref_count_init (&self->ref_count);
  g_mutex_init (&self->lock);
  self->dispatch = dispatch;
  self->context = g_main_context_ref (dispatch->base->context);
  self->finalized = g_array_new (FALSE, FALSE, sizeof (guint64));
  return self;
}

/* The memory monitor is made when the first memory is kept, so that a
 * pool that never maps anything never reaches for it. */
static void
forgetter_watch_memory (MpaioForgetter    *self,
                        MpaioSharedMemory *memory)
{
  WatchedMemory *watched = g_new0 (WatchedMemory, 1);

  watched->forgetter = forgetter_ref (self);
  watched->memory_id = mpaio_shared_memory_get_id (memory);
  g_object_weak_ref (G_OBJECT (memory), memory_finalized, watched);

  if (self->monitor == NULL && (self->monitor = g_memory_monitor_dup_default ()) != NULL)
    self->monitor_handler = g_signal_connect_data (self->monitor, "low-memory-warning",
                                                   G_CALLBACK (low_memory_warning),
                                                   forgetter_ref (self),
                                                   (GClosureNotify) forgetter_unref, 0);
}

static GArray *
forgetter_steal (MpaioForgetter *self,
                 gboolean       *low_memory)
{
  GArray *finalized = g_array_new (FALSE, FALSE, sizeof (guint64));

  g_mutex_lock (&self->lock);
  g_array_append_vals (finalized, self->finalized->data, self->finalized->len);
  g_array_set_size (self->finalized, 0);
  *low_memory = self->low_memory;
  self->low_memory = FALSE;
  g_mutex_unlock (&self->lock);

  return finalized;
}

/* The dispatch is going: weak references that outlive it only free what
 * they hold. */
static void
forgetter_release (MpaioForgetter *self)
{
  GSource *source;

  if (self->monitor != NULL)
    g_clear_signal_handler (&self->monitor_handler, self->monitor);
  g_clear_object (&self->monitor);

  g_mutex_lock (&self->lock);
  self->dispatch = NULL;
  source = g_steal_pointer (&self->source);
  g_mutex_unlock (&self->lock);

  if (source != NULL)
    {
      g_source_destroy (source);
      g_source_unref (source);
    }
  forgetter_unref (self);
}

static void
spec_use_free (gpointer data)
{
  MpaioSpecUse *use = data;

  g_bytes_unref (use->bytes);
  g_free (use);
}

static void
memory_use_free (gpointer data)
{
  MpaioMemoryUse *use = data;

  g_clear_object (&use->memory);
  mpaio_chunk_owners_free (use->owners);
  g_free (use);
}

void
mpaio_dispatch_init_cache (MpaioDispatch *self)
{
  self->spec_ids = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, NULL, spec_use_free);
  g_queue_init (&self->spec_idle);
  self->memories = g_hash_table_new_full (NULL, NULL, NULL, memory_use_free);
  self->forgetter = forgetter_new (self);
}

void
mpaio_dispatch_clear_cache (MpaioDispatch *self)
{
  g_queue_init (&self->spec_idle);
  g_clear_pointer (&self->spec_ids, g_hash_table_unref);
  g_clear_pointer (&self->memories, g_hash_table_unref);
  g_clear_pointer (&self->forgetter, forgetter_release);
}

/* For tests: what the dispatch remembers. */
void
mpaio_dispatch_count_cached (MpaioDispatch *self,
                             guint         *n_specs,
                             guint         *n_memories)
{
  *n_specs = g_hash_table_size (self->spec_ids);
  *n_memories = g_hash_table_size (self->memories);
}

/* Tells every peer that knows it to forget the thing of @kind and @id. */
static void
peers_forget (MpaioDispatch *self,
              MpaioSentKind  kind,
              guint64        id)
{
  for (guint i = 0; i < self->peers->len; i++)
    {
      MpaioPeer *peer = g_ptr_array_index (self->peers, i);

      if (!mpaio_sent_set_remove (peer->sent, kind, id) || !peer->open)
        continue;

      if (kind == MPAIO_SENT_MEMORY)
        self->transport->forget_memory (peer, id);
      else
        self->transport->forget_worker (peer, id);
    }
}

/* Names @spec for the peers, for one more run. */
guint
mpaio_dispatch_use_spec (MpaioDispatch *self,
                         GVariant      *spec)
{
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (spec);
  MpaioSpecUse *use = g_hash_table_lookup (self->spec_ids, bytes);

  if (use == NULL)
    {
      use = g_new0 (MpaioSpecUse, 1);
      use->idle_link.data = use;
      use->bytes = g_steal_pointer (&bytes);
      use->id = ++self->last_spec_id;
      g_hash_table_insert (self->spec_ids, use->bytes, use);
    }
  else if (use->n_runs == 0)
    {
      g_queue_unlink (&self->spec_idle, &use->idle_link);
    }

  use->n_runs++;
  return use->id;
}

/* When no run uses a spec any more, it joins the idle ones; peers forget
 * the least recently used beyond MAX_IDLE_SPECS. Messages are handled in
 * order, so chunks still queued with it are not affected. */
void
mpaio_dispatch_release_spec (MpaioDispatch *self,
                             GVariant      *spec)
{
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (spec);
  MpaioSpecUse *use = g_hash_table_lookup (self->spec_ids, bytes);

  if (use == NULL || --use->n_runs > 0)
    return;

  g_queue_push_head_link (&self->spec_idle, &use->idle_link);
  if (self->spec_idle.length <= MAX_IDLE_SPECS)
    return;

  use = g_queue_pop_tail_link (&self->spec_idle)->data;
  peers_forget (self, MPAIO_SENT_WORKER, use->id);
  g_hash_table_remove (self->spec_ids, use->bytes);
}

void
mpaio_dispatch_use_memory (MpaioDispatch     *self,
                           MpaioSharedMemory *memory)
{
  gpointer key = GSIZE_TO_POINTER (mpaio_shared_memory_get_id (memory));
  MpaioMemoryUse *use = g_hash_table_lookup (self->memories, key);

  if (use == NULL)
    {
      use = g_new0 (MpaioMemoryUse, 1);
      use->owners = mpaio_chunk_owners_new ();
      g_hash_table_insert (self->memories, key, use);
      forgetter_watch_memory (self->forgetter, memory);
    }

  if (use->n_runs++ == 0)
    use->memory = g_object_ref (memory);
}

/* Which peer had which chunk of @memory, which a run uses. */
MpaioChunkOwners *
mpaio_dispatch_get_chunk_owners (MpaioDispatch     *self,
                                 MpaioSharedMemory *memory)
{
  gpointer key = GSIZE_TO_POINTER (mpaio_shared_memory_get_id (memory));
  MpaioMemoryUse *use = g_hash_table_lookup (self->memories, key);

  g_return_val_if_fail (use != NULL && use->n_runs > 0, NULL);
  return use->owners;
}

/* The last run on @memory is over: peers keep it mapped, but the caller
 * alone decides how long it lives. */
void
mpaio_dispatch_release_memory (MpaioDispatch     *self,
                               MpaioSharedMemory *memory)
{
  gpointer key = GSIZE_TO_POINTER (mpaio_shared_memory_get_id (memory));
  MpaioMemoryUse *use = g_hash_table_lookup (self->memories, key);

  if (use != NULL && --use->n_runs == 0)
    g_clear_object (&use->memory);
}

/* Peers forget the memories finalized since the last call and, if memory
 * ran low since, every memory no run uses. */
void
mpaio_dispatch_forget_pending (MpaioDispatch *self)
{
  gboolean low_memory;
  g_autoptr(GArray) finalized = forgetter_steal (self->forgetter, &low_memory);

  for (guint i = 0; i < finalized->len; i++)
    {
      guint64 id = g_array_index (finalized, guint64, i);

      peers_forget (self, MPAIO_SENT_MEMORY, id);
      g_hash_table_remove (self->memories, GSIZE_TO_POINTER (id));
    }

  if (low_memory)
    mpaio_dispatch_forget_idle_memories (self);
}

/* Memory is short: peers unmap every memory no run uses; a later run maps
 * it again, on any peer. */
void
mpaio_dispatch_forget_idle_memories (MpaioDispatch *self)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, self->memories);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      MpaioMemoryUse *use = value;

      if (use->n_runs > 0)
        continue;
      peers_forget (self, MPAIO_SENT_MEMORY, GPOINTER_TO_SIZE (key));
      mpaio_chunk_owners_reset (use->owners);
    }
}
