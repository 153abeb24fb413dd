/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An explicit worker program, as MpaioProcessPool:argv runs it: it registers
 * the test worker types (unless told not to) and serves. */
#include "config.h"

#include <string.h>

#include "test-workers.h"

int
main (int   argc,
      char *argv[])
{
  if (argc < 2 || strcmp (argv[1], "--no-register") != 0)
    test_workers_register ();

  if (!mpaio_is_worker_process ())
    {
      g_printerr ("%s: run by an Mpaio process pool only\n", argv[0]);
      return 2;
    }

  mpaio_serve_if_worker ();
  return 0;
}
