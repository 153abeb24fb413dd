/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A command-line tool without a main loop: sums the integers 1..N on a pool
 * of worker processes with mpaio_orchestrator_run(), which returns when the
 * run is over. Usage: sum-blocking [N]
 */
#include <mpaio.h>

#include <stdlib.h>

#define EXAMPLE_TYPE_SUM (example_sum_get_type ())
G_DECLARE_FINAL_TYPE (ExampleSum, example_sum, EXAMPLE, SUM, GObject)

struct _ExampleSum
{
  GObject parent_instance;
  gint64  total;            /* only in the caller's process */
};

static void example_sum_worker_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ExampleSum, example_sum, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, example_sum_worker_init))

static GVariant *
example_sum_process (MpaioWorker  *worker,
                     MpaioChunk   *chunk,
                     GError      **error)
{
  const gint64 *values = mpaio_chunk_get_data (chunk, NULL);
  gint64 sum = 0;

  for (guint64 i = 0; i < mpaio_chunk_get_n_elements (chunk); i++)
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
example_sum_worker_init (MpaioWorkerInterface *iface)
{
  iface->process = example_sum_process;
  iface->process_callback = example_sum_process_callback;
}

static void
example_sum_class_init (ExampleSumClass *klass)
{
}

static void
example_sum_init (ExampleSum *self)
{
}

static MpaioSharedMemory *
make_numbers (gint64   n,
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

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(ExampleSum) sum = NULL;
  gint64 n = argc > 1 ? g_ascii_strtoll (argv[1], NULL, 10) : 10000000;

  g_type_ensure (EXAMPLE_TYPE_SUM);
  mpaio_serve_if_worker ();

  if (n < 1 ||
      !(memory = make_numbers (n, &error)) ||
      !(iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", n, (n + 7) / 8, &error)))
    {
      g_printerr ("sum-blocking: %s\n", error ? error->message : "N must be at least 1");
      return EXIT_FAILURE;
    }

  pool = mpaio_process_pool_new (0);
  orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  sum = g_object_new (EXAMPLE_TYPE_SUM, NULL);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (sum), iterator);

  /* Blocks until every chunk is delivered; process_callback runs in it. */
  if (!mpaio_orchestrator_run (orchestrator, NULL, &error))
    {
      g_printerr ("sum-blocking: %s\n", error->message);
      return EXIT_FAILURE;
    }

  g_print ("%" G_GINT64_FORMAT "\n", sum->total);
  return EXIT_SUCCESS;
}
