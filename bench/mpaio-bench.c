/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * mpaio-bench --workload startup|small|sum|mix [--workers N] [--executor process|thread]
 *             [--runs N] [--pause MS] [--elements N] [--chunks C]
 * mpaio-bench --file PATH [--offset BYTES] [--workers N] [--runs N] [--chunks C]
 *
 * Prints one line per run, WORKLOAD workers=N chunks=C result=R seconds=S,
 * followed by run=K when there are several runs, and exits non-zero when
 * the result is wrong. The first run's time covers creating the pool,
 * spawning the workers, every chunk and the last result; not filling the
 * array. The later runs use the same pool and memory: their time is the run
 * alone, so a cold run and warm runs are measured apart; --pause leaves the
 * pool idle between them, as an application would. The peers in
 * bench/peers/ run the same workloads.
 *
 * --elements and --chunks resize a sum workload (the array 1..N, in about C
 * chunks) for bench/compare --curves. --file sums a raw int64 file mapped
 * with mpaio_shared_memory_new_for_file() (workload "file", chunks of 8 MiB
 * unless --chunks says otherwise); nobody knows its sum in advance, so the
 * caller checks the result. */
#include <mpaio.h>
#ifdef HAVE_MPI
# include <mpaio-mpi.h>
#endif

#include <stdlib.h>
#include <string.h>

/* The peers' sum_to() and mix64(), the same kernels. */
#include "peers/peer-util.h"

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

#define FILE_CHUNK_SIZE (G_GUINT64_CONSTANT (1) << 20)     /* elements, 8 MiB */

#define USAGE "Usage: mpaio-bench --workload startup|small|sum|mix [--workers N] " \
              "[--executor process|thread] [--runs N] [--pause MS] [--elements N] [--chunks C]\n" \
              "       mpaio-bench --file PATH [--offset BYTES] [--workers N] [--runs N] [--chunks C]"

typedef struct
{
  char    *workload;
  char    *executor;
  char    *file;
  gint64   offset;
  gint64   n_elements;          /* 0: the workload's */
  gint64   n_chunks;            /* 0: the workload's */
  int      n_workers;
  int      n_runs;
  int      pause_ms;
  int      chunks_in_flight;
  gboolean report_memory;
} Options;

static gboolean G_GNUC_PRINTF (2, 3)
usage_error (GError     **error,
             const char  *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                                format, args));
  va_end (args);
  return FALSE;
}

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

/* The workload after --elements and --chunks: the array 1..n, cut in
 * about C chunks (a chunk size of ceil (n / C) elements). */
static gboolean
resolve_workload (const Options  *options,
                  Workload       *workload,
                  GError        **error)
{
  const Workload *base = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (workloads); i++)
    if (g_strcmp0 (options->workload, workloads[i].name) == 0)
      base = &workloads[i];

  if (base == NULL)
    return usage_error (error, "Unknown workload “%s”; use startup, small, sum or mix",
                        options->workload ? options->workload : "");

  *workload = *base;
  if (options->n_elements != 0)
    {
      if (options->n_elements < 1 || base->kernel != KERNEL_SUM)
        return usage_error (error, "--elements needs a positive count and a sum workload "
                            "(startup, small or sum)");
      workload->n_elements = options->n_elements;
      workload->expected = sum_to (workload->n_elements);
    }

  if (options->n_chunks != 0)
    {
      if (options->n_chunks < 1)
        return usage_error (error, "--chunks needs a positive count");
      workload->n_chunks = options->n_chunks;
    }

  return TRUE;
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

/* --file: the raw int64 file as it is on disk, mapped through the page
 * cache. Its sum is not known in advance: the caller checks it. */
static MpaioSharedMemory *
open_file_input (const Options  *options,
                 Workload       *workload,
                 GError        **error)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (options->file);
  g_autoptr(MpaioSharedMemory) memory = NULL;

  memory = mpaio_shared_memory_new_for_file (file, "<u8", options->offset, error);
  if (memory == NULL)
    return NULL;

  *workload = (Workload) { "file", mpaio_shared_memory_get_n_elements (memory),
                           options->n_chunks, FILE_CHUNK_SIZE, KERNEL_SUM, 0 };
  return g_steal_pointer (&memory);
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

#ifdef HAVE_MPI
  /* "mpi-sent": every chunk's bytes travel, as to ranks on other nodes. */
  if (g_strcmp0 (kind, "mpi") == 0 || g_strcmp0 (kind, "mpi-sent") == 0)
    return g_object_new (MPAIO_MPI_TYPE_EXECUTOR,
                         "max-workers", n_workers > 0 ? n_workers : g_get_num_processors (),
                         "local-mapping", g_strcmp0 (kind, "mpi") == 0,
                         NULL);
#endif

  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               "Unknown executor “%s”; use process, thread, mpi or mpi-sent", kind);
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

/* Everything but the array, created inside the first run's timed section. */
static MpaioOrchestrator *
make_orchestrator (const Options      *options,
                   const Workload     *workload,
                   MpaioSharedMemory  *memory,
                   BenchWorker        *worker,
                   GError            **error)
{
  g_autoptr(MpaioExecutor) executor = NULL;
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  guint64 chunk_size = workload->n_chunks > 0
                       ? (workload->n_elements + workload->n_chunks - 1) / workload->n_chunks
                       : workload->chunk_size;

  if (!(executor = make_executor (options->executor ? options->executor : "process",
                                  options->n_workers, error)) ||
      !(iterator = mpaio_data_iterator_new_for_dtype (memory, "<u8", workload->n_elements,
                                                      chunk_size, error)))
    return NULL;
  /* A file's array starts where its header or --offset says. */
  if (mpaio_shared_memory_get_dtype (memory) != NULL)
    g_object_set (iterator, "offset", mpaio_shared_memory_get_array_offset (memory), NULL);

  if (options->chunks_in_flight > 0 && MPAIO_IS_PROCESS_POOL (executor))
    mpaio_process_pool_set_chunks_in_flight (MPAIO_PROCESS_POOL (executor),
                                             options->chunks_in_flight);

  orchestrator = mpaio_orchestrator_new (executor);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  return g_steal_pointer (&orchestrator);
}

static gboolean
run_once (MpaioOrchestrator  *orchestrator,
          BenchWorker        *worker,
          GError            **error)
{
  gboolean done = FALSE;

  worker->result = 0;
  g_object_set_data (G_OBJECT (orchestrator), "done", &done);
  mpaio_orchestrator_run_async (orchestrator, NULL, on_done, error);
  while (!done)
    g_main_context_iteration (NULL, TRUE);

  return *error == NULL;
}

static gboolean
parse_options (Options   *options,
               int       *argc,
               char    ***argv,
               GError   **error)
{
  g_autoptr(GOptionContext) context = NULL;
  const GOptionEntry entries[] = {
    { "workload", 0, 0, G_OPTION_ARG_STRING, &options->workload, "startup, small, sum or mix", "W" },
    { "workers", 0, 0, G_OPTION_ARG_INT, &options->n_workers, "Number of workers (default: one per processor)", "N" },
    { "executor", 0, 0, G_OPTION_ARG_STRING, &options->executor, "process (default), thread, mpi or mpi-sent", "E" },
    { "runs", 0, 0, G_OPTION_ARG_INT, &options->n_runs, "Runs on the same pool and memory, one line each (default: 1)", "N" },
    { "pause", 0, 0, G_OPTION_ARG_INT, &options->pause_ms, "Milliseconds the pool stays idle between runs, not timed (default: 0)", "MS" },
    { "elements", 0, 0, G_OPTION_ARG_INT64, &options->n_elements, "Sum 1..N instead of the workload's array", "N" },
    { "chunks", 0, 0, G_OPTION_ARG_INT64, &options->n_chunks, "Cut the array into about C chunks", "C" },
    { "file", 0, 0, G_OPTION_ARG_FILENAME, &options->file, "Sum the raw int64 file PATH (workload “file”)", "PATH" },
    { "offset", 0, 0, G_OPTION_ARG_INT64, &options->offset, "Bytes to skip at the start of --file", "BYTES" },
    { "chunks-in-flight", 0, 0, G_OPTION_ARG_INT, &options->chunks_in_flight, "Chunks each worker holds (default: the pool's)", "N" },
    { "report-memory", 0, 0, G_OPTION_ARG_NONE, &options->report_memory, "Print each worker's resident memory on stderr", NULL },
    { NULL }
  };

  context = g_option_context_new ("- time an Mpaio workload");
  g_option_context_set_summary (context, USAGE);
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  if (options->n_workers < 0 || options->n_runs < 1 || options->offset < 0 || options->pause_ms < 0)
    return usage_error (error, "--workers, --runs, --pause and --offset cannot be negative, "
                        "and there is at least one run");
  if ((options->file == NULL) == (options->workload == NULL))
    return usage_error (error, "Give either --workload or --file\n%s", USAGE);
  if (options->n_workers == 0)
    options->n_workers = g_get_num_processors ();

  return TRUE;
}

static void
options_clear (Options *options)
{
  g_free (options->workload);
  g_free (options->executor);
  g_free (options->file);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Options, options_clear)

static void
print_run (const Options     *options,
           const Workload    *workload,
           MpaioOrchestrator *orchestrator,
           BenchWorker       *worker,
           int                run,
           gint64             microseconds)
{
  g_print ("%s workers=%d chunks=%" G_GUINT64_FORMAT " result=%" G_GUINT64_FORMAT " seconds=%.6f",
           workload->name, options->n_workers,
           mpaio_orchestrator_get_n_chunks_total (orchestrator), worker->result,
           microseconds / 1e6);
  if (options->n_runs > 1)
    g_print (" run=%d", run);
  g_print ("\n");
}

static void
on_pause_over (gpointer data)
{
  *(gboolean *) data = TRUE;
}

/* Leaves the pool idle (its main context running) for @ms milliseconds,
 * as an application does between two runs. */
static void
pause_between_runs (int ms)
{
  gboolean over = FALSE;

  g_timeout_add_once (ms, on_pause_over, &over);
  while (!over)
    g_main_context_iteration (NULL, TRUE);
}

/* Runs the workload options->n_runs times on one pool and one memory. The
 * first run's time covers creating the pool (and, with --file, mapping the
 * file); the later ones only the run, on workers that are already up. */
static int
run_all (const Options     *options,
         Workload          *workload,
         MpaioSharedMemory *memory,
         GError           **error)
{
  g_autoptr(BenchWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(MpaioSharedMemory) owned = NULL;
  gint64 begin = g_get_monotonic_time ();

  if (memory == NULL && !(memory = owned = open_file_input (options, workload, error)))
    return 2;
  worker = g_object_new (BENCH_TYPE_WORKER, "kernel", workload->kernel, NULL);
  if (!(orchestrator = make_orchestrator (options, workload, memory, worker, error)))
    return 2;

  for (int run = 1; run <= options->n_runs; run++)
    {
      if (run > 1 && options->pause_ms > 0)
        pause_between_runs (options->pause_ms);
      if (run > 1)
        begin = g_get_monotonic_time ();
      if (!run_once (orchestrator, worker, error))
        return 1;
      print_run (options, workload, orchestrator, worker, run, g_get_monotonic_time () - begin);

      if (options->file == NULL && worker->result != workload->expected)
        {
          g_printerr ("Wrong result: expected %" G_GUINT64_FORMAT "\n", workload->expected);
          return 1;
        }
    }

  if (options->report_memory)
    {
      MpaioExecutor *executor = mpaio_orchestrator_get_executor (orchestrator);

      if (MPAIO_IS_PROCESS_POOL (executor))
        report_worker_memory (MPAIO_PROCESS_POOL (executor));
    }

  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_auto(Options) options = { .n_runs = 1 };
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;
  Workload workload = { 0 };
  int status;

  g_type_ensure (BENCH_TYPE_WORKER);
  mpaio_serve_if_worker ();
#ifdef HAVE_MPI
  mpaio_mpi_serve_if_worker ();
#endif

  if (!parse_options (&options, &argc, &argv, &error) ||
      (options.file == NULL && !resolve_workload (&options, &workload, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }

  if (options.file == NULL && !(memory = make_input (&workload, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  status = run_all (&options, &workload, memory, &error);
  if (error != NULL)
    g_printerr ("%s\n", error->message);

  return status;
}
