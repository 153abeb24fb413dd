/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * MpaioCpuMonitor: the /proc/stat parser and the usage it computes from two
 * readings, sampling from a fake /proc/stat whose counters the test
 * changes, sampling the real one while a thread spins, the CSV output and
 * following an orchestrator's runs. */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "mpaio-cpu-monitor-private.h"
#include "test-workers.h"

/* Three cores, all at 20% since boot, and the lines that are not cores. */
static const char stat_a[] =
  "cpu  3000 0 3000 24000 0 0 0 0 0 0\n"
  "cpu0 100 0 100 800 0 0 0 0 0 0\n"
  "cpu1 100 0 100 800 0 0 0 0 0 0\n"
  "cpu2 100 0 100 800 0 0 0 0 0 0\n"
  "intr 123456 0 0 0\n"
  "ctxt 999\n"
  "btime 1700000000\n"
  "procs_running 2\n";

/* 100 ticks later: cpu0 half busy (50 user; 30 idle and 20 iowait, and 40
 * guest ticks that user already counts), cpu1 busy, cpu2 gone offline. */
static const char stat_b[] =
  "cpu  3150 0 3000 24030 20 0 0 0 40 0\n"
  "cpu0 150 0 100 830 20 0 0 0 40 0\n"
  "cpu1 200 0 100 800 0 0 0 0 0 0\n";

static MpaioCpuTimes
times_of (const char *text,
          guint       core)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = mpaio_cpu_times_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (core, <, times->len);
  return g_array_index (times, MpaioCpuTimes, core);
}

static void
test_parse_cores (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = mpaio_cpu_times_parse (stat_a, strlen (stat_a), &error);
  MpaioCpuTimes cpu0;

  g_assert_no_error (error);
  g_assert_cmpuint (times->len, ==, 3);
  for (guint core = 0; core < 3; core++)
    {
      MpaioCpuTimes *t = &g_array_index (times, MpaioCpuTimes, core);

      g_assert_true (t->present);
      g_assert_cmpuint (t->total, ==, 1000);
      g_assert_cmpuint (t->idle, ==, 800);
    }

  /* iowait is idle time; guest time is already in user. */
  cpu0 = times_of (stat_b, 0);
  g_assert_cmpuint (cpu0.idle, ==, 850);
  g_assert_cmpuint (cpu0.total, ==, 1100);
}

static void
test_parse_missing_core (void)
{
  const char text[] =
    "cpu  1 2 3 4\n"
    "cpu0 1 1 1 1 1 1 1 1 1 1\n"
    "cpu3 2 2 2 2 2 2 2 2 2 2\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = mpaio_cpu_times_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (times->len, ==, 4);
  g_assert_true (g_array_index (times, MpaioCpuTimes, 0).present);
  g_assert_false (g_array_index (times, MpaioCpuTimes, 1).present);
  g_assert_false (g_array_index (times, MpaioCpuTimes, 2).present);
  g_assert_true (g_array_index (times, MpaioCpuTimes, 3).present);
  g_assert_cmpuint (g_array_index (times, MpaioCpuTimes, 3).total, ==, 16);
}

static void
test_parse_old_kernel (void)
{
  /* Before 2.6 a line stopped after idle. */
  MpaioCpuTimes cpu0 = times_of ("cpu0 10 20 30 40\n", 0);

  g_assert_cmpuint (cpu0.idle, ==, 40);
  g_assert_cmpuint (cpu0.total, ==, 100);
}

static void
test_parse_refuses (void)
{
  const char *texts[] = {
    "",
    "intr 1 2 3\nctxt 4\n",
    "cpu  1 2 3 4 5 6 7 8\n",                   /* only the sum */
    "cpu0 1 2 3\n",                              /* too few fields */
    "cpu99999 1 2 3 4\n",                        /* beyond NR_CPUS */
    "cpu0 99999999999999999999 1 1 1\n",         /* overflows */
    "cpux 1 2 3 4\n",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GArray) times = mpaio_cpu_times_parse (texts[i], strlen (texts[i]), &error);

      g_test_message ("text %u: %s", i, texts[i]);
      g_assert_null (times);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
}

static void
test_parse_length (void)
{
  /* Not NUL-terminated: only @length bytes are read. */
  const char text[] = "cpu0 1 1 1 1\ncpu1 2 2 2 2\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = mpaio_cpu_times_parse (text, strlen ("cpu0 1 1 1 1\ncpu1 2"), &error);

  g_assert_no_error (error);
  g_assert_cmpuint (times->len, ==, 1);
}

static void
test_usage (void)
{
  MpaioCpuTimes before = { .idle = 800, .total = 1000, .present = TRUE };
  MpaioCpuTimes half = { .idle = 850, .total = 1100, .present = TRUE };
  MpaioCpuTimes busy = { .idle = 800, .total = 1100, .present = TRUE };
  MpaioCpuTimes idle = { .idle = 900, .total = 1100, .present = TRUE };
  MpaioCpuTimes wrapped = { .idle = 10, .total = 20, .present = TRUE };
  MpaioCpuTimes idle_back = { .idle = 700, .total = 1100, .present = TRUE };
  MpaioCpuTimes absent = { 0 };

  g_assert_cmpfloat (mpaio_cpu_times_usage (&before, &half), ==, 0.5);
  g_assert_cmpfloat (mpaio_cpu_times_usage (&before, &busy), ==, 1.0);
  g_assert_cmpfloat (mpaio_cpu_times_usage (&before, &idle), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_times_usage (&before, &before), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_times_usage (&before, &wrapped), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_times_usage (&before, &idle_back), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_times_usage (&before, &absent), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_times_usage (&absent, &half), ==, 0.0);
}

/* Sampling a fake /proc/stat. */

typedef struct
{
  char            *dir;
  char            *path;
  MpaioCpuMonitor *monitor;
  GMainContext    *context;
  GArray          *added;     /* guint, the indices sample-added gave */
  guint            n_running_notifies;
} Fixture;

static void
write_stat (Fixture    *fixture,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (fixture->path, text, -1, &error);
  g_assert_no_error (error);
}

static void
on_sample_added (MpaioCpuMonitor *monitor,
                 guint            sample,
                 Fixture         *fixture)
{
  g_assert_cmpuint (sample + 1, ==, mpaio_cpu_monitor_get_n_samples (monitor));
  g_array_append_val (fixture->added, sample);
}

static void
on_running_notify (MpaioCpuMonitor *monitor,
                   GParamSpec      *pspec,
                   Fixture         *fixture)
{
  fixture->n_running_notifies++;
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  fixture->dir = g_dir_make_tmp ("mpaio-cpu-monitor-XXXXXX", &error);
  g_assert_no_error (error);
  fixture->path = g_build_filename (fixture->dir, "stat", NULL);
  write_stat (fixture, stat_a);

  /* Samples are taken on the thread-default context of the caller. */
  fixture->context = g_main_context_new ();
  g_main_context_push_thread_default (fixture->context);

  fixture->added = g_array_new (FALSE, FALSE, sizeof (guint));
  fixture->monitor = mpaio_cpu_monitor_new ();
  mpaio_cpu_monitor_set_stat_path (fixture->monitor, fixture->path);
  g_signal_connect (fixture->monitor, "sample-added", G_CALLBACK (on_sample_added), fixture);
  g_signal_connect (fixture->monitor, "notify::running", G_CALLBACK (on_running_notify), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_clear_object (&fixture->monitor);
  g_main_context_pop_thread_default (fixture->context);
  g_clear_pointer (&fixture->context, g_main_context_unref);
  g_clear_pointer (&fixture->added, g_array_unref);
  g_unlink (fixture->path);
  g_rmdir (fixture->dir);
  g_clear_pointer (&fixture->path, g_free);
  g_clear_pointer (&fixture->dir, g_free);
}

static void
increment (guint *counter)
{
  (*counter)++;
}

static void
wait_for_samples (MpaioCpuMonitor *monitor,
                  GMainContext    *context,
                  guint            n_samples)
{
  while (mpaio_cpu_monitor_get_n_samples (monitor) < n_samples)
    g_main_context_iteration (context, TRUE);
}

static void
start_and_sample_b (Fixture *fixture)
{
  g_autoptr(GError) error = NULL;

  mpaio_cpu_monitor_set_interval (fixture->monitor, 5);
  g_assert_true (mpaio_cpu_monitor_start (fixture->monitor, &error));
  g_assert_no_error (error);
  write_stat (fixture, stat_b);
  wait_for_samples (fixture->monitor, fixture->context, 1);
}

static void
test_monitor_deltas (Fixture       *fixture,
                     gconstpointer  data)
{
  MpaioCpuMonitor *monitor = fixture->monitor;
  guint n_cores_notifies = 0;

  g_assert_false (mpaio_cpu_monitor_is_running (monitor));
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_cores (monitor), ==, 0);
  g_signal_connect_swapped (monitor, "notify::n-cores", G_CALLBACK (increment), &n_cores_notifies);

  start_and_sample_b (fixture);
  g_assert_cmpuint (n_cores_notifies, ==, 1);
  g_assert_true (mpaio_cpu_monitor_is_running (monitor));
  g_assert_cmpuint (fixture->n_running_notifies, ==, 1);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_cores (monitor), ==, 3);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (monitor, 0, 0), ==, 0.5);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (monitor, 0, 1), ==, 1.0);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (monitor, 0, 2), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_mean_usage (monitor, 0), ==, 0.5);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_timestamp (monitor, 0), >, 0.0);

  /* Nothing moved since: 0, not a division by zero. */
  wait_for_samples (monitor, fixture->context, 2);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (monitor, 1, 0), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (monitor, 1, 1), ==, 0.0);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_timestamp (monitor, 1), >=,
                     mpaio_cpu_monitor_get_timestamp (monitor, 0));

  mpaio_cpu_monitor_stop (monitor);
  g_assert_false (mpaio_cpu_monitor_is_running (monitor));
  g_assert_cmpuint (fixture->n_running_notifies, ==, 2);
  mpaio_cpu_monitor_stop (monitor);
  g_assert_cmpuint (fixture->n_running_notifies, ==, 2);

  g_assert_cmpuint (fixture->added->len, ==, mpaio_cpu_monitor_get_n_samples (monitor));
  for (guint i = 0; i < fixture->added->len; i++)
    g_assert_cmpuint (g_array_index (fixture->added, guint, i), ==, i);
}

static void
test_monitor_offline_core_returns (Fixture       *fixture,
                                   gconstpointer  data)
{
  /* cpu2 comes back 200 ticks after stat_a, 100 of them busy: the sample
   * covers the whole gap. */
  const char stat_c[] =
    "cpu0 150 0 100 830 20 0 0 0 40 0\n"
    "cpu1 200 0 100 800 0 0 0 0 0 0\n"
    "cpu2 200 0 100 900 0 0 0 0 0 0\n"
    "cpu7 1 1 1 1\n";                /* came online later: not counted */

  start_and_sample_b (fixture);
  write_stat (fixture, stat_c);
  wait_for_samples (fixture->monitor, fixture->context, 2);

  g_assert_cmpuint (mpaio_cpu_monitor_get_n_cores (fixture->monitor), ==, 3);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (fixture->monitor, 1, 2), ==, 0.5);
}

static void
test_monitor_arrays (Fixture       *fixture,
                     gconstpointer  data)
{
  MpaioCpuMonitor *monitor = fixture->monitor;
  g_autofree double *timestamps = NULL;
  g_autofree double *usages = NULL;
  guint n = 0, n_usages = 0;

  timestamps = mpaio_cpu_monitor_dup_timestamps (monitor, &n);
  g_assert_null (timestamps);
  g_assert_cmpuint (n, ==, 0);

  start_and_sample_b (fixture);
  wait_for_samples (monitor, fixture->context, 3);
  mpaio_cpu_monitor_stop (monitor);

  timestamps = mpaio_cpu_monitor_dup_timestamps (monitor, &n);
  usages = mpaio_cpu_monitor_dup_core_usages (monitor, 1, &n_usages);
  g_assert_cmpuint (n, ==, mpaio_cpu_monitor_get_n_samples (monitor));
  g_assert_cmpuint (n_usages, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpfloat (timestamps[i], ==, mpaio_cpu_monitor_get_timestamp (monitor, i));
      g_assert_cmpfloat (usages[i], ==, mpaio_cpu_monitor_get_usage (monitor, i, 1));
    }
  g_assert_cmpfloat (usages[0], ==, 1.0);
}

static void
test_monitor_restart_clears (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint n_samples_notifies = 0;

  start_and_sample_b (fixture);
  g_assert_true (mpaio_cpu_monitor_start (fixture->monitor, &error));   /* running: nothing */
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_samples (fixture->monitor), >=, 1);
  mpaio_cpu_monitor_stop (fixture->monitor);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_samples (fixture->monitor), >=, 1);

  g_signal_connect_swapped (fixture->monitor, "notify::n-samples",
                            G_CALLBACK (increment), &n_samples_notifies);
  g_assert_true (mpaio_cpu_monitor_start (fixture->monitor, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_samples (fixture->monitor), ==, 0);
  g_assert_cmpuint (n_samples_notifies, ==, 1);

  /* The new series starts from the counters read at its start. */
  wait_for_samples (fixture->monitor, fixture->context, 1);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (fixture->monitor, 0, 1), ==, 0.0);
  g_assert_cmpuint (n_samples_notifies, ==, 2);
}

static void
test_monitor_interval (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  guint n_notifies = 0;
  guint interval = 0;

  g_assert_cmpuint (mpaio_cpu_monitor_get_interval (fixture->monitor), ==, 100);
  g_signal_connect_swapped (fixture->monitor, "notify::interval",
                            G_CALLBACK (increment), &n_notifies);

  /* A timer of an hour, shortened while running: the next sample comes
   * at the new interval, or this test would time out. */
  g_object_set (fixture->monitor, "interval", 3600 * 1000, NULL);
  g_assert_true (mpaio_cpu_monitor_start (fixture->monitor, &error));
  g_assert_no_error (error);
  mpaio_cpu_monitor_set_interval (fixture->monitor, 5);
  mpaio_cpu_monitor_set_interval (fixture->monitor, 5);
  g_object_get (fixture->monitor, "interval", &interval, NULL);
  g_assert_cmpuint (interval, ==, 5);
  g_assert_cmpuint (n_notifies, ==, 2);
  g_assert_true (mpaio_cpu_monitor_is_running (fixture->monitor));

  wait_for_samples (fixture->monitor, fixture->context, 1);
}

static gboolean
on_elapsed (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
test_monitor_stop_samples (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSource) timeout = g_timeout_source_new (20);
  gboolean elapsed = FALSE;

  /* No timer sample for an hour; a run shorter than the interval still
   * gets the sample stop() takes, since more than a clock tick passed. */
  mpaio_cpu_monitor_set_interval (fixture->monitor, 3600 * 1000);
  g_assert_true (mpaio_cpu_monitor_start (fixture->monitor, &error));
  g_assert_no_error (error);
  write_stat (fixture, stat_b);

  g_source_set_callback (timeout, on_elapsed, &elapsed, NULL);
  g_source_attach (timeout, fixture->context);
  while (!elapsed)
    g_main_context_iteration (fixture->context, TRUE);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_samples (fixture->monitor), ==, 0);

  mpaio_cpu_monitor_stop (fixture->monitor);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_samples (fixture->monitor), ==, 1);
  g_assert_cmpuint (fixture->added->len, ==, 1);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_usage (fixture->monitor, 0, 0), ==, 0.5);
  g_assert_cmpfloat (mpaio_cpu_monitor_get_timestamp (fixture->monitor, 0), >=, 0.02);
}

static void
test_monitor_start_errors (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *missing = g_build_filename (fixture->dir, "missing", NULL);

  write_stat (fixture, "intr 1 2 3\n");
  g_assert_false (mpaio_cpu_monitor_start (fixture->monitor, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
  g_assert_nonnull (strstr (error->message, fixture->path));
  g_assert_false (mpaio_cpu_monitor_is_running (fixture->monitor));
  g_clear_error (&error);

  mpaio_cpu_monitor_set_stat_path (fixture->monitor, missing);
  g_assert_false (mpaio_cpu_monitor_start (fixture->monitor, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_assert_false (mpaio_cpu_monitor_is_running (fixture->monitor));
  g_assert_cmpuint (fixture->n_running_notifies, ==, 0);
}

static char *
csv_of (MpaioCpuMonitor *monitor)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();

  g_assert_true (mpaio_cpu_monitor_write_csv (monitor, stream, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_close (stream, NULL, &error));
  g_assert_no_error (error);

  return g_strndup (g_memory_output_stream_get_data (G_MEMORY_OUTPUT_STREAM (stream)),
                    g_memory_output_stream_get_data_size (G_MEMORY_OUTPUT_STREAM (stream)));
}

static void
test_monitor_csv (Fixture       *fixture,
                  gconstpointer  data)
{
  MpaioCpuMonitor *monitor = fixture->monitor;
  g_autofree char *empty = csv_of (monitor);
  g_autofree char *csv = NULL;
  g_auto(GStrv) lines = NULL;
  char number[G_ASCII_DTOSTR_BUF_SIZE];
  g_autofree char *first = NULL;

  g_assert_cmpstr (empty, ==, "time\n");

  start_and_sample_b (fixture);
  wait_for_samples (monitor, fixture->context, 2);
  mpaio_cpu_monitor_stop (monitor);

  csv = csv_of (monitor);
  lines = g_strsplit (csv, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, mpaio_cpu_monitor_get_n_samples (monitor) + 2);
  g_assert_cmpstr (lines[0], ==, "time,cpu0,cpu1,cpu2");
  g_assert_cmpstr (lines[g_strv_length (lines) - 1], ==, "");   /* ends with a newline */

  g_ascii_formatd (number, sizeof number, "%.3f", mpaio_cpu_monitor_get_timestamp (monitor, 0));
  first = g_strconcat (number, ",0.5000,1.0000,0.0000", NULL);
  g_assert_cmpstr (lines[1], ==, first);
  g_assert_nonnull (strchr (number, '.'));
  g_assert_true (g_str_has_suffix (lines[2], ",0.0000,0.0000,0.0000"));
}

static void
test_monitor_csv_stream_error (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOutputStream) stream = g_memory_output_stream_new_resizable ();

  g_assert_true (g_output_stream_close (stream, NULL, NULL));
  g_assert_false (mpaio_cpu_monitor_write_csv (fixture->monitor, stream, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CLOSED);
}

/* Sampling the real /proc/stat while a thread spins. */

static gpointer
spin (gpointer data)
{
  gint *stop = data;
  volatile guint64 n = 0;

  while (!g_atomic_int_get (stop))
    n++;

  return NULL;
}

static void
test_real_busy_thread (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioCpuMonitor) monitor = g_object_new (MPAIO_TYPE_CPU_MONITOR, "interval", 20, NULL);
  gint stop = 0;
  GThread *thread = g_thread_new ("spin", spin, &stop);
  double busiest = 0.0;

  g_assert_true (mpaio_cpu_monitor_start (monitor, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_cores (monitor), >=, 1);

  wait_for_samples (monitor, NULL, 3);
  mpaio_cpu_monitor_stop (monitor);
  g_atomic_int_set (&stop, 1);
  g_thread_join (thread);

  for (guint sample = 0; sample < mpaio_cpu_monitor_get_n_samples (monitor); sample++)
    for (guint core = 0; core < mpaio_cpu_monitor_get_n_cores (monitor); core++)
      {
        double usage = mpaio_cpu_monitor_get_usage (monitor, sample, core);

        g_assert_cmpfloat (usage, >=, 0.0);
        g_assert_cmpfloat (usage, <=, 1.0);
        busiest = MAX (busiest, usage);
      }

  g_test_message ("busiest core: %.0f%%", busiest * 100);
  g_assert_cmpfloat (busiest, >, 0.0);
}

/* Following an orchestrator. A worker on a thread pool whose chunks wait
 * until the test opens the gate, so that the run lasts as long as needed. */

static GMutex gate_mutex;
static GCond gate_cond;
static gboolean gate_open;

#define TEST_TYPE_GATE_WORKER (test_gate_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestGateWorker, test_gate_worker, TEST, GATE_WORKER, GObject)

struct _TestGateWorker
{
  GObject parent_instance;
};

static void test_gate_worker_iface_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestGateWorker, test_gate_worker, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, test_gate_worker_iface_init))

static GVariant *
test_gate_worker_process (MpaioWorker  *worker,
                          MpaioChunk   *chunk,
                          GError      **error)
{
  g_mutex_lock (&gate_mutex);
  while (!gate_open)
    g_cond_wait (&gate_cond, &gate_mutex);
  g_mutex_unlock (&gate_mutex);

  return g_variant_new_uint64 (mpaio_chunk_get_index (chunk));
}

static void
test_gate_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = test_gate_worker_process;
}

static void
test_gate_worker_class_init (TestGateWorkerClass *klass)
{
}

static void
test_gate_worker_init (TestGateWorker *self)
{
}

static void
set_gate (gboolean open)
{
  g_mutex_lock (&gate_mutex);
  gate_open = open;
  g_cond_broadcast (&gate_cond);
  g_mutex_unlock (&gate_mutex);
}

typedef struct
{
  MpaioCpuMonitor *monitor;
  gboolean         done;
  gboolean         running_at_callback;
  guint            n_samples_at_callback;
} Watch;

static void
on_watched_run_done (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  Watch *watch = user_data;

  g_assert_true (mpaio_orchestrator_run_finish (MPAIO_ORCHESTRATOR (object), result, &error));
  g_assert_no_error (error);
  watch->running_at_callback = mpaio_cpu_monitor_is_running (watch->monitor);
  watch->n_samples_at_callback = mpaio_cpu_monitor_get_n_samples (watch->monitor);
  watch->done = TRUE;
}

static MpaioOrchestrator *
make_gated_run (MpaioExecutor *executor)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (8);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new (memory, 8, 8, 4, &error);
  g_autoptr(TestGateWorker) worker = g_object_new (TEST_TYPE_GATE_WORKER, NULL);
  MpaioOrchestrator *orchestrator = mpaio_orchestrator_new (executor);

  g_assert_no_error (error);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  return orchestrator;
}

static void
run_gated (MpaioOrchestrator *orchestrator,
           Watch             *watch,
           guint              n_samples)
{
  set_gate (FALSE);
  watch->done = FALSE;
  mpaio_orchestrator_run_async (orchestrator, NULL, on_watched_run_done, watch);

  /* The chunks wait at the gate until the monitor has had its samples. */
  if (n_samples > 0)
    wait_for_samples (watch->monitor, NULL, n_samples);

  set_gate (TRUE);
  while (!watch->done)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_watch (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(MpaioOrchestrator) orchestrator = make_gated_run (MPAIO_EXECUTOR (pool));
  g_autoptr(MpaioCpuMonitor) monitor = g_object_new (MPAIO_TYPE_CPU_MONITOR, "interval", 10, NULL);
  Watch watch = { monitor, FALSE, FALSE, 0 };

  g_assert_true (mpaio_cpu_monitor_watch (monitor, orchestrator, &error));
  g_assert_no_error (error);
  g_assert_false (mpaio_cpu_monitor_is_running (monitor));

  /* The run started the monitor and stopped it before its callback. */
  run_gated (orchestrator, &watch, 3);
  g_assert_false (watch.running_at_callback);
  g_assert_cmpuint (watch.n_samples_at_callback, >=, 3);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_cores (monitor), >=, 1);

  /* The next run makes a new series. */
  run_gated (orchestrator, &watch, 1);
  g_assert_false (watch.running_at_callback);
  g_assert_cmpuint (watch.n_samples_at_callback, >=, 1);

  /* Unwatched, runs leave the monitor alone. */
  mpaio_cpu_monitor_unwatch (monitor);
  run_gated (orchestrator, &watch, 0);
  g_assert_cmpuint (mpaio_cpu_monitor_get_n_samples (monitor), ==, watch.n_samples_at_callback);
  g_assert_false (mpaio_cpu_monitor_is_running (monitor));
}

static void
test_watch_running (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(MpaioOrchestrator) orchestrator = make_gated_run (MPAIO_EXECUTOR (pool));
  g_autoptr(MpaioCpuMonitor) monitor = g_object_new (MPAIO_TYPE_CPU_MONITOR, "interval", 10, NULL);
  Watch watch = { monitor, FALSE, FALSE, 0 };

  /* Watching an orchestrator that is running starts at once. */
  set_gate (FALSE);
  mpaio_orchestrator_run_async (orchestrator, NULL, on_watched_run_done, &watch);
  g_assert_true (mpaio_cpu_monitor_watch (monitor, orchestrator, &error));
  g_assert_no_error (error);
  g_assert_true (mpaio_cpu_monitor_is_running (monitor));
  wait_for_samples (monitor, NULL, 1);

  set_gate (TRUE);
  while (!watch.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (watch.running_at_callback);
}

static void
test_watch_monitor_gone (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (1);
  g_autoptr(MpaioOrchestrator) orchestrator = make_gated_run (MPAIO_EXECUTOR (pool));
  g_autoptr(MpaioCpuMonitor) monitor = mpaio_cpu_monitor_new ();
  g_autoptr(MpaioCpuMonitor) other = mpaio_cpu_monitor_new ();
  Watch watch = { other, FALSE, FALSE, 0 };

  /* A monitor that is gone no longer hears the orchestrator. */
  g_assert_true (mpaio_cpu_monitor_watch (monitor, orchestrator, &error));
  g_assert_no_error (error);
  g_clear_object (&monitor);
  run_gated (orchestrator, &watch, 0);
  g_assert_false (mpaio_cpu_monitor_is_running (other));
}

static void
test_watch_error (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (1);
  g_autoptr(MpaioOrchestrator) orchestrator = make_gated_run (MPAIO_EXECUTOR (pool));
  g_autoptr(MpaioCpuMonitor) monitor = mpaio_cpu_monitor_new ();
  Watch watch = { monitor, FALSE, FALSE, 0 };

  mpaio_cpu_monitor_set_stat_path (monitor, "/nonexistent/stat");
  g_assert_false (mpaio_cpu_monitor_watch (monitor, orchestrator, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);

  /* Not watching: the run does not try to start it. */
  run_gated (orchestrator, &watch, 0);
  g_assert_false (mpaio_cpu_monitor_is_running (monitor));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_type_ensure (TEST_TYPE_GATE_WORKER);

  g_test_add_func ("/mpaio/cpu-monitor/parse/cores", test_parse_cores);
  g_test_add_func ("/mpaio/cpu-monitor/parse/missing-core", test_parse_missing_core);
  g_test_add_func ("/mpaio/cpu-monitor/parse/old-kernel", test_parse_old_kernel);
  g_test_add_func ("/mpaio/cpu-monitor/parse/refuses", test_parse_refuses);
  g_test_add_func ("/mpaio/cpu-monitor/parse/length", test_parse_length);
  g_test_add_func ("/mpaio/cpu-monitor/usage", test_usage);

#define ADD_FIXTURE_TEST(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/sample/deltas", test_monitor_deltas);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/sample/offline-core-returns", test_monitor_offline_core_returns);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/sample/arrays", test_monitor_arrays);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/sample/restart-clears", test_monitor_restart_clears);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/sample/interval", test_monitor_interval);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/sample/stop-samples", test_monitor_stop_samples);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/sample/start-errors", test_monitor_start_errors);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/csv/format", test_monitor_csv);
  ADD_FIXTURE_TEST ("/mpaio/cpu-monitor/csv/stream-error", test_monitor_csv_stream_error);

  g_test_add_func ("/mpaio/cpu-monitor/real/busy-thread", test_real_busy_thread);
  g_test_add_func ("/mpaio/cpu-monitor/watch/runs", test_watch);
  g_test_add_func ("/mpaio/cpu-monitor/watch/running", test_watch_running);
  g_test_add_func ("/mpaio/cpu-monitor/watch/monitor-gone", test_watch_monitor_gone);
  g_test_add_func ("/mpaio/cpu-monitor/watch/error", test_watch_error);

  return g_test_run ();
}
