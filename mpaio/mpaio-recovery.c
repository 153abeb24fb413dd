/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-peer-private.h"
#include "mpaio-util-private.h"

/* The recovery half of the dispatch: what happens when a peer dies, hangs,
 * breaks the protocol or fails to start, and when a chunk of a finished run
 * holds a peer; and the start and the end of the peers. */

#define STALE_GRACE_MS 200
#define MAX_STARTUP_FAILURES 3
#define RESPAWN_DELAY_USEC (50 * 1000)
#define MAX_RESPAWN_SHIFT 6             /* at most 3.2 s between tries */

static GSource *
attach_timeout (MpaioDispatch *self,
                guint          ms,
                GSourceFunc    func,
                gpointer       data,
                const char    *name)
{
  GSource *source = g_timeout_source_new (ms);

  g_source_set_callback (source, func, data, NULL);
  g_source_set_static_name (source, name);
  g_source_attach (source, self->base->context);
  return source;
}

/* No more messages go to @peer; its jobs stay until it is gone. */
static void
peer_shut (MpaioPeer *peer)
{
  peer->open = FALSE;
  mpaio_destroy_source (&peer->stale_timer);
  mpaio_destroy_source (&peer->timeout_timer);
  if (peer->unsent != NULL)
    g_ptr_array_set_size (peer->unsent, 0);
}

void
mpaio_peer_close (MpaioPeer *peer)
{
  peer_shut (peer);
  peer->dispatch->transport->close (peer);
}

void
mpaio_peer_kill (MpaioPeer *peer)
{
  peer->killed = TRUE;
  peer_shut (peer);
  peer->dispatch->transport->kill (peer);
}

/* The transport lost its way to @peer from the other end: the worker is
 * dying or broken, and mpaio_peer_exited() counts it as a crash. */
void
mpaio_peer_lost (MpaioPeer *peer)
{
  peer_shut (peer);
}

/* Gives up on a peer that broke the protocol or its channel: its chunks
 * fail with @error, which is not a crash. */
void
mpaio_peer_abandon (MpaioPeer *peer,
                    GError    *error)
{
  g_autofree char *name = peer->dispatch->transport->describe (peer);

  g_debug ("Giving up on %s: %s", name, error->message);

  if (peer->failure == NULL)
    peer->failure = error;
  else
    g_error_free (error);

  mpaio_peer_kill (peer);
}

static GError *
timed_out_error (MpaioDispatch *self,
                 MpaioJob      *job)
{
  return g_error_new (MPAIO_ERROR, MPAIO_ERROR_TIMED_OUT,
                      NG_("%s took longer than %u ms on chunk %" PRIu64
                          " (elements %" PRIu64 " to %" PRIu64
                          "), %u time; make the chunks smaller or raise the "
                          "pool's chunk-timeout",
                          "%s took longer than %u ms on chunk %" PRIu64
                          " (elements %" PRIu64 " to %" PRIu64
                          "), %u times; make the chunks smaller or raise the "
                          "pool's chunk-timeout",
                          job->attempts),
                      mpaio_job_get_worker_name (job), self->chunk_timeout,
                      job->chunk, job->start, job->end, job->attempts);
}

static GError *
crashed_error (MpaioPeer  *peer,
               MpaioJob   *job,
               const char *exit_description)
{
  const MpaioTransport *transport = peer->dispatch->transport;
  g_autofree char *name = transport->describe (peer);
  g_autofree char *output = transport->describe_output (peer);

  return g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED,
                      NG_("%s running %s %s while processing chunk %" PRIu64
                          " (elements %" PRIu64 " to %" PRIu64 "), after %u attempt; %s",
                          "%s running %s %s while processing chunk %" PRIu64
                          " (elements %" PRIu64 " to %" PRIu64 "), after %u attempts; %s",
                          job->attempts),
                      name, mpaio_job_get_worker_name (job), exit_description,
                      job->chunk, job->start, job->end, job->attempts, output);
}

/* Where one job of a peer that is gone goes: back to its run, or its run
 * fails. */
static void
reclaim_job (MpaioPeer  *peer,
             MpaioJob   *job,
             gboolean    alone,
             const char *exit_description)
{
  MpaioDispatch *self = peer->dispatch;
  MpaioRun *run = job->run;

  if (mpaio_run_is_finished (run))
    mpaio_job_free (job);
  else if (peer->failure != NULL)
    {
      mpaio_run_fail (run, g_error_copy (peer->failure));
      mpaio_job_free (job);
    }
  else if (job == peer->timed_out && ++job->attempts > self->max_retries)
    {
      mpaio_run_fail (run, timed_out_error (self, job));
      mpaio_job_free (job);
    }
  else if (job == peer->timed_out)
    {
      job->suspect = TRUE;
      mpaio_run_requeue (run, job);
    }
  else if (peer->killed)
    mpaio_run_requeue (run, job);
  else if (alone && ++job->attempts > self->max_retries)
    {
      mpaio_run_fail (run, crashed_error (peer, job, exit_description));
      mpaio_job_free (job);
    }
  else
    {
      g_debug ("A worker %s; chunk %" PRIu64 " goes to another worker",
               exit_description, job->chunk);
      job->suspect = TRUE;
      mpaio_run_requeue (run, job);
    }
}

/* The peer is gone: its chunks go back to their runs. A worker works
 * through several chunks before it reports them, so when it had more than
 * one, any of them may have killed it: they become suspects, and each is
 * retried alone on a worker, so that a crash names its chunk for sure.
 * Only a death with a single chunk in flight counts as an attempt. */
static void
reclaim_jobs (MpaioPeer  *peer,
              const char *exit_description)
{
  gboolean alone = peer->in_flight.length == 1;
  MpaioJob *job;

  while ((job = mpaio_peer_pop_job (peer)))
    reclaim_job (peer, job, alone, exit_description);
}

static gboolean
dispatch_has_ready_peer (MpaioDispatch *self)
{
  for (guint i = 0; i < self->peers->len; i++)
    if (((MpaioPeer *) g_ptr_array_index (self->peers, i))->state == MPAIO_PEER_READY)
      return TRUE;

  return FALSE;
}

/* A peer died before its handshake. A program that cannot be a worker (no
 * mpaio_serve_if_worker(), another protocol version) fails the runs at
 * once or after a few tries; a worker that was merely killed while it
 * started is replaced, after a delay that grows with each failure in a row,
 * so that a program that dies at start-up does not spin. While another
 * peer is ready, a failed start costs only that peer: the runs go on with
 * the others, and the dispatch keeps trying, less and less often. */
static void
startup_failed (MpaioDispatch *self,
                MpaioPeer     *peer,
                const char    *exit_description)
{
  g_autoptr(GError) error = NULL;

  if (peer->failure != NULL)
    {
      self->startup_failures = 0;
      mpaio_dispatch_fail_runs (self, peer->failure);
      return;
    }

  error = self->transport->startup_error (peer, exit_description, self->startup_failures++);
  if (self->startup_failures < MAX_STARTUP_FAILURES || dispatch_has_ready_peer (self))
    {
      guint shift = MIN (self->startup_failures - 1, MAX_RESPAWN_SHIFT);
      gint64 delay = RESPAWN_DELAY_USEC << shift;

      g_debug ("%s; respawning in %" PRId64 " ms", error->message, delay / 1000);
      self->respawn_after = g_get_monotonic_time () + delay;
      return;
    }

  self->startup_failures = 0;
  mpaio_dispatch_fail_runs (self, error);
}

/* The transport reports that @peer is gone for good (its process reaped):
 * @peer is freed. */
void
mpaio_peer_exited (MpaioPeer  *peer,
                   const char *exit_description)
{
  MpaioDispatch *self = peer->dispatch;
  g_autofree char *name = self->transport->describe (peer);
  gboolean closed = self->base->closed;

  peer_shut (peer);
  mpaio_dispatch_forget_peer (self, peer);
  g_debug ("%s %s", name, exit_description);

  /* A worker the dispatch gave up on (peer->failure) did not just die:
   * its program is broken, and replacing it would fail again, for ever. */
  if (peer->state == MPAIO_PEER_STARTING && !closed && (!peer->killed || peer->failure != NULL))
    startup_failed (self, peer, exit_description);
  else if (peer->failure != NULL && peer->in_flight.length == 0 && !closed)
    mpaio_dispatch_fail_runs (self, peer->failure);

  reclaim_jobs (peer, exit_description);
  mpaio_peer_free (peer);

  if (self->peers->len == 0)
    mpaio_executor_base_complete_shutdown (self->base);
  mpaio_dispatch_run (self);
}

static gboolean
on_stale_timeout (gpointer user_data)
{
  MpaioPeer *peer = user_data;
  MpaioJob *head = mpaio_peer_head (peer);

  g_clear_pointer (&peer->stale_timer, g_source_unref);

  if (head != NULL && mpaio_run_is_finished (head->run))
    {
      g_debug ("Killing a worker still busy with a chunk of a finished run");
      mpaio_peer_kill (peer);
    }

  return G_SOURCE_REMOVE;
}

/* A peer busy with a chunk nobody wants any more (its run was cancelled
 * or failed) gets a short grace period, then is killed and replaced. */
void
mpaio_peer_check_stale (MpaioPeer *peer)
{
  MpaioJob *head = mpaio_peer_head (peer);

  if (head == NULL || peer->stale_timer != NULL || !mpaio_run_is_finished (head->run))
    return;

  peer->stale_timer = attach_timeout (peer->dispatch, STALE_GRACE_MS, on_stale_timeout, peer,
                                      "[mpaio] stale chunk");
}

static void peer_watch_head (MpaioPeer *peer);

static gboolean
on_chunk_timeout (gpointer user_data)
{
  MpaioPeer *peer = user_data;
  MpaioJob *head = mpaio_peer_head (peer);

  g_clear_pointer (&peer->timeout_timer, g_source_unref);

  if (head != NULL && peer->watched == peer->n_popped &&
      g_get_monotonic_time () >= peer->deadline)
    {
      g_debug ("A worker took too long on chunk %" PRIu64, head->chunk);
      peer->timed_out = head;
      mpaio_peer_kill (peer);
      return G_SOURCE_REMOVE;
    }

  peer_watch_head (peer);
  return G_SOURCE_REMOVE;
}

/* Times the chunk at the head of the queue, which is the one the worker is
 * on: it started when the one before it ended (the worker reports a chunk
 * within a millisecond of finishing it), or when it was sent to an idle
 * worker. The deadline is that start plus chunk-timeout, and the timer is
 * armed for it, not for a full timeout from whenever this is called. */
static void
peer_watch_head (MpaioPeer *peer)
{
  guint timeout = peer->dispatch->chunk_timeout;
  gint64 now = g_get_monotonic_time ();

  mpaio_destroy_source (&peer->timeout_timer);
  peer->deadline = 0;
  if (timeout == 0 || !peer->open || peer->in_flight.length == 0)
    return;

  if (peer->watched != peer->n_popped || peer->watched_since == 0)
    {
      peer->watched = peer->n_popped;
      peer->watched_since = now;
    }

  peer->deadline = peer->watched_since + (gint64) timeout * 1000;
  peer->timeout_timer = attach_timeout (peer->dispatch,
                                        (MAX (peer->deadline - now, 0) + 999) / 1000,
                                        on_chunk_timeout, peer, "[mpaio] chunk timeout");
}

/* The head chunk changed (a reply came, or a job went to an idle peer):
 * its deadline starts now. */
void
mpaio_peer_head_changed (MpaioPeer *peer)
{
  if (peer->watched != peer->n_popped)
    peer->watched_since = 0;
  if (peer->watched_since == 0)
    peer_watch_head (peer);
  mpaio_peer_check_stale (peer);
}

/* When the chunk @peer is on times out (monotonic time), or 0 for none. */
gint64
mpaio_peer_get_deadline (MpaioPeer *peer)
{
  return peer->deadline;
}

static gboolean
on_respawn_time (gpointer user_data)
{
  MpaioDispatch *self = user_data;

  g_clear_pointer (&self->respawn_timer, g_source_unref);
  mpaio_dispatch_run (self);
  return G_SOURCE_REMOVE;
}

static MpaioPeer *
peer_start (MpaioDispatch  *self,
            GError        **error)
{
  MpaioPeer *peer = g_new0 (MpaioPeer, 1);

  peer->dispatch = self;
  peer->serial = ++self->last_peer_serial;
  peer->state = MPAIO_PEER_STARTING;
  peer->open = TRUE;
  peer->sent = mpaio_sent_set_new ();
  peer->estimates = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  peer->unsent = g_ptr_array_new ();
  g_queue_init (&peer->in_flight);

  if (!(peer->data = self->transport->start (self, peer, error)))
    {
      mpaio_peer_free (peer);
      return NULL;
    }

  g_ptr_array_add (self->peers, peer);
  mpaio_dispatch_peers_changed (self);
  return peer;
}

/* Starts up to @n_wanted more peers, within max-workers, unless failed
 * starts asked for a pause. */
void
mpaio_dispatch_spawn (MpaioDispatch *self,
                      guint64        n_wanted)
{
  gint64 wait = self->respawn_after - g_get_monotonic_time ();

  if (wait > 0)
    {
      if (self->respawn_timer == NULL)
        self->respawn_timer = attach_timeout (self, wait / 1000 + 1, on_respawn_time, self,
                                              "[mpaio] respawn");
      return;
    }

  for (; n_wanted > 0 && self->peers->len < self->max_workers; n_wanted--)
    {
      g_autoptr(GError) error = NULL;

      if (peer_start (self, &error) == NULL)
        {
          mpaio_dispatch_fail_runs (self, error);
          return;
        }
    }
}

/* Start and shutdown */

void
mpaio_dispatch_fail_runs (MpaioDispatch *self,
                          const GError  *error)
{
  GTask *task;

  mpaio_runs_fail (self->base->runs, error);

  while ((task = g_queue_pop_head (&self->start_tasks)))
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

void
mpaio_dispatch_complete_start (MpaioDispatch *self)
{
  GTask *task;
  guint n_ready = 0;

  for (guint i = 0; i < self->peers->len; i++)
    n_ready += ((MpaioPeer *) g_ptr_array_index (self->peers, i))->state == MPAIO_PEER_READY;

  if (n_ready < self->max_workers)
    return;

  while ((task = g_queue_pop_head (&self->start_tasks)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

/* Starts every peer now; @task (transfer full) completes when all are
 * ready, or fails with the reason one could not start. */
void
mpaio_dispatch_start_all (MpaioDispatch *self,
                          GTask         *task)
{
  g_queue_push_tail (&self->start_tasks, task);
  mpaio_dispatch_spawn (self, self->max_workers);
  mpaio_dispatch_complete_start (self);
}

/* Shuts the executor down: runs and start-ups fail, an idle peer is told
 * to stop, a busy one is killed. */
void
mpaio_dispatch_close (MpaioDispatch *self)
{
  g_autoptr(GError) error = NULL;
  GTask *task;

  if (!mpaio_executor_base_close (self->base))
    return;

  error = g_error_new_literal (MPAIO_ERROR, MPAIO_ERROR_CLOSED,
                               _(self->base->messages->closed_during_run));
  while ((task = g_queue_pop_head (&self->start_tasks)))
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }

  for (guint i = 0; i < self->peers->len; i++)
    {
      MpaioPeer *peer = g_ptr_array_index (self->peers, i);

      if (peer->state == MPAIO_PEER_READY && peer->in_flight.length == 0)
        mpaio_peer_close (peer);
      else
        mpaio_peer_kill (peer);
      peer->state = MPAIO_PEER_STOPPING;
    }
}

/* The executor's shutdown_async(): it completes when every peer is gone. */
void
mpaio_dispatch_shutdown (MpaioDispatch       *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  mpaio_dispatch_close (self);
  mpaio_executor_base_queue_shutdown (self->base, cancellable, callback, user_data);
  if (self->peers->len == 0)
    mpaio_executor_base_complete_shutdown (self->base);
}
