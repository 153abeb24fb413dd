/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Mpaio's messages are translated: with the French catalog of this build
 * tree and LANGUAGE=fr, a GError comes in French. */
#include "config.h"

#include <libintl.h>
#include <locale.h>
#include <string.h>

#include <mpaio.h>

static void
test_error_in_french (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioSharedMemory) memory = NULL;

  /* Mpaio binds its text domain on its first message; point it at the
   * catalogs built next to the tests afterwards. */
  memory = mpaio_shared_memory_new (0, &error);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
  g_assert_cmpstr (error->message, !=, "");
  g_clear_error (&error);

  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("MPAIO_TEST_LOCALEDIR"));

  memory = mpaio_shared_memory_new (0, &error);
  g_assert_error (error, MPAIO_ERROR, MPAIO_ERROR_OUT_OF_RANGE);
  g_assert_cmpstr (error->message, ==, "Une mémoire partagée doit faire au moins un octet");
}

int
main (int   argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/mpaio/i18n/error-in-french", test_error_in_french);

  return g_test_run ();
}
