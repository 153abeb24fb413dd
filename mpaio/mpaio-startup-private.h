/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* How a worker process starts, seen from both ends: a process started as a
 * worker that did not serve may not start workers of its own (else every
 * worker would run the program again, without end), and tells its pool why;
 * the pool explains a worker that never became ready. */

gboolean mpaio_startup_check_can_spawn   (GError      **error);
GError  *mpaio_startup_not_serving_error (GPid          pid);
GError  *mpaio_startup_failed_error      (GSubprocess  *subprocess,
                                          GPid          pid,
                                          const char   *exit_description,
                                          guint         n_failed_before,
                                          const char   *stderr_description);

G_END_DECLS
