/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A 100 KB dtype, memory name or worker type name is quoted in error
 * messages cut short with an ellipsis, never whole. */
#include "config.h"

#include <string.h>

#include "mpaio-worker-private.h"
#include "test-workers.h"

#define LONG_LENGTH (100 * 1024)

static void
assert_cut_short (const GError *error)
{
  g_test_message ("%.300s", error->message);
  g_assert_cmpuint (strlen (error->message), <, 1024);
  g_assert_nonnull (strstr (error->message, "…"));
}

static char *
dup_long (const char *prefix,
          char        fill,
          const char *suffix)
{
  g_autofree char *middle = g_strnfill (LONG_LENGTH, fill);

  return g_strconcat (prefix, middle, suffix, NULL);
}

static void
test_dtype (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dtype = dup_long ("<", 'i', "");

  g_assert_cmpuint (mpaio_dtype_get_element_size (dtype, &error), ==, 0);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  assert_cut_short (error);
}

/* "<i000…08" is a valid dtype, but a long one. */
static void
test_dtype_mismatch (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dtype = dup_long ("<i", '0', "8");
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new (64, &error);
  g_autoptr(MpaioDataIterator) iterator = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (mpaio_dtype_get_element_size (dtype, NULL), ==, 8);
  iterator = g_object_new (MPAIO_TYPE_DATA_ITERATOR,
                           "memory", memory,
                           "dtype", dtype,
                           "element-size", (guint64) 4,
                           "chunk-size", (guint64) 1,
                           NULL);
  g_assert_false (mpaio_data_iterator_validate (iterator, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT);
  assert_cut_short (error);
}

static void
test_memory_name (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = dup_long ("", 'm', "");
  g_autoptr(MpaioSharedMemory) memory = mpaio_shared_memory_new_from_name (name, &error);

  g_assert_null (memory);
  g_assert_nonnull (error);
  assert_cut_short (error);
}

/* A worker type with a 100 KB name, whose process() returns nothing and
 * whose process_callback_full() fails without saying why. */

static GVariant *
long_worker_process (MpaioWorker  *worker,
                     MpaioChunk   *chunk,
                     GError      **error)
{
  return NULL;
}

static gboolean
long_worker_process_callback_full (MpaioWorker  *worker,
                                   guint64       chunk_index,
                                   GVariant     *result,
                                   GError      **error)
{
  return FALSE;
}

static void
long_worker_iface_init (MpaioWorkerInterface *iface)
{
  iface->process = long_worker_process;
  iface->process_callback_full = long_worker_process_callback_full;
}

static GType
long_worker_get_type (void)
{
  static GType type;

  if (type == 0)
    {
      g_autofree char *name = dup_long ("", 'W', "");
      const GInterfaceInfo info = { (GInterfaceInitFunc) long_worker_iface_init, NULL, NULL };

      type = g_type_register_static_simple (G_TYPE_OBJECT, name, sizeof (GObjectClass), NULL,
                                            sizeof (GObject), NULL, 0);
      g_type_add_interface_static (type, MPAIO_TYPE_WORKER, &info);
    }

  return type;
}

/* The names come from the caller's process in the worker's. */
static void
test_worker_spec (void)
{
  g_autofree char *unknown = dup_long ("", 'U', "");
  g_autofree char *property = dup_long ("", 'p', "");
  GVariant *properties[] = {
    g_variant_new_parsed ("@a{sv} {}"),
    g_variant_new_parsed ("{%s: <1>}", property),
  };
  const char *names[] = { unknown, g_type_name (long_worker_get_type ()) };
  const gint codes[] = { MPAIO_ERROR_UNKNOWN_WORKER_TYPE, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) spec = g_variant_ref_sink (g_variant_new ("(s@a{sv})", names[i], properties[i]));
      g_autoptr(MpaioWorker) worker = mpaio_worker_new_from_spec (spec, &error);

      g_assert_null (worker);
      g_assert_error (error, MPAIO_ERROR, codes[i]);
      assert_cut_short (error);
    }
}

/* The run's messages name the worker: here "W…W failed on chunk 0 …: W…W
 * returned no result". */
static void
test_worker_in_a_run (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (4);
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", 4, 4, &error);
  g_autoptr(MpaioThreadPool) pool = mpaio_thread_pool_new (1);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (pool));
  g_autoptr(GObject) worker = g_object_new (long_worker_get_type (), NULL);

  g_assert_no_error (error);
  mpaio_orchestrator_add (orchestrator, MPAIO_WORKER (worker), iterator);
  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT);
  assert_cut_short (error);
}

static void
test_worker_callback (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) worker = g_object_new (long_worker_get_type (), NULL);
  g_autoptr(GVariant) result = g_variant_ref_sink (g_variant_new_boolean (TRUE));

  g_assert_false (mpaio_worker_process_callback_full (MPAIO_WORKER (worker), 0, result, &error));
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED);
  assert_cut_short (error);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/long-names/dtype", test_dtype);
  g_test_add_func ("/mpaio/long-names/dtype-mismatch", test_dtype_mismatch);
  g_test_add_func ("/mpaio/long-names/memory-name", test_memory_name);
  g_test_add_func ("/mpaio/long-names/worker-spec", test_worker_spec);
  g_test_add_func ("/mpaio/long-names/worker-in-a-run", test_worker_in_a_run);
  g_test_add_func ("/mpaio/long-names/worker-callback", test_worker_callback);

  return g_test_run ();
}
