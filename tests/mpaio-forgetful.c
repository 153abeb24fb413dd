/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A program that forgets to call mpaio_serve_if_worker(): its workers run
 * it again, as it does, and make pools of their own. It appends its pid to
 * the file named by MPAIO_TEST_PID_LOG each time it starts, so that the
 * test can count every process that ever ran it, runs a sum on a pool of
 * two workers, and prints "error: DOMAIN CODE MESSAGE" or "ok" on stdout.
 *
 * Were processes to multiply, it stops at the tenth, so that a broken
 * library fails the test instead of the machine.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "test-workers.h"

#define MAX_PROCESSES 10

/* Returns how many processes started before this one. */
static guint
log_pid (void)
{
  const char *path = g_getenv ("MPAIO_TEST_PID_LOG");
  g_autofree char *contents = NULL;
  g_autofree char *line = g_strdup_printf ("%d\n", (int) getpid ());
  FILE *log;
  guint n = 0;

  if (path == NULL)
    g_error ("MPAIO_TEST_PID_LOG is not set");

  if (g_file_get_contents (path, &contents, NULL, NULL))
    for (const char *p = contents; (p = strchr (p, '\n')) != NULL; p++)
      n++;

  if ((log = fopen (path, "a")) == NULL)
    g_error ("Cannot append to %s", path);
  fputs (line, log);
  fclose (log);
  return n;
}

int
main (void)
{
  g_autoptr(MpaioProcessPool) pool = NULL;
  g_autoptr(TestSumWorker) worker = NULL;
  g_autoptr(MpaioOrchestrator) orchestrator = NULL;
  g_autoptr(GError) error = NULL;

  test_workers_register ();
  /* No mpaio_serve_if_worker () here: that is the point. */

  if (log_pid () >= MAX_PROCESSES)
    return 3;

  pool = mpaio_process_pool_new (2);
  orchestrator = test_make_sum_run (MPAIO_EXECUTOR (pool), 1000, 10, &worker);

  if (test_run_sync (orchestrator, NULL, &error))
    g_print ("ok\n");
  else
    g_print ("error: %s %d %s\n", g_quark_to_string (error->domain), error->code, error->message);

  return 0;
}
