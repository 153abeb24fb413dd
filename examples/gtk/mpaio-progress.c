/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The seed's workload behind a GTK 4 progress bar: sum 1..100,000,000 in
 * 200 chunks and concatenate foo_0..foo_99, on a pool of worker processes,
 * with a Cancel button. The window never freezes: the array is filled on a
 * thread, the chunks are processed in other processes, and only the
 * results and the progress come back to the main loop.
 *
 * The progress bar's fraction is bound to the orchestrator's, and the
 * buttons' sensitivity to its running property: no code updates them.
 *
 *   mpaio-progress [--start] [--delay MS] [--count N] [--chunks N]
 *
 * --delay makes each sum chunk take MS milliseconds longer, to watch the
 * bar move (a summing chunk takes a few milliseconds). --check is the test
 * suite's: it starts, cancels at a quarter, starts again, checks the
 * results and quits.
 */
#include <gtk/gtk.h>
#include <mpaio.h>

#include <string.h>

#define N_STRINGS 100
#define STRING_WIDTH 8      /* numpy "S8": NUL-padded, not NUL-terminated */

static gint64 option_count = 100000000;
static gint64 option_chunks = 200;
static int option_delay = 0;
static gboolean option_start = FALSE;
static gboolean option_check = FALSE;
static int exit_status = 0;

/* ExampleAddInt: sums its chunk of int64, taking "delay" ms longer. */

#define EXAMPLE_TYPE_ADD_INT (example_add_int_get_type ())
G_DECLARE_FINAL_TYPE (ExampleAddInt, example_add_int, EXAMPLE, ADD_INT, GObject)

struct _ExampleAddInt
{
  GObject parent_instance;
  guint   delay;            /* sent to the worker processes */
  gint64  total;            /* only in this process */
};

enum {
  PROP_0,
  PROP_DELAY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

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

  g_usleep (EXAMPLE_ADD_INT (worker)->delay * G_TIME_SPAN_MILLISECOND);

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
example_add_int_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_DELAY:
      g_value_set_uint (value, EXAMPLE_ADD_INT (object)->delay);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
example_add_int_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_DELAY:
      EXAMPLE_ADD_INT (object)->delay = g_value_get_uint (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
example_add_int_class_init (ExampleAddIntClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = example_add_int_get_property;
  object_class->set_property = example_add_int_set_property;

  properties[PROP_DELAY] =
    g_param_spec_uint ("delay", NULL, NULL,
                       0, 60000, 0,
                       (G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
example_add_int_init (ExampleAddInt *self)
{
}

/* ExampleConcatStr: concatenates its chunk of fixed-width strings. */

#define EXAMPLE_TYPE_CONCAT_STR (example_concat_str_get_type ())
G_DECLARE_FINAL_TYPE (ExampleConcatStr, example_concat_str, EXAMPLE, CONCAT_STR, GObject)

struct _ExampleConcatStr
{
  GObject    parent_instance;
  GPtrArray *parts;         /* by chunk index, only in this process */
};

static void example_concat_str_worker_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ExampleConcatStr, example_concat_str, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, example_concat_str_worker_init))

static GVariant *
example_concat_str_process (MpaioWorker  *worker,
                            MpaioChunk   *chunk,
                            GError      **error)
{
  const char *records = mpaio_chunk_get_data (chunk, NULL);
  gsize width = mpaio_chunk_get_element_size (chunk);
  GString *out = g_string_new (NULL);

  for (guint64 i = 0; i < mpaio_chunk_get_n_elements (chunk); i++)
    g_string_append_len (out, records + i * width, strnlen (records + i * width, width));

  return g_variant_new_take_string (g_string_free (out, FALSE));
}

static void
example_concat_str_process_callback (MpaioWorker *worker,
                                     guint64      chunk_index,
                                     GVariant    *result)
{
  ExampleConcatStr *self = EXAMPLE_CONCAT_STR (worker);

  if (chunk_index >= self->parts->len)
    g_ptr_array_set_size (self->parts, chunk_index + 1);
  g_free (g_ptr_array_index (self->parts, chunk_index));
  g_ptr_array_index (self->parts, chunk_index) = g_variant_dup_string (result, NULL);
}

static void
example_concat_str_worker_init (MpaioWorkerInterface *iface)
{
  iface->process = example_concat_str_process;
  iface->process_callback = example_concat_str_process_callback;
}

static void
example_concat_str_finalize (GObject *object)
{
  g_ptr_array_unref (EXAMPLE_CONCAT_STR (object)->parts);

  G_OBJECT_CLASS (example_concat_str_parent_class)->finalize (object);
}

static void
example_concat_str_class_init (ExampleConcatStrClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = example_concat_str_finalize;
}

static void
example_concat_str_init (ExampleConcatStr *self)
{
  self->parts = g_ptr_array_new_with_free_func (g_free);
}

static char *
example_concat_str_dup_text (ExampleConcatStr *self)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < self->parts->len; i++)
    if (g_ptr_array_index (self->parts, i) != NULL)
      g_string_append (text, g_ptr_array_index (self->parts, i));

  return g_string_free (text, FALSE);
}

/* The arrays, made on a thread: filling 800 MB takes a while. */

typedef struct
{
  MpaioSharedMemory *ints;
  MpaioSharedMemory *strings;
} Arrays;

static void
arrays_free (Arrays *arrays)
{
  g_clear_object (&arrays->ints);
  g_clear_object (&arrays->strings);
  g_free (arrays);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Arrays, arrays_free)

static MpaioSharedMemory *
make_ints (gint64   n,
           GError **error)
{
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (n * sizeof (gint64), error);
  gint64 *values;

  if (memory == NULL)
    return NULL;

  values = mpaio_shared_memory_get_writable_data (memory);
  for (gint64 i = 0; i < n; i++)
    values[i] = i + 1;

  return mpaio_shared_memory_seal (memory, error) ? g_steal_pointer (&memory) : NULL;
}

static MpaioSharedMemory *
make_strings (GError **error)
{
  g_autoptr(GByteArray) records = g_byte_array_sized_new (N_STRINGS * STRING_WIDTH);
  g_autoptr(GBytes) bytes = NULL;

  for (guint i = 0; i < N_STRINGS; i++)
    {
      char record[STRING_WIDTH] = { 0 };

      g_snprintf (record, sizeof record, "foo_%u", i);
      g_byte_array_append (records, (guint8 *) record, STRING_WIDTH);
    }

  bytes = g_byte_array_free_to_bytes (g_steal_pointer (&records));
  return mpaio_shared_memory_new_from_bytes (bytes, error);
}

static void
make_arrays_in_thread (GTask        *task,
                       gpointer      source_object,
                       gpointer      task_data,
                       GCancellable *cancellable)
{
  g_autoptr(Arrays) arrays = g_new0 (Arrays, 1);
  GError *error = NULL;

  if (!(arrays->ints = make_ints (option_count, &error)) ||
      !(arrays->strings = make_strings (&error)))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&arrays), (GDestroyNotify) arrays_free);
}

/* The window. */

#define EXAMPLE_TYPE_PROGRESS_WINDOW (example_progress_window_get_type ())
G_DECLARE_FINAL_TYPE (ExampleProgressWindow, example_progress_window,
                      EXAMPLE, PROGRESS_WINDOW, GtkApplicationWindow)

struct _ExampleProgressWindow
{
  GtkApplicationWindow parent_instance;

  GtkWidget         *progress_bar;
  GtkWidget         *status;
  GtkWidget         *start_button;
  GtkWidget         *cancel_button;

  MpaioProcessPool  *pool;
  MpaioOrchestrator *orchestrator;
  ExampleAddInt     *add_int;
  ExampleConcatStr  *concat_str;
  GCancellable      *cancellable;
  gint64             begin;

  guint              n_runs;        /* for --check */
  gboolean           cancel_sent;
};

G_DEFINE_FINAL_TYPE (ExampleProgressWindow, example_progress_window, GTK_TYPE_APPLICATION_WINDOW)

static void
check (gboolean    condition,
       const char *what)
{
  if (!condition)
    {
      g_printerr ("Check failed: %s\n", what);
      exit_status = 1;
    }
}

static void
update_bar_text (ExampleProgressWindow *self)
{
  g_autofree char *text =
    g_strdup_printf ("%" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " chunks",
                     mpaio_orchestrator_get_n_chunks_done (self->orchestrator),
                     mpaio_orchestrator_get_n_chunks_total (self->orchestrator));

  gtk_progress_bar_set_text (GTK_PROGRESS_BAR (self->progress_bar), text);
}

static void
on_run_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(ExampleProgressWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *status = NULL;
  double elapsed = (g_get_monotonic_time () - self->begin) / 1e6;
  gint64 expected = option_count * (option_count + 1) / 2;

  gboolean ok = mpaio_orchestrator_run_finish (MPAIO_ORCHESTRATOR (object), result, &error);

  g_clear_object (&self->cancellable);
  if (self->orchestrator == NULL)   /* the window is gone */
    return;

  if (!ok)
    {
      status = g_strdup_printf ("%s after %.1f s.", error->message, elapsed);
      gtk_label_set_text (GTK_LABEL (self->status), status);

      if (option_check)
        {
          check (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED), "the run was cancelled");
          check (gtk_widget_get_sensitive (self->start_button), "Start is sensitive again");
          check (!gtk_widget_get_sensitive (self->cancel_button), "Cancel is insensitive");
          check (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (self->progress_bar)) < 1.0,
                 "the bar is not full");
          if (exit_status == 0)
            g_signal_emit_by_name (self->start_button, "clicked");
          else
            gtk_window_destroy (GTK_WINDOW (self));
        }
      return;
    }

  text = example_concat_str_dup_text (self->concat_str);
  status = g_strdup_printf ("Sum: %" G_GINT64_FORMAT "\n%.40s…\n%.1f s on %u worker processes.",
                            self->add_int->total, text, elapsed,
                            mpaio_executor_get_max_workers (MPAIO_EXECUTOR (self->pool)));
  gtk_label_set_text (GTK_LABEL (self->status), status);

  if (option_check)
    {
      check (self->add_int->total == expected, "the sum is right");
      check (g_str_has_prefix (text, "foo_0foo_1foo_2") && g_str_has_suffix (text, "foo_98foo_99"),
             "the strings are concatenated in order");
      check (gtk_progress_bar_get_fraction (GTK_PROGRESS_BAR (self->progress_bar)) == 1.0,
             "the bar is full");
      check (self->n_runs == 2, "the run was cancelled once and started again");
      gtk_window_destroy (GTK_WINDOW (self));
    }
}

static void
on_start_clicked (ExampleProgressWindow *self)
{
  g_autofree char *status = NULL;

  self->add_int->total = 0;
  g_ptr_array_set_size (self->concat_str->parts, 0);
  self->cancellable = g_cancellable_new ();
  self->begin = g_get_monotonic_time ();
  self->n_runs++;

  status = g_strdup_printf ("Working on %u worker processes…",
                            mpaio_executor_get_max_workers (MPAIO_EXECUTOR (self->pool)));
  gtk_label_set_text (GTK_LABEL (self->status), status);

  mpaio_orchestrator_run_async (self->orchestrator, self->cancellable, on_run_done, g_object_ref (self));
}

static void
on_cancel_clicked (ExampleProgressWindow *self)
{
  g_cancellable_cancel (self->cancellable);
}

/* --check cancels the first run at a quarter, as a person would. */
static void
on_fraction_changed (ExampleProgressWindow *self)
{
  if (self->n_runs == 1 && !self->cancel_sent &&
      mpaio_orchestrator_get_fraction (self->orchestrator) >= 0.25)
    {
      self->cancel_sent = TRUE;
      check (gtk_widget_get_sensitive (self->cancel_button), "Cancel is sensitive while running");
      g_signal_emit_by_name (self->cancel_button, "clicked");
    }
}

static void
on_arrays_made (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(ExampleProgressWindow) self = user_data;
  g_autoptr(Arrays) arrays = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioDataIterator) int_iterator = NULL;
  g_autoptr(MpaioDataIterator) string_iterator = NULL;

  if (self->orchestrator == NULL)   /* the window is gone */
    return;

  if (!(arrays = g_task_propagate_pointer (G_TASK (result), &error)) ||
      !(int_iterator = mpaio_data_iterator_new_for_dtype (arrays->ints, "<i8", option_count,
                                                          (option_count + option_chunks - 1) / option_chunks,
                                                          &error)) ||
      !(string_iterator = mpaio_data_iterator_new_for_dtype (arrays->strings, "S8", N_STRINGS, 20, &error)))
    {
      gtk_label_set_text (GTK_LABEL (self->status), error->message);
      check (FALSE, error->message);
      if (option_check)
        gtk_window_destroy (GTK_WINDOW (self));
      return;
    }

  mpaio_orchestrator_add (self->orchestrator, MPAIO_WORKER (self->add_int), int_iterator);
  mpaio_orchestrator_add (self->orchestrator, MPAIO_WORKER (self->concat_str), string_iterator);

  /* From now on, Start is available whenever no run is going on. */
  g_object_bind_property (self->orchestrator, "running", self->start_button, "sensitive",
                          G_BINDING_SYNC_CREATE | G_BINDING_INVERT_BOOLEAN);
  gtk_label_set_text (GTK_LABEL (self->status), "Ready.");

  if (option_start || option_check)
    g_signal_emit_by_name (self->start_button, "clicked");
}

static gboolean
example_progress_window_close_request (GtkWindow *window)
{
  ExampleProgressWindow *self = EXAMPLE_PROGRESS_WINDOW (window);

  g_cancellable_cancel (self->cancellable);

  return GTK_WINDOW_CLASS (example_progress_window_parent_class)->close_request (window);
}

static void
example_progress_window_dispose (GObject *object)
{
  ExampleProgressWindow *self = EXAMPLE_PROGRESS_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  /* A cancelled run ends later: its orchestrator outlives the window. */
  if (self->orchestrator != NULL)
    g_signal_handlers_disconnect_by_data (self->orchestrator, self);
  g_clear_object (&self->orchestrator);
  g_clear_object (&self->pool);
  g_clear_object (&self->add_int);
  g_clear_object (&self->concat_str);

  G_OBJECT_CLASS (example_progress_window_parent_class)->dispose (object);
}

static void
example_progress_window_class_init (ExampleProgressWindowClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = example_progress_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = example_progress_window_close_request;
}

static void
start_making_arrays (ExampleProgressWindow *self)
{
  g_autoptr(GTask) task = g_task_new (NULL, NULL, on_arrays_made, g_object_ref (self));

  g_task_set_source_tag (task, start_making_arrays);
  g_task_run_in_thread (task, make_arrays_in_thread);
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

static GtkWidget *
make_heading (void)
{
  g_autofree char *count = group_digits (option_count);
  g_autofree char *markup =
    g_strdup_printf ("<b>Sum 1..%s in %" G_GINT64_FORMAT " chunks, "
                     "and concatenate foo_0..foo_99</b>", count, option_chunks);
  GtkWidget *heading = gtk_label_new (NULL);

  gtk_label_set_markup (GTK_LABEL (heading), markup);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_label_set_wrap (GTK_LABEL (heading), TRUE);
  return heading;
}

static void
example_progress_window_init (ExampleProgressWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

  gtk_window_set_title (GTK_WINDOW (self), "Mpaio progress");
  gtk_window_set_titlebar (GTK_WINDOW (self), gtk_header_bar_new ());
  gtk_window_set_default_size (GTK_WINDOW (self), 600, -1);

  self->pool = mpaio_process_pool_new (0);
  self->orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (self->pool));
  self->add_int = g_object_new (EXAMPLE_TYPE_ADD_INT, "delay", option_delay, NULL);
  self->concat_str = g_object_new (EXAMPLE_TYPE_CONCAT_STR, NULL);

  self->progress_bar = gtk_progress_bar_new ();
  gtk_progress_bar_set_show_text (GTK_PROGRESS_BAR (self->progress_bar), TRUE);
  self->status = gtk_label_new ("Filling the array…");
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  self->start_button = gtk_button_new_with_mnemonic ("_Start");
  gtk_widget_add_css_class (self->start_button, "suggested-action");
  gtk_widget_set_sensitive (self->start_button, FALSE);
  self->cancel_button = gtk_button_new_with_mnemonic ("_Cancel");

  /* The bar follows the orchestrator, which notifies once per batch of
   * results on this main context. */
  g_object_bind_property (self->orchestrator, "fraction", self->progress_bar, "fraction",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->orchestrator, "notify::n-chunks-done",
                           G_CALLBACK (update_bar_text), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->orchestrator, "notify::n-chunks-total",
                           G_CALLBACK (update_bar_text), self, G_CONNECT_SWAPPED);
  update_bar_text (self);
  g_object_bind_property (self->orchestrator, "running", self->cancel_button, "sensitive",
                          G_BINDING_SYNC_CREATE);

  g_signal_connect_swapped (self->start_button, "clicked", G_CALLBACK (on_start_clicked), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel_clicked), self);
  if (option_check)
    g_signal_connect_object (self->orchestrator, "notify::fraction",
                             G_CALLBACK (on_fraction_changed), self, G_CONNECT_SWAPPED);

  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (buttons), self->cancel_button);
  gtk_box_append (GTK_BOX (buttons), self->start_button);

  g_object_set (box, "margin-top", 24, "margin-bottom", 24, "margin-start", 24, "margin-end", 24, NULL);
  gtk_box_append (GTK_BOX (box), make_heading ());
  gtk_box_append (GTK_BOX (box), self->progress_bar);
  gtk_box_append (GTK_BOX (box), self->status);
  gtk_box_append (GTK_BOX (box), buttons);
  gtk_window_set_child (GTK_WINDOW (self), box);

  start_making_arrays (self);
}

static void
on_activate (GtkApplication *app)
{
  GtkWindow *window = g_object_new (EXAMPLE_TYPE_PROGRESS_WINDOW, "application", app, NULL);

  gtk_window_present (window);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GtkApplication) app = NULL;
  g_autoptr(GError) error = NULL;
  const GOptionEntry entries[] = {
    { "count", 'n', 0, G_OPTION_ARG_INT64, &option_count, "Sum the integers 1..N (default: 100,000,000)", "N" },
    { "chunks", 'c', 0, G_OPTION_ARG_INT64, &option_chunks, "Cut them into N chunks (default: 200)", "N" },
    { "delay", 'd', 0, G_OPTION_ARG_INT, &option_delay, "Make each sum chunk take MS ms longer", "MS" },
    { "start", 's', 0, G_OPTION_ARG_NONE, &option_start, "Start at once", NULL },
    { "check", 0, 0, G_OPTION_ARG_NONE, &option_check, "Start, cancel, start again, check and quit", NULL },
    { NULL }
  };
  int status;

  /* Worker processes are this program again: they serve before GTK is
   * ever initialised, and exit. */
  g_type_ensure (EXAMPLE_TYPE_ADD_INT);
  g_type_ensure (EXAMPLE_TYPE_CONCAT_STR);
  mpaio_serve_if_worker ();

  context = g_option_context_new ("- the seed's workload behind a progress bar");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  if (option_count < 1 || option_chunks < 1 || option_delay < 0 || option_delay > 60000)
    {
      g_printerr ("--count and --chunks must be at least 1, --delay from 0 to 60000\n");
      return 1;
    }

  app = gtk_application_new ("org.gnome.Mpaio.ProgressExample", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (on_activate), NULL);
  status = g_application_run (G_APPLICATION (app), 1, argv);

  return status != 0 ? status : exit_status;
}
