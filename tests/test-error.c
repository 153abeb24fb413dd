/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

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
  g_assert_cmpuint (klass->n_values, ==, MPAIO_ERROR_WRONG_CONTEXT + 1);
  for (int code = MPAIO_ERROR_FAILED; code <= MPAIO_ERROR_WRONG_CONTEXT; code++)
    g_assert_nonnull (g_enum_get_value (klass, code));

  value = g_enum_get_value (klass, MPAIO_ERROR_UNSERIALIZABLE_PROPERTY);
  g_assert_cmpstr (value->value_name, ==, "MPAIO_ERROR_UNSERIALIZABLE_PROPERTY");
  g_assert_cmpstr (value->value_nick, ==, "unserializable-property");
  value = g_enum_get_value_by_nick (klass, "wrong-context");
  g_assert_cmpint (value->value, ==, MPAIO_ERROR_WRONG_CONTEXT);
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
  g_test_add_func ("/mpaio/error/in-gvalue", test_error_in_gvalue);

  return g_test_run ();
}
