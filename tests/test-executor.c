/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Only Mpaio's executors implement MpaioExecutor. An object of another
 * class that lists the interface implements none of its private methods:
 * every call fails cleanly instead of crashing. */
#include "config.h"

#include <string.h>

#include <mpaio.h>

#include "test-workers.h"

#define TEST_TYPE_FAKE_EXECUTOR (test_fake_executor_get_type ())
G_DECLARE_FINAL_TYPE (TestFakeExecutor, test_fake_executor, TEST, FAKE_EXECUTOR, GObject)

struct _TestFakeExecutor
{
  GObject parent_instance;
};

/* What a binding's class gets: the interface, and no method of it. */
static void
test_fake_executor_iface_init (MpaioExecutorInterface *iface)
{
}

G_DEFINE_FINAL_TYPE_WITH_CODE (TestFakeExecutor, test_fake_executor, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (MPAIO_TYPE_EXECUTOR,
                                                      test_fake_executor_iface_init))

static void
test_fake_executor_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  g_value_set_uint (value, 1);
}

static void
test_fake_executor_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
}

static void
test_fake_executor_class_init (TestFakeExecutorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = test_fake_executor_get_property;
  object_class->set_property = test_fake_executor_set_property;
  g_object_class_override_property (object_class, 1, "max-workers");
}

static void
test_fake_executor_init (TestFakeExecutor *self)
{
}

static void
assert_refused (const GError *error)
{
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "TestFakeExecutor"));
  g_assert_nonnull (strstr (error->message, "only Mpaio's own executors"));
}

static void
test_run_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) executor = g_object_new (TEST_TYPE_FAKE_EXECUTOR, NULL);
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator =
    test_make_sum_run (MPAIO_EXECUTOR (executor), 100, 10, &worker);

  g_assert_false (test_run_sync (orchestrator, NULL, &error));
  assert_refused (error);
  g_assert_false (mpaio_orchestrator_is_running (orchestrator));
}

static void
on_shutdown (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  GError **error = user_data;

  g_assert_false (mpaio_executor_shutdown_finish (MPAIO_EXECUTOR (object), result, error));
}

static void
test_shutdown_fails (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) executor = g_object_new (TEST_TYPE_FAKE_EXECUTOR, NULL);

  mpaio_executor_shutdown_async (MPAIO_EXECUTOR (executor), NULL, on_shutdown, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);

  assert_refused (error);
}

static void
test_max_workers_is_one (void)
{
  g_autoptr(GObject) executor = g_object_new (TEST_TYPE_FAKE_EXECUTOR, NULL);

  g_test_expect_message ("Mpaio", G_LOG_LEVEL_CRITICAL, "*only Mpaio's own executors*");
  g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (executor)), ==, 1);
  g_test_assert_expected_messages ();
}

/* Bindings make objects with g_object_new() and no properties: the
 * interface's default must not leave an executor with one worker. */
static void
test_default_max_workers (void)
{
  GType types[] = { MPAIO_TYPE_PROCESS_POOL, MPAIO_TYPE_THREAD_POOL };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GObject) by_default = g_object_new (types[i], NULL);
      g_autoptr(GObject) zero = g_object_new (types[i], "max-workers", 0u, NULL);
      g_autoptr(GObject) three = g_object_new (types[i], "max-workers", 3u, NULL);
      guint value;

      g_test_message ("%s", g_type_name (types[i]));
      g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (by_default)), ==,
                        g_get_num_processors ());
      g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (zero)), ==,
                        g_get_num_processors ());
      g_assert_cmpuint (mpaio_executor_get_max_workers (MPAIO_EXECUTOR (three)), ==, 3);
      g_object_get (by_default, "max-workers", &value, NULL);
      g_assert_cmpuint (value, ==, g_get_num_processors ());
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/executor/foreign/run-fails", test_run_fails);
  g_test_add_func ("/mpaio/executor/foreign/shutdown-fails", test_shutdown_fails);
  g_test_add_func ("/mpaio/executor/foreign/max-workers-is-one", test_max_workers_is_one);
  g_test_add_func ("/mpaio/executor/default-max-workers", test_default_max_workers);

  return g_test_run ();
}
