/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-peer-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-util-private.h"

#define AUTO_QUEUED_USEC 2000.0
#define AUTO_MAX_IN_FLIGHT 256

/* What the dispatch told workers about one (worker, iterator) pair of a
 * run: pool-only state, kept out of the run layer. */
typedef struct
{
  GVariant        *spec;
  guint            spec_id;
  guint            binding_id;
  MpaioChunkQueue *queue;           /* which peer gets which chunk */
} PairBinding;

typedef struct
{
  guint        n_pairs;
  PairBinding  pairs[];
} RunBindings;

static void
run_bindings_free (RunBindings *bindings)
{
  for (guint i = 0; i < bindings->n_pairs; i++)
    {
      g_clear_pointer (&bindings->pairs[i].spec, g_variant_unref);
      g_clear_pointer (&bindings->pairs[i].queue, mpaio_chunk_queue_free);
    }
  g_free (bindings);
}

void
mpaio_dispatch_init (MpaioDispatch        *self,
                     MpaioExecutorBase    *base,
                     const MpaioTransport *transport,
                     gpointer              transport_data)
{
  self->base = base;
  self->transport = transport;
  self->transport_data = transport_data;
  self->max_workers = g_get_num_processors ();
  self->max_retries = 2;
  self->peers = g_ptr_array_new_with_free_func ((GDestroyNotify) mpaio_peer_free);
  self->run_bindings = g_hash_table_new_full (NULL, NULL, NULL,
                                              (GDestroyNotify) run_bindings_free);
  mpaio_dispatch_init_cache (self);
  g_queue_init (&self->start_tasks);
}

/* Frees every peer at once, without waiting for them: for dispose. */
void
mpaio_dispatch_free_peers (MpaioDispatch *self)
{
  g_ptr_array_set_size (self->peers, 0);
  mpaio_destroy_source (&self->respawn_timer);
}

void
mpaio_dispatch_clear (MpaioDispatch *self)
{
  g_clear_pointer (&self->peers, g_ptr_array_unref);
  g_clear_pointer (&self->run_bindings, g_hash_table_unref);
  mpaio_dispatch_clear_cache (self);
}

guint
mpaio_dispatch_get_n_peers (MpaioDispatch *self)
{
  return self->peers->len;
}

MpaioPeer *
mpaio_dispatch_get_peer (MpaioDispatch *self,
                         guint          index)
{
  return g_ptr_array_index (self->peers, index);
}

gpointer
mpaio_peer_get_data (MpaioPeer *peer)
{
  return peer->data;
}

MpaioDispatch *
mpaio_peer_get_dispatch (MpaioPeer *peer)
{
  return peer->dispatch;
}

void
mpaio_peer_free (MpaioPeer *peer)
{
  mpaio_destroy_source (&peer->stale_timer);
  mpaio_destroy_source (&peer->timeout_timer);
  if (peer->data != NULL)
    peer->dispatch->transport->free (g_steal_pointer (&peer->data));
  g_clear_pointer (&peer->unsent, g_ptr_array_unref);
  while (peer->in_flight.length > 0)
    mpaio_job_free (mpaio_peer_pop_job (peer));
  g_clear_pointer (&peer->sent, g_hash_table_unref);
  g_clear_pointer (&peer->estimates, g_hash_table_unref);
  g_clear_error (&peer->failure);
  g_free (peer);
}

/* Takes @peer out of the dispatch without freeing it. */
void
mpaio_dispatch_forget_peer (MpaioDispatch *self,
                            MpaioPeer     *peer)
{
  guint index;

  if (!g_ptr_array_find (self->peers, peer, &index))
    return;

  g_ptr_array_steal_index_fast (self->peers, index);
  mpaio_dispatch_peers_changed (self);
}

void
mpaio_dispatch_peers_changed (MpaioDispatch *self)
{
  if (self->peers_changed != NULL)
    self->peers_changed (self->base->owner);
}

static PairBinding *
pair_binding (MpaioDispatch *self,
              MpaioRun      *run,
              guint          pair)
{
  RunBindings *bindings = g_hash_table_lookup (self->run_bindings, run);

  return &bindings->pairs[pair];
}

/* Sending */

static void
peer_send_memory (MpaioPeer         *peer,
                  MpaioSharedMemory *memory,
                  gboolean           output)
{
  if (mpaio_sent_set_add (peer->sent, MPAIO_SENT_MEMORY, mpaio_shared_memory_get_id (memory)))
    peer->dispatch->transport->send_memory (peer, memory, output);
}

static void
peer_send_setup (MpaioPeer   *peer,
                 MpaioJob    *job,
                 PairBinding *binding)
{
  const MpaioTransport *transport = peer->dispatch->transport;
  MpaioRunPair *pair = mpaio_run_get_pair (job->run, job->pair);
  MpaioSharedMemory *memory = mpaio_data_iterator_get_memory (pair->iterator);

  peer_send_memory (peer, memory, FALSE);
  if (pair->output != NULL)
    peer_send_memory (peer, pair->output, TRUE);

  if (mpaio_sent_set_add (peer->sent, MPAIO_SENT_WORKER, binding->spec_id))
    transport->send_worker (peer, &(MpaioWireWorker) { binding->spec_id, binding->spec });

  if (mpaio_sent_set_add (peer->sent, MPAIO_SENT_BINDING, binding->binding_id))
    transport->send_bind (peer, &(MpaioWireBind) {
      .binding_id = binding->binding_id,
      .worker_id = binding->spec_id,
      .memory_id = mpaio_shared_memory_get_id (memory),
      .offset = mpaio_data_iterator_get_offset (pair->iterator),
      .element_size = mpaio_data_iterator_get_element_size (pair->iterator),
      .dtype = mpaio_data_iterator_get_dtype (pair->iterator),
      .output_id = pair->output ? mpaio_shared_memory_get_id (pair->output) : 0,
      .output_element_size = pair->output_element_size,
    });
}

/* Queues a job; peer_send_jobs() sends the queued ones together. */
static void
peer_add_job (MpaioPeer *peer,
              MpaioJob  *job)
{
  PairBinding *binding = pair_binding (peer->dispatch, job->run, job->pair);
  MpaioSentJob *sent = g_new0 (MpaioSentJob, 1);

  peer_send_setup (peer, job, binding);
  mpaio_chunk_queue_note (binding->queue, job->chunk, peer->serial);
  sent->link.data = sent;
  sent->job = job;
  sent->binding_id = binding->binding_id;
  g_queue_push_tail_link (&peer->in_flight, &sent->link);
  g_ptr_array_add (peer->unsent, sent);
  if (peer->in_flight.length == 1)
    mpaio_peer_head_changed (peer);
}

/* Takes the first job in flight: the one the next reply is for, once
 * check_replies() said so. */
MpaioJob *
mpaio_peer_pop_job (MpaioPeer *peer)
{
  GList *link = g_queue_pop_head_link (&peer->in_flight);
  MpaioSentJob *sent;
  MpaioJob *job;

  if (link == NULL)
    return NULL;

  sent = link->data;
  job = sent->job;
  g_free (sent);
  return job;
}

/* A run can end while the dispatch fills peers (an iterator gave a bad
 * range); its binding is gone, so its jobs are dropped unsent. */
static void
peer_drop_finished (MpaioPeer *peer)
{
  for (guint j = 0; j < peer->unsent->len; )
    {
      MpaioSentJob *sent = g_ptr_array_index (peer->unsent, j);

      if (!mpaio_run_is_finished (sent->job->run))
        {
          j++;
          continue;
        }

      g_queue_unlink (&peer->in_flight, &sent->link);
      g_ptr_array_remove_index (peer->unsent, j);
      mpaio_job_free (sent->job);
      g_free (sent);
    }
}

/* Sends the queued jobs as one batch per run of jobs of the same binding. */
static void
peer_send_jobs (MpaioPeer *peer)
{
  g_autoptr(GArray) ranges = NULL;
  guint i = 0;

  if (peer->unsent->len == 0)
    return;

  peer_drop_finished (peer);
  ranges = g_array_new (FALSE, FALSE, sizeof (MpaioWireRange));

  while (i < peer->unsent->len)
    {
      guint32 binding_id = ((MpaioSentJob *) g_ptr_array_index (peer->unsent, i))->binding_id;

      g_array_set_size (ranges, 0);
      for (; i < peer->unsent->len; i++)
        {
          MpaioSentJob *sent = g_ptr_array_index (peer->unsent, i);
          MpaioWireRange range = { sent->job->chunk, sent->job->start, sent->job->end };

          if (sent->binding_id != binding_id)
            break;
          g_array_append_val (ranges, range);
        }

      peer->dispatch->transport->send_jobs (peer, &(MpaioWireProcess) {
        binding_id, (const MpaioWireRange *) ranges->data, ranges->len
      });
    }

  g_ptr_array_set_size (peer->unsent, 0);
}

/* Replies */

/* Keeps a moving average of the time a chunk takes, as the worker measured
 * it, for peer_depth(): one per binding, so that neither another run nor
 * another worker type on the same peer sets the depth of this one. */
static void
peer_measure (MpaioPeer            *peer,
              const MpaioWireResult *result)
{
  double sample = (double) result->busy_usec / MAX (result->n_results, 1);

  for (gsize i = 0; i < result->n_results; i++)
    {
      gpointer key = GUINT_TO_POINTER (result->ids[i].binding_id);
      double *average;

      if (i > 0 && result->ids[i].binding_id == result->ids[i - 1].binding_id)
        continue;

      if ((average = g_hash_table_lookup (peer->estimates, key)) != NULL)
        *average = 0.7 * *average + 0.3 * sample;
      else
        g_hash_table_insert (peer->estimates, key, g_memdup2 (&sample, sizeof sample));
    }
}

/* Whether every reply of @ids is for the chunk in flight at its place:
 * replies come in the order the chunks were sent. */
static gboolean
check_replies (MpaioPeer            *peer,
               const MpaioResultId  *ids,
               gsize                 n_ids,
               GError              **error)
{
  GList *link = peer->in_flight.head;

  for (gsize i = 0; i < n_ids; i++, link = link->next)
    {
      MpaioSentJob *sent = link ? link->data : NULL;

      if (peer->state != MPAIO_PEER_READY || sent == NULL ||
          sent->binding_id != ids[i].binding_id || sent->job->chunk != ids[i].chunk)
        {
          g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                       _("A reply for chunk %" PRIu64 " of binding %u was not asked for"),
                       ids[i].chunk, ids[i].binding_id);
          return FALSE;
        }
    }

  return TRUE;
}

static gboolean
handle_results (MpaioPeer     *peer,
                MpaioMessage  *message,
                GError       **error)
{
  g_auto(MpaioWireResult) result = { 0, NULL, 0, NULL };

  /* Check the whole batch first: from a worker that breaks the protocol,
   * nothing is delivered, not even the results before the bad one. */
  if (!mpaio_wire_result_parse (message->body, &result, error) ||
      !check_replies (peer, result.ids, result.n_results, error))
    return FALSE;

  peer_measure (peer, &result);

  for (gsize i = 0; i < result.n_results; i++)
    {
      g_autoptr(GVariant) value = mpaio_wire_result_dup_value (&result, i);
      g_autoptr(MpaioJob) job = NULL;

      peer->n_popped++;
      job = mpaio_peer_pop_job (peer);
      mpaio_run_deliver (job->run, job, value);
      if (!peer->open)
        return TRUE;  /* a callback shut the executor down */
    }

  mpaio_peer_head_changed (peer);
  return TRUE;
}

static gboolean
handle_error (MpaioPeer     *peer,
              MpaioMessage  *message,
              GError       **error)
{
  g_autoptr(MpaioJob) job = NULL;
  g_autoptr(GError) job_error = NULL;
  MpaioWireError reply;
  MpaioResultId id = { 0, 0, 0 };

  if (!mpaio_wire_error_parse (message->body, &reply, error))
    return FALSE;

  id = (MpaioResultId) { reply.binding_id, 0, reply.chunk };
  if (!check_replies (peer, &id, 1, error))
    return FALSE;

  peer->n_popped++;
  job = mpaio_peer_pop_job (peer);
  job_error = mpaio_wire_error_to_gerror (&reply);
  mpaio_job_prefix_error (job, &job_error);
  mpaio_run_fail (job->run, g_steal_pointer (&job_error));
  mpaio_peer_head_changed (peer);
  return TRUE;
}

static gboolean
handle_hello (MpaioPeer     *peer,
              MpaioMessage  *message,
              GError       **error)
{
  MpaioDispatch *self = peer->dispatch;
  g_autofree char *name = NULL;
  MpaioWireHello hello;

  if (!mpaio_wire_hello_parse (message->body, &hello, error))
    return FALSE;
  if (self->transport->hello != NULL)
    self->transport->hello (peer, &hello);

  if (peer->state != MPAIO_PEER_STARTING)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                           _("A worker said hello twice"));
      return FALSE;
    }

  if (hello.version != MPAIO_PROTOCOL_VERSION)
    {
      /* Not a protocol error: the wrong program, so the spawn failed. */
      name = self->transport->describe (peer);
      mpaio_peer_abandon (peer, g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                                             _("%s speaks version %u of the Mpaio "
                                               "protocol, but this process speaks version %u; "
                                               "run workers against the same Mpaio library"),
                                             name, hello.version, MPAIO_PROTOCOL_VERSION));
      return TRUE;
    }

  peer->state = MPAIO_PEER_READY;
  self->startup_failures = 0;
  mpaio_dispatch_complete_start (self);
  return TRUE;
}

/* The transport hands over a message from @peer; FALSE with @error set
 * if it breaks the protocol (then the transport gives up on the peer). */
gboolean
mpaio_peer_receive (MpaioPeer     *peer,
                    MpaioMessage  *message,
                    GError       **error)
{
  switch (message->kind)
    {
    case MPAIO_MESSAGE_HELLO:
      return handle_hello (peer, message, error);

    case MPAIO_MESSAGE_RESULT:
      return handle_results (peer, message, error);

    case MPAIO_MESSAGE_ERROR:
      return handle_error (peer, message, error);

    case MPAIO_MESSAGE_MEMORY:
    case MPAIO_MESSAGE_FORGET_MEMORY:
    case MPAIO_MESSAGE_WORKER:
    case MPAIO_MESSAGE_FORGET_WORKER:
    case MPAIO_MESSAGE_BIND:
    case MPAIO_MESSAGE_UNBIND:
    case MPAIO_MESSAGE_PROCESS:
    case MPAIO_MESSAGE_LARGE:
    case MPAIO_MESSAGE_NOT_SERVING:     /* the process transport's business */
    case MPAIO_MESSAGE_LAST:
    default:
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("A worker sent a message of kind %u, which only the pool sends"),
                   message->kind);
      return FALSE;
    }
}

/* Dispatching */

/* How many chunks a peer may hold when it is given one of @binding_id:
 * with chunks-in-flight at 0, enough to cover the round trip with room to
 * spare (about 2 ms of work), between 2 and 256, measured on this peer for
 * this binding as the run goes. A run starts at 2 on every peer, whatever
 * ran there before: a fast run's depth would let one worker take most of
 * a slow run's chunks. */
static guint
peer_depth (MpaioPeer *peer,
            guint32    binding_id)
{
  MpaioDispatch *self = peer->dispatch;
  double *average;
  double wanted;

  if (self->chunks_in_flight > 0)
    return self->chunks_in_flight;

  average = g_hash_table_lookup (peer->estimates, GUINT_TO_POINTER (binding_id));
  if (average == NULL)
    return MPAIO_DISPATCH_START_IN_FLIGHT;

  wanted = 1 + AUTO_QUEUED_USEC / MAX (*average, 1.0);
  return CLAMP (wanted, MPAIO_DISPATCH_START_IN_FLIGHT, AUTO_MAX_IN_FLIGHT);
}

static gboolean
peer_has_room (MpaioPeer *peer)
{
  MpaioJob *head = mpaio_peer_head (peer);
  guint most = peer->dispatch->chunks_in_flight > 0 ? peer->dispatch->chunks_in_flight
                                                    : AUTO_MAX_IN_FLIGHT;

  return peer->state == MPAIO_PEER_READY && peer->open &&
         peer->in_flight.length < most && (head == NULL || !head->suspect);
}

/* Whether @peer holds fewer chunks than its depth for @binding. */
static gboolean
peer_below_depth (MpaioPeer   *peer,
                  PairBinding *binding)
{
  return peer->in_flight.length < peer_depth (peer, binding->binding_id);
}

/* Whether @peer may take @job now: a suspect runs alone, and a job fits
 * within the depth of its binding. */
static gboolean
peer_fits (MpaioPeer *peer,
           MpaioJob  *job)
{
  if (job->suspect)
    return peer->in_flight.length == 0;

  return peer_below_depth (peer, pair_binding (peer->dispatch, job->run, job->pair));
}

/* Once every ready peer is full: how many more peers the chunks still
 * waiting could keep busy, beyond those still starting. A run of one chunk
 * starts one peer; a pending start starts them all. */
static guint64
count_wanted_peers (MpaioDispatch *self)
{
  GPtrArray *runs = self->base->runs;
  guint64 n_pending = 0;
  guint n_starting = 0;

  for (guint i = 0; i < runs->len; i++)
    n_pending += mpaio_run_get_n_pending (g_ptr_array_index (runs, i));

  if (self->start_tasks.length > 0)
    n_pending = MAX (n_pending, self->max_workers);

  for (guint i = 0; i < self->peers->len; i++)
    n_starting += ((MpaioPeer *) g_ptr_array_index (self->peers, i))->state == MPAIO_PEER_STARTING;

  return n_pending > n_starting ? n_pending - n_starting : 0;
}

/* Chooses a chunk of @pair of @run for the peer @data: one of those it
 * had in the run before (see mpaio-affinity-private.h), and only if it
 * fits its depth, since a chunk chosen for a peer is for no other. */
static gboolean
pick_chunk (gpointer  data,
            MpaioRun *run,
            guint     pair,
            guint64  *chunk)
{
  MpaioPeer *peer = data;
  PairBinding *binding = pair_binding (peer->dispatch, run, pair);

  return peer_below_depth (peer, binding) &&
         mpaio_chunk_queue_take (binding->queue, peer->serial, chunk);
}

/* One job for each peer with room; FALSE once no job or no room is left.
 * Retried jobs come first, for any peer they fit. */
static gboolean
fill_round (MpaioDispatch *self)
{
  gboolean progress = FALSE;

  for (guint i = 0; i < self->peers->len; i++)
    {
      MpaioPeer *peer = g_ptr_array_index (self->peers, i);
      MpaioJob *job;

      if (!peer_has_room (peer))
        continue;

      if (!(job = mpaio_executor_base_pull (self->base, pick_chunk, peer)))
        continue;

      if (!peer_fits (peer, job))
        {
          mpaio_run_unpull (job->run, job);
          continue;
        }

      peer_add_job (peer, job);
      progress = TRUE;
    }

  return progress;
}

/* Fills every ready peer up to its depth, one slot per peer per round so
 * that the work spreads evenly, then sends each peer its new chunks in one
 * go, and starts the peers the waiting chunks need. */
void
mpaio_dispatch_run (MpaioDispatch *self)
{
  if (self->base->closed || self->dispatching)
    return;

  self->dispatching = TRUE;

  while (fill_round (self))
    ;

  for (guint i = 0; i < self->peers->len; i++)
    peer_send_jobs (g_ptr_array_index (self->peers, i));

  mpaio_dispatch_spawn (self, count_wanted_peers (self));

  self->dispatching = FALSE;
}

/* Runs */

/* Serializes every worker of @run, so that a bad one fails the whole run
 * before anything is sent, then names its pairs for the peers. */
static RunBindings *
bind_run (MpaioDispatch  *self,
          MpaioRun       *run,
          GError        **error)
{
  guint n_pairs = mpaio_run_get_n_pairs (run);
  RunBindings *bindings = g_malloc0 (sizeof (RunBindings) + n_pairs * sizeof (PairBinding));

  bindings->n_pairs = n_pairs;
  for (guint i = 0; i < n_pairs; i++)
    if (!(bindings->pairs[i].spec = mpaio_worker_serialize (mpaio_run_get_pair (run, i)->worker,
                                                             error)))
      {
        run_bindings_free (bindings);
        return NULL;
      }

  for (guint i = 0; i < n_pairs; i++)
    {
      MpaioRunPair *pair = mpaio_run_get_pair (run, i);
      MpaioSharedMemory *memory = mpaio_data_iterator_get_memory (pair->iterator);
      MpaioChunkLayout layout = {
        G_OBJECT_TYPE (pair->iterator),
        mpaio_data_iterator_get_offset (pair->iterator),
        mpaio_data_iterator_get_element_size (pair->iterator),
        mpaio_data_iterator_get_n_elements (pair->iterator),
        pair->n_chunks,
      };

      bindings->pairs[i].spec_id = mpaio_dispatch_use_spec (self, bindings->pairs[i].spec);
      bindings->pairs[i].binding_id = ++self->last_binding_id;
      mpaio_dispatch_use_memory (self, memory);
      bindings->pairs[i].queue = mpaio_chunk_queue_new (mpaio_dispatch_get_chunk_owners (self, memory),
                                                        &layout);
      if (pair->output != NULL)
        mpaio_dispatch_use_memory (self, pair->output);
    }

  return bindings;
}

/* Checks the executor, then takes @run and starts dispatching it. */
gboolean
mpaio_dispatch_attach_run (MpaioDispatch  *self,
                           MpaioRun       *run,
                           GError        **error)
{
  RunBindings *bindings;

  if (!mpaio_executor_base_check (self->base, error) || !(bindings = bind_run (self, run, error)))
    return FALSE;

  /* Memories finalized since are forgotten before this run's messages. */
  mpaio_dispatch_forget_pending (self);

  g_hash_table_insert (self->run_bindings, run, bindings);
  mpaio_executor_base_attach (self->base, run);
  mpaio_dispatch_run (self);
  return TRUE;
}

/* The run is over: peers forget its bindings and, if no other run uses
 * them, its worker specs; they keep its memories mapped (see
 * mpaio-peer-cache.c). */
void
mpaio_dispatch_detach_run (MpaioDispatch *self,
                           MpaioRun      *run)
{
  RunBindings *bindings = g_hash_table_lookup (self->run_bindings, run);
  g_autoptr(MpaioRun) hold = mpaio_run_ref (run);

  if (!mpaio_executor_base_detach (self->base, run))
    return;

  for (guint i = 0; i < self->peers->len; i++)
    {
      MpaioPeer *peer = g_ptr_array_index (self->peers, i);

      for (guint p = 0; p < bindings->n_pairs; p++)
        {
          guint binding_id = bindings->pairs[p].binding_id;

          if (mpaio_sent_set_remove (peer->sent, MPAIO_SENT_BINDING, binding_id) && peer->open)
            self->transport->send_unbind (peer, binding_id);
          g_hash_table_remove (peer->estimates, GUINT_TO_POINTER (binding_id));
        }

      mpaio_peer_check_stale (peer);
    }

  for (guint p = 0; p < bindings->n_pairs; p++)
    {
      MpaioRunPair *pair = mpaio_run_get_pair (run, p);

      mpaio_dispatch_release_spec (self, bindings->pairs[p].spec);
      mpaio_dispatch_release_memory (self, mpaio_data_iterator_get_memory (pair->iterator));
      if (pair->output != NULL)
        mpaio_dispatch_release_memory (self, pair->output);
    }

  g_hash_table_remove (self->run_bindings, run);
}
