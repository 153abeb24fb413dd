/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mpaio-bench --workload startup|small|sum|mix [--workers N] [--executor process|thread]
 *
 * Prints one line, WORKLOAD workers=N chunks=C result=R seconds=S, and exits
 * non-zero when the result is wrong. The time covers creating the pool,
 * spawning the workers, every chunk and the last result; not filling the
 * array. The peers in bench/peers/ run the same workloads. */
#include <mpaio.h>

#include <stdlib.h>
#include <string.h>

typedef enum
{
  KERNEL_SUM,
  KERNEL_MIX,
} Kernel;

typedef struct
{
  const char *name;
  guint64     n_elements;
  guint64     n_chunks;       /* 0: n_elements / chunk_size */
  guint64     chunk_size;
  Kernel      kernel;
  guint64     expected;
} Workload;

static const Workload workloads[] = {
  { "startup", 1000, 1, 0, KERNEL_SUM, G_GUINT64_CONSTANT (500500) },
  { "small", 1000000, 0, 100, KERNEL_SUM, G_GUINT64_CONSTANT (500000500000) },
  { "sum", 100000000, 8, 0, KERNEL_SUM, G_GUINT64_CONSTANT (5000000050000000) },
  { "mix", 4000000, 8, 0, KERNEL_MIX, G_GUINT64_CONSTANT (17859751705182148732) },
};

/* The worker: one kernel per instance, chosen by a property that crosses
 * into the worker processes. */

#define BENCH_TYPE_WORKER (bench_worker_get_type ())
G_DECLARE_FINAL_TYPE (BenchWorker, bench_worker, BENCH, WORKER, GObject)

struct _BenchWorker
{
  GObject parent_instance;
  Kernel  kernel;
  guint64 result;             /* combined in the caller's process */
};

static void bench_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BenchWorker, bench_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, bench_worker_iface_init))

enum {
  PROP_0,
  PROP_KERNEL,
  N_PROPS
};

static guint64
mix64 (guint64 x)
{
  for (int round = 0; round < 32; round++)
    {
      x += G_GUINT64_CONSTANT (0x9E3779B97F4A7C15);
      x = (x ^ (x >> 30)) * G_GUINT64_CONSTANT (0xBF58476D1CE4E5B9);
      x = (x ^ (x >> 27)) * G_GUINT64_CONSTANT (0x94D049BB133111EB);
      x ^= x >> 31;
    }

  return x;
}

static GVariant *
bench_worker_process (MpaioWorker  *worker,
                      MpaioChunk   *chunk,
                      GError      **error)
{
  const guint64 *values = mpaio_chunk_get_data (chunk, NULL);
  guint64 n = mpaio_chunk_get_n_elements (chunk);
  guint64 acc = 0;

  if (BENCH_WORKER (worker)->kernel == KERNEL_SUM)
    for (guint64 i = 0; i < n; i++)
      acc += values[i];
  else
    for (guint64 i = 0; i < n; i++)
      acc ^= mix64 (values[i]);

  return g_variant_new_uint64 (acc);
}

static void
bench_worker_process_callback (MpaioWorker *worker,
                               guint64      chunk_index,
                               GVariant    *result)
{
  BenchWorker *self = BENCH_WORKER (worker);

  if (self->kernel == KERNEL_SUM)
    self->result += g_variant_get_uint64 (result);
  else
    self->result ^= g_variant_get_uint64 (result);
}

static void
bench_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = bench_worker_process;
  iface->process_callback = bench_worker_process_callback;
}

static void
bench_worker_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  g_value_set_uint (value, BENCH_WORKER (object)->kernel);
}

static void
bench_worker_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  BENCH_WORKER (object)->kernel = g_value_get_uint (value);
}

static void
bench_worker_class_init (BenchWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = bench_worker_get_property;
  object_class->set_property = bench_worker_set_property;

  g_object_class_install_property (object_class, PROP_KERNEL,
                                   g_param_spec_uint ("kernel", NULL, NULL,
                                                      KERNEL_SUM, KERNEL_MIX, KERNEL_SUM,
                                                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
}

static void
bench_worker_init (BenchWorker *self)
{
}

static MpaioSharedMemory *
make_input (const Workload  *workload,
            GError         **error)
{
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (workload->n_elements * 8, error);
  guint64 *values;

  if (memory == NULL)
    return NULL;

  values = mpaio_shared_memory_get_writable_data (memory);
  for (guint64 i = 0; i < workload->n_elements; i++)
    values[i] = i + 1;

  return mpaio_shared_memory_seal (memory, error) ? g_steal_pointer (&memory) : NULL;
}

static void
on_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GError **error = user_data;

  mpaio_orchestrator_run_finish (MPAIO_ORCHESTRATOR (object), result, error);
  *(gboolean *) g_object_get_data (object, "done") = TRUE;
}

static MpaioExecutor *
make_executor (const char  *kind,
               guint        n_workers,
               GError     **error)
{
  if (g_strcmp0 (kind, "process") == 0)
    return MPAIO_EXECUTOR (mpaio_process_pool_new (n_workers));

  if (g_strcmp0 (kind, "thread") == 0)
    return MPAIO_EXECUTOR (mpaio_thread_pool_new (n_workers));

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "Unknown executor “%s”; use process or thread", kind);
  return NULL;
}

/* What each worker holds: its own memory (RssAnon) and the pages of the
 * shared array it mapped (RssShmem), which are the caller's, not a copy. */
static void
report_worker_memory (MpaioProcessPool *pool)
{
  g_autofree int *pids = NULL;
  guint n_pids;

  pids = mpaio_process_pool_dup_worker_pids (pool, &n_pids);
  for (guint i = 0; i < n_pids; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/status", pids[i]);
      g_autofree char *status = NULL;
      g_auto(GStrv) lines = NULL;

      if (!g_file_get_contents (path, &status, NULL, NULL))
        continue;

      lines = g_strsplit (status, "\n", -1);
      g_printerr ("worker %d:", pids[i]);
      for (guint j = 0; lines[j] != NULL; j++)
        if (g_str_has_prefix (lines[j], "VmRSS") || g_str_has_prefix (lines[j], "RssAnon") ||
            g_str_has_prefix (lines[j], "RssShmem"))
          g_printerr (" %s", g_strdelimit (lines[j], "\t", ' '));
      g_printerr ("\n");
    }
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;
  g_autoptr(MpaioExecutor) executor = NULL;
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(BenchWorker) worker = NULL;
  g_autofree char *workload_name = NULL;
  g_autofree char *executor_name = NULL;
  const Workload *workload = NULL;
  int n_workers = 0;
  int chunks_in_flight = 0;
  gboolean report_memory = FALSE;
  guint64 chunk_size;
  gboolean done = FALSE;
  gint64 begin, end;
  const GOptionEntry entries[] = {
    { "workload", 0, 0, G_OPTION_ARG_STRING, &workload_name, "startup, small, sum or mix", "W" },
    { "workers", 0, 0, G_OPTION_ARG_INT, &n_workers, "Number of workers (default: one per processor)", "N" },
    { "executor", 0, 0, G_OPTION_ARG_STRING, &executor_name, "process (default) or thread", "E" },
    { "chunks-in-flight", 0, 0, G_OPTION_ARG_INT, &chunks_in_flight, "Chunks each worker holds (default: the pool's)", "N" },
    { "report-memory", 0, 0, G_OPTION_ARG_NONE, &report_memory, "Print each worker's resident memory on stderr", NULL },
    { NULL }
  };

  g_type_ensure (BENCH_TYPE_WORKER);
  mpaio_serve_if_worker ();

  context = g_option_context_new ("- time an Mpaio workload");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  for (guint i = 0; i < G_N_ELEMENTS (workloads); i++)
    if (g_strcmp0 (workload_name, workloads[i].name) == 0)
      workload = &workloads[i];

  if (workload == NULL || n_workers < 0)
    {
      g_printerr ("Usage: %s --workload startup|small|sum|mix [--workers N] [--executor process|thread]\n", argv[0]);
      return 2;
    }

  if (n_workers == 0)
    n_workers = g_get_num_processors ();

  if (!(memory = make_input (workload, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  chunk_size = workload->n_chunks > 0
               ? (workload->n_elements + workload->n_chunks - 1) / workload->n_chunks
               : workload->chunk_size;

  begin = g_get_monotonic_time ();

  if (!(executor = make_executor (executor_name ? executor_name : "process", n_workers, &error)) ||
      !(iterator = mpaio_data_iterator_new_for_dtype (memory, "<u8", workload->n_elements,
                                                      chunk_size, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (chunks_in_flight > 0 && MPAIO_IS_PROCESS_POOL (executor))
    mpaio_process_pool_set_chunks_in_flight (MPAIO_PROCESS_POOL (executor), chunks_in_flight);

  worker = g_object_new (BENCH_TYPE_WORKER, "kernel", workload->kernel, NULL);
  orchestrator = mpaio_orchestrator_new (executor);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  g_object_set_data (G_OBJECT (orchestrator), "done", &done);
  mpaio_orchestrator_run_async (orchestrator, NULL, on_done, &error);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  end = g_get_monotonic_time ();

  if (error != NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("%s workers=%d chunks=%" G_GUINT64_FORMAT " result=%" G_GUINT64_FORMAT " seconds=%.6f\n",
           workload->name, n_workers, mpaio_orchestrator_get_n_chunks_total (orchestrator),
           worker->result, (end - begin) / 1e6);

  if (report_memory && MPAIO_IS_PROCESS_POOL (executor))
    report_worker_memory (MPAIO_PROCESS_POOL (executor));

  if (worker->result != workload->expected)
    {
      g_printerr ("Wrong result: expected %" G_GUINT64_FORMAT "\n", workload->expected);
      return 1;
    }

  return 0;
}
