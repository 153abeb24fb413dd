/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-chunk-private.h"
#include "mpaio-error.h"
#include "mpaio-executor-base-private.h"
#include "mpaio-i18n-private.h"
#include "mpaio-thread-pool.h"

/**
 * MpaioThreadPool:
 *
 * An executor that runs workers on threads of the caller's process.
 *
 * It has the lowest overhead: no process to spawn, no message to send, and
 * the threads share the caller's mapping of the memory. It has no
 * isolation: a worker that crashes takes the caller with it, and a chunk
 * that hangs cannot be stopped (a cancelled run ends at once, but its
 * threads finish their chunks). [vfunc@Mpaio.Worker.process] is called on
 * the caller's own worker object from several threads at once, so it must
 * be thread-safe: read the properties, never change them.
 *
 * Use it for C workers whose kernels are trusted; use an
 * [class@Mpaio.ProcessPool] for isolation, and for Python or JavaScript
 * workers, whose interpreters run one thread at a time. Results still reach
 * [vfunc@Mpaio.Worker.process_callback] on the caller's main context.
 */

typedef struct
{
  MpaioJob *job;
  GVariant *result;
  GError   *error;
} Outcome;

#define THREAD_QUEUE_DEPTH 32

struct _MpaioThreadPool
{
  GObject            parent_instance;

  MpaioExecutorBase  base;
  guint              max_workers;
  GThreadPool       *threads;
  guint              n_in_flight;

  /* Outcomes travel from the threads to the main context in a queue; one
   * source drains it, woken once per batch. */
  GAsyncQueue  *outcomes;
  GSource      *drain_source;
  gint          drain_pending;      /* atomic */

  guint         dispatching : 1;
};

static const MpaioExecutorMessages messages = {
  .closed = N_("The thread pool was shut down; make a new one"),
  .closed_during_run = N_("The thread pool was shut down during the run"),
  .wrong_context = N_("The thread pool belongs to another main context; use it "
                      "from the thread-default main context it was created in"),
};

static void mpaio_thread_pool_executor_iface_init (MpaioExecutorInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (MpaioThreadPool, mpaio_thread_pool, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_EXECUTOR,
                                                      mpaio_thread_pool_executor_iface_init))

enum {
  PROP_0,
  PROP_MAX_WORKERS,
  N_PROPS
};

static void pool_dispatch (MpaioThreadPool *self);

static void
outcome_free (Outcome *outcome)
{
  g_clear_pointer (&outcome->job, mpaio_job_free);
  g_clear_pointer (&outcome->result, g_variant_unref);
  g_clear_error (&outcome->error);
  g_free (outcome);
}

/* In a thread of the pool. The job's run, pair and iterator are only read
 * here; everything else happens on the main context. */
static void
run_job (gpointer data,
         gpointer user_data)
{
  MpaioThreadPool *self = user_data;
  Outcome *outcome = g_new0 (Outcome, 1);
  MpaioJob *job = data;
  MpaioRunPair *pair = mpaio_run_get_pair (job->run, job->pair);
  g_autoptr(MpaioChunk) chunk = NULL;

  chunk = mpaio_chunk_new (mpaio_data_iterator_get_memory (pair->iterator),
                           mpaio_data_iterator_get_offset (pair->iterator),
                           mpaio_data_iterator_get_element_size (pair->iterator),
                           mpaio_data_iterator_get_dtype (pair->iterator),
                           job->chunk, job->start, job->end);
  if (pair->output != NULL)
    mpaio_chunk_set_output (chunk, pair->output, pair->output_element_size);
  outcome->job = job;
  outcome->result = mpaio_worker_process (pair->worker, chunk, &outcome->error);

  g_async_queue_push (self->outcomes, outcome);
  if (g_atomic_int_compare_and_exchange (&self->drain_pending, FALSE, TRUE))
    g_source_set_ready_time (self->drain_source, 0);
}

static gboolean
drain_source_dispatch (GSource     *source,
                       GSourceFunc  callback,
                       gpointer     user_data)
{
  return callback (user_data);
}

static GSourceFuncs drain_source_funcs = {
  .dispatch = drain_source_dispatch,
};

static gboolean
on_drain (gpointer user_data)
{
  MpaioThreadPool *self = user_data;
  g_autoptr(GObject) hold = g_object_ref (G_OBJECT (self));
  Outcome *outcome;

  g_source_set_ready_time (self->drain_source, -1);
  g_atomic_int_set (&self->drain_pending, FALSE);

  while ((outcome = g_async_queue_try_pop (self->outcomes)))
    {
      MpaioJob *job = outcome->job;

      self->n_in_flight--;

      if (outcome->result != NULL)
        mpaio_run_deliver (job->run, job, outcome->result);
      else
        {
          mpaio_job_prefix_error (job, &outcome->error);
          mpaio_run_fail (job->run, g_steal_pointer (&outcome->error));
        }

      outcome_free (outcome);
    }

  pool_dispatch (self);

  if (self->base.closed && self->n_in_flight == 0)
    mpaio_executor_base_complete_shutdown (&self->base);

  return G_SOURCE_CONTINUE;
}

/* Keeps up to THREAD_QUEUE_DEPTH chunks per thread in the pool's queue, so
 * that no thread waits for the main context between chunks and the main
 * context wakes once per batch of short chunks. The threads share the
 * queue, so the next chunk still goes to whichever thread is free. */
static void
pool_dispatch (MpaioThreadPool *self)
{
  MpaioJob *job;

  if (self->base.closed || self->dispatching)
    return;

  self->dispatching = TRUE;

  while (self->n_in_flight < THREAD_QUEUE_DEPTH * self->max_workers &&
         (job = mpaio_executor_base_pull (&self->base, NULL, NULL)))
    {
      self->n_in_flight++;
      g_thread_pool_push (self->threads, job, NULL);
    }

  self->dispatching = FALSE;
}

static gboolean
mpaio_thread_pool_attach_run (MpaioExecutor  *executor,
                              MpaioRun       *run,
                              GError        **error)
{
  MpaioThreadPool *self = MPAIO_THREAD_POOL (executor);

  if (!mpaio_executor_base_check (&self->base, error))
    return FALSE;

  mpaio_executor_base_attach (&self->base, run);
  pool_dispatch (self);
  return TRUE;
}

static void
mpaio_thread_pool_detach_run (MpaioExecutor *executor,
                              MpaioRun      *run)
{
  mpaio_executor_base_detach (&MPAIO_THREAD_POOL (executor)->base, run);
}

static guint
mpaio_thread_pool_get_max_workers (MpaioExecutor *executor)
{
  return MPAIO_THREAD_POOL (executor)->max_workers;
}

/* Threads cannot be stopped: the shutdown completes when their chunks are
 * done. */
static void
mpaio_thread_pool_shutdown_async (MpaioExecutor       *executor,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  MpaioThreadPool *self = MPAIO_THREAD_POOL (executor);

  mpaio_executor_base_close (&self->base);
  mpaio_executor_base_queue_shutdown (&self->base, cancellable, callback, user_data);
  if (self->n_in_flight == 0)
    mpaio_executor_base_complete_shutdown (&self->base);
}

static void
mpaio_thread_pool_executor_iface_init (MpaioExecutorInterface *iface)
{
  iface->get_max_workers = mpaio_thread_pool_get_max_workers;
  iface->attach_run = mpaio_thread_pool_attach_run;
  iface->detach_run = mpaio_thread_pool_detach_run;
  iface->shutdown_async = mpaio_thread_pool_shutdown_async;
  iface->shutdown_finish = mpaio_executor_base_shutdown_finish;
}

static void
mpaio_thread_pool_constructed (GObject *object)
{
  MpaioThreadPool *self = MPAIO_THREAD_POOL (object);

  G_OBJECT_CLASS (mpaio_thread_pool_parent_class)->constructed (object);

  self->threads = g_thread_pool_new (run_job, self, self->max_workers, TRUE, NULL);
}

static void
mpaio_thread_pool_dispose (GObject *object)
{
  MpaioThreadPool *self = MPAIO_THREAD_POOL (object);
  Outcome *outcome;

  mpaio_executor_base_close (&self->base);

  /* Waits for the chunks in the threads: they use the caller's objects. */
  if (self->threads != NULL)
    g_thread_pool_free (g_steal_pointer (&self->threads), FALSE, TRUE);

  while ((outcome = g_async_queue_try_pop (self->outcomes)))
    outcome_free (outcome);

  if (self->drain_source != NULL)
    {
      g_source_destroy (self->drain_source);
      g_clear_pointer (&self->drain_source, g_source_unref);
    }

  G_OBJECT_CLASS (mpaio_thread_pool_parent_class)->dispose (object);
}

static void
mpaio_thread_pool_finalize (GObject *object)
{
  MpaioThreadPool *self = MPAIO_THREAD_POOL (object);

  mpaio_executor_base_clear (&self->base);
  g_clear_pointer (&self->outcomes, g_async_queue_unref);

  G_OBJECT_CLASS (mpaio_thread_pool_parent_class)->finalize (object);
}

static void
mpaio_thread_pool_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MpaioThreadPool *self = MPAIO_THREAD_POOL (object);

  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      g_value_set_uint (value, self->max_workers);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_thread_pool_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MpaioThreadPool *self = MPAIO_THREAD_POOL (object);

  switch (prop_id)
    {
    case PROP_MAX_WORKERS:
      self->max_workers = mpaio_executor_max_workers_for (g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_thread_pool_class_init (MpaioThreadPoolClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = mpaio_thread_pool_constructed;
  object_class->dispose = mpaio_thread_pool_dispose;
  object_class->finalize = mpaio_thread_pool_finalize;
  object_class->get_property = mpaio_thread_pool_get_property;
  object_class->set_property = mpaio_thread_pool_set_property;

  g_object_class_override_property (object_class, PROP_MAX_WORKERS, "max-workers");
}

static void
mpaio_thread_pool_init (MpaioThreadPool *self)
{
  mpaio_executor_base_init (&self->base, G_OBJECT (self), &messages);
  self->outcomes = g_async_queue_new ();

  self->drain_source = g_source_new (&drain_source_funcs, sizeof (GSource));
  g_source_set_callback (self->drain_source, on_drain, self, NULL);
  g_source_set_static_name (self->drain_source, "[mpaio] thread pool results");
  g_source_attach (self->drain_source, self->base.context);
}

/**
 * mpaio_thread_pool_new:
 * @max_workers: the number of threads, or 0 for one per processor
 *
 * Creates a pool of threads to run thread-safe workers in this process.
 *
 * Returns: (transfer full): a new thread pool
 */
MpaioThreadPool *
mpaio_thread_pool_new (guint max_workers)
{
  return g_object_new (MPAIO_TYPE_THREAD_POOL,
                       "max-workers", max_workers,
                       NULL);
}
