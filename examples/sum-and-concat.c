/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The original MPAIO example: two arrays in shared memory, processed at once
 * on one pool of worker processes.
 *
 *  - the integers 1..100,000,000, summed by AddInt, cut into as many chunks
 *    as there are workers;
 *  - the strings foo_0..foo_99, concatenated by ConcatStr, 20 per chunk.
 *
 * Chunks complete in any order; the concatenation is put back in index
 * order from the chunk indices.
 */
#include <mpaio.h>
#ifdef HAVE_MPI
# include <mpaio-mpi.h>
#endif

#include <string.h>

#define N_INTS 100000000
#define N_STRINGS 100
#define STRING_WIDTH 8      /* numpy "S8": NUL-padded, not NUL-terminated */

/* AddInt: sums its chunk of int64. */

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

static GVariantType *
example_add_int_dup_result_type (MpaioWorker *worker)
{
  return g_variant_type_copy (G_VARIANT_TYPE_INT64);
}

static void
example_add_int_worker_init (MpaioWorkerInterface *iface)
{
  iface->process = example_add_int_process;
  iface->process_callback = example_add_int_process_callback;
  iface->dup_result_type = example_add_int_dup_result_type;
}

static void
example_add_int_class_init (ExampleAddIntClass *klass)
{
}

static void
example_add_int_init (ExampleAddInt *self)
{
}

/* ConcatStr: concatenates its chunk of fixed-width strings. */

#define EXAMPLE_TYPE_CONCAT_STR (example_concat_str_get_type ())
G_DECLARE_FINAL_TYPE (ExampleConcatStr, example_concat_str, EXAMPLE, CONCAT_STR, GObject)

struct _ExampleConcatStr
{
  GObject    parent_instance;
  GPtrArray *parts;         /* by chunk index, only in the caller's process */
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
  g_ptr_array_add (self->parts, NULL);
  return g_strjoinv ("", (char **) g_ptr_array_steal (self->parts, NULL));
}

/* The caller's side. */

static MpaioSharedMemory *
make_ints (GError **error)
{
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (N_INTS * sizeof (gint64), error);
  gint64 *values;

  if (memory == NULL)
    return NULL;

  values = mpaio_shared_memory_get_writable_data (memory);
  for (gint64 i = 0; i < N_INTS; i++)
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

/* --executor=mpi runs the same workers on MPI ranks (docs/cluster.md). */
static MpaioExecutor *
make_executor (const char  *name,
               int          n_workers,
               GError     **error)
{
  g_autoptr(MpaioProcessPool) pool = NULL;

#ifdef HAVE_MPI
  if (g_strcmp0 (name, "mpi") == 0)
    return MPAIO_EXECUTOR (mpaio_mpi_executor_new (MAX (n_workers, 0)));
#endif
  if (name != NULL && !g_str_equal (name, "process"))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Unknown or unavailable executor “%s”", name);
      return NULL;
    }

  pool = mpaio_process_pool_new (MAX (n_workers, 0));
  return MPAIO_EXECUTOR (g_steal_pointer (&pool));
}

typedef struct
{
  GMainLoop *loop;
  GError    *error;
} Wait;

static void
on_run_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  Wait *wait = user_data;

  mpaio_orchestrator_run_finish (MPAIO_ORCHESTRATOR (object), result, &wait->error);
  g_main_loop_quit (wait->loop);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(MpaioSharedMemory) ints = NULL;
  g_autoptr(MpaioSharedMemory) strings = NULL;
  g_autoptr(MpaioExecutor) pool = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(MpaioDataIterator) int_iterator = NULL;
  g_autoptr(MpaioDataIterator) string_iterator = NULL;
  g_autoptr(ExampleAddInt) add_int = NULL;
  g_autoptr(ExampleConcatStr) concat_str = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *executor = NULL;
  int n_workers = 0;
  Wait wait = { NULL, NULL };
  gint64 begin;
  const GOptionEntry entries[] = {
    { "workers", 'w', 0, G_OPTION_ARG_INT, &n_workers, "Number of worker processes (default: one per processor)", "N" },
    { "executor", 'e', 0, G_OPTION_ARG_STRING, &executor, "process (the default) or mpi", "NAME" },
    { NULL }
  };

  /* A worker process is this program again: it only needs the types. */
  g_type_ensure (EXAMPLE_TYPE_ADD_INT);
  g_type_ensure (EXAMPLE_TYPE_CONCAT_STR);
  mpaio_serve_if_worker ();
#ifdef HAVE_MPI
  mpaio_mpi_serve_if_worker ();
#endif

  context = g_option_context_new ("- sum 1..100,000,000 and concatenate foo_0..foo_99 in parallel");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) ||
      !(ints = make_ints (&error)) ||
      !(strings = make_strings (&error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  begin = g_get_monotonic_time ();

  if (!(pool = make_executor (executor, n_workers, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  n_workers = mpaio_executor_get_max_workers (pool);

  if (!(int_iterator = mpaio_data_iterator_new_for_dtype (ints, "<i8", N_INTS,
                                                          (N_INTS + n_workers - 1) / n_workers,
                                                          &error)) ||
      !(string_iterator = mpaio_data_iterator_new_for_dtype (strings, "S8", N_STRINGS, 20, &error)))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  add_int = g_object_new (EXAMPLE_TYPE_ADD_INT, NULL);
  concat_str = g_object_new (EXAMPLE_TYPE_CONCAT_STR, NULL);

  orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (add_int), int_iterator);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (concat_str), string_iterator);

  loop = g_main_loop_new (NULL, FALSE);
  wait.loop = loop;
  mpaio_orchestrator_run_async (orchestrator, NULL, on_run_done, &wait);
  g_main_loop_run (loop);

  if (wait.error != NULL)
    {
      g_printerr ("The run failed: %s\n", wait.error->message);
      g_error_free (wait.error);
      return 1;
    }

  text = example_concat_str_dup_text (concat_str);
  g_print ("%" G_GINT64_FORMAT "\n", add_int->total);
  g_print ("%s\n", text);
  g_print ("elapsed: %.3f s with %d workers (%" G_GUINT64_FORMAT " chunks)\n",
           (g_get_monotonic_time () - begin) / 1e6, n_workers,
           mpaio_orchestrator_get_n_chunks_total (orchestrator));

  return 0;
}
