/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"
#include "mpaio-i18n-private.h"
#include "mpaio-serve-private.h"
#include "mpaio-startup-private.h"
#include "mpaio-wire-private.h"

/* What to do about it, in every message that says the call is missing. */
static const char *
advice (void)
{
  return _("call mpaio_serve_if_worker() (Python: Mpaio.serve_if_worker(); "
           "JavaScript: Mpaio.serve()) early in main, after registering the "
           "worker types");
}

/* Tells the pool that started this process, once, that this process will
 * not serve: the pool then fails its runs with the advice at once, and
 * stops this process, instead of waiting for a handshake that never
 * comes. */
static void
tell_pool_once (void)
{
  static gsize told = 0;
  g_autoptr(GBytes) packet = NULL;
  const char *value;
  guint64 fd;
  int large_fd = -1;

  if (!g_once_init_enter (&told))
    return;

  value = g_getenv (MPAIO_WORKER_ENV);
  if (value != NULL &&
      g_ascii_string_to_unsigned (value, 10, 0, G_MAXINT, &fd, NULL) &&
      mpaio_wire_encode (MPAIO_MESSAGE_NOT_SERVING, mpaio_wire_not_serving_build (),
                         &packet, &large_fd, NULL))
    {
      /* Nothing to do if the pool is gone: it needs no news. */
      (void) mpaio_wire_send (fd, packet, -1);
    }

  g_once_init_leave (&told, 1);
}

/*
 * mpaio_startup_check_can_spawn:
 *
 * Refuses to start worker processes in a process that a pool started as
 * its worker but that has not begun to serve (mpaio_serve() takes the
 * variable out of the environment when it begins). Each such process would
 * otherwise run the program again, as its parent did, without end.
 */
gboolean
mpaio_startup_check_can_spawn (GError **error)
{
  if (!mpaio_is_worker_process ())
    return TRUE;

  tell_pool_once ();
  g_set_error (error, MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
               _("This process was started as a worker by an Mpaio process pool "
                 "(%s is set) but has not called mpaio_serve_if_worker(), so it may "
                 "not start workers of its own: it would run the program again, "
                 "and so would each of its workers; %s"),
               MPAIO_WORKER_ENV, advice ());
  return FALSE;
}

/* What a pool says when its worker process told it that it will not
 * serve. */
GError *
mpaio_startup_not_serving_error (GPid pid)
{
  return g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                      _("Worker process %d ran the program again instead of serving: "
                        "it did not call mpaio_serve_if_worker() before making a "
                        "process pool of its own; %s"),
                      (int) pid, advice ());
}

/* A worker process that ended before its handshake, after @n_failed_before
 * others did. Only one that exited cleanly is blamed on a missing call: a
 * program that completes without a handshake never served. One that was
 * killed (by a signal from outside, say) or that failed is described as
 * it is, with its standard error. */
GError *
mpaio_startup_failed_error (GSubprocess *subprocess,
                            GPid         pid,
                            const char  *exit_description,
                            guint        n_failed_before,
                            const char  *stderr_description)
{
  if (!g_subprocess_get_if_signaled (subprocess) &&
      g_subprocess_get_exit_status (subprocess) == 0)
    return g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                        _("Worker process %d %s before it was ready, like the %u "
                          "before it, so the program does not serve; %s; %s"),
                        (int) pid, exit_description, n_failed_before, advice (),
                        stderr_description);

  return g_error_new (MPAIO_ERROR, MPAIO_ERROR_SPAWN_FAILED,
                      _("Worker process %d %s before it was ready, like the %u "
                        "before it; %s"),
                      (int) pid, exit_description, n_failed_before, stderr_description);
}
