/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Summing an array in a file, which may be larger than memory: a .npy file
 * of int64, or a raw file of native int64 with --raw (and --offset BYTES
 * to skip a header of its own). Workers map the file read-only and read it
 * through the page cache.
 *
 *   sum-file [--workers N] [--chunk-size ELEMENTS] FILE.npy
 *   sum-file --raw [--offset BYTES] FILE
 *   sum-file --make N FILE.npy     (writes 1..N with numpy's layout, sums it
 *                                   and checks the sum)
 */
#include <mpaio.h>

#include <stdlib.h>
#include <string.h>

/* ExampleSum: sums int64 chunks; the caller adds the sums up. */

#define EXAMPLE_TYPE_SUM (example_sum_get_type ())
G_DECLARE_FINAL_TYPE (ExampleSum, example_sum, EXAMPLE, SUM, GObject)

struct _ExampleSum
{
  GObject parent_instance;
  gint64  total;
};

static GVariant *
example_sum_process (MpaioWorker  *worker,
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
example_sum_process_callback (MpaioWorker *worker,
                              guint64      chunk_index,
                              GVariant    *result)
{
  EXAMPLE_SUM (worker)->total += g_variant_get_int64 (result);
}

static void
example_sum_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = example_sum_process;
  iface->process_callback = example_sum_process_callback;
}

G_DEFINE_FINAL_TYPE_WITH_CODE (ExampleSum, example_sum, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, example_sum_iface_init))

static void
example_sum_class_init (ExampleSumClass *klass)
{
}

static void
example_sum_init (ExampleSum *self)
{
}

/* Writes 1..n as int64 in a version 1.0 .npy file, as numpy.save() would. */
static gboolean
make_npy (const char  *path,
          guint64      n,
          GError     **error)
{
  g_autofree char *dict = g_strdup_printf ("{'descr': '<i8', 'fortran_order': False, "
                                           "'shape': (%" G_GUINT64_FORMAT ",), }", n);
  g_autoptr(GString) header = g_string_new_len ("\x93NUMPY\x01\x00\x00\x00", 10);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autofree gint64 *values = g_new (gint64, n);

  g_string_append (header, dict);
  while ((header->len + 1) % 64 != 0)
    g_string_append_c (header, ' ');
  g_string_append_c (header, '\n');
  header->str[8] = (header->len - 10) & 0xff;
  header->str[9] = (header->len - 10) >> 8;

  for (guint64 i = 0; i < n; i++)
    values[i] = GINT64_TO_LE (i + 1);

  return (out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error)) &&
         g_output_stream_write_all (G_OUTPUT_STREAM (out), header->str, header->len, NULL, NULL, error) &&
         g_output_stream_write_all (G_OUTPUT_STREAM (out), values, n * sizeof (gint64), NULL, NULL, error) &&
         g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}

/* Maps the file and sums its array on a pool of @n_workers processes. */
static gboolean
sum_file (const char  *path,
          gboolean     raw,
          guint64      offset,
          guint        n_workers,
          guint64      chunk_size,
          gint64      *total,
          GError     **error)
{
  g_autoptr(MpaioSharedMemory) memory = NULL;
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioProcessPool) pool = mpaio_process_pool_new (n_workers);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  g_autoptr(ExampleSum) sum = g_object_new (EXAMPLE_TYPE_SUM, NULL);

  memory = mpaio_shared_memory_new_for_path (path, raw ? "=i8" : NULL, offset, error);
  if (memory == NULL)
    return FALSE;

  if (g_strcmp0 (mpaio_shared_memory_get_dtype (memory), "<i8") != 0 && !raw)
    {
      g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                   "%s holds %s elements; this example sums int64 (<i8)",
                   path, mpaio_shared_memory_get_dtype (memory));
      return FALSE;
    }

  iterator = mpaio_data_iterator_new_for_array (memory, chunk_size, error);
  if (iterator == NULL)
    return FALSE;

  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (sum), iterator);
  if (!mpaio_orchestrator_run (orchestrator, NULL, error))
    return FALSE;

  *total = sum->total;
  return TRUE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GOptionContext) context = g_option_context_new ("FILE");
  gboolean raw = FALSE;
  gint64 offset = 0, make = 0, chunk_size = 1 << 20, total;
  int n_workers = 2;
  GOptionEntry entries[] = {
    { "raw", 0, 0, G_OPTION_ARG_NONE, &raw, "FILE holds raw native int64, not .npy", NULL },
    { "offset", 0, 0, G_OPTION_ARG_INT64, &offset, "Where the raw array starts", "BYTES" },
    { "make", 0, 0, G_OPTION_ARG_INT64, &make, "Write 1..N to FILE.npy first, then check", "N" },
    { "workers", 0, 0, G_OPTION_ARG_INT, &n_workers, "Worker processes (2)", "N" },
    { "chunk-size", 0, 0, G_OPTION_ARG_INT64, &chunk_size, "Elements per chunk", "N" },
    { NULL }
  };

  g_type_ensure (EXAMPLE_TYPE_SUM);
  mpaio_serve_if_worker ();

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || argc != 2 ||
      offset < 0 || make < 0 || n_workers < 1 || chunk_size < 1)
    {
      g_printerr ("%s\n", error ? error->message : "Usage: sum-file [OPTION…] FILE");
      return EXIT_FAILURE;
    }

  if ((make > 0 && !make_npy (argv[1], make, &error)) ||
      !sum_file (argv[1], raw, offset, n_workers, chunk_size, &total, &error))
    {
      g_printerr ("sum-file: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_print ("%" G_GINT64_FORMAT "\n", total);
  if (make > 0 && total != make * (make + 1) / 2)
    {
      g_printerr ("sum-file: the sum of 1..%" G_GINT64_FORMAT " is wrong\n", make);
      return EXIT_FAILURE;
    }

  return EXIT_SUCCESS;
}
