/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How busy is each core while Mpaio works? The seed's sum of 1..100,000,000,
 * cut into 200 chunks and done 10 times in one run, on a pool of worker
 * processes, under an MpaioCpuMonitor.
 *
 *   cpu-plot [--csv usage.csv] [--plot usage.png|usage.svg] [--run-only]
 *
 * By default the monitor covers the whole program: filling the array, on a
 * thread of this process (so that the main loop, where the samples are
 * taken, keeps running), then the run. With --run-only it follows the run
 * alone, with mpaio_cpu_monitor_watch().
 *
 * The series goes to a CSV file (time, then one column per core) and to a
 * plot with one strip per core and one for their mean, drawn with cairo as
 * an SVG or a PNG.
 */
#include <mpaio.h>

#include <math.h>
#include <string.h>

#include <cairo.h>
#include <cairo-svg.h>

/* ExampleAddInt: sums its chunk of int64, as in sum-and-concat.c. */

#define EXAMPLE_TYPE_ADD_INT (example_add_int_get_type ())
G_DECLARE_FINAL_TYPE (ExampleAddInt, example_add_int, EXAMPLE, ADD_INT, GObject)

struct _ExampleAddInt
{
  GObject parent_instance;
  gint64  total;            /* only in the caller's process */
};

static void example_add_int_worker_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ExampleAddInt, example_add_int, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, example_add_int_worker_init))

static GVariant *
example_add_int_process (MpaioWorker  *worker,
                         MpaioChunk   *chunk,
                         GError      **error)
{
  const gint64 *values = mpaio_chunk_get_data (chunk, NULL);
  guint64 n = mpaio_chunk_get_n_elements (chunk);
  gint64 sum = 0;

  for (guint64 i = 0; i < n; i++)
    sum += values[i];

  return g_variant_new_int64 (sum);
}

static void
example_add_int_process_callback (MpaioWorker *worker,
                                  guint64      chunk_index,
                                  GVariant    *result)
{
  EXAMPLE_ADD_INT (worker)->total += g_variant_get_int64 (result);
}

static void
example_add_int_worker_init (MpaioWorkerInterface *iface)
{
  iface->process = example_add_int_process;
  iface->process_callback = example_add_int_process_callback;
}

static void
example_add_int_class_init (ExampleAddIntClass *klass)
{
}

static void
example_add_int_init (ExampleAddInt *self)
{
}


/* The plot: one strip per core, then one for the mean, drawn with cairo on
 * an SVG or an image surface. */

typedef struct { double r, g, b; } Color;

/* GNOME's palette; dark grey for the mean. */
static const Color palette[] = {
  { 0.21, 0.52, 0.89 }, { 0.18, 0.76, 0.49 }, { 0.90, 0.65, 0.04 }, { 1.00, 0.47, 0.00 },
  { 0.88, 0.11, 0.14 }, { 0.57, 0.25, 0.67 }, { 0.60, 0.42, 0.27 }, { 0.13, 0.55, 0.55 },
};
static const Color mean_color = { 0.24, 0.22, 0.27 };
static const Color grid_color = { 0.87, 0.87, 0.87 };
static const Color marker_color = { 0.40, 0.40, 0.40 };

typedef enum { ALIGN_LEFT, ALIGN_CENTER, ALIGN_RIGHT } Align;

#define WIDTH 900
#define LEFT 70.0
#define RIGHT 30.0
#define TOP 72.0
#define BOTTOM 50.0
#define GAP 10.0

typedef struct
{
  double      time;
  const char *label;
} Phase;

typedef struct
{
  MpaioCpuMonitor *monitor;
  const char      *title;
  double           duration;
  const Phase     *phases;
  guint            n_phases;
  double           strip_height;
  int              height;
} Plot;

static void
plot_init (Plot            *plot,
           MpaioCpuMonitor *monitor)
{
  guint n_strips = mpaio_cpu_monitor_get_n_cores (monitor) + 1;
  guint n_samples = mpaio_cpu_monitor_get_n_samples (monitor);

  plot->monitor = monitor;
  plot->duration = mpaio_cpu_monitor_get_timestamp (monitor, n_samples - 1);
  plot->strip_height = CLAMP (360.0 / n_strips - GAP, 24.0, 110.0);
  plot->height = TOP + n_strips * (plot->strip_height + GAP) + BOTTOM;
}

static double
plot_x (const Plot *plot,
        double      t)
{
  return LEFT + t / plot->duration * (WIDTH - LEFT - RIGHT);
}

static double
strip_top (const Plot *plot,
           guint       strip)
{
  return TOP + strip * (plot->strip_height + GAP);
}

/* 1, 2 or 5 times a power of ten, for at most 10 ticks. */
static double
tick_step (double duration)
{
  double step = pow (10, floor (log10 (duration / 10)));

  if (duration / step > 10)
    step *= 2;
  if (duration / step > 10)
    step *= 2.5;
  if (duration / step > 10)
    step *= 2;

  return step;
}

/* A path through @n points (x0, y0, x1, y1, …). */
static void
trace_path (cairo_t      *cr,
            const double *points,
            guint         n)
{
  cairo_new_path (cr);
  for (guint i = 0; i < n; i++)
    cairo_line_to (cr, points[2 * i], points[2 * i + 1]);
}

static void
draw_line (cairo_t      *cr,
           const double *points,
           guint         n,
           Color         color,
           double        width)
{
  trace_path (cr, points, n);
  cairo_set_source_rgb (cr, color.r, color.g, color.b);
  cairo_set_line_width (cr, width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_stroke (cr);
}

static void
fill_polygon (cairo_t      *cr,
              const double *points,
              guint         n,
              Color         color,
              double        alpha)
{
  trace_path (cr, points, n);
  cairo_close_path (cr);
  cairo_set_source_rgba (cr, color.r, color.g, color.b, alpha);
  cairo_fill (cr);
}

static void
set_font (cairo_t *cr,
          double   size)
{
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, size);
}

static void
draw_text (cairo_t    *cr,
           double      x,
           double      y,
           const char *text,
           double      size,
           Align       align)
{
  cairo_text_extents_t extents;
  const double shift[] = { 0.0, 0.5, 1.0 };

  set_font (cr, size);
  cairo_text_extents (cr, text, &extents);
  cairo_move_to (cr, x - extents.x_advance * shift[align], y);
  cairo_set_source_rgb (cr, 0, 0, 0);
  cairo_show_text (cr, text);
}

static void
draw_time_axis (cairo_t    *cr,
                const Plot *plot)
{
  double step = tick_step (plot->duration);
  double bottom = plot->height - BOTTOM;

  for (int i = 0; i * step <= plot->duration + 1e-9; i++)
    {
      double x = plot_x (plot, i * step);
      double tick[] = { x, bottom - GAP, x, bottom - GAP + 5 };
      g_autofree char *label = g_strdup_printf ("%g", i * step);

      draw_line (cr, tick, 2, marker_color, 1);
      draw_text (cr, x, bottom + 10, label, 12, ALIGN_CENTER);
    }

  draw_text (cr, (LEFT + WIDTH - RIGHT) / 2, plot->height - 12, "time (s)", 13, ALIGN_CENTER);
}

static void
draw_phases (cairo_t    *cr,
             const Plot *plot)
{
  for (guint i = 0; i < plot->n_phases; i++)
    {
      double x = plot_x (plot, plot->phases[i].time);
      double marker[] = { x, TOP - 22, x, plot->height - BOTTOM - GAP };
      cairo_text_extents_t extents;
      gboolean fits;

      set_font (cr, 13);
      cairo_text_extents (cr, plot->phases[i].label, &extents);
      fits = x + 5 + extents.x_advance < WIDTH;

      draw_line (cr, marker, 2, marker_color, 1);
      draw_text (cr, fits ? x + 5 : x - 5, TOP - 10, plot->phases[i].label, 13,
                 fits ? ALIGN_LEFT : ALIGN_RIGHT);
    }
}

/* Each sample covers the time since the one before it: a step curve. */
static void
draw_strip (cairo_t      *cr,
            const Plot   *plot,
            guint         strip,
            const char   *label,
            const double *usages,
            Color         color)
{
  guint n = mpaio_cpu_monitor_get_n_samples (plot->monitor);
  double top = strip_top (plot, strip);
  double bottom = top + plot->strip_height;
  g_autofree double *points = g_new (double, 4 * n + 4);
  double t0 = 0.0;

  for (int percent = 0; percent <= 100; percent += 50)
    {
      double y = bottom - percent / 100.0 * plot->strip_height;
      double grid[] = { LEFT, y, WIDTH - RIGHT, y };

      draw_line (cr, grid, 2, percent == 0 ? marker_color : grid_color, 1);
    }

  points[0] = plot_x (plot, 0);
  points[1] = bottom;
  for (guint i = 0; i < n; i++)
    {
      double t1 = mpaio_cpu_monitor_get_timestamp (plot->monitor, i);
      double y = bottom - usages[i] * plot->strip_height;

      points[4 * i + 2] = plot_x (plot, t0);
      points[4 * i + 3] = y;
      points[4 * i + 4] = plot_x (plot, t1);
      points[4 * i + 5] = y;
      t0 = t1;
    }
  points[4 * n + 2] = plot_x (plot, t0);
  points[4 * n + 3] = bottom;

  fill_polygon (cr, points, 2 * n + 2, color, 0.3);
  draw_line (cr, points + 2, 2 * n, color, 1.5);
  draw_text (cr, LEFT - 10, (top + bottom) / 2 + 5, label, 13, ALIGN_RIGHT);
  draw_text (cr, WIDTH - RIGHT + 4, top + 9, "100%", 9, ALIGN_LEFT);
}

static void
draw_plot (cairo_t    *cr,
           const Plot *plot)
{
  guint n_cores = mpaio_cpu_monitor_get_n_cores (plot->monitor);
  guint n_samples = mpaio_cpu_monitor_get_n_samples (plot->monitor);
  g_autofree double *means = g_new (double, n_samples);

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  draw_text (cr, WIDTH / 2.0, 26, plot->title, 16, ALIGN_CENTER);

  for (guint core = 0; core < n_cores; core++)
    {
      g_autofree double *usages = mpaio_cpu_monitor_dup_core_usages (plot->monitor, core, &n_samples);
      g_autofree char *label = g_strdup_printf ("cpu%u", core);

      draw_strip (cr, plot, core, label, usages, palette[core % G_N_ELEMENTS (palette)]);
    }

  for (guint i = 0; i < n_samples; i++)
    means[i] = mpaio_cpu_monitor_get_mean_usage (plot->monitor, i);
  draw_strip (cr, plot, n_cores, "mean", means, mean_color);

  draw_phases (cr, plot);
  draw_time_axis (cr, plot);
}

static gboolean
check_cairo (cairo_status_t   status,
             const char      *path,
             GError         **error)
{
  if (status == CAIRO_STATUS_SUCCESS)
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
               "Could not write %s: %s", path, cairo_status_to_string (status));
  return FALSE;
}

/* A .png goes through an image surface; anything else is an SVG, written
 * by cairo's SVG surface as it draws. */
static gboolean
write_plot (const Plot  *plot,
            const char  *path,
            GError     **error)
{
  gboolean png = g_str_has_suffix (path, ".png");
  cairo_surface_t *surface = png ? cairo_image_surface_create (CAIRO_FORMAT_RGB24, WIDTH, plot->height)
                                 : cairo_svg_surface_create (path, WIDTH, plot->height);
  cairo_t *cr = cairo_create (surface);
  cairo_status_t status;

  draw_plot (cr, plot);
  status = cairo_status (cr);
  cairo_destroy (cr);

  if (status == CAIRO_STATUS_SUCCESS && png)
    status = cairo_surface_write_to_png (surface, path);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);

  return check_cairo (status, path, error);
}

static gboolean
check_plot_path (const char  *path,
                 GError     **error)
{
  if (g_str_has_suffix (path, ".svg") || g_str_has_suffix (path, ".png"))
    return TRUE;

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
               "Cannot draw %s: the plot is .svg or .png", path);
  return FALSE;
}

static gboolean
write_csv (MpaioCpuMonitor  *monitor,
           const char       *path,
           GError          **error)
{
  g_autoptr(GFile) file = g_file_new_for_commandline_arg (path);
  g_autoptr(GFileOutputStream) stream = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);

  return stream != NULL &&
         mpaio_cpu_monitor_write_csv (monitor, G_OUTPUT_STREAM (stream), NULL, error) &&
         g_output_stream_close (G_OUTPUT_STREAM (stream), NULL, error);
}

/* The caller's side. */

static int option_workers = 0;
static gint64 option_count = 100000000;
static gint64 option_chunks = 200;
static int option_rounds = 10;
static int option_interval = 20;
static gboolean option_run_only = FALSE;
static char *option_csv = NULL;
static char *option_plot = NULL;

/* Fills the array on a thread, while the main loop goes on sampling. */
static void
make_ints_in_thread (GTask        *task,
                     gpointer      source_object,
                     gpointer      task_data,
                     GCancellable *cancellable)
{
  GError *error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (option_count * sizeof (gint64), &error);
  gint64 *values;

  if (memory == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  values = mpaio_shared_memory_get_writable_data (memory);
  for (gint64 i = 0; i < option_count; i++)
    values[i] = i + 1;

  if (!mpaio_shared_memory_seal (memory, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&memory), g_object_unref);
}

static void
on_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

/* Iterates the main context until an operation started with on_done
 * completes. */
static GAsyncResult *
wait_for (GAsyncResult **result)
{
  while (*result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return *result;
}

static MpaioSharedMemory *
make_ints (GError **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_done, &result);

  g_task_set_source_tag (task, make_ints);
  g_task_run_in_thread (task, make_ints_in_thread);

  return g_task_propagate_pointer (G_TASK (wait_for (&result)), error);
}

static gboolean
run_sum (MpaioOrchestrator  *orchestrator,
         GError            **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  mpaio_orchestrator_run_async (orchestrator, NULL, on_done, &result);

  return mpaio_orchestrator_run_finish (orchestrator, wait_for (&result), error);
}

/* 100000000 → "100,000,000" */
static char *
group_digits (gint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GINT64_FORMAT, n);
  GString *grouped = g_string_new (NULL);
  gsize length = strlen (digits);

  for (gsize i = 0; i < length; i++)
    {
      if (i > 0 && (length - i) % 3 == 0)
        g_string_append_c (grouped, ',');
      g_string_append_c (grouped, digits[i]);
    }

  return g_string_free (grouped, FALSE);
}

static gboolean
report (MpaioCpuMonitor  *monitor,
        const Phase      *phases,
        guint             n_phases,
        guint             n_workers,
        GError          **error)
{
  guint n_samples = mpaio_cpu_monitor_get_n_samples (monitor);
  g_autofree char *count = group_digits (option_count);
  g_autofree char *title = NULL;
  Plot plot = { NULL };

  if (option_csv != NULL && !write_csv (monitor, option_csv, error))
    return FALSE;

  if (option_plot == NULL)
    return TRUE;

  if (n_samples == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                           "Nothing to plot: the run was shorter than a clock tick");
      return FALSE;
    }

  title = g_strdup_printf ("Sum of 1..%s in %" G_GINT64_FORMAT " chunks, %d times, "
                           "on %u worker processes", count, option_chunks, option_rounds, n_workers);
  plot_init (&plot, monitor);
  plot.title = title;
  plot.phases = phases;
  plot.n_phases = n_phases;

  return write_plot (&plot, option_plot, error);
}

static gboolean
run (GError **error)
{
  g_autoptr(MpaioCpuMonitor) monitor = g_object_new (MPAIO_TYPE_CPU_MONITOR,
                                                     "interval", option_interval,
                                                     NULL);
  g_autoptr(MpaioSharedMemory) ints = NULL;
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(ExampleAddInt) add_int = NULL;
  g_autofree char *run_label = NULL;
  Phase phases[2] = { { 0.0, "filling the array on one thread" } };
  gint64 begin = g_get_monotonic_time ();
  guint n_workers;
  double mean = 0.0;

  if (!option_run_only && !mpaio_cpu_monitor_start (monitor, error))
    return FALSE;

  if (!(ints = make_ints (error)) ||
      !(iterator = mpaio_data_iterator_new_for_dtype (ints, "<i8", option_count,
                                                      (option_count + option_chunks - 1) / option_chunks,
                                                      error)))
    return FALSE;

  pool = mpaio_process_pool_new (MAX (option_workers, 0));
  n_workers = mpaio_executor_get_max_workers (MPAIO_EXECUTOR (pool));
  add_int = g_object_new (EXAMPLE_TYPE_ADD_INT, NULL);
  orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  for (int i = 0; i < option_rounds; i++)
    mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (add_int), iterator);

  /* --run-only: the monitor starts with the run and stops before its
   * callback. */
  if (option_run_only && !mpaio_cpu_monitor_watch (monitor, orchestrator, error))
    return FALSE;

  run_label = g_strdup_printf ("the run, on %u worker processes", n_workers);
  phases[1].time = option_run_only ? 0.0 : (g_get_monotonic_time () - begin) / 1e6;
  phases[1].label = run_label;

  if (!run_sum (orchestrator, error))
    return FALSE;
  mpaio_cpu_monitor_stop (monitor);

  if (add_int->total != option_rounds * (option_count * (option_count + 1) / 2))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Wrong sum: %" G_GINT64_FORMAT, add_int->total);
      return FALSE;
    }

  for (guint i = 0; i < mpaio_cpu_monitor_get_n_samples (monitor); i++)
    mean += mpaio_cpu_monitor_get_mean_usage (monitor, i) / mpaio_cpu_monitor_get_n_samples (monitor);

  g_print ("%" G_GINT64_FORMAT " x %d\n", add_int->total / option_rounds, option_rounds);
  g_print ("%u samples of %u cores over %.3f s, %.0f%% busy on average, %u workers\n",
           mpaio_cpu_monitor_get_n_samples (monitor), mpaio_cpu_monitor_get_n_cores (monitor),
           (g_get_monotonic_time () - begin) / 1e6, mean * 100, n_workers);

  return option_run_only ? report (monitor, phases + 1, 1, n_workers, error)
                         : report (monitor, phases, 2, n_workers, error);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "workers", 'w', 0, G_OPTION_ARG_INT, &option_workers, "Number of worker processes (default: one per processor)", "N" },
    { "count", 'n', 0, G_OPTION_ARG_INT64, &option_count, "Sum the integers 1..N (default: 100,000,000)", "N" },
    { "chunks", 'c', 0, G_OPTION_ARG_INT64, &option_chunks, "Cut them into N chunks (default: 200)", "N" },
    { "rounds", 'r', 0, G_OPTION_ARG_INT, &option_rounds, "Sum them N times in the run (default: 10)", "N" },
    { "interval", 'i', 0, G_OPTION_ARG_INT, &option_interval, "Sample every MS milliseconds (default: 20)", "MS" },
    { "run-only", 0, 0, G_OPTION_ARG_NONE, &option_run_only, "Monitor the run only, not the filling of the array", NULL },
    { "csv", 0, 0, G_OPTION_ARG_FILENAME, &option_csv, "Write the samples to FILE as CSV", "FILE" },
    { "plot", 0, 0, G_OPTION_ARG_FILENAME, &option_plot, "Plot the usage to FILE (.png or .svg)", "FILE" },
    { NULL }
  };

  g_type_ensure (EXAMPLE_TYPE_ADD_INT);
  mpaio_serve_if_worker ();

  context = g_option_context_new ("- plot the processor usage while Mpaio sums 1..N");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      (option_plot != NULL && !check_plot_path (option_plot, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (option_count < 1 || option_chunks < 1 || option_rounds < 1 || option_interval < 1)
    {
      g_printerr ("--count, --chunks, --rounds and --interval must be at least 1\n");
      return 1;
    }

  if (!run (&error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  return 0;
}
