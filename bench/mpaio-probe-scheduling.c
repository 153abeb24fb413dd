/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Measures, by hand, what the tests cannot assert without depending on
 * timing: how a slow run after a fast one is balanced, how many chunks a
 * stopped worker holds, and when a chunk timeout is detected. The worker
 * sleeps instead of working, so the figures are the scheduler's.
 *
 *   mpaio-probe-scheduling balance   a fast run of one chunk (it starts one
 *                                    worker), then 20 chunks of 1 s on 2
 *                                    workers: wall time against 10 s
 *   mpaio-probe-scheduling stop      a fast run of 10,000 chunks, then one
 *                                    worker stopped (SIGSTOP) and 200
 *                                    chunks of 10 ms: what it holds
 *   mpaio-probe-scheduling timeout   chunk-timeout 1000 ms, one worker:
 *                                    chunk 0 takes 500 ms, chunk 1 hangs
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <mpaio.h>

#define PROBE_TYPE_SLEEPER (probe_sleeper_get_type ())
G_DECLARE_FINAL_TYPE (ProbeSleeper, probe_sleeper, PROBE, SLEEPER, GObject)

struct _ProbeSleeper
{
  GObject parent_instance;
  gint64  usec;           /* each chunk sleeps this long */
  gint64  first_usec;     /* chunk 0 sleeps this long instead, if not 0 */
  gint64  hang_on;        /* this chunk never ends, or -1 */
  guint   n_done;         /* in the caller */
  gint64  first_done_at;  /* in the caller */
};

enum { PROP_0, PROP_USEC, PROP_FIRST_USEC, PROP_HANG_ON, N_PROPS };

static void probe_sleeper_worker_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ProbeSleeper, probe_sleeper, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, probe_sleeper_worker_init))

static GVariant *
probe_sleeper_process (MpaioWorker  *worker,
                       MpaioChunk   *chunk,
                       GError      **error)
{
  ProbeSleeper *self = PROBE_SLEEPER (worker);
  gint64 index = mpaio_chunk_get_index (chunk);

  if (index == self->hang_on)
    for (;;)
      g_usleep (G_USEC_PER_SEC);

  g_usleep (index == 0 && self->first_usec > 0 ? self->first_usec : self->usec);
  return g_variant_new_int64 (index);
}

static void
probe_sleeper_process_callback (MpaioWorker *worker,
                                guint64      chunk_index,
                                GVariant    *result)
{
  ProbeSleeper *self = PROBE_SLEEPER (worker);

  if (self->n_done++ == 0)
    self->first_done_at = g_get_monotonic_time ();
}

static GVariantType *
probe_sleeper_dup_result_type (MpaioWorker *worker)
{
  return g_variant_type_copy (G_VARIANT_TYPE_INT64);
}

static void
probe_sleeper_worker_init (MpaioWorkerInterface *iface)
{
  iface->process = probe_sleeper_process;
  iface->process_callback = probe_sleeper_process_callback;
  iface->dup_result_type = probe_sleeper_dup_result_type;
}

static gint64 *
probe_sleeper_field (ProbeSleeper *self,
                     guint         prop_id)
{
  if (prop_id == PROP_USEC)
    return &self->usec;
  if (prop_id == PROP_FIRST_USEC)
    return &self->first_usec;
  return &self->hang_on;
}

static void
probe_sleeper_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  g_value_set_int64 (value, *probe_sleeper_field (PROBE_SLEEPER (object), prop_id));
}

static void
probe_sleeper_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  *probe_sleeper_field (PROBE_SLEEPER (object), prop_id) = g_value_get_int64 (value);
}

static void
probe_sleeper_class_init (ProbeSleeperClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->get_property = probe_sleeper_get_property;
  object_class->set_property = probe_sleeper_set_property;
  g_object_class_install_property (object_class, PROP_USEC,
                                   g_param_spec_int64 ("usec", NULL, NULL, 0, G_MAXINT64, 0, flags));
  g_object_class_install_property (object_class, PROP_FIRST_USEC,
                                   g_param_spec_int64 ("first-usec", NULL, NULL, 0, G_MAXINT64, 0, flags));
  g_object_class_install_property (object_class, PROP_HANG_ON,
                                   g_param_spec_int64 ("hang-on", NULL, NULL, -1, G_MAXINT64, -1, flags));
}

static void
probe_sleeper_init (ProbeSleeper *self)
{
  self->hang_on = -1;
}

/* Runs @n_chunks chunks of one element with @worker, blocking. */
static gboolean
run (MpaioProcessPool   *pool,
     MpaioSharedMemory  *memory,
     guint64             n_chunks,
     ProbeSleeper       *worker,
     GError            **error)
{
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));

  if (!(iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", n_chunks, 1, error)))
    return FALSE;
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  return mpaio_orchestrator_run (orchestrator, NULL, error);
}

static gboolean
probe_balance (MpaioProcessPool   *pool,
               MpaioSharedMemory  *memory,
               GError            **error)
{
  g_autoptr(ProbeSleeper) fast = g_object_new (PROBE_TYPE_SLEEPER, NULL);
  g_autoptr(ProbeSleeper) slow = g_object_new (PROBE_TYPE_SLEEPER, "usec", G_USEC_PER_SEC, NULL);
  gint64 begin;
  double seconds;

  if (!run (pool, memory, 1, fast, error))
    return FALSE;

  begin = g_get_monotonic_time ();
  if (!run (pool, memory, 20, slow, error))
    return FALSE;

  seconds = (g_get_monotonic_time () - begin) / (double) G_USEC_PER_SEC;
  g_print ("20 chunks of 1 s on 2 workers after a fast run: %.3f s (ideal 10 s, %+.1f %%)\n",
           seconds, (seconds - 10.0) * 10.0);
  return TRUE;
}

typedef struct
{
  ProbeSleeper *worker;
  int           pid;
} Stopped;

static gboolean
on_look (gpointer user_data)
{
  Stopped *stopped = user_data;

  g_print ("3 s into 200 chunks of 10 ms, one worker stopped: %u delivered, it holds %u\n",
           stopped->worker->n_done, 200 - stopped->worker->n_done);
  kill (stopped->pid, SIGCONT);
  return G_SOURCE_REMOVE;
}

static gboolean
probe_stop (MpaioProcessPool   *pool,
            MpaioSharedMemory  *memory,
            GError            **error)
{
  g_autoptr(ProbeSleeper) fast = g_object_new (PROBE_TYPE_SLEEPER, NULL);
  g_autoptr(ProbeSleeper) slow = g_object_new (PROBE_TYPE_SLEEPER, "usec", 10 * G_TIME_SPAN_MILLISECOND, NULL);
  g_autofree int *pids = NULL;
  Stopped stopped = { slow, 0 };
  guint n_pids;

  if (!run (pool, memory, 10000, fast, error))
    return FALSE;

  pids = mpaio_process_pool_dup_worker_pids (pool, &n_pids);
  g_assert (n_pids == 2);
  stopped.pid = pids[1];
  kill (stopped.pid, SIGSTOP);
  g_timeout_add (3000, on_look, &stopped);
  return run (pool, memory, 200, slow, error);
}

static gboolean
probe_timeout (MpaioProcessPool   *pool,
               MpaioSharedMemory  *memory,
               GError            **error)
{
  g_autoptr(ProbeSleeper) worker = g_object_new (PROBE_TYPE_SLEEPER, "first-usec", 500 * G_TIME_SPAN_MILLISECOND,
                                                 "hang-on", (gint64) 1, NULL);
  g_autoptr(GError) run_error = NULL;

  mpaio_process_pool_set_chunk_timeout (pool, 1000);
  mpaio_process_pool_set_max_retries (pool, 0);
  mpaio_process_pool_set_chunks_in_flight (pool, 2);
  if (run (pool, memory, 2, worker, &run_error))
    g_error ("The hanging chunk did not time out");

  g_print ("chunk-timeout 1000 ms: the run failed %.1f ms after chunk 1 started (%s)\n",
           (g_get_monotonic_time () - worker->first_done_at) / 1000.0, run_error->message);
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_type_ensure (PROBE_TYPE_SLEEPER);
  mpaio_serve_if_worker ();

  if (argc != 2)
    {
      g_printerr ("Usage: %s balance|stop|timeout\n", argv[0]);
      return 2;
    }

  pool = mpaio_process_pool_new (strcmp (argv[1], "timeout") == 0 ? 1 : 2);
  if (!(memory = mpaio_shared_memory_new (8 * 10000, &error)) ||
      !mpaio_shared_memory_seal (memory, &error))
    g_error ("%s", error->message);

  if (strcmp (argv[1], "balance") == 0)
    ok = probe_balance (pool, memory, &error);
  else if (strcmp (argv[1], "stop") == 0)
    ok = probe_stop (pool, memory, &error);
  else
    ok = probe_timeout (pool, memory, &error);

  if (!ok)
    g_error ("%s", error->message);
  return 0;
}
