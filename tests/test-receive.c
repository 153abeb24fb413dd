/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The receive side of a process pool, as the caller feels it: large
 * results do not stall its main loop, pools on two threads keep apart,
 * workers' standard error never blocks or kills it, and what a worker may
 * not do is said plainly. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mpaio-serve-private.h"
#include "mpaio-worker-process-private.h"
#include "test-workers.h"

#define MIB ((guint64) 1024 * 1024)

/* Returns a zeroed "ay" of "size" bytes per chunk, writes "chatter" bytes
 * to its standard error per chunk, or reports whether a program it starts
 * would inherit its channel ("probe-channel"). */
#define TEST_TYPE_BIG_WORKER (test_big_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestBigWorker, test_big_worker, TEST, BIG_WORKER, GObject)

struct _TestBigWorker
{
  GObject   parent_instance;
  guint64   size;
  guint64   chatter;
  gboolean  probe_channel;

  /* Seen in the caller's process. */
  guint     n_results;
  guint64   n_bytes;
};

enum { PROP_SIZE = 1, PROP_CHATTER, PROP_PROBE_CHANNEL };

static void test_big_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestBigWorker, test_big_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_big_worker_iface_init))

/* 1 when a shell this worker starts finds its channel fd open. */
static GVariant *
probe_channel (void)
{
  g_autofree char *command = g_strdup_printf ("test -e /proc/self/fd/%d", MPAIO_WORKER_CHANNEL_FD);
  int status = system (command);

  return g_variant_new_bytestring (WIFEXITED (status) && WEXITSTATUS (status) == 0 ? "1" : "0");
}

static GVariant *
test_big_worker_process (MpaioWorker  *worker,
                         MpaioChunk   *chunk,
                         GError      **error)
{
  TestBigWorker *self = TEST_BIG_WORKER (worker);

  if (self->probe_channel)
    return probe_channel ();

  if (self->chatter > 0)
    {
      g_autofree char *text = g_malloc (self->chatter);

      memset (text, 'x', self->chatter);
      text[self->chatter - 1] = '\n';
      if (write (STDERR_FILENO, text, self->chatter) < 0)
        return NULL;
    }

  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING,
                                   g_bytes_new_take (g_malloc0 (self->size), self->size), TRUE);
}

static void
test_big_worker_process_callback (MpaioWorker *worker,
                                  guint64      chunk_index,
                                  GVariant    *result)
{
  TestBigWorker *self = TEST_BIG_WORKER (worker);

  self->n_results++;
  self->n_bytes += g_variant_get_size (result);
}

static GVariantType *
test_big_worker_dup_result_type (MpaioWorker *worker)
{
  return g_variant_type_copy (G_VARIANT_TYPE_BYTESTRING);
}

static void
test_big_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_big_worker_process;
  iface->process_callback = test_big_worker_process_callback;
  iface->dup_result_type = test_big_worker_dup_result_type;
}

static void
test_big_worker_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  TestBigWorker *self = TEST_BIG_WORKER (object);

  if (prop_id == PROP_SIZE)
    self->size = g_value_get_uint64 (value);
  else if (prop_id == PROP_CHATTER)
    self->chatter = g_value_get_uint64 (value);
  else
    self->probe_channel = g_value_get_boolean (value);
}

static void
test_big_worker_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  TestBigWorker *self = TEST_BIG_WORKER (object);

  if (prop_id == PROP_SIZE)
    g_value_set_uint64 (value, self->size);
  else if (prop_id == PROP_CHATTER)
    g_value_set_uint64 (value, self->chatter);
  else
    g_value_set_boolean (value, self->probe_channel);
}

static void
test_big_worker_class_init (TestBigWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  object_class->set_property = test_big_worker_set_property;
  object_class->get_property = test_big_worker_get_property;
  g_object_class_install_property (object_class, PROP_SIZE,
                                   g_param_spec_uint64 ("size", NULL, NULL, 0, G_MAXUINT64, 1, flags));
  g_object_class_install_property (object_class, PROP_CHATTER,
                                   g_param_spec_uint64 ("chatter", NULL, NULL, 0, G_MAXUINT64, 0, flags));
  g_object_class_install_property (object_class, PROP_PROBE_CHANNEL,
                                   g_param_spec_boolean ("probe-channel", NULL, NULL, FALSE, flags));
}

static void
test_big_worker_init (TestBigWorker *self)
{
  self->size = 1;
}

/* One run of @worker over @n_chunks chunks on @pool. */
static gboolean
run_big (MpaioProcessPool  *pool,
         TestBigWorker     *worker,
         guint64            n_chunks,
         GError           **error)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (n_chunks);
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));

  iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", n_chunks, 1, error);
  if (iterator == NULL)
    return FALSE;

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  return test_run_sync (orchestrator, NULL, error);
}

static gboolean
under_valgrind (void)
{
  return g_getenv ("MPAIO_TEST_VALGRIND") != NULL;
}

/* Large results */

typedef struct
{
  gint64 last;
  gint64 longest;
} Ticks;

static gboolean
on_tick (gpointer user_data)
{
  Ticks *ticks = user_data;
  gint64 now = g_get_monotonic_time ();

  ticks->longest = MAX (ticks->longest, now - ticks->last);
  ticks->last = now;
  return G_SOURCE_CONTINUE;
}

/* 200 MiB of results arrive, in two messages of 100 MiB: validating them on
 * the main thread took about 2 s each. The main thread's CPU time says
 * where the work was done, whatever the load; the longest gap between a
 * 10 ms timer's ticks says what the caller felt. */
static void
test_large_results_off_main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (2);
  g_autoptr(TestBigWorker) worker = g_object_new (TEST_TYPE_BIG_WORKER, NULL);
  guint64 size = under_valgrind () ? 4 * MIB : 100 * MIB;
  Ticks ticks = { 0, 0 };
  gint64 cpu;
  guint timer;

  g_object_set (worker, "size", size - 16, NULL);
  /* Warm up: the workers are spawned before the clock starts. */
  g_assert_true (run_big (pool, worker, 2, &error));
  g_assert_no_error (error);

  ticks.last = g_get_monotonic_time ();
  timer = g_timeout_add (10, on_tick, &ticks);
  cpu = test_thread_cpu_usec ();
  g_assert_true (run_big (pool, worker, 2, &error));
  g_assert_no_error (error);
  cpu = test_thread_cpu_usec () - cpu;
  /* A stall at the very end counts too. */
  on_tick (&ticks);
  g_source_remove (timer);

  g_assert_cmpuint (worker->n_results, ==, 4);
  g_test_message ("%" G_GUINT64_FORMAT " MiB of results: main thread busy %.1f ms, "
                  "longest gap between ticks %.1f ms", 2 * size / MIB, cpu / 1000.0,
                  ticks.longest / 1000.0);
  if (under_valgrind ())
    return;

  /* Validating 200 MiB there costs some 4 s of CPU. */
  g_assert_cmpint (cpu, <, 500 * 1000);
  /* The bound is 50 ms; a loaded machine may delay a tick, but
   * not by the 2 s one message held the loop. */
  g_assert_cmpint (ticks.longest, <, 500 * 1000);
}

/* A result over the limit is refused in the worker, in words that say
 * what to do. */
static void
test_result_over_limit (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (1);
  g_autoptr(TestBigWorker) worker = g_object_new (TEST_TYPE_BIG_WORKER, NULL);

  /* calloc()ed and never touched: it costs no memory. */
  g_object_set (worker, "size", 257 * MIB, NULL);
  g_assert_false (run_big (pool, worker, 1, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT);
  g_assert_nonnull (strstr (error->message, "257.0"));
  g_assert_nonnull (strstr (error->message, "smaller chunks"));
  g_assert_nonnull (strstr (error->message, "output memory"));
  g_assert_cmpuint (worker->n_results, ==, 0);
}

/* A program a worker starts does not inherit its channel to the caller. */
static void
test_channel_not_inherited (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (1);
  g_autoptr(TestBigWorker) worker = g_object_new (TEST_TYPE_BIG_WORKER, "probe-channel", TRUE, NULL);

  g_assert_true (run_big (pool, worker, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (worker->n_results, ==, 1);
  /* "0" and its nul. */
  g_assert_cmpuint (worker->n_bytes, ==, 2);
}

/* What a worker controls, cut before it reaches an error */

static void
test_worker_text_cut (void)
{
  g_autofree char *text = g_malloc (100 * 1000 + 1);
  g_autoptr(GError) unknown = NULL;
  g_autoptr(GError) known = NULL;
  MpaioWireError body = { 1, 2, text, 3, text };

  memset (text, 'w', 100 * 1000);
  text[100 * 1000] = '\0';

  /* An unknown domain of 100 KB, and a message of 100 KB. */
  unknown = mpaio_wire_error_to_gerror (&body);
  g_assert_error (unknown, MPAIO_ERROR, MPAIO_ERROR_WORKER_FAILED);
  g_assert_cmpuint (strlen (unknown->message), <, 50 * 1024 + 200);
  g_assert_nonnull (strstr (unknown->message, "bytes left out"));

  body.domain = g_quark_to_string (G_IO_ERROR);
  known = mpaio_wire_error_to_gerror (&body);
  g_assert_error (known, G_IO_ERROR, 3);
  g_assert_cmpuint (strlen (known->message), <, 50 * 1024);
  g_assert_true (g_str_has_suffix (known->message, "www"));

  /* A traceback's worth is kept whole. */
  text[60 * 1000] = '\0';
  g_clear_error (&known);
  known = mpaio_wire_error_to_gerror (&body);
  g_assert_cmpstr (known->message, ==, text);
}

static void
test_long_program_cut (void)
{
  g_autofree char *program = g_malloc (100 * 1000 + 2);
  const char *argv[] = { program, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestBigWorker) worker = g_object_new (TEST_TYPE_BIG_WORKER, NULL);

  program[0] = '/';
  memset (program + 1, 'p', 100 * 1000);
  program[100 * 1000 + 1] = '\0';
  pool = mpaio_process_pool_new_for_argv (argv, 1);

  g_assert_false (run_big (pool, worker, 1, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED);
  g_test_message ("%.400s", error->message);
  g_assert_cmpuint (strlen (error->message), <, 1000);
}

/* Two pools on two threads */

static guint
n_thread_runs (void)
{
  const char *runs = g_getenv ("MPAIO_TEST_THREAD_RUNS");

  return runs != NULL ? atoi (runs) : under_valgrind () ? 10 : 200;
}

static gpointer
run_pool_on_thread (gpointer data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(MpaioProcessPool) pool = NULL;
  guint n_runs = n_thread_runs ();

  g_main_context_push_thread_default (context);
  pool = mpaio_process_pool_new (2);

  for (guint i = 0; i < n_runs; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(TestSumWorker) worker = NULL;
      g_autoptr(MpaioOrchestrator) orchestrator = NULL;

      /* 400 chunks: many small messages each way. */
      orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 4000, 10, &worker);
      g_assert_true (mpaio_orchestrator_run (orchestrator, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (worker->total, ==, test_sum_1_to_n (4000));
    }

  test_shutdown_sync (MPAIO_EXECUTOR (pool));
  g_main_context_pop_thread_default (context);
  return NULL;
}

static void
test_two_threads (void)
{
  GThread *threads[2];

  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    threads[i] = g_thread_new ("pool", run_pool_on_thread, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
    g_thread_join (threads[i]);
  g_test_message ("2 threads × %u runs, no error", n_thread_runs ());
}

/* Workers' standard error, when the caller's is stuck or gone */

/* The caller, run as a subprocess of the test: a run whose worker writes
 * 4 MiB to its standard error, far more than a pipe holds. */
static int
caller_main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (1);
  g_autoptr(TestBigWorker) worker = g_object_new (TEST_TYPE_BIG_WORKER,
                                                  "chatter", (guint64) 256 * 1024, NULL);

  if (!run_big (pool, worker, 16, &error))
    {
      printf ("failed: %s\n", error->message);
      return 1;
    }

  printf ("done %u dropped %" G_GUINT64_FORMAT "\n", worker->n_results,
          mpaio_worker_process_get_stderr_dropped ());
  fflush (stdout);
  test_shutdown_sync (MPAIO_EXECUTOR (pool));
  return 0;
}

static void
check_caller (gboolean close_stderr)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) caller = NULL;
  g_autoptr(GDataInputStream) output = NULL;
  g_autofree char *line = NULL;
  guint n_results;
  guint64 dropped;

  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *self_path = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  /* The caller itself writes nothing to its standard error. */
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  /* Read, not run: under valgrind, running /proc/self/exe runs valgrind. */
  self_path = g_file_read_link ("/proc/self/exe", &error);
  g_assert_no_error (error);
  caller = g_subprocess_launcher_spawn (launcher, &error, self_path, "--caller", NULL);
  g_assert_no_error (error);
  if (close_stderr)
    g_input_stream_close (g_subprocess_get_stderr_pipe (caller), NULL, NULL);

  /* Nobody reads the caller's standard error, or nobody can. */
  output = g_data_input_stream_new (g_subprocess_get_stdout_pipe (caller));
  line = g_data_input_stream_read_line_utf8 (output, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_test_message ("the caller said: %s", line);
  g_assert_cmpint (sscanf (line, "done %u dropped %" G_GUINT64_FORMAT, &n_results, &dropped), ==, 2);
  g_assert_cmpuint (n_results, ==, 16);
  g_assert_cmpuint (dropped, >, 0);

  g_subprocess_wait (caller, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (caller));
  g_assert_cmpint (g_subprocess_get_exit_status (caller), ==, 0);
}

static void
test_stderr_undrained (void)
{
  check_caller (FALSE);
}

static void
test_stderr_reader_gone (void)
{
  check_caller (TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_type_ensure (TEST_TYPE_BIG_WORKER);
  test_workers_register ();
  mpaio_serve_if_worker ();

  if (argc == 2 && g_str_equal (argv[1], "--caller"))
    return caller_main ();

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/receive/large-results-off-main", test_large_results_off_main);
  g_test_add_func ("/mpaio/receive/result-over-limit", test_result_over_limit);
  g_test_add_func ("/mpaio/receive/channel-not-inherited", test_channel_not_inherited);
  g_test_add_func ("/mpaio/receive/worker-text-cut", test_worker_text_cut);
  g_test_add_func ("/mpaio/receive/long-program-cut", test_long_program_cut);
  g_test_add_func ("/mpaio/receive/two-threads", test_two_threads);
  g_test_add_func ("/mpaio/receive/stderr-undrained", test_stderr_undrained);
  g_test_add_func ("/mpaio/receive/stderr-reader-gone", test_stderr_reader_gone);

  return g_test_run ();
}
