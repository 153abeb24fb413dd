/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include "mpaio-data-iterator-private.h"
#include "mpaio-error.h"
#include "mpaio-executor-private.h"
#include "mpaio-i18n-private.h"
#include "mpaio-orchestrator.h"
#include "mpaio-run-private.h"
#include "mpaio-shared-memory-private.h"

/**
 * MpaioOrchestrator:
 *
 * Runs several workers, each over its own array, at once on one executor.
 *
 * Add (worker, iterator) pairs with [method@Mpaio.Orchestrator.add], then
 * call [method@Mpaio.Orchestrator.run_async]. Every chunk of every iterator
 * is processed by its worker in a worker process, and each result is handed
 * to [vfunc@Mpaio.Worker.process_callback] on the main context the run was
 * started from, in the order the chunks complete, with the chunk's index.
 * The main loop is never blocked.
 *
 * The progress properties ([property@Mpaio.Orchestrator:n-chunks-done],
 * [property@Mpaio.Orchestrator:fraction]) notify on that main context too,
 * so a #GtkProgressBar can be bound to them.
 *
 * A run fails at the first error (a worker's own error, a crash past the
 * pool's retries, cancellation); results already delivered stay delivered,
 * and the executor stays usable for the next run.
 */

typedef struct
{
  MpaioWorker       *worker;
  MpaioDataIterator *iterator;
  MpaioSharedMemory *output;
  gsize              output_element_size;
} Entry;

struct _MpaioOrchestrator
{
  GObject        parent_instance;

  MpaioExecutor *executor;
  GArray        *entries;
  MpaioRun      *run;
  GTask         *run_task;
  GSource       *cancel_source;
  GSource       *progress_source;
  guint64        pending_done;      /* not notified yet */
  guint64        n_done;
  guint64        n_total;
};

G_DEFINE_FINAL_TYPE (MpaioOrchestrator, mpaio_orchestrator, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_EXECUTOR,
  PROP_N_CHUNKS_DONE,
  PROP_N_CHUNKS_TOTAL,
  PROP_FRACTION,
  PROP_RUNNING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  CHUNK_PROCESSED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
entry_clear (gpointer data)
{
  Entry *entry = data;

  g_clear_object (&entry->worker);
  g_clear_object (&entry->iterator);
  g_clear_object (&entry->output);
}

static void
mpaio_orchestrator_dispose (GObject *object)
{
  MpaioOrchestrator *self = (MpaioOrchestrator *)object;

  /* A running orchestrator is kept alive by its task, so no run is left. */
  g_assert (self->run == NULL);

  g_clear_object (&self->executor);
  g_clear_pointer (&self->entries, g_array_unref);

  G_OBJECT_CLASS (mpaio_orchestrator_parent_class)->dispose (object);
}

static void
mpaio_orchestrator_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  MpaioOrchestrator *self = MPAIO_ORCHESTRATOR (object);

  switch (prop_id)
    {
    case PROP_EXECUTOR:
      g_value_set_object (value, self->executor);
      break;

    case PROP_N_CHUNKS_DONE:
      g_value_set_uint64 (value, self->n_done);
      break;

    case PROP_N_CHUNKS_TOTAL:
      g_value_set_uint64 (value, self->n_total);
      break;

    case PROP_FRACTION:
      g_value_set_double (value, mpaio_orchestrator_get_fraction (self));
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, self->run != NULL);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_orchestrator_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  MpaioOrchestrator *self = MPAIO_ORCHESTRATOR (object);

  switch (prop_id)
    {
    case PROP_EXECUTOR:
      self->executor = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_orchestrator_class_init (MpaioOrchestratorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mpaio_orchestrator_dispose;
  object_class->get_property = mpaio_orchestrator_get_property;
  object_class->set_property = mpaio_orchestrator_set_property;

  /**
   * MpaioOrchestrator:executor:
   *
   * The executor the workers run on.
   */
  properties[PROP_EXECUTOR] =
    g_param_spec_object ("executor", NULL, NULL,
                         MPAIO_TYPE_EXECUTOR,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioOrchestrator:n-chunks-done:
   *
   * How many chunks of the current (or last) run have been delivered.
   */
  properties[PROP_N_CHUNKS_DONE] =
    g_param_spec_uint64 ("n-chunks-done", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioOrchestrator:n-chunks-total:
   *
   * How many chunks the current (or last) run has, over all its workers.
   */
  properties[PROP_N_CHUNKS_TOTAL] =
    g_param_spec_uint64 ("n-chunks-total", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioOrchestrator:fraction:
   *
   * The share of chunks delivered, from 0 to 1, ready to bind to a
   * progress bar.
   */
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL,
                         0.0, 1.0, 0.0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioOrchestrator:running: (getter is_running)
   *
   * Whether a run is going on.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MpaioOrchestrator::chunk-processed:
   * @self: the orchestrator
   * @worker: the worker the chunk was processed by
   * @chunk_index: the index of the chunk in its iterator
   *
   * Emitted on the run's main context after each chunk's result was handed
   * to [vfunc@Mpaio.Worker.process_callback], in completion order. For a
   * progress bar, bind [property@Mpaio.Orchestrator:fraction] instead: it
   * notifies once per batch of results.
   */
  signals[CHUNK_PROCESSED] =
    g_signal_new ("chunk-processed",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 2, MPAIO_TYPE_WORKER, G_TYPE_UINT64);
}

static void
mpaio_orchestrator_init (MpaioOrchestrator *self)
{
  self->entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_array_set_clear_func (self->entries, entry_clear);
}

/**
 * mpaio_orchestrator_new:
 * @executor: the executor to run workers on
 *
 * Creates an orchestrator that runs its workers on @executor.
 *
 * Returns: (transfer full): a new orchestrator
 */
MpaioOrchestrator *
mpaio_orchestrator_new (MpaioExecutor *executor)
{
  g_return_val_if_fail (MPAIO_IS_EXECUTOR (executor), NULL);

  return g_object_new (MPAIO_TYPE_ORCHESTRATOR,
                       "executor", executor,
                       NULL);
}

/**
 * mpaio_orchestrator_add:
 * @self: an orchestrator
 * @worker: the worker
 * @iterator: the array the worker processes, and how it is cut
 *
 * Adds a worker and its array to every later run. The same worker or
 * iterator may appear in several pairs.
 */
void
mpaio_orchestrator_add (MpaioOrchestrator *self,
                        MpaioWorker       *worker,
                        MpaioDataIterator *iterator)
{
  g_return_if_fail (MPAIO_IS_ORCHESTRATOR (self));

  mpaio_orchestrator_add_with_output (self, worker, iterator, NULL, 0);
}

/**
 * mpaio_orchestrator_add_with_output:
 * @self: an orchestrator
 * @worker: the worker
 * @iterator: the array the worker processes, and how it is cut
 * @output: (nullable): a writable memory for the results, or %NULL
 * @output_element_size: the size of one output element in bytes
 *
 * Adds a worker whose chunks write their results straight into @output:
 * element `i` of the array maps to output element `i`, at byte
 * `i * output_element_size`, and each chunk writes only its own region (see
 * [method@Mpaio.Chunk.get_output_data]). No coordination is needed, so this
 * makes a parallel map that runs at memory speed.
 *
 * @output must be a memory made with [ctor@Mpaio.SharedMemory.new] and not
 * sealed, large enough for every element, and not the input. Read it once
 * the run is done.
 */
void
mpaio_orchestrator_add_with_output (MpaioOrchestrator *self,
                                    MpaioWorker       *worker,
                                    MpaioDataIterator *iterator,
                                    MpaioSharedMemory *output,
                                    gsize              output_element_size)
{
  Entry entry;

  g_return_if_fail (MPAIO_IS_ORCHESTRATOR (self));
  g_return_if_fail (MPAIO_IS_WORKER (worker));
  g_return_if_fail (MPAIO_IS_DATA_ITERATOR (iterator));
  g_return_if_fail (output == NULL || MPAIO_IS_SHARED_MEMORY (output));

  entry.worker = g_object_ref (worker);
  entry.iterator = g_object_ref (iterator);
  entry.output = output ? g_object_ref (output) : NULL;
  entry.output_element_size = output_element_size;
  g_array_append_val (self->entries, entry);
}

/**
 * mpaio_orchestrator_get_executor:
 * @self: an orchestrator
 *
 * Gets the executor the workers run on.
 *
 * Returns: (transfer none): the executor the workers run on
 */
MpaioExecutor *
mpaio_orchestrator_get_executor (MpaioOrchestrator *self)
{
  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (self), NULL);

  return self->executor;
}

/**
 * mpaio_orchestrator_get_n_chunks_done:
 * @self: an orchestrator
 *
 * Gets how many chunks of the current or last run were delivered.
 *
 * Returns: how many chunks of the current or last run were delivered
 */
guint64
mpaio_orchestrator_get_n_chunks_done (MpaioOrchestrator *self)
{
  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (self), 0);

  return self->n_done;
}

/**
 * mpaio_orchestrator_get_n_chunks_total:
 * @self: an orchestrator
 *
 * Gets how many chunks the current or last run has.
 *
 * Returns: how many chunks the current or last run has
 */
guint64
mpaio_orchestrator_get_n_chunks_total (MpaioOrchestrator *self)
{
  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (self), 0);

  return self->n_total;
}

/**
 * mpaio_orchestrator_get_fraction:
 * @self: an orchestrator
 *
 * Gets the share of chunks delivered, from 0 to 1.
 *
 * Returns: the share of chunks delivered, from 0 to 1
 */
double
mpaio_orchestrator_get_fraction (MpaioOrchestrator *self)
{
  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (self), 0.0);

  return self->n_total > 0 ? (double) self->n_done / self->n_total : 0.0;
}

/**
 * mpaio_orchestrator_is_running: (get-property running)
 * @self: an orchestrator
 *
 * Tells whether a run is going on.
 *
 * Returns: whether a run is going on
 */
gboolean
mpaio_orchestrator_is_running (MpaioOrchestrator *self)
{
  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (self), FALSE);

  return self->run != NULL;
}

static void
set_progress (MpaioOrchestrator *self,
              guint64            n_done,
              guint64            n_total)
{
  double old_fraction = mpaio_orchestrator_get_fraction (self);
  gboolean done_changed = self->n_done != n_done;
  gboolean total_changed = self->n_total != n_total;

  self->n_done = n_done;
  self->n_total = n_total;

  if (total_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CHUNKS_TOTAL]);
  if (done_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CHUNKS_DONE]);
  if (old_fraction != mpaio_orchestrator_get_fraction (self))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

static void
clear_source (GSource **source)
{
  if (*source != NULL)
    {
      g_source_destroy (*source);
      g_clear_pointer (source, g_source_unref);
    }
}

static gboolean
on_progress_idle (gpointer user_data)
{
  MpaioOrchestrator *self = user_data;

  g_clear_pointer (&self->progress_source, g_source_unref);
  set_progress (self, self->pending_done, self->n_total);

  return G_SOURCE_REMOVE;
}

/* Results come in batches; progress is notified once per batch, in the same
 * main context iteration, rather than once per chunk. */
static void
on_run_progress (gpointer     user_data,
                 MpaioWorker *worker,
                 guint64      chunk_index,
                 guint64      n_done)
{
  MpaioOrchestrator *self = user_data;

  self->pending_done = n_done;

  if (worker != NULL)
    {
      g_signal_emit (self, signals[CHUNK_PROCESSED], 0, worker, chunk_index);

      if (self->progress_source == NULL && self->run_task != NULL)
        {
          self->progress_source = g_idle_source_new ();
          g_source_set_priority (self->progress_source, G_PRIORITY_DEFAULT);
          g_source_set_callback (self->progress_source, on_progress_idle, self, NULL);
          g_source_set_static_name (self->progress_source, "[mpaio] progress");
          g_source_attach (self->progress_source, g_task_get_context (self->run_task));
        }
      return;
    }

  clear_source (&self->progress_source);
  clear_source (&self->cancel_source);
  set_progress (self, n_done, self->n_total);
  g_clear_pointer (&self->run, mpaio_run_unref);
  g_clear_object (&self->run_task);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

static gboolean
on_cancelled (GCancellable *cancellable,
              gpointer      user_data)
{
  MpaioOrchestrator *self = user_data;
  GError *error = NULL;

  g_cancellable_set_error_if_cancelled (cancellable, &error);
  mpaio_run_fail (self->run, error);

  return G_SOURCE_REMOVE;
}

static gboolean
check_input (MpaioDataIterator  *iterator,
             GError            **error)
{
  if (!mpaio_data_iterator_validate (iterator, error) ||
      !mpaio_shared_memory_check_size (mpaio_data_iterator_get_memory (iterator), error))
    return FALSE;

  if (!mpaio_shared_memory_is_constant (mpaio_data_iterator_get_memory (iterator)))
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_NOT_SEALED,
                           _("The input memory is not sealed, so it could change under "
                             "the workers; call mpaio_shared_memory_seal() once it is filled"));
      return FALSE;
    }

  return TRUE;
}

static gboolean
check_output (Entry   *entry,
              GError **error)
{
  guint64 n_elements = mpaio_data_iterator_get_n_elements (entry->iterator);

  if (entry->output == NULL)
    return TRUE;

  if (!mpaio_shared_memory_is_writable (entry->output) ||
      entry->output == mpaio_data_iterator_get_memory (entry->iterator))
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_READ_ONLY,
                           _("The output memory is not writable; make it with "
                             "mpaio_shared_memory_new(), do not seal it, and do not use "
                             "the input as output"));
      return FALSE;
    }

  if (entry->output_element_size == 0 ||
      n_elements > mpaio_shared_memory_get_size (entry->output) / entry->output_element_size)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   _("An output memory of %zu bytes cannot hold %" PRIu64
                     " elements of %zu bytes; make it larger"),
                   mpaio_shared_memory_get_size (entry->output), n_elements,
                   entry->output_element_size);
      return FALSE;
    }

  return TRUE;
}

/* Everything is checked before any pair is made, so that a refused run
 * holds no reference. The chunk counts are the ones the run allocates for,
 * whatever a custom iterator said in validate(). */
static gboolean
check_entries (MpaioOrchestrator  *self,
               guint64            *n_chunks,
               GError            **error)
{
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = &g_array_index (self->entries, Entry, i);

      if (!check_input (entry->iterator, error) || !check_output (entry, error) ||
          !mpaio_data_iterator_count_chunks (entry->iterator, &n_chunks[i], error))
        return FALSE;
    }

  return TRUE;
}

static GPtrArray *
make_pairs (MpaioOrchestrator  *self,
            GError            **error)
{
  g_autofree guint64 *n_chunks = g_new0 (guint64, self->entries->len);
  GPtrArray *pairs;

  if (!check_entries (self, n_chunks, error))
    return NULL;

  pairs = g_ptr_array_new ();
  for (guint i = 0; i < self->entries->len; i++)
    {
      Entry *entry = &g_array_index (self->entries, Entry, i);
      MpaioRunPair *pair = g_new0 (MpaioRunPair, 1);

      pair->worker = g_object_ref (entry->worker);
      pair->iterator = g_object_ref (entry->iterator);
      pair->output = entry->output ? g_object_ref (entry->output) : NULL;
      pair->output_element_size = entry->output_element_size;
      pair->n_chunks = n_chunks[i];
      g_ptr_array_add (pairs, pair);
    }

  return pairs;
}

/**
 * mpaio_orchestrator_run_async:
 * @self: an orchestrator
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async): called when every chunk is delivered, or the
 *   run failed
 * @user_data: data for @callback
 *
 * Processes every chunk of every added iterator with its worker.
 *
 * Before anything runs, every iterator is validated, every input memory
 * must be sealed (or attached by name), and every worker must serialize;
 * otherwise the run fails with the matching [error@Mpaio.Error].
 *
 * Cancelling @cancellable makes the run fail with %G_IO_ERROR_CANCELLED at
 * once; workers busy with its chunks are stopped soon after, and the
 * executor can run again right away. An orchestrator runs once at a time:
 * a second call while it runs fails with %G_IO_ERROR_PENDING.
 */
void
mpaio_orchestrator_run_async (MpaioOrchestrator   *self,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GPtrArray) pairs = NULL;
  g_autoptr(MpaioRun) run = NULL;
  GError *error = NULL;

  g_return_if_fail (MPAIO_IS_ORCHESTRATOR (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, mpaio_orchestrator_run_async);

  if (self->run != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The orchestrator is already running"));
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!(pairs = make_pairs (self, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  run = mpaio_run_new (task, self->executor, pairs, on_run_progress, self);
  set_progress (self, 0, mpaio_run_get_n_total (run));

  self->run = mpaio_run_ref (run);
  self->run_task = g_object_ref (task);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);

  if (cancellable != NULL)
    {
      self->cancel_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (self->cancel_source, G_SOURCE_FUNC (on_cancelled), self, NULL);
      g_source_set_static_name (self->cancel_source, "[mpaio] run cancelled");
      g_source_attach (self->cancel_source, g_task_get_context (task));
    }

  if (!mpaio_executor_attach_run (self->executor, run, &error))
    mpaio_run_fail (run, error);
}

/**
 * mpaio_orchestrator_run_finish:
 * @self: an orchestrator
 * @result: the result passed to the callback
 * @error: return location for a #GError
 *
 * Finishes [method@Mpaio.Orchestrator.run_async].
 *
 * Returns: %TRUE if every chunk was processed and delivered
 */
gboolean
mpaio_orchestrator_run_finish (MpaioOrchestrator  *self,
                               GAsyncResult       *result,
                               GError            **error)
{
  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mpaio_orchestrator_run_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* The thread must own the context to run it. Another thread that runs it
 * (a main loop) would never let go, and a callback of the context cannot
 * dispatch the sources that wait for it to return: either way the run
 * would wait for ever, so say so instead. */
static gboolean
acquire_to_block (GMainContext  *context,
                  GError       **error)
{
  GSource *current = g_main_current_source ();

  if (current != NULL && g_source_get_context (current) == context)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_WRONG_CONTEXT,
                           _("mpaio_orchestrator_run() was called from a callback of the "
                             "main context it has to run, so the run would wait for that "
                             "callback to return; call mpaio_orchestrator_run_async() there"));
      return FALSE;
    }

  if (!g_main_context_acquire (context))
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_WRONG_CONTEXT,
                           _("Another thread runs this thread’s main context (with a main "
                             "loop, say), so mpaio_orchestrator_run() cannot run it; call "
                             "mpaio_orchestrator_run_async() in that thread, or push a main "
                             "context of this thread’s own before making the executor"));
      return FALSE;
    }

  return TRUE;
}

static void
on_blocking_run_done (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  GAsyncResult **result_out = user_data;

  *result_out = g_object_ref (result);
}

/* Not run_sync(): GIO names the blocking twin of foo_async() and
 * foo_finish() plain foo() (g_file_read(), g_subprocess_wait(),
 * g_socket_client_connect()); the _sync suffix is for APIs whose plain name
 * is the asynchronous call (g_dbus_connection_call_sync()). */

/**
 * mpaio_orchestrator_run:
 * @self: an orchestrator
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Processes every chunk, as [method@Mpaio.Orchestrator.run_async] does,
 * and returns when the run is over: for programs without a main loop, such
 * as command-line tools.
 *
 * Meanwhile it runs the thread-default main context, where the executor
 * delivers results: [vfunc@Mpaio.Worker.process_callback], the progress
 * properties and [signal@Mpaio.Orchestrator::chunk-processed] happen in
 * this call, on this thread. An executor belongs to the main context that
 * was thread-default when it was made, so make it in the thread that calls
 * this, with the same thread-default context: in `main` of a program
 * without a main loop, just make the executor and call this; in a thread of
 * its own, push a new context with g_main_context_push_thread_default()
 * before making the executor.
 *
 * Rather than wait for ever, it fails at once with
 * %MPAIO_ERROR_WRONG_CONTEXT if the executor belongs to another main
 * context, if another thread runs this thread's context (a main loop
 * does), or if it is called from a callback of that context.
 *
 * Not for a thread with a user interface, whose callbacks all run on its
 * main loop: use [method@Mpaio.Orchestrator.run_async] there.
 *
 * Returns: %TRUE if every chunk was processed and delivered
 */
gboolean
mpaio_orchestrator_run (MpaioOrchestrator  *self,
                        GCancellable       *cancellable,
                        GError            **error)
{
  g_autoptr(GMainContext) context = g_main_context_ref_thread_default ();
  g_autoptr(GAsyncResult) result = NULL;

  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (self), FALSE);
  g_return_val_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!acquire_to_block (context, error))
    return FALSE;

  mpaio_orchestrator_run_async (self, cancellable, on_blocking_run_done, &result);
  while (result == NULL)
    g_main_context_iteration (context, TRUE);

  g_main_context_release (context);
  return mpaio_orchestrator_run_finish (self, result, error);
}
