/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A program outside the source tree, built against an installed Mpaio with
 * pkg-config: it sums 1..1000 on a thread pool. */
#include <mpaio.h>

#define CONSUMER_TYPE_SUM (consumer_sum_get_type ())
G_DECLARE_FINAL_TYPE (ConsumerSum, consumer_sum, CONSUMER, SUM, GObject)

struct _ConsumerSum
{
  GObject parent_instance;
  gint64  total;
};

static void consumer_sum_worker_init (MpaioWorkerInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (ConsumerSum, consumer_sum, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_WORKER, consumer_sum_worker_init))

static GVariant *
consumer_sum_process (MpaioWorker  *worker,
             MpaioChunk   *chunk,
             GError      **error)
{
  const gint64 *values = mpaio_chunk_get_data (chunk, NULL);
  gint64 total = 0;

  for (guint64 i = 0; i < mpaio_chunk_get_n_elements (chunk); i++)
    total += values[i];

  return g_variant_new_int64 (total);
}

static void
consumer_sum_process_callback (MpaioWorker *worker,
                      guint64      chunk_index,
                      GVariant    *result)
{
  CONSUMER_SUM (worker)->total += g_variant_get_int64 (result);
}

static void
consumer_sum_worker_init (MpaioWorkerInterface *iface)
{
  iface->process = consumer_sum_process;
  iface->process_callback = consumer_sum_process_callback;
}

static void
consumer_sum_class_init (ConsumerSumClass *klass)
{
}

static void
consumer_sum_init (ConsumerSum *self)
{
}

static void
on_done (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!mpaio_orchestrator_run_finish (MPAIO_ORCHESTRATOR (object), result, &error))
    g_error ("%s", error->message);
  g_main_loop_quit (user_data);
}

int
main (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (1000 * sizeof (gint64), &error);
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (2);
  g_autoptr(MpaioDataIterator) iterator = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(ConsumerSum) worker = g_object_new (CONSUMER_TYPE_SUM, NULL);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  gint64 *values = mpaio_shared_memory_get_writable_data (memory);

  g_assert (MPAIO_CHECK_VERSION (0, 1, 0));

  for (int i = 0; i < 1000; i++)
    values[i] = i + 1;
  mpaio_shared_memory_seal (memory, &error);
  iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", 1000, 100, &error);
  g_assert_no_error (error);

  orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  mpaio_orchestrator_run_async (orchestrator, NULL, on_done, loop);
  g_main_loop_run (loop);

  g_print ("%" G_GINT64_FORMAT "\n", worker->total);
  return worker->total == 500500 ? 0 : 1;
}
