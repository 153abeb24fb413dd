/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An explicit worker program, as MpaioProcessPool:argv runs it: it registers
 * the test worker types (unless told not to) and serves. With
 * "--die-once FILE", the first instance to create FILE exits before its
 * handshake; with "--kill-once FILE", it kills itself with SIGKILL
 * instead, as a kill from outside would. */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "test-workers.h"

int
main (int   argc,
      char *argv[])
{
  if (argc < 2 || strcmp (argv[1], "--no-register") != 0)
    test_workers_register ();

  if (argc == 4 && strcmp (argv[2], "--die-once") == 0 &&
      open (argv[3], O_CREAT | O_EXCL | O_WRONLY, 0600) >= 0)
    return 3;

  if (argc == 4 && strcmp (argv[2], "--kill-once") == 0 &&
      open (argv[3], O_CREAT | O_EXCL | O_WRONLY, 0600) >= 0)
    raise (SIGKILL);

  if (!mpaio_is_worker_process ())
    {
      g_printerr ("%s: run by an Mpaio process pool only\n", argv[0]);
      return 2;
    }

  mpaio_serve_if_worker ();
  return 0;
}
