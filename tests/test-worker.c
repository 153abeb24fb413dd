/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-worker-private.h"
#include "test-workers.h"

static void
test_defaults_are_left_out (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestPropsWorker) worker = g_object_new (TEST_TYPE_PROPS_WORKER, NULL);
  g_autoptr(GVariant) spec = mpaio_worker_serialize (MPAIO_WORKER (worker), &error);
  g_autoptr(GVariant) expected = NULL;

  g_assert_no_error (error);
  g_assert_true (g_variant_is_of_type (spec, MPAIO_WORKER_SPEC_TYPE));
  g_assert_cmpstr (g_variant_get_type_string (spec), ==, "(sa{sv})");
  g_assert_false (g_variant_is_floating (spec));
  expected = g_variant_ref_sink (g_variant_new_parsed ("('TestPropsWorker', @a{sv} {})"));
  g_assert_true (g_variant_equal (spec, expected));
}

static TestPropsWorker *
make_props_worker (void)
{
  const char *words[] = { "a", "b", NULL };
  g_autoptr(GBytes) bytes = g_bytes_new_static ("\0\1\2", 3);

  return g_object_new (TEST_TYPE_PROPS_WORKER,
                       "flag", TRUE,
                       "number", -7,
                       "unsigned", 7u,
                       "big", G_MININT64,
                       "ubig", G_MAXUINT64,
                       "real", 2.5,
                       "small-real", 0.25f,
                       "text", "héllo",
                       "words", words,
                       "bytes", bytes,
                       "variant", g_variant_new_parsed ("(1, 'x')"),
                       "mode", G_TLS_AUTHENTICATION_REQUIRED,
                       "file-flags", G_FILE_CREATE_PRIVATE | G_FILE_CREATE_REPLACE_DESTINATION,
                       NULL);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestPropsWorker) worker = make_props_worker ();
  g_autoptr(GVariant) spec = mpaio_worker_serialize (MPAIO_WORKER (worker), &error);
  g_autoptr(MpaioWorker) copy = NULL;
  g_autoptr(GVariant) copy_spec = NULL;
  g_auto(GStrv) words = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GVariant) variant = NULL;
  g_autoptr(GVariant) expected = NULL;
  g_autofree char *text = NULL;
  gint64 big;
  guint64 ubig;
  float small_real;
  GTlsAuthenticationMode mode;

  g_assert_no_error (error);
  copy = mpaio_worker_new_from_spec (spec, &error);
  g_assert_no_error (error);
  g_assert_true (TEST_IS_PROPS_WORKER (copy));

  g_object_get (copy, "big", &big, "ubig", &ubig, "small-real", &small_real, "text", &text,
                "words", &words, "bytes", &bytes, "variant", &variant, "mode", &mode, NULL);
  g_assert_cmpint (big, ==, G_MININT64);
  g_assert_cmpuint (ubig, ==, G_MAXUINT64);
  g_assert_cmpfloat (small_real, ==, 0.25f);
  g_assert_cmpstr (text, ==, "héllo");
  g_assert_cmpstrv (words, ((const char *[]) { "a", "b", NULL }));
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), "\0\1\2", 3);
  expected = g_variant_ref_sink (g_variant_new_parsed ("(1, 'x')"));
  g_assert_true (g_variant_equal (variant, expected));
  g_assert_cmpint (mode, ==, G_TLS_AUTHENTICATION_REQUIRED);

  /* Whatever was set comes out the same. */
  copy_spec = mpaio_worker_serialize (copy, &error);
  g_assert_no_error (error);
  g_assert_true (g_variant_equal (spec, copy_spec));
}

static void
test_null_string_crosses (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TestPropsWorker) worker = g_object_new (TEST_TYPE_PROPS_WORKER, "text", "x", NULL);
  g_autoptr(GVariant) spec = NULL;
  g_autoptr(MpaioWorker) copy = NULL;
  g_autofree char *text = NULL;

  spec = g_variant_ref_sink (g_variant_new_parsed ("('TestPropsWorker', {'text': <@ms nothing>})"));
  copy = mpaio_worker_new_from_spec (spec, &error);
  g_assert_no_error (error);
  g_object_get (copy, "text", &text, NULL);
  g_assert_null (text);
}

static void
test_unserializable_property (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GObject) object = g_object_new (G_TYPE_OBJECT, NULL);
  g_autoptr(TestPropsWorker) worker = g_object_new (TEST_TYPE_PROPS_WORKER, "object", object, NULL);
  g_autoptr(GVariant) spec = mpaio_worker_serialize (MPAIO_WORKER (worker), &error);

  g_assert_null (spec);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY);
  g_assert_nonnull (strstr (error->message, "“object”"));
  g_assert_nonnull (strstr (error->message, "TestPropsWorker"));
}

static void
test_unknown_type (void)
{
  const char *specs[] = {
    "('NoSuchWorkerType', @a{sv} {})",
    "('GObject', @a{sv} {})",          /* not a worker */
    "('MpaioWorker', @a{sv} {})",      /* an interface */
  };

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) spec = g_variant_ref_sink (g_variant_new_parsed (specs[i]));
      g_autoptr(MpaioWorker) worker = mpaio_worker_new_from_spec (spec, &error);

      g_assert_null (worker);
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_UNKNOWN_WORKER_TYPE);
    }
}

static void
test_mismatched_property (void)
{
  const char *specs[] = {
    "('TestPropsWorker', {'no-such-property': <1>})",
    "('TestPropsWorker', {'number': <'a string'>})",
  };

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) spec = g_variant_ref_sink (g_variant_new_parsed (specs[i]));
      g_autoptr(MpaioWorker) worker = mpaio_worker_new_from_spec (spec, &error);

      g_assert_null (worker);
      g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY);
    }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_workers_register ();

  g_test_add_func ("/mpaio/worker/serialize/defaults-are-left-out", test_defaults_are_left_out);
  g_test_add_func ("/mpaio/worker/serialize/round-trip", test_round_trip);
  g_test_add_func ("/mpaio/worker/serialize/null-string", test_null_string_crosses);
  g_test_add_func ("/mpaio/worker/serialize/unserializable-property", test_unserializable_property);
  g_test_add_func ("/mpaio/worker/deserialize/unknown-type", test_unknown_type);
  g_test_add_func ("/mpaio/worker/deserialize/mismatched-property", test_mismatched_property);

  return g_test_run ();
}
