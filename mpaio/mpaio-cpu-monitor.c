/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <unistd.h>

#include "mpaio-cpu-monitor-private.h"
#include "mpaio-i18n-private.h"

/**
 * MpaioCpuMonitor:
 *
 * Samples how busy each processor core is, to see how well a run uses the
 * machine.
 *
 * Between [method@Mpaio.CpuMonitor.start] and [method@Mpaio.CpuMonitor.stop],
 * or during every run of an orchestrator given to
 * [method@Mpaio.CpuMonitor.watch], the monitor reads the kernel's counters
 * (`/proc/stat`) every [property@Mpaio.CpuMonitor:interval] milliseconds, from
 * a timeout on the thread-default main context of the caller of `start`, and
 * records the share of each core's time that was not idle since the previous
 * reading. Reading `/proc/stat` costs a few microseconds and never waits for
 * a disk, so the main loop is not held up.
 *
 * The series is kept until the next start. Sample `i` has a timestamp, in
 * seconds since the start ([method@Mpaio.CpuMonitor.get_timestamp]), and one
 * usage from 0 to 1 per core ([method@Mpaio.CpuMonitor.get_usage]); whole
 * series come as arrays for bindings
 * ([method@Mpaio.CpuMonitor.dup_core_usages]), and
 * [method@Mpaio.CpuMonitor.write_csv] writes it all as CSV. Each new sample
 * emits [signal@Mpaio.CpuMonitor::sample-added] and notifies
 * [property@Mpaio.CpuMonitor:n-samples].
 *
 * The cores are those `/proc/stat` lists at the start. A core that goes
 * offline has usage 0 until it comes back; one that comes online later is
 * not counted. Counters that went backwards, or did not move, give 0.
 */

#define DEFAULT_INTERVAL 100

struct _MpaioCpuMonitor
{
  GObject            parent_instance;

  guint              interval;
  char              *stat_path;
  GSource           *timeout_source;

  GArray            *previous;        /* MpaioCpuTimes, by core */
  gint64             start_time;      /* monotonic, µs */
  gint64             previous_time;
  guint              n_cores;
  GArray            *timestamps;      /* double, seconds since start */
  GArray            *usages;          /* double, n_cores per sample */

  MpaioOrchestrator *orchestrator;
  gulong             running_handler;
};

G_DEFINE_FINAL_TYPE (MpaioCpuMonitor, mpaio_cpu_monitor, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_INTERVAL,
  PROP_RUNNING,
  PROP_N_CORES,
  PROP_N_SAMPLES,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SAMPLE_ADDED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Sampling. */

static GArray *
read_times (MpaioCpuMonitor  *self,
            GError          **error)
{
  g_autofree char *text = NULL;
  gsize length;
  GArray *times;

  if (!g_file_get_contents (self->stat_path, &text, &length, error))
    return NULL;

  if (!(times = mpaio_cpu_times_parse (text, length, error)))
    g_prefix_error (error, "%s: ", self->stat_path);

  return times;
}

static void
take_sample (MpaioCpuMonitor *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) times = read_times (self, &error);
  gint64 now = g_get_monotonic_time ();
  double timestamp = (now - self->start_time) / (double) G_USEC_PER_SEC;

  if (times == NULL)
    {
      g_debug ("No CPU sample this time: %s", error->message);
      return;
    }

  g_array_append_val (self->timestamps, timestamp);

  for (guint core = 0; core < self->n_cores; core++)
    {
      MpaioCpuTimes *previous = &g_array_index (self->previous, MpaioCpuTimes, core);
      double usage = 0.0;

      if (core < times->len)
        {
          MpaioCpuTimes *current = &g_array_index (times, MpaioCpuTimes, core);

          usage = mpaio_cpu_times_usage (previous, current);
          /* An offline core keeps its last reading, so that its first
           * sample back covers the whole gap. */
          if (current->present)
            *previous = *current;
        }

      g_array_append_val (self->usages, usage);
    }

  self->previous_time = now;

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SAMPLES]);
  g_signal_emit (self, signals[SAMPLE_ADDED], 0, self->timestamps->len - 1);
}

static gboolean
on_timeout (gpointer user_data)
{
  take_sample (MPAIO_CPU_MONITOR (user_data));

  return G_SOURCE_CONTINUE;
}

static void
clear_timeout (MpaioCpuMonitor *self)
{
  if (self->timeout_source != NULL)
    {
      g_source_destroy (self->timeout_source);
      g_clear_pointer (&self->timeout_source, g_source_unref);
    }
}

static void
attach_timeout (MpaioCpuMonitor *self,
                GMainContext    *context)
{
  self->timeout_source = g_timeout_source_new (self->interval);
  g_source_set_callback (self->timeout_source, on_timeout, self, NULL);
  g_source_set_static_name (self->timeout_source, "[mpaio] cpu monitor");
  g_source_attach (self->timeout_source, context);
}

static void
on_running_changed (MpaioCpuMonitor *self)
{
  g_autoptr(GError) error = NULL;

  if (!mpaio_orchestrator_is_running (self->orchestrator))
    {
      mpaio_cpu_monitor_stop (self);
      return;
    }

  /* watch() read the counters already, so this is not expected to fail;
   * a signal handler has nobody to hand the error to. */
  if (!mpaio_cpu_monitor_start (self, &error))
    g_warning ("Could not monitor the processors during the run: %s", error->message);
}

/* GObject. */

static void
mpaio_cpu_monitor_dispose (GObject *object)
{
  MpaioCpuMonitor *self = (MpaioCpuMonitor *)object;

  mpaio_cpu_monitor_unwatch (self);
  clear_timeout (self);

  G_OBJECT_CLASS (mpaio_cpu_monitor_parent_class)->dispose (object);
}

static void
mpaio_cpu_monitor_finalize (GObject *object)
{
  MpaioCpuMonitor *self = (MpaioCpuMonitor *)object;

  g_clear_pointer (&self->stat_path, g_free);
  g_clear_pointer (&self->previous, g_array_unref);
  g_clear_pointer (&self->timestamps, g_array_unref);
  g_clear_pointer (&self->usages, g_array_unref);

  G_OBJECT_CLASS (mpaio_cpu_monitor_parent_class)->finalize (object);
}

static void
mpaio_cpu_monitor_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  MpaioCpuMonitor *self = MPAIO_CPU_MONITOR (object);

  switch (prop_id)
    {
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;

    case PROP_RUNNING:
      g_value_set_boolean (value, mpaio_cpu_monitor_is_running (self));
      break;

    case PROP_N_CORES:
      g_value_set_uint (value, self->n_cores);
      break;

    case PROP_N_SAMPLES:
      g_value_set_uint (value, self->timestamps->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_cpu_monitor_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  MpaioCpuMonitor *self = MPAIO_CPU_MONITOR (object);

  switch (prop_id)
    {
    case PROP_INTERVAL:
      mpaio_cpu_monitor_set_interval (self, g_value_get_uint (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
mpaio_cpu_monitor_class_init (MpaioCpuMonitorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = mpaio_cpu_monitor_dispose;
  object_class->finalize = mpaio_cpu_monitor_finalize;
  object_class->get_property = mpaio_cpu_monitor_get_property;
  object_class->set_property = mpaio_cpu_monitor_set_property;

  /**
   * MpaioCpuMonitor:interval:
   *
   * The time between two samples, in milliseconds. The kernel counts in
   * clock ticks of 10 ms, so much shorter intervals give coarse values.
   */
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL,
                       1, G_MAXUINT, DEFAULT_INTERVAL,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioCpuMonitor:running: (getter is_running)
   *
   * Whether the monitor is taking samples.
   */
  properties[PROP_RUNNING] =
    g_param_spec_boolean ("running", NULL, NULL,
                          FALSE,
                          (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioCpuMonitor:n-cores:
   *
   * The number of cores each sample has a usage for: those listed when the
   * monitor last started, or 0 before that.
   */
  properties[PROP_N_CORES] =
    g_param_spec_uint ("n-cores", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * MpaioCpuMonitor:n-samples:
   *
   * The number of samples taken since the monitor last started.
   */
  properties[PROP_N_SAMPLES] =
    g_param_spec_uint ("n-samples", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * MpaioCpuMonitor::sample-added:
   * @self: the monitor
   * @sample: the index of the new sample
   *
   * Emitted on the monitor's main context after each sample was recorded.
   */
  signals[SAMPLE_ADDED] =
    g_signal_new ("sample-added",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
mpaio_cpu_monitor_init (MpaioCpuMonitor *self)
{
  self->interval = DEFAULT_INTERVAL;
  self->stat_path = g_strdup ("/proc/stat");
  self->timestamps = g_array_new (FALSE, FALSE, sizeof (double));
  self->usages = g_array_new (FALSE, FALSE, sizeof (double));
}

/* For the tests: read counters from another file than /proc/stat. */
void
mpaio_cpu_monitor_set_stat_path (MpaioCpuMonitor *self,
                                 const char      *path)
{
  g_return_if_fail (MPAIO_IS_CPU_MONITOR (self));
  g_return_if_fail (path != NULL);

  g_free (self->stat_path);
  self->stat_path = g_strdup (path);
}

/* Public API. */

/**
 * mpaio_cpu_monitor_new:
 *
 * Creates a monitor that samples every 100 ms once started.
 *
 * Returns: (transfer full): a new monitor
 */
MpaioCpuMonitor *
mpaio_cpu_monitor_new (void)
{
  return g_object_new (MPAIO_TYPE_CPU_MONITOR, NULL);
}

/**
 * mpaio_cpu_monitor_get_interval:
 * @self: a monitor
 *
 * Gets the time between two samples.
 *
 * Returns: the interval, in milliseconds
 */
guint
mpaio_cpu_monitor_get_interval (MpaioCpuMonitor *self)
{
  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), 0);

  return self->interval;
}

/**
 * mpaio_cpu_monitor_set_interval:
 * @self: a monitor
 * @interval: the time between two samples, in milliseconds, at least 1
 *
 * Sets the time between two samples. A running monitor takes its next
 * sample @interval milliseconds from now.
 */
void
mpaio_cpu_monitor_set_interval (MpaioCpuMonitor *self,
                                guint            interval)
{
  g_return_if_fail (MPAIO_IS_CPU_MONITOR (self));
  g_return_if_fail (interval > 0);

  if (self->interval == interval)
    return;

  self->interval = interval;

  if (self->timeout_source != NULL)
    {
      GMainContext *context = g_source_get_context (self->timeout_source);

      g_main_context_ref (context);
      clear_timeout (self);
      attach_timeout (self, context);
      g_main_context_unref (context);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL]);
}

/**
 * mpaio_cpu_monitor_start:
 * @self: a monitor
 * @error: return location for a #GError
 *
 * Starts a new series: drops the samples of the last one, reads the
 * counters now, and then takes a sample every
 * [property@Mpaio.CpuMonitor:interval] milliseconds on the thread-default
 * main context. Starting a running monitor does nothing.
 *
 * Returns: %TRUE, or %FALSE with an error if the counters cannot be read
 *   (`/proc/stat` is missing or lists no core)
 */
gboolean
mpaio_cpu_monitor_start (MpaioCpuMonitor  *self,
                         GError          **error)
{
  g_autoptr(GMainContext) context = NULL;
  GArray *times;
  guint n_samples;

  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->timeout_source != NULL)
    return TRUE;

  if (!(times = read_times (self, error)))
    return FALSE;

  g_clear_pointer (&self->previous, g_array_unref);
  self->previous = times;
  self->start_time = self->previous_time = g_get_monotonic_time ();

  n_samples = self->timestamps->len;
  g_array_set_size (self->timestamps, 0);
  g_array_set_size (self->usages, 0);

  context = g_main_context_ref_thread_default ();
  attach_timeout (self, context);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->n_cores != times->len)
    {
      self->n_cores = times->len;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CORES]);
    }
  if (n_samples != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_SAMPLES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

/**
 * mpaio_cpu_monitor_stop:
 * @self: a monitor
 *
 * Stops taking samples. A last sample covers the time since the previous
 * one, if at least one clock tick passed. The series stays readable until
 * the next start. Stopping a monitor that is not running does nothing.
 */
void
mpaio_cpu_monitor_stop (MpaioCpuMonitor *self)
{
  gint64 tick = G_USEC_PER_SEC / MAX (sysconf (_SC_CLK_TCK), 1);

  g_return_if_fail (MPAIO_IS_CPU_MONITOR (self));

  if (self->timeout_source == NULL)
    return;

  clear_timeout (self);

  if (g_get_monotonic_time () - self->previous_time >= tick)
    take_sample (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RUNNING]);
}

/**
 * mpaio_cpu_monitor_is_running: (get-property running)
 * @self: a monitor
 *
 * Tells whether the monitor is taking samples.
 *
 * Returns: whether the monitor is running
 */
gboolean
mpaio_cpu_monitor_is_running (MpaioCpuMonitor *self)
{
  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), FALSE);

  return self->timeout_source != NULL;
}

/**
 * mpaio_cpu_monitor_watch:
 * @self: a monitor
 * @orchestrator: the orchestrator whose runs to monitor
 * @error: return location for a #GError
 *
 * Monitors every run of @orchestrator: the monitor starts a new series when
 * [property@Mpaio.Orchestrator:running] becomes %TRUE (or now, if a run is
 * going on) and stops when it becomes %FALSE, before the run's callback is
 * called. It replaces the orchestrator watched before, if any.
 *
 * Returns: %TRUE, or %FALSE with an error if the counters cannot be read
 */
gboolean
mpaio_cpu_monitor_watch (MpaioCpuMonitor    *self,
                         MpaioOrchestrator  *orchestrator,
                         GError            **error)
{
  g_autoptr(GArray) times = NULL;

  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), FALSE);
  g_return_val_if_fail (MPAIO_IS_ORCHESTRATOR (orchestrator), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Fail here, where the caller can hear it, not when a run starts. */
  if (!(times = read_times (self, error)))
    return FALSE;

  mpaio_cpu_monitor_unwatch (self);

  self->orchestrator = g_object_ref (orchestrator);
  self->running_handler = g_signal_connect_swapped (orchestrator, "notify::running",
                                                    G_CALLBACK (on_running_changed), self);
  if (mpaio_orchestrator_is_running (orchestrator))
    on_running_changed (self);

  return TRUE;
}

/**
 * mpaio_cpu_monitor_unwatch:
 * @self: a monitor
 *
 * Stops following the orchestrator given to [method@Mpaio.CpuMonitor.watch].
 * A series in progress goes on until [method@Mpaio.CpuMonitor.stop].
 */
void
mpaio_cpu_monitor_unwatch (MpaioCpuMonitor *self)
{
  g_return_if_fail (MPAIO_IS_CPU_MONITOR (self));

  if (self->orchestrator == NULL)
    return;

  g_clear_signal_handler (&self->running_handler, self->orchestrator);
  g_clear_object (&self->orchestrator);
}

/**
 * mpaio_cpu_monitor_get_n_cores:
 * @self: a monitor
 *
 * Gets the number of cores each sample has a usage for.
 *
 * Returns: the number of cores, or 0 if the monitor never started
 */
guint
mpaio_cpu_monitor_get_n_cores (MpaioCpuMonitor *self)
{
  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), 0);

  return self->n_cores;
}

/**
 * mpaio_cpu_monitor_get_n_samples:
 * @self: a monitor
 *
 * Gets the number of samples taken since the monitor last started.
 *
 * Returns: the number of samples
 */
guint
mpaio_cpu_monitor_get_n_samples (MpaioCpuMonitor *self)
{
  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), 0);

  return self->timestamps->len;
}

/**
 * mpaio_cpu_monitor_get_timestamp:
 * @self: a monitor
 * @sample: a sample index, less than the number of samples
 *
 * Gets when a sample was taken. It covers the time since the sample before
 * it (or since the start, for the first).
 *
 * Returns: the time of the sample, in seconds since the start
 */
double
mpaio_cpu_monitor_get_timestamp (MpaioCpuMonitor *self,
                                 guint            sample)
{
  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), 0.0);
  g_return_val_if_fail (sample < self->timestamps->len, 0.0);

  return g_array_index (self->timestamps, double, sample);
}

/**
 * mpaio_cpu_monitor_get_usage:
 * @self: a monitor
 * @sample: a sample index, less than the number of samples
 * @core: a core number, less than the number of cores
 *
 * Gets how busy a core was during a sample.
 *
 * Returns: the share of the time the core was not idle, from 0 to 1
 */
double
mpaio_cpu_monitor_get_usage (MpaioCpuMonitor *self,
                             guint            sample,
                             guint            core)
{
  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), 0.0);
  g_return_val_if_fail (sample < self->timestamps->len, 0.0);
  g_return_val_if_fail (core < self->n_cores, 0.0);

  return g_array_index (self->usages, double, (gsize) sample * self->n_cores + core);
}

/**
 * mpaio_cpu_monitor_get_mean_usage:
 * @self: a monitor
 * @sample: a sample index, less than the number of samples
 *
 * Gets how busy the machine as a whole was during a sample.
 *
 * Returns: the mean usage of all cores, from 0 to 1
 */
double
mpaio_cpu_monitor_get_mean_usage (MpaioCpuMonitor *self,
                                  guint            sample)
{
  double sum = 0.0;

  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), 0.0);
  g_return_val_if_fail (sample < self->timestamps->len, 0.0);

  for (guint core = 0; core < self->n_cores; core++)
    sum += mpaio_cpu_monitor_get_usage (self, sample, core);

  return self->n_cores > 0 ? sum / self->n_cores : 0.0;
}

/**
 * mpaio_cpu_monitor_dup_timestamps:
 * @self: a monitor
 * @n_samples: (out): return location for the number of samples
 *
 * Gets the time of every sample at once, as
 * [method@Mpaio.CpuMonitor.get_timestamp] gives them.
 *
 * Returns: (array length=n_samples) (transfer full) (nullable): the times,
 *   in seconds since the start, or %NULL if there is no sample
 */
double *
mpaio_cpu_monitor_dup_timestamps (MpaioCpuMonitor *self,
                                  guint           *n_samples)
{
  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), NULL);
  g_return_val_if_fail (n_samples != NULL, NULL);

  *n_samples = self->timestamps->len;

  return g_memdup2 (self->timestamps->data, self->timestamps->len * sizeof (double));
}

/**
 * mpaio_cpu_monitor_dup_core_usages:
 * @self: a monitor
 * @core: a core number, less than the number of cores
 * @n_samples: (out): return location for the number of samples
 *
 * Gets the usage of one core in every sample at once, as
 * [method@Mpaio.CpuMonitor.get_usage] gives them.
 *
 * Returns: (array length=n_samples) (transfer full) (nullable): the usages,
 *   from 0 to 1, or %NULL if there is no sample
 */
double *
mpaio_cpu_monitor_dup_core_usages (MpaioCpuMonitor *self,
                                   guint            core,
                                   guint           *n_samples)
{
  double *usages;

  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), NULL);
  g_return_val_if_fail (n_samples != NULL, NULL);

  *n_samples = 0;
  g_return_val_if_fail (core < self->n_cores, NULL);

  *n_samples = self->timestamps->len;
  if (*n_samples == 0)
    return NULL;

  usages = g_new (double, *n_samples);
  for (guint sample = 0; sample < *n_samples; sample++)
    usages[sample] = mpaio_cpu_monitor_get_usage (self, sample, core);

  return usages;
}

/**
 * mpaio_cpu_monitor_write_csv:
 * @self: a monitor
 * @stream: the stream to write to
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Writes the series as CSV, synchronously: a header line
 * `time,cpu0,cpu1,…`, then one line per sample with its time in seconds
 * since the start and each core's usage from 0 to 1, with a `.` for the
 * decimal point whatever the locale. The stream is left open.
 *
 * Returns: %TRUE, or %FALSE with the stream's error
 */
gboolean
mpaio_cpu_monitor_write_csv (MpaioCpuMonitor  *self,
                             GOutputStream    *stream,
                             GCancellable     *cancellable,
                             GError          **error)
{
  g_autoptr(GString) csv = g_string_new ("time");
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (MPAIO_IS_CPU_MONITOR (self), FALSE);
  g_return_val_if_fail (G_IS_OUTPUT_STREAM (stream), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  for (guint core = 0; core < self->n_cores; core++)
    g_string_append_printf (csv, ",cpu%u", core);
  g_string_append_c (csv, '\n');

  for (guint sample = 0; sample < self->timestamps->len; sample++)
    {
      g_string_append (csv, g_ascii_formatd (number, sizeof number, "%.3f",
                                             mpaio_cpu_monitor_get_timestamp (self, sample)));
      for (guint core = 0; core < self->n_cores; core++)
        {
          g_string_append_c (csv, ',');
          g_string_append (csv, g_ascii_formatd (number, sizeof number, "%.4f",
                                                 mpaio_cpu_monitor_get_usage (self, sample, core)));
        }
      g_string_append_c (csv, '\n');
    }

  return g_output_stream_write_all (stream, csv->str, csv->len, NULL, cancellable, error);
}
