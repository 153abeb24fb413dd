/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <glib-unix.h>
#include <gio/gunixinputstream.h>

#include "mpaio-error.h"
#include "mpaio-executor-private.h"
#include "mpaio-i18n-private.h"
#include "mpaio-process-pool.h"
#include "mpaio-serve-private.h"
#include "mpaio-shared-memory-private.h"
#include "mpaio-startup-private.h"
#include "mpaio-util-private.h"
#include "mpaio-wire-private.h"

/**
 * MpaioProcessPool:
 *
 * A pool of long-lived worker processes, spawned with #GSubprocess.
 *
 * Workers are spawned when a run first needs them (or all at once with
 * [method@Mpaio.ProcessPool.start_async]) and kept for every later run, by
 * any number of [class@Mpaio.Orchestrator]s. Each worker talks to the pool
 * over a private socket; its standard output is left alone and its standard
 * error is passed through, and remembered to explain a crash.
 *
 * A worker process runs one of two programs:
 *
 * - by default ([ctor@Mpaio.ProcessPool.new]), the current program again,
 *   with the same command line. The program must call
 *   mpaio_serve_if_worker() (C) or its equivalent early in `main`, after
 *   registering its worker types and before any other work: in a worker it
 *   serves and never returns, in the caller it returns at once;
 * - a program you name ([ctor@Mpaio.ProcessPool.new_for_argv]) that
 *   registers the worker types and serves. Interactive shells and notebooks
 *   need this, since they cannot be started again.
 *
 * Each worker holds several chunks (see
 * [property@Mpaio.ProcessPool:chunks-in-flight]), so that it never waits
 * for the pool between two chunks, and the next chunks go to whichever
 * worker answers first. When a worker dies, its
 * chunks go to a fresh worker; the chunk it was processing is retried
 * [property@Mpaio.ProcessPool:max-retries] times before its run fails with
 * %MPAIO_ERROR_WORKER_CRASHED. Workers die with the pool's process and sit
 * in their own process group, so that Ctrl-C in a terminal reaches the
 * caller only.
 *
 * A pool belongs to the main context that was the thread-default one when
 * it was created; use it from there.
 */

#define STDERR_TAIL_SIZE 2048
#define STDERR_TAIL_LINES 8
#define STALE_GRACE_MS 200
#define MAX_STARTUP_FAILURES 3
#define MAX_WORKER_DOMAINS 64
#define RESPAWN_DELAY_USEC (50 * 1000)
#define AUTO_QUEUED_USEC 2000.0
#define AUTO_MAX_IN_FLIGHT 256

typedef enum
{
  SENT_MEMORY = 1,
  SENT_WORKER,
  SENT_BINDING,
} SentKind;

typedef enum
{
  WORKER_STARTING,
  WORKER_READY,
  WORKER_STOPPING,
} WorkerState;

typedef struct
{
  GBytes *packet;
  int     fd;                       /* owned, sent with the packet, or -1 */
} OutPacket;

typedef struct
{
  MpaioProcessPool *pool;
  GSubprocess      *subprocess;
  GCancellable     *cancellable;
  GPid              pid;
  WorkerState       state;

  int               fd;
  GSource          *in_source;
  GSource          *out_source;
  GQueue            out_queue;

  int               stderr_fd;
  GSource          *stderr_source;
  GString          *stderr_tail;

  GQueue            in_flight;      /* MpaioJob*, in the order sent */
  GPtrArray        *unsent;         /* MpaioJob* of in_flight not sent yet */
  double            chunk_usec;     /* moving average of the time per chunk */
  GHashTable       *sent;           /* sent_key() of what the worker knows */
  GSource          *stale_timer;
  GSource          *timeout_timer;
  guint64           n_popped;       /* replies so far: names the head chunk */
  guint64           watched;        /* n_popped when the head was timed */
  gint64            watched_since;
  MpaioJob         *timed_out;      /* the chunk it was killed for */
  GError           *failure;        /* why the pool gave up on the worker */
  guint             killed : 1;     /* on purpose: do not count a crash */
} WorkerProcess;

typedef struct
{
  MpaioSharedMemory *memory;
  guint              n_runs;
} MemoryUse;

struct _MpaioProcessPool
{
  GObject       parent_instance;

  GMainContext *context;
  char        **argv;
  guint         max_workers;
  guint         chunks_in_flight;
  guint         max_retries;
  guint         chunk_timeout;      /* ms, 0 for none */

  GPtrArray    *workers;            /* WorkerProcess* */
  GPtrArray    *runs;               /* MpaioRun*, attached */
  guint         next_run;
  GHashTable   *spec_ids;           /* GBytes of a spec → id */
  guint         last_spec_id;
  guint         last_binding_id;
  GHashTable   *memories;           /* id → MemoryUse */
  GQueue        start_tasks;
  GQueue        shutdown_tasks;
  guint         startup_failures; /* in a row */
  gint64        respawn_after;
  GSource      *respawn_timer;

  guint         closed : 1;
  guint         dispatching : 1;
};

static void mpaio_process_pool_executor_iface_init (MpaioExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpaioProcessPool, mpaio_process_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_EXECUTOR,
                                                      mpaio_process_pool_executor_iface_init))

enum {
  PROP_0,
  PROP_ARGV,
  PROP_CHUNKS_IN_FLIGHT,
  PROP_MAX_RETRIES,
  PROP_N_WORKERS,
  PROP_CHUNK_TIMEOUT,
  PROP_MAX_WORKERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void pool_dispatch (MpaioProcessPool *self);
static void worker_head_changed (WorkerProcess *w);
static void worker_abandon (WorkerProcess *w, GError *error);

static gpointer
sent_key (SentKind kind,
          guint64  id)
{
  return GSIZE_TO_POINTER (((gsize) kind << 56) | id);
}

static void
out_packet_free (OutPacket *out)
{
  g_bytes_unref (out->packet);
  mpaio_clear_fd (&out->fd);
  g_free (out);
}

static void
destroy_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

/* Closes the channel and forgets the sources; the process goes on until it
 * notices, or is killed. */
static void
worker_close (WorkerProcess *w)
{
  destroy_source (&w->in_source);
  destroy_source (&w->out_source);
  destroy_source (&w->stale_timer);
  destroy_source (&w->timeout_timer);
  g_queue_clear_full (&w->out_queue, (GDestroyNotify) out_packet_free);
  if (w->unsent != NULL)
    g_ptr_array_set_size (w->unsent, 0);
  mpaio_clear_fd (&w->fd);
}

static void
worker_kill (WorkerProcess *w)
{
  w->killed = TRUE;
  worker_close (w);
  g_subprocess_force_exit (w->subprocess);
}

/* The channel broke or closed from the other end: the process is dying or
 * broken. Make sure it goes; on_worker_exited() counts it as a crash. */
static void
worker_channel_lost (WorkerProcess *w)
{
  worker_close (w);
  g_subprocess_force_exit (w->subprocess);
}

static void
worker_free (WorkerProcess *w)
{
  worker_close (w);
  g_cancellable_cancel (w->cancellable);
  destroy_source (&w->stderr_source);
  mpaio_clear_fd (&w->stderr_fd);
  g_clear_pointer (&w->unsent, g_ptr_array_unref);
  g_queue_clear_full (&w->in_flight, (GDestroyNotify) mpaio_job_free);
  g_clear_pointer (&w->sent, g_hash_table_unref);
  if (w->stderr_tail != NULL)
    g_string_free (g_steal_pointer (&w->stderr_tail), TRUE);
  g_clear_error (&w->failure);
  g_clear_object (&w->cancellable);
  g_clear_object (&w->subprocess);
  g_free (w);
}

static gboolean
worker_flush (WorkerProcess *w)
{
  OutPacket *out;

  while ((out = g_queue_peek_head (&w->out_queue)))
    {
      int errsv = mpaio_wire_send (w->fd, out->packet, out->fd);

      if (errsv == EAGAIN)
        return FALSE;

      if (errsv == EPIPE || errsv == ECONNRESET)
        {
          worker_channel_lost (w);
          return FALSE;
        }

      if (errsv != 0)
        {
          worker_abandon (w, g_error_new (G_IO_ERROR, g_io_error_from_errno (errsv),
                                          _("Could not write to worker process %d: %s"),
                                          w->pid, g_strerror (errsv)));
          return FALSE;
        }

      out_packet_free (g_queue_pop_head (&w->out_queue));
    }

  return TRUE;
}

static gboolean
on_writable (int           fd,
             GIOCondition  condition,
             gpointer      user_data)
{
  WorkerProcess *w = user_data;

  if (!worker_flush (w) && w->fd >= 0)
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&w->out_source, g_source_unref);
  return G_SOURCE_REMOVE;
}

/* Sends a message, or queues it while the worker's socket is full. @fd, if
 * any, is duplicated: the memory it belongs to may go before the message
 * leaves the queue. */
static void
worker_send (WorkerProcess    *w,
             MpaioMessageKind  kind,
             GVariant         *body,
             int               fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) owned_body = g_variant_ref_sink (body);
  OutPacket *out;

  if (w->fd < 0)
    return;

  out = g_new0 (OutPacket, 1);
  if (!mpaio_wire_encode (kind, owned_body, &out->packet, &out->fd, &error))
    {
      g_free (out);
      worker_abandon (w, g_steal_pointer (&error));
      return;
    }
  if (out->fd < 0 && fd >= 0)
    out->fd = fcntl (fd, F_DUPFD_CLOEXEC, 3);

  g_queue_push_tail (&w->out_queue, out);

  if (w->out_source == NULL && !worker_flush (w) && w->fd >= 0)
    {
      w->out_source = g_unix_fd_source_new (w->fd, G_IO_OUT);
      g_source_set_callback (w->out_source, G_SOURCE_FUNC (on_writable), w, NULL);
      g_source_set_static_name (w->out_source, "[mpaio] worker output");
      g_source_attach (w->out_source, w->pool->context);
    }
}

static void
memory_use_free (MemoryUse *use)
{
  g_object_unref (use->memory);
  g_free (use);
}

static void
worker_send_memory (WorkerProcess     *w,
                    MpaioSharedMemory *memory,
                    gboolean           output)
{
  guint64 id = mpaio_shared_memory_get_id (memory);

  if (g_hash_table_add (w->sent, sent_key (SENT_MEMORY, id)))
    worker_send (w, MPAIO_MESSAGE_MEMORY,
                 g_variant_new ("(ttb)", id, (guint64) mpaio_shared_memory_get_size (memory), output),
                 mpaio_shared_memory_get_fd (memory));
}

static void
worker_send_setup (WorkerProcess *w,
                   MpaioRunPair  *pair)
{
  MpaioSharedMemory *memory = mpaio_data_iterator_get_memory (pair->iterator);
  const char *dtype = mpaio_data_iterator_get_dtype (pair->iterator);

  worker_send_memory (w, memory, FALSE);
  if (pair->output != NULL)
    worker_send_memory (w, pair->output, TRUE);

  if (g_hash_table_add (w->sent, sent_key (SENT_WORKER, pair->spec_id)))
    worker_send (w, MPAIO_MESSAGE_WORKER,
                 g_variant_new ("(u@(sa{sv}))", pair->spec_id, pair->spec), -1);

  if (g_hash_table_add (w->sent, sent_key (SENT_BINDING, pair->binding_id)))
    worker_send (w, MPAIO_MESSAGE_BIND,
                 g_variant_new ("(uutttstt)", pair->binding_id, pair->spec_id,
                                mpaio_shared_memory_get_id (memory),
                                mpaio_data_iterator_get_offset (pair->iterator),
                                (guint64) mpaio_data_iterator_get_element_size (pair->iterator),
                                dtype ? dtype : "",
                                pair->output ? mpaio_shared_memory_get_id (pair->output) : 0,
                                (guint64) pair->output_element_size),
                 -1);
}

/* Queues a job; worker_send_jobs() sends the queued ones together. */
static void
worker_add_job (WorkerProcess *w,
                MpaioJob      *job)
{
  worker_send_setup (w, mpaio_run_get_pair (job->run, job->pair));
  g_queue_push_tail (&w->in_flight, job);
  g_ptr_array_add (w->unsent, job);
  if (w->in_flight.length == 1)
    worker_head_changed (w);
}

/* Sends the queued jobs as one PROCESS message per run of jobs of the same
 * binding: a fixed-size array, so building it is a copy. */
static void
worker_send_jobs (WorkerProcess *w)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (guint64) * 3);
  guint i = 0;

  /* A run can end while the pool fills workers (an iterator gave a bad
   * range); its binding is gone, so its jobs are dropped unsent. */
  for (guint j = 0; j < w->unsent->len; )
    {
      MpaioJob *job = g_ptr_array_index (w->unsent, j);

      if (!mpaio_run_is_finished (job->run))
        {
          j++;
          continue;
        }

      g_queue_remove (&w->in_flight, job);
      g_ptr_array_remove_index (w->unsent, j);
      mpaio_job_free (job);
    }

  while (i < w->unsent->len)
    {
      MpaioJob *first = g_ptr_array_index (w->unsent, i);
      guint binding_id = mpaio_run_get_pair (first->run, first->pair)->binding_id;

      g_array_set_size (entries, 0);
      for (; i < w->unsent->len; i++)
        {
          MpaioJob *job = g_ptr_array_index (w->unsent, i);
          guint64 entry[3] = { job->chunk, job->start, job->end };

          if (job->run != first->run || job->pair != first->pair)
            break;
          g_array_append_val (entries, entry);
        }

      worker_send (w, MPAIO_MESSAGE_PROCESS,
                   g_variant_new ("(u@a(ttt))", binding_id,
                                  g_variant_new_fixed_array (G_VARIANT_TYPE ("(ttt)"),
                                                             entries->data, entries->len,
                                                             sizeof (guint64) * 3)),
                   -1);
    }

  g_ptr_array_set_size (w->unsent, 0);
}

static char *
worker_describe_stderr (WorkerProcess *w)
{
  const char *tail = w->stderr_tail->str;
  const char *p = tail + w->stderr_tail->len;
  guint lines = 0;

  while (p > tail && (p[-1] == '\n' || p[-1] == ' '))
    p--;
  if (p == tail)
    return g_strdup (_("its standard error was empty"));

  for (const char *q = p; q > tail; q--)
    if (q[-1] == '\n' && ++lines == STDERR_TAIL_LINES)
      {
        tail = q;
        break;
      }

  return g_strdup_printf (_("its standard error ended with:\n%.*s"), (int) (p - tail), tail);
}

static char *
worker_describe_exit (WorkerProcess *w)
{
  if (g_subprocess_get_if_signaled (w->subprocess))
    {
      int sig = g_subprocess_get_term_sig (w->subprocess);

      return g_strdup_printf (_("was killed by signal %d (%s)"), sig, g_strsignal (sig));
    }

  return g_strdup_printf (_("exited with status %d"), g_subprocess_get_exit_status (w->subprocess));
}

static void
pool_fail_runs (MpaioProcessPool *self,
                const GError     *error)
{
  GTask *task;

  mpaio_runs_fail (self->runs, error);

  while ((task = g_queue_pop_head (&self->start_tasks)))
    {
      g_task_return_error (task, g_error_copy (error));
      g_object_unref (task);
    }
}

static void
pool_complete_start (MpaioProcessPool *self)
{
  GTask *task;
  guint n_ready = 0;

  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerProcess *w = g_ptr_array_index (self->workers, i);

      n_ready += w->state == WORKER_READY;
    }

  if (n_ready < self->max_workers)
    return;

  while ((task = g_queue_pop_head (&self->start_tasks)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

static void
pool_complete_shutdown (MpaioProcessPool *self)
{
  GTask *task;

  if (self->workers->len > 0)
    return;

  while ((task = g_queue_pop_head (&self->shutdown_tasks)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

/* The worker is gone: its chunks go back to their runs. A worker works
 * through several chunks before it reports them, so when it had more than
 * one, any of them may have killed it: they become suspects, and each is
 * retried alone on a worker, so that a crash names its chunk for sure.
 * Only a death with a single chunk in flight counts as an attempt. */
static void
worker_reclaim_jobs (WorkerProcess *w,
                     const char    *exit_description)
{
  MpaioProcessPool *self = w->pool;
  gboolean alone = w->in_flight.length == 1;
  MpaioJob *job;

  while ((job = g_queue_pop_head (&w->in_flight)))
    {
      MpaioRun *run = job->run;

      if (mpaio_run_is_finished (run))
        {
          mpaio_job_free (job);
        }
      else if (w->failure != NULL)
        {
          mpaio_run_fail (run, g_error_copy (w->failure));
          mpaio_job_free (job);
        }
      else if (job == w->timed_out && ++job->attempts > self->max_retries)
        {
          mpaio_run_fail (run, g_error_new (MPAIO_ERROR, MPAIO_ERROR_TIMED_OUT,
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
                                            job->chunk, job->start, job->end, job->attempts));
          mpaio_job_free (job);
        }
      else if (job == w->timed_out)
        {
          job->suspect = TRUE;
          mpaio_run_requeue (run, job);
        }
      else if (w->killed)
        {
          mpaio_run_requeue (run, job);
        }
      else if (alone && ++job->attempts > self->max_retries)
        {
          g_autofree char *output = worker_describe_stderr (w);

          mpaio_run_fail (run, g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_CRASHED,
                                            NG_("Worker process %d running %s %s while processing "
                                                "chunk %" PRIu64 " (elements %"
                                                PRIu64 " to %" PRIu64 "), "
                                                "after %u attempt; %s",
                                                "Worker process %d running %s %s while processing "
                                                "chunk %" PRIu64 " (elements %"
                                                PRIu64 " to %" PRIu64 "), "
                                                "after %u attempts; %s",
                                                job->attempts),
                                            w->pid, mpaio_job_get_worker_name (job),
                                            exit_description, job->chunk, job->start, job->end,
                                            job->attempts, output));
          mpaio_job_free (job);
        }
      else
        {
          g_debug ("Worker process %d %s; chunk %" PRIu64 " goes to another worker",
                   w->pid, exit_description, job->chunk);
          job->suspect = TRUE;
          mpaio_run_requeue (run, job);
        }
    }
}

static void
worker_drain_stderr (WorkerProcess *w)
{
  char buffer[4096];
  gssize n;

  if (w->stderr_fd < 0)
    return;

  while ((n = read (w->stderr_fd, buffer, sizeof buffer)) > 0 || (n < 0 && errno == EINTR))
    {
      if (n <= 0)
        continue;

      /* Pass the worker's messages on, as if it wrote them itself. */
      if (write (STDERR_FILENO, buffer, n) < 0)
        { /* nowhere left to report it */ }

      g_string_append_len (w->stderr_tail, buffer, n);
      if (w->stderr_tail->len > STDERR_TAIL_SIZE)
        g_string_erase (w->stderr_tail, 0, w->stderr_tail->len - STDERR_TAIL_SIZE);
    }

  if (n == 0)
    {
      destroy_source (&w->stderr_source);
      mpaio_clear_fd (&w->stderr_fd);
    }
}

static gboolean
on_stderr (int           fd,
           GIOCondition  condition,
           gpointer      user_data)
{
  WorkerProcess *w = user_data;

  worker_drain_stderr (w);
  return G_SOURCE_CONTINUE;
}

/* A worker died before its handshake. A program that cannot be a worker
 * (no mpaio_serve_if_worker(), another protocol version) fails the runs at
 * once or after a few tries; a worker that was merely killed while it
 * started is replaced, after a delay that grows with each failure in a row,
 * so that a program that dies at start-up does not spin. */
static void
pool_startup_failed (MpaioProcessPool *self,
                     WorkerProcess    *w,
                     const char       *exit_description)
{
  g_autofree char *output = worker_describe_stderr (w);
  g_autoptr(GError) error = NULL;

  self->startup_failures++;

  if (w->failure == NULL && self->startup_failures < MAX_STARTUP_FAILURES)
    {
      gint64 delay = RESPAWN_DELAY_USEC << (self->startup_failures - 1);

      g_debug ("Worker process %d %s before it was ready; respawning in %" PRId64 " ms",
               w->pid, exit_description, delay / 1000);
      self->respawn_after = g_get_monotonic_time () + delay;
      return;
    }

  if (w->failure != NULL)
    error = g_error_copy (w->failure);
  else
    error = mpaio_startup_failed_error (w->subprocess, w->pid, exit_description,
                                        self->startup_failures - 1, output);

  self->startup_failures = 0;
  pool_fail_runs (self, error);
}

/* Takes @w out of the pool without freeing it. */
static void
pool_forget_worker (MpaioProcessPool *self,
                    WorkerProcess    *w)
{
  guint index;

  if (g_ptr_array_find (self->workers, w, &index))
    g_ptr_array_steal_index_fast (self->workers, index);
}

static void
on_worker_exited (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) self = NULL;
  g_autofree char *exit_description = NULL;
  WorkerProcess *w = user_data;

  if (!g_subprocess_wait_finish (G_SUBPROCESS (object), result, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;  /* the pool is gone, and @w with it */

  self = g_object_ref (w->pool);
  worker_close (w);
  worker_drain_stderr (w);
  pool_forget_worker (self, w);
  exit_description = worker_describe_exit (w);

  g_debug ("Worker process %d %s", w->pid, exit_description);

  /* A worker the pool gave up on (w->failure) did not just die: its
   * program is broken, and replacing it would fail again, for ever. */
  if (w->state == WORKER_STARTING && !self->closed && (!w->killed || w->failure != NULL))
    pool_startup_failed (self, w, exit_description);
  else if (w->failure != NULL && w->in_flight.length == 0 && !self->closed)
    pool_fail_runs (self, w->failure);

  worker_reclaim_jobs (w, exit_description);
  worker_free (w);

  pool_complete_shutdown (self);
  pool_dispatch (self);
}

/* Gives up on a worker that broke the protocol or its channel. */
static void
worker_abandon (WorkerProcess *w,
                GError        *error)
{
  g_debug ("Giving up on worker process %d: %s", w->pid, error->message);

  if (w->failure == NULL)
    w->failure = error;
  else
    g_error_free (error);

  /* A broken worker is not a crash: its chunks fail with the reason. */
  worker_kill (w);
}

static void
worker_protocol_error (WorkerProcess *w,
                       const GError  *error)
{
  worker_abandon (w, g_error_new (MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                                  _("Worker process %d broke the protocol: %s"),
                                  w->pid, error->message));
}

static gboolean
on_stale_timeout (gpointer user_data)
{
  WorkerProcess *w = user_data;
  MpaioJob *head = g_queue_peek_head (&w->in_flight);

  g_clear_pointer (&w->stale_timer, g_source_unref);

  if (head != NULL && mpaio_run_is_finished (head->run))
    {
      g_debug ("Killing worker process %d, still busy with a chunk of a finished run", w->pid);
      worker_kill (w);
    }

  return G_SOURCE_REMOVE;
}

/* A worker busy with a chunk nobody wants any more (its run was cancelled
 * or failed) gets a short grace period, then is killed and replaced. */
static void
worker_check_stale (WorkerProcess *w)
{
  MpaioJob *head = g_queue_peek_head (&w->in_flight);

  if (head == NULL || w->stale_timer != NULL || !mpaio_run_is_finished (head->run))
    return;

  w->stale_timer = g_timeout_source_new (STALE_GRACE_MS);
  g_source_set_callback (w->stale_timer, on_stale_timeout, w, NULL);
  g_source_set_static_name (w->stale_timer, "[mpaio] stale chunk");
  g_source_attach (w->stale_timer, w->pool->context);
}

static void worker_watch_head (WorkerProcess *w);

static gboolean
on_chunk_timeout (gpointer user_data)
{
  WorkerProcess *w = user_data;
  MpaioJob *head = g_queue_peek_head (&w->in_flight);

  g_clear_pointer (&w->timeout_timer, g_source_unref);

  if (head != NULL && w->watched == w->n_popped &&
      g_get_monotonic_time () - w->watched_since >= (gint64) w->pool->chunk_timeout * 1000)
    {
      g_debug ("Worker process %d took too long on chunk %" PRIu64, w->pid, head->chunk);
      w->timed_out = head;
      worker_kill (w);
      return G_SOURCE_REMOVE;
    }

  worker_watch_head (w);
  return G_SOURCE_REMOVE;
}

/* Times the chunk at the head of the queue, which is the one the worker is
 * on (it reports a chunk within a millisecond of finishing it). */
static void
worker_watch_head (WorkerProcess *w)
{
  guint timeout = w->pool->chunk_timeout;
  gint64 deadline, now;

  if (timeout == 0 || w->timeout_timer != NULL || w->fd < 0 || w->in_flight.length == 0)
    return;

  if (w->watched != w->n_popped || w->watched_since == 0)
    {
      w->watched = w->n_popped;
      w->watched_since = g_get_monotonic_time ();
    }

  now = g_get_monotonic_time ();
  deadline = w->watched_since + (gint64) timeout * 1000;
  w->timeout_timer = g_timeout_source_new (MAX (deadline - now, 0) / 1000 + 1);
  g_source_set_callback (w->timeout_timer, on_chunk_timeout, w, NULL);
  g_source_set_static_name (w->timeout_timer, "[mpaio] chunk timeout");
  g_source_attach (w->timeout_timer, w->pool->context);
}

static void
worker_head_changed (WorkerProcess *w)
{
  if (w->watched != w->n_popped)
    w->watched_since = 0;
  worker_watch_head (w);
  worker_check_stale (w);
}

/* The caller's quark for an error domain a worker names. Bindings and Vala
 * register their domains on first use, so the caller may not know one yet;
 * a worker may register a few, but not grow the quark table without end. */
static GQuark
worker_error_domain (const char *domain)
{
  static guint n_registered;
  GQuark quark;

  (void) MPAIO_ERROR;
  if ((quark = g_quark_try_string (domain)) != 0)
    return quark;

  if (n_registered >= MAX_WORKER_DOMAINS || strlen (domain) > 128 ||
      !g_str_has_suffix (domain, "-quark") || !g_utf8_validate (domain, -1, NULL))
    return 0;

  n_registered++;
  return g_quark_from_string (domain);
}

static GError *
error_from_worker (MpaioJob   *job,
                   const char *domain,
                   int         code,
                   const char *message)
{
  g_autoptr(GError) error = NULL;
  GQuark quark = worker_error_domain (domain);

  if (quark == 0)
    error = g_error_new (MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED, "%s (%s %d)", message, domain, code);
  else
    error = g_error_new_literal (quark, code, message);

  mpaio_job_prefix_error (job, &error);
  return g_steal_pointer (&error);
}

/* Takes the first job in flight: the one the next reply is for, once
 * worker_check_replies() said so. */
static MpaioJob *
worker_take_head (WorkerProcess *w)
{
  w->n_popped++;
  return g_queue_pop_head (&w->in_flight);
}

/* Keeps a moving average of the time a chunk takes, as the worker measured
 * it, for worker_depth(). */
static void
worker_measure (WorkerProcess *w,
                guint64        busy_usec,
                gsize          n_results)
{
  double sample = (double) busy_usec / MAX (n_results, 1);

  w->chunk_usec = w->chunk_usec > 0 ? 0.7 * w->chunk_usec + 0.3 * sample : sample;
}

/* Whether every reply of @ids is for the chunk in flight at its place:
 * replies come in the order the chunks were sent. */
static gboolean
worker_check_replies (WorkerProcess        *w,
                      const MpaioResultId  *ids,
                      gsize                 n_ids,
                      GError              **error)
{
  GList *link = w->in_flight.head;

  for (gsize i = 0; i < n_ids; i++, link = link->next)
    {
      MpaioJob *job = link ? link->data : NULL;

      if (w->state != WORKER_READY || job == NULL ||
          mpaio_run_get_pair (job->run, job->pair)->binding_id != ids[i].binding_id ||
          job->chunk != ids[i].chunk)
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
worker_handle_results (WorkerProcess *w,
                       MpaioMessage  *message,
                       GError       **error)
{
  g_autoptr(GVariant) id_array = NULL;
  g_autoptr(GVariant) values = NULL;
  const MpaioResultId *ids;
  guint64 busy_usec;
  gsize n_ids;

  g_variant_get (message->body, "(t@a(ut)@av)", &busy_usec, &id_array, &values);
  ids = g_variant_get_fixed_array (id_array, &n_ids, sizeof (MpaioResultId));

  /* Check the whole batch first: from a worker that breaks the protocol,
   * nothing is delivered, not even the results before the bad one. */
  if (n_ids != g_variant_n_children (values))
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("A batch names %zu chunks but holds %zu results"),
                   n_ids, g_variant_n_children (values));
      return FALSE;
    }

  if (!worker_check_replies (w, ids, n_ids, error))
    return FALSE;

  worker_measure (w, busy_usec, n_ids);

  for (gsize i = 0; i < n_ids; i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (values, i);
      g_autoptr(GVariant) value = g_variant_get_variant (boxed);
      g_autoptr(MpaioJob) job = worker_take_head (w);

      mpaio_run_deliver (job->run, job, value);
      if (w->fd < 0)
        return TRUE;  /* a callback shut the pool down */
    }

  worker_head_changed (w);
  return TRUE;
}

static gboolean
worker_handle_error (WorkerProcess *w,
                     MpaioMessage  *message,
                     GError       **error)
{
  g_autoptr(MpaioJob) job = NULL;
  MpaioResultId id = { 0, 0, 0 };
  const char *domain, *text;
  int code;

  g_variant_get (message->body, "(ut&si&s)", &id.binding_id, &id.chunk, &domain, &code, &text);
  if (!worker_check_replies (w, &id, 1, error))
    return FALSE;

  job = worker_take_head (w);

  mpaio_run_fail (job->run, error_from_worker (job, domain, code, text));
  worker_head_changed (w);
  return TRUE;
}

static gboolean
worker_handle_hello (WorkerProcess *w,
                     MpaioMessage  *message,
                     GError       **error)
{
  guint32 version;
  guint64 pid;

  g_variant_get (message->body, "(ut)", &version, &pid);
  if (w->pid == 0)
    w->pid = pid;

  if (w->state != WORKER_STARTING)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                           _("A worker said hello twice"));
      return FALSE;
    }

  if (version != MPAIO_PROTOCOL_VERSION)
    {
      /* Not a protocol error: the wrong program, so the spawn failed. */
      worker_abandon (w, g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                                      _("Worker process %d speaks version %u of the Mpaio "
                                        "protocol, but this process speaks version %u; run "
                                        "workers against the same Mpaio library"),
                                      w->pid, version, MPAIO_PROTOCOL_VERSION));
      return TRUE;
    }

  w->state = WORKER_READY;
  w->pool->startup_failures = 0;
  pool_complete_start (w->pool);
  return TRUE;
}

static gboolean
worker_handle_message (WorkerProcess *w,
                       MpaioMessage  *message,
                       GError       **error)
{
  switch (message->kind)
    {
    case MPAIO_MESSAGE_HELLO:
      return worker_handle_hello (w, message, error);

    case MPAIO_MESSAGE_RESULT:
      return worker_handle_results (w, message, error);

    case MPAIO_MESSAGE_ERROR:
      return worker_handle_error (w, message, error);

    case MPAIO_MESSAGE_NOT_SERVING:
      worker_abandon (w, mpaio_startup_not_serving_error (w->pid));
      return TRUE;

    case MPAIO_MESSAGE_MEMORY:
    case MPAIO_MESSAGE_FORGET_MEMORY:
    case MPAIO_MESSAGE_WORKER:
    case MPAIO_MESSAGE_BIND:
    case MPAIO_MESSAGE_UNBIND:
    case MPAIO_MESSAGE_PROCESS:
    case MPAIO_MESSAGE_LARGE:
    case MPAIO_MESSAGE_LAST:
    default:
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_PROTOCOL,
                   _("A worker sent a message of kind %u, which only the pool sends"),
                   message->kind);
      return FALSE;
    }
}

/* Reads every message that is ready, then refills the workers once. */
static gboolean
on_readable (int           fd,
             GIOCondition  condition,
             gpointer      user_data)
{
  static guint8 buffer[MPAIO_WIRE_MAX_INLINE];
  WorkerProcess *w = user_data;
  g_autoptr(MpaioProcessPool) self = g_object_ref (w->pool);

  while (w->fd >= 0)
    {
      g_autoptr(GError) error = NULL;
      MpaioMessage message = { .fd = -1 };
      MpaioWireStatus status;

      status = mpaio_wire_receive (w->fd, buffer, FALSE, &message, &error);

      if (status == MPAIO_WIRE_WOULD_BLOCK)
        break;

      if (status == MPAIO_WIRE_CLOSED)
        {
          worker_channel_lost (w);
          break;
        }

      if (status == MPAIO_WIRE_FAILED || !worker_handle_message (w, &message, &error))
        worker_protocol_error (w, error);

      mpaio_message_clear (&message);
    }

  pool_dispatch (self);

  if (w->fd < 0)
    {
      g_clear_pointer (&w->in_source, g_source_unref);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
child_setup (gpointer user_data)
{
  pid_t parent = GPOINTER_TO_INT (user_data);

  /* Die with the parent, and keep out of its terminal's signals. */
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  setpgid (0, 0);
  if (getppid () != parent)
    _exit (127);
}

static char **
current_command_line (GError **error)
{
  g_autofree char *exe = NULL;
  g_autofree char *cmdline = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  gsize length;

  if (!(exe = g_file_read_link ("/proc/self/exe", error)) ||
      !g_file_get_contents ("/proc/self/cmdline", &cmdline, &length, error))
    return NULL;

  g_strv_builder_add (builder, exe);
  for (gsize at = strlen (cmdline) + 1; at < length; at += strlen (cmdline + at) + 1)
    g_strv_builder_add (builder, cmdline + at);

  return g_strv_builder_end (builder);
}

static WorkerProcess *
pool_spawn_worker (MpaioProcessPool  *self,
                   GError           **error)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_auto(GStrv) rerun_argv = NULL;
  g_autofree char *fd_string = NULL;
  mpaio_autofd parent_fd = -1;
  mpaio_autofd child_fd = -1;
  const char * const *argv;
  WorkerProcess *w;
  const char *identifier;
  int fds[2];
  int stderr_fd;
  GInputStream *stderr_pipe;

  if (!mpaio_startup_check_can_spawn (error))
    return NULL;

  argv = (const char * const *) self->argv;
  if (argv == NULL)
    {
      if (!(rerun_argv = current_command_line (error)))
        return NULL;
      argv = (const char * const *) rerun_argv;
    }

  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) < 0)
    {
      int errsv = errno;

      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                   _("Could not make a channel for a worker process: %s"), g_strerror (errsv));
      return NULL;
    }
  parent_fd = fds[0];
  child_fd = fds[1];

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  fd_string = g_strdup_printf ("%d", MPAIO_WORKER_CHANNEL_FD);
  g_subprocess_launcher_setenv (launcher, MPAIO_WORKER_ENV, fd_string, TRUE);
  g_subprocess_launcher_take_fd (launcher, g_steal_fd (&child_fd), MPAIO_WORKER_CHANNEL_FD);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (getpid ()), NULL);

  w = g_new0 (WorkerProcess, 1);
  w->subprocess = g_subprocess_launcher_spawnv (launcher, argv, error);
  if (w->subprocess == NULL)
    {
      g_free (w);
      g_prefix_error (error, _("Could not start the worker program “%s”: "), argv[0]);
      if (error != NULL && *error != NULL && (*error)->domain != MPAIO_ERROR)
        {
          (*error)->domain = MPAIO_ERROR;
          (*error)->code = MPAIO_ERROR_SPAWN_FAILED;
        }
      return NULL;
    }

  w->pool = self;
  /* NULL once the process has been reaped: it may already be gone. */
  identifier = g_subprocess_get_identifier (w->subprocess);
  w->pid = identifier ? g_ascii_strtoll (identifier, NULL, 10) : 0;
  w->cancellable = g_cancellable_new ();
  w->fd = g_steal_fd (&parent_fd);
  w->sent = g_hash_table_new (NULL, NULL);
  w->unsent = g_ptr_array_new ();
  w->stderr_tail = g_string_new (NULL);
  g_queue_init (&w->in_flight);
  g_queue_init (&w->out_queue);
  g_unix_set_fd_nonblocking (w->fd, TRUE, NULL);

  w->in_source = g_unix_fd_source_new (w->fd, G_IO_IN);
  g_source_set_callback (w->in_source, G_SOURCE_FUNC (on_readable), w, NULL);
  g_source_set_static_name (w->in_source, "[mpaio] worker input");
  g_source_attach (w->in_source, self->context);

  stderr_pipe = g_subprocess_get_stderr_pipe (w->subprocess);
  stderr_fd = g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (stderr_pipe));
  w->stderr_fd = fcntl (stderr_fd, F_DUPFD_CLOEXEC, 3);
  g_unix_set_fd_nonblocking (w->stderr_fd, TRUE, NULL);
  w->stderr_source = g_unix_fd_source_new (w->stderr_fd, G_IO_IN);
  g_source_set_callback (w->stderr_source, G_SOURCE_FUNC (on_stderr), w, NULL);
  g_source_set_static_name (w->stderr_source, "[mpaio] worker stderr");
  g_source_attach (w->stderr_source, self->context);
  g_input_stream_close (stderr_pipe, NULL, NULL);

  g_subprocess_wait_async (w->subprocess, w->cancellable, on_worker_exited, w);
  g_ptr_array_add (self->workers, w);

  g_debug ("Spawned worker process %d", w->pid);
  return w;
}

/* Once every ready worker is full: how many more workers the chunks still
 * waiting could keep busy, beyond those still starting. A run of one chunk
 * spawns one worker; a pending start spawns them all. */
static guint64
pool_count_wanted_workers (MpaioProcessPool *self)
{
  guint64 n_pending = 0;
  guint n_starting = 0;

  for (guint i = 0; i < self->runs->len; i++)
    n_pending += mpaio_run_get_n_pending (g_ptr_array_index (self->runs, i));

  /* mpaio_process_pool_start_async() wants every worker. */
  if (self->start_tasks.length > 0)
    n_pending = MAX (n_pending, self->max_workers);

  for (guint i = 0; i < self->workers->len; i++)
    n_starting += ((WorkerProcess *) g_ptr_array_index (self->workers, i))->state == WORKER_STARTING;

  return n_pending > n_starting ? n_pending - n_starting : 0;
}

static gboolean
on_respawn_time (gpointer user_data)
{
  MpaioProcessPool *self = user_data;

  g_clear_pointer (&self->respawn_timer, g_source_unref);
  pool_dispatch (self);
  return G_SOURCE_REMOVE;
}

/* Spawns up to @n_wanted more workers, within max-workers. */
static void
pool_spawn (MpaioProcessPool *self,
            guint64           n_wanted)
{
  gint64 wait = self->respawn_after - g_get_monotonic_time ();

  if (wait > 0)
    {
      if (self->respawn_timer == NULL)
        {
          self->respawn_timer = g_timeout_source_new (wait / 1000 + 1);
          g_source_set_callback (self->respawn_timer, on_respawn_time, self, NULL);
          g_source_set_static_name (self->respawn_timer, "[mpaio] respawn");
          g_source_attach (self->respawn_timer, self->context);
        }
      return;
    }

  for (; n_wanted > 0 && self->workers->len < self->max_workers; n_wanted--)
    {
      g_autoptr(GError) error = NULL;

      if (pool_spawn_worker (self, &error) == NULL)
        {
          pool_fail_runs (self, error);
          return;
        }
    }
}

/* How many chunks a worker should hold: with chunks-in-flight at 0, enough
 * to cover the round trip to the pool with room to spare (about 2 ms of
 * work, at least 2), measured as the run goes. */
static guint
worker_depth (WorkerProcess *w)
{
  MpaioProcessPool *self = w->pool;
  double wanted;

  if (self->chunks_in_flight > 0)
    return self->chunks_in_flight;

  if (w->chunk_usec <= 0)
    return 2;

  wanted = 1 + AUTO_QUEUED_USEC / MAX (w->chunk_usec, 1.0);
  return CLAMP (wanted, 2, AUTO_MAX_IN_FLIGHT);
}

static gboolean
worker_has_suspect (WorkerProcess *w)
{
  MpaioJob *head = g_queue_peek_head (&w->in_flight);

  return head != NULL && head->suspect;
}

/* Fills every ready worker up to its depth, one slot per worker per round
 * so that the work spreads evenly, then sends each worker its new chunks
 * in one go. */
static void
pool_dispatch (MpaioProcessPool *self)
{
  gboolean progress = TRUE;

  if (self->closed || self->dispatching)
    return;

  self->dispatching = TRUE;

  while (progress)
    {
      progress = FALSE;
      for (guint i = 0; i < self->workers->len; i++)
        {
          WorkerProcess *w = g_ptr_array_index (self->workers, i);
          MpaioJob *job;

          if (w->state != WORKER_READY || w->fd < 0 || w->in_flight.length >= worker_depth (w) ||
              worker_has_suspect (w))
            continue;

          if (!(job = mpaio_runs_pull (self->runs, &self->next_run)))
            break;

          /* A suspect runs alone. */
          if (job->suspect && w->in_flight.length > 0)
            {
              mpaio_run_unpull (job->run, job);
              continue;
            }

          worker_add_job (w, job);
          progress = TRUE;
        }
    }

  for (guint i = 0; i < self->workers->len; i++)
    worker_send_jobs (g_ptr_array_index (self->workers, i));

  pool_spawn (self, pool_count_wanted_workers (self));

  self->dispatching = FALSE;
}

static guint
pool_spec_id (MpaioProcessPool *self,
              GVariant         *spec)
{
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (spec);
  gpointer id;

  if (!(id = g_hash_table_lookup (self->spec_ids, bytes)))
    {
      id = GUINT_TO_POINTER (++self->last_spec_id);
      g_hash_table_insert (self->spec_ids, g_steal_pointer (&bytes), id);
    }

  return GPOINTER_TO_UINT (id);
}

static void
pool_use_memory (MpaioProcessPool  *self,
                 MpaioSharedMemory *memory)
{
  gpointer key = GSIZE_TO_POINTER (mpaio_shared_memory_get_id (memory));
  MemoryUse *use = g_hash_table_lookup (self->memories, key);

  if (use == NULL)
    {
      use = g_new0 (MemoryUse, 1);
      use->memory = g_object_ref (memory);
      g_hash_table_insert (self->memories, key, use);
    }

  use->n_runs++;
}

/* When no run uses a memory any more, workers unmap it. Messages are
 * handled in order, so chunks still queued on it are not affected. */
static void
pool_release_memory (MpaioProcessPool  *self,
                     MpaioSharedMemory *memory)
{
  guint64 id = mpaio_shared_memory_get_id (memory);
  MemoryUse *use = g_hash_table_lookup (self->memories, GSIZE_TO_POINTER (id));

  if (use == NULL || --use->n_runs > 0)
    return;

  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerProcess *w = g_ptr_array_index (self->workers, i);

      if (g_hash_table_remove (w->sent, sent_key (SENT_MEMORY, id)))
        worker_send (w, MPAIO_MESSAGE_FORGET_MEMORY, g_variant_new ("(t)", id), -1);
    }

  g_hash_table_remove (self->memories, GSIZE_TO_POINTER (id));
}

static gboolean
check_context (MpaioProcessPool  *self,
               GError           **error)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();

  if (context == self->context)
    return TRUE;

  g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_WRONG_CONTEXT,
                       _("The process pool belongs to another main context; use it "
                         "from the thread-default main context it was created in"));
  return FALSE;
}

static gboolean
check_open (MpaioProcessPool  *self,
            GError           **error)
{
  if (!self->closed)
    return TRUE;

  g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_CLOSED,
                       _("The process pool was shut down; make a new one"));
  return FALSE;
}

static gboolean
mpaio_process_pool_attach_run (MpaioExecutor  *executor,
                               MpaioRun       *run,
                               GError        **error)
{
  MpaioProcessPool *self = MPAIO_PROCESS_POOL (executor);
  guint n_pairs = mpaio_run_get_n_pairs (run);

  if (!check_open (self, error) || !check_context (self, error))
    return FALSE;

  /* Serialize every worker first, so that a bad one fails the whole run
   * before anything is sent. */
  for (guint i = 0; i < n_pairs; i++)
    {
      MpaioRunPair *pair = mpaio_run_get_pair (run, i);

      if (!(pair->spec = mpaio_worker_serialize (pair->worker, error)))
        return FALSE;
    }

  for (guint i = 0; i < n_pairs; i++)
    {
      MpaioRunPair *pair = mpaio_run_get_pair (run, i);

      pair->spec_id = pool_spec_id (self, pair->spec);
      pair->binding_id = ++self->last_binding_id;
      pool_use_memory (self, mpaio_data_iterator_get_memory (pair->iterator));
      if (pair->output != NULL)
        pool_use_memory (self, pair->output);
    }

  g_ptr_array_add (self->runs, mpaio_run_ref (run));
  mpaio_run_start (run);
  pool_dispatch (self);

  return TRUE;
}

static void
mpaio_process_pool_detach_run (MpaioExecutor *executor,
                               MpaioRun      *run)
{
  MpaioProcessPool *self = MPAIO_PROCESS_POOL (executor);
  guint n_pairs = mpaio_run_get_n_pairs (run);
  guint index;

  if (!g_ptr_array_find (self->runs, run, &index))
    return;

  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerProcess *w = g_ptr_array_index (self->workers, i);

      for (guint p = 0; p < n_pairs; p++)
        {
          guint binding_id = mpaio_run_get_pair (run, p)->binding_id;

          if (g_hash_table_remove (w->sent, sent_key (SENT_BINDING, binding_id)))
            worker_send (w, MPAIO_MESSAGE_UNBIND, g_variant_new ("(u)", binding_id), -1);
        }

      worker_check_stale (w);
    }

  for (guint p = 0; p < n_pairs; p++)
    {
      MpaioRunPair *pair = mpaio_run_get_pair (run, p);

      pool_release_memory (self, mpaio_data_iterator_get_memory (pair->iterator));
      if (pair->output != NULL)
        pool_release_memory (self, pair->output);
    }

  g_ptr_array_remove_index (self->runs, index);
}

static guint
mpaio_process_pool_get_max_workers (MpaioExecutor *executor)
{
  return MPAIO_PROCESS_POOL (executor)->max_workers;
}

/* Stops every worker: an idle one exits when its channel closes, a busy
 * one is killed. */
static void
pool_stop_workers (MpaioProcessPool *self)
{
  for (guint i = 0; i < self->workers->len; i++)
    {
      WorkerProcess *w = g_ptr_array_index (self->workers, i);

      if (w->state == WORKER_READY && w->in_flight.length == 0)
        worker_close (w);
      else
        worker_kill (w);
      w->state = WORKER_STOPPING;
    }
}

static void
pool_close (MpaioProcessPool *self)
{
  g_autoptr(GError) error = NULL;

  if (self->closed)
    return;

  g_set_error_literal (&error, MPAIO_ERROR, MPAIO_ERROR_CLOSED,
                       _("The process pool was shut down during the run"));
  pool_fail_runs (self, error);
  self->closed = TRUE;
  pool_stop_workers (self);
}

static void
mpaio_process_pool_shutdown_async (MpaioExecutor       *executor,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  MpaioProcessPool *self = MPAIO_PROCESS_POOL (executor);
  g_autoptr(GTask) task = NULL;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mpaio_executor_shutdown_async);

  pool_close (self);
  g_queue_push_tail (&self->shutdown_tasks, g_steal_pointer (&task));
  pool_complete_shutdown (self);
}

static gboolean
mpaio_process_pool_shutdown_finish (MpaioExecutor  *executor,
                                    GAsyncResult   *result,
                                    GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, executor), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mpaio_executor_shutdown_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
mpaio_process_pool_executor_iface_init (MpaioExecutorInterface *iface)
{
  iface->get_max_workers = mpaio_process_pool_get_max_workers;
  iface->attach_run = mpaio_process_pool_attach_run;
  iface->detach_run = mpaio_process_pool_detach_run;
  iface->shutdown_async = mpaio_process_pool_shutdown_async;
  iface->shutdown_finish = mpaio_process_pool_shutdown_finish;
}

static void
mpaio_process_pool_dispose (GObject *object)
{
  MpaioProcessPool *self = (MpaioProcessPool *)object;

  pool_close (self);
  g_ptr_array_set_size (self->workers, 0);
  destroy_source (&self->respawn_timer);

  G_OBJECT_CLASS (mpaio_process_pool_parent_class)->dispose (object);
}

static void
mpaio_process_pool_finalize (GObject *object)
{
  MpaioProcessPool *self = (MpaioProcessPool *)object;

  g_clear_pointer (&self->workers, g_ptr_array_unref);
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_pointer (&self->spec_ids, g_hash_table_unref);
  g_clear_pointer (&self->memories, g_hash_table_unref);
  g_clear_pointer (&self->argv, g_strfreev);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (mpaio_process_pool_parent_class)->finalize (object);
}

static void
mpaio_process_pool_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MpaioProcessPool *self = MPAIO_PROCESS_POOL (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      g_value_set_boxed (value, self->argv);
      break;

    case PROP_CHUNKS_IN_FLIGHT:
      g_value_set_uint (value, self->chunks_in_flight);
      break;

    case PROP_MAX_RETRIES:
      g_value_set_uint (value, self->max_retries);
      break;

    case PROP_N_WORKERS:
      g_value_set_uint (value, self->workers->len);
      break;

    case PROP_CHUNK_TIMEOUT:
      g_value_set_uint (value, self->chunk_timeout);
      break;

    case PROP_MAX_WORKERS:
      g_value_set_uint (value, self->max_workers);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_process_pool_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MpaioProcessPool *self = MPAIO_PROCESS_POOL (object);

  switch (prop_id)
    {
    case PROP_ARGV:
      self->argv = g_value_dup_boxed (value);
      if (self->argv != NULL && self->argv[0] == NULL)
        g_clear_pointer (&self->argv, g_strfreev);
      break;

    case PROP_CHUNKS_IN_FLIGHT:
      mpaio_process_pool_set_chunks_in_flight (self, g_value_get_uint (value));
      break;

    case PROP_MAX_RETRIES:
      mpaio_process_pool_set_max_retries (self, g_value_get_uint (value));
      break;

    case PROP_CHUNK_TIMEOUT:
      mpaio_process_pool_set_chunk_timeout (self, g_value_get_uint (value));
      break;

    case PROP_MAX_WORKERS:
      self->max_workers = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_process_pool_class_init (MpaioProcessPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mpaio_process_pool_dispose;
  object_class->finalize = mpaio_process_pool_finalize;
  object_class->get_property = mpaio_process_pool_get_property;
  object_class->set_property = mpaio_process_pool_set_property;

  /**
   * MpaioProcessPool:argv:
   *
   * The command line of the worker program, or %NULL to start the current
   * program again.
   */
  properties[PROP_ARGV] =
    g_param_spec_boxed ("argv", NULL, NULL,
                        G_TYPE_STRV,
                        (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:chunks-in-flight:
   *
   * How many chunks each worker holds at once: one it works on, the others
   * queued so that it never waits for the pool. The default, 0, adapts to
   * the chunks: 2 for long ones, more for short ones, so that each worker
   * has about 2 ms of work queued (at most 256 chunks).
   */
  properties[PROP_CHUNKS_IN_FLIGHT] =
    g_param_spec_uint ("chunks-in-flight", NULL, NULL,
                       0, 1024, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:max-retries:
   *
   * How many times a chunk whose worker died is given to a fresh worker
   * before its run fails with %MPAIO_ERROR_WORKER_CRASHED.
   */
  properties[PROP_MAX_RETRIES] =
    g_param_spec_uint ("max-retries", NULL, NULL,
                       0, 100, 2,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:n-workers:
   *
   * How many worker processes the pool has now.
   */
  properties[PROP_N_WORKERS] =
    g_param_spec_uint ("n-workers", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioProcessPool:chunk-timeout:
   *
   * How long a worker may spend on one chunk, in milliseconds, or 0 for no
   * limit. A worker that takes longer is killed; the chunk is retried like a
   * crashed one ([property@Mpaio.ProcessPool:max-retries]), and then its run
   * fails with %MPAIO_ERROR_TIMED_OUT.
   */
  properties[PROP_CHUNK_TIMEOUT] =
    g_param_spec_uint ("chunk-timeout", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS - 1, properties);
  g_object_class_override_property (object_class, PROP_MAX_WORKERS, "max-workers");
}

static void
mpaio_process_pool_init (MpaioProcessPool *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->max_workers = g_get_num_processors ();
  self->chunks_in_flight = 0;
  self->max_retries = 2;
  self->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  self->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) mpaio_run_unref);
  self->spec_ids = g_hash_table_new_full (g_bytes_hash, g_bytes_equal,
                                          (GDestroyNotify) g_bytes_unref, NULL);
  self->memories = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) memory_use_free);
  g_queue_init (&self->start_tasks);
  g_queue_init (&self->shutdown_tasks);

  /* In a worker process that forgot to serve, the pool that started it
   * learns it now, and stops it. */
  mpaio_startup_check_can_spawn (NULL);
}

/**
 * mpaio_process_pool_new:
 * @max_workers: the number of worker processes, or 0 for one per processor
 *
 * Creates a pool whose workers run the current program again. The program
 * must call mpaio_serve_if_worker() early in `main`.
 *
 * A process started as a worker that has not called it cannot start
 * workers of its own: its pools fail every run and start with
 * %MPAIO_ERROR_SPAWN_FAILED, and the pool that started it fails its runs
 * with the same advice, instead of each worker running the program again.
 *
 * Returns: (transfer full): a new pool
 */
MpaioProcessPool *
mpaio_process_pool_new (guint max_workers)
{
  return mpaio_process_pool_new_for_argv (NULL, max_workers);
}

/**
 * mpaio_process_pool_new_for_argv:
 * @argv: (array zero-terminated=1) (nullable): the command line of the
 *   worker program, or %NULL to start the current program again
 * @max_workers: the number of worker processes, or 0 for one per processor
 *
 * Creates a pool whose workers run @argv: a program that registers the
 * worker types and then calls mpaio_serve_if_worker().
 *
 * Returns: (transfer full): a new pool
 */
MpaioProcessPool *
mpaio_process_pool_new_for_argv (const char * const *argv,
                                 guint               max_workers)
{
  return g_object_new (MPAIO_TYPE_PROCESS_POOL,
                       "argv", argv,
                       "max-workers", max_workers > 0 ? max_workers : g_get_num_processors (),
                       NULL);
}

/**
 * mpaio_process_pool_get_argv:
 * @self: a pool
 *
 * Gets the command line of the worker program, or %NULL if the pool starts
 * the current program again.
 *
 * Returns: (array zero-terminated=1) (nullable) (transfer none): the
 *   command line of the worker program, or %NULL if the pool starts the
 *   current program again
 */
const char * const *
mpaio_process_pool_get_argv (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), NULL);

  return (const char * const *) self->argv;
}

/**
 * mpaio_process_pool_get_chunks_in_flight:
 * @self: a pool
 *
 * Gets how many chunks each worker holds at once.
 *
 * Returns: how many chunks each worker holds at once
 */
guint
mpaio_process_pool_get_chunks_in_flight (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return self->chunks_in_flight;
}

/**
 * mpaio_process_pool_set_chunks_in_flight:
 * @self: a pool
 * @chunks_in_flight: how many chunks each worker holds at once, or 0 to
 *   adapt to the chunks' duration
 *
 * Sets [property@Mpaio.ProcessPool:chunks-in-flight].
 */
void
mpaio_process_pool_set_chunks_in_flight (MpaioProcessPool *self,
                                         guint             chunks_in_flight)
{
  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));
  g_return_if_fail (chunks_in_flight <= 1024);

  if (self->chunks_in_flight == chunks_in_flight)
    return;

  self->chunks_in_flight = chunks_in_flight;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHUNKS_IN_FLIGHT]);
  pool_dispatch (self);
}

/**
 * mpaio_process_pool_get_max_retries:
 * @self: a pool
 *
 * Gets how many times a chunk whose worker died is retried.
 *
 * Returns: how many times a chunk whose worker died is retried
 */
guint
mpaio_process_pool_get_max_retries (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return self->max_retries;
}

/**
 * mpaio_process_pool_set_max_retries:
 * @self: a pool
 * @max_retries: how many times to retry a chunk whose worker died
 *
 * Sets [property@Mpaio.ProcessPool:max-retries].
 */
void
mpaio_process_pool_set_max_retries (MpaioProcessPool *self,
                                    guint             max_retries)
{
  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));

  if (self->max_retries == max_retries)
    return;

  self->max_retries = max_retries;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_RETRIES]);
}

/**
 * mpaio_process_pool_get_chunk_timeout:
 * @self: a pool
 *
 * Gets how long a worker may spend on one chunk, in milliseconds, or 0.
 *
 * Returns: how long a worker may spend on one chunk, in milliseconds, or 0
 */
guint
mpaio_process_pool_get_chunk_timeout (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return self->chunk_timeout;
}

/**
 * mpaio_process_pool_set_chunk_timeout:
 * @self: a pool
 * @chunk_timeout: how long a worker may spend on one chunk, in
 *   milliseconds, or 0 for no limit
 *
 * Sets [property@Mpaio.ProcessPool:chunk-timeout]. It applies to the chunks
 * that start after the change.
 */
void
mpaio_process_pool_set_chunk_timeout (MpaioProcessPool *self,
                                      guint             chunk_timeout)
{
  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));

  if (self->chunk_timeout == chunk_timeout)
    return;

  self->chunk_timeout = chunk_timeout;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CHUNK_TIMEOUT]);
}

/**
 * mpaio_process_pool_get_n_workers:
 * @self: a pool
 *
 * Gets how many worker processes the pool has now.
 *
 * Returns: how many worker processes the pool has now
 */
guint
mpaio_process_pool_get_n_workers (MpaioProcessPool *self)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), 0);

  return self->workers->len;
}

/**
 * mpaio_process_pool_dup_worker_pids:
 * @self: a pool
 * @n_pids: (out): return location for the number of pids
 *
 * Gets the process ids of the pool's worker processes, to watch them.
 *
 * Returns: (array length=n_pids) (transfer full): the process ids
 */
int *
mpaio_process_pool_dup_worker_pids (MpaioProcessPool *self,
                                    guint            *n_pids)
{
  int *pids;

  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), NULL);
  g_return_val_if_fail (n_pids != NULL, NULL);

  pids = g_new0 (int, self->workers->len + 1);
  for (guint i = 0; i < self->workers->len; i++)
    pids[i] = ((WorkerProcess *) g_ptr_array_index (self->workers, i))->pid;
  *n_pids = self->workers->len;

  return pids;
}

/**
 * mpaio_process_pool_start_async:
 * @self: a pool
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every worker is ready
 * @user_data: data for @callback
 *
 * Spawns all the workers now instead of on the first run, and completes
 * when every one of them is ready. Spawning is the slowest thing a pool
 * does, so an application can do it while it starts up.
 */
void
mpaio_process_pool_start_async (MpaioProcessPool    *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (MPAIO_IS_PROCESS_POOL (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mpaio_process_pool_start_async);

  if (!check_open (self, &error) || !check_context (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_queue_push_tail (&self->start_tasks, g_steal_pointer (&task));
  pool_spawn (self, self->max_workers);
  pool_complete_start (self);
}

/**
 * mpaio_process_pool_start_finish:
 * @self: a pool
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Mpaio.ProcessPool.start_async].
 *
 * Returns: %TRUE if every worker is ready; %FALSE with
 *   %MPAIO_ERROR_SPAWN_FAILED if one could not start
 */
gboolean
mpaio_process_pool_start_finish (MpaioProcessPool  *self,
                                 GAsyncResult      *result,
                                 GError           **error)
{
  g_return_val_if_fail (MPAIO_IS_PROCESS_POOL (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mpaio_process_pool_start_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
