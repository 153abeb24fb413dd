/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <string.h>

#include <mpaio.h>

/* Every code has a value in the GType, with the nick glib-mkenums would
 * give it: bindings and GValue users see each code by name. */
static void
test_error_enum_type (void)
{
  g_autoptr(GEnumClass) klass = NULL;
  GEnumValue *value;

  g_assert_true (G_TYPE_IS_ENUM (MPAIO_TYPE_ERROR));
  g_assert_cmpstr (g_type_name (MPAIO_TYPE_ERROR), ==, "MpaioError");

  klass = g_type_class_ref (MPAIO_TYPE_ERROR);
  for (guint i = 0; i < klass->n_values; i++)
    g_assert_cmpint (klass->values[i].value, ==, i);

  value = g_enum_get_value (klass, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY);
  g_assert_cmpstr (value->value_name, ==, "MPAIO_ERROR_UNSERIALIZABLE_PROPERTY");
  g_assert_cmpstr (value->value_nick, ==, "unserializable-property");
  value = g_enum_get_value_by_nick (klass, "wrong-context");
  g_assert_cmpint (value->value, ==, MPAIO_ERROR_WRONG_CONTEXT);
}

/* The values are written by hand in mpaio-error.c: every code the header
 * declares must be among them, the last one added included. */
static void
test_error_enum_type_has_every_code (void)
{
  g_autoptr(GEnumClass) klass = g_type_class_ref (MPAIO_TYPE_ERROR);
  g_autofree char *header = NULL;
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GError) error = NULL;
  const char *body;
  guint n_codes = 0;

  g_file_get_contents (g_test_get_filename (G_TEST_DIST, "..", "mpaio", "mpaio-error.h", NULL),
                       &header, NULL, &error);
  g_assert_no_error (error);
  body = strstr (header, "typedef enum");
  g_assert_nonnull (body);

  regex = g_regex_new ("^\\s*(MPAIO_ERROR_[A-Z_]+),?\\s*$", G_REGEX_MULTILINE, 0, &error);
  g_assert_no_error (error);
  g_regex_match (regex, body, 0, &match);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL), n_codes++)
    {
      g_autofree char *name = g_match_info_fetch (match, 1);

      g_test_message ("%s", name);
      g_assert_nonnull (g_enum_get_value_by_name (klass, name));
    }
  g_assert_cmpuint (n_codes, ==, klass->n_values);
}

static void
test_error_in_gvalue (void)
{
  g_auto(GValue) value = G_VALUE_INIT;

  g_value_init (&value, MPAIO_TYPE_ERROR);
  g_value_set_enum (&value, MPAIO_ERROR_TIMED_OUT);
  g_assert_cmpint (g_value_get_enum (&value), ==, MPAIO_ERROR_TIMED_OUT);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/error/enum-type", test_error_enum_type);
  g_test_add_func ("/mpaio/error/enum-type-has-every-code", test_error_enum_type_has_every_code);
  g_test_add_func ("/mpaio/error/in-gvalue", test_error_in_gvalue);

  return g_test_run ();
}
