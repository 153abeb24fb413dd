/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

#include "mpaio-internal-private.h"
#include "mpaio-wire-private.h"

G_BEGIN_DECLS

/* One worker process and its channel: spawning it, passing its standard
 * error through, sending messages (queued while its socket is full),
 * reading its messages and watching it exit. It knows nothing about runs:
 * it reports to its owner through MpaioWorkerProcessCallbacks, on the main
 * context it was spawned for. */
typedef struct _MpaioWorkerProcess MpaioWorkerProcess;

typedef struct
{
  /* Keeps the owner alive while a report is under way (a report may drop
   * the owner's last reference); returns what release() takes. */
  gpointer (*hold)      (gpointer            user_data);
  void     (*release)   (gpointer            held);
  /* A message came; FALSE with @error set if it breaks the protocol. */
  gboolean (*message)   (MpaioWorkerProcess *process,
                         MpaioMessage       *message,
                         gpointer            user_data,
                         GError            **error);
  /* Every message that was ready has been read. */
  void     (*read_done) (MpaioWorkerProcess *process,
                         gpointer            user_data);
  /* The process broke its channel or the protocol, and was killed;
   * @error (transfer full) says how. */
  void     (*failed)    (MpaioWorkerProcess *process,
                         GError             *error,
                         gpointer            user_data);
  /* The channel closed from the other end: the process is going. */
  void     (*lost)      (MpaioWorkerProcess *process,
                         gpointer            user_data);
  /* The process was reaped; what it wrote to its standard error is read. */
  void     (*exited)    (MpaioWorkerProcess *process,
                         gpointer            user_data);
} MpaioWorkerProcessCallbacks;

MpaioWorkerProcess *mpaio_worker_process_spawn      (const char * const                *argv,
                                                     GMainContext                      *context,
                                                     const MpaioWorkerProcessCallbacks *callbacks,
                                                     gpointer                           user_data,
                                                     GError                           **error);
void                mpaio_worker_process_free       (MpaioWorkerProcess *self);
GPid                mpaio_worker_process_get_pid    (MpaioWorkerProcess *self);
GSubprocess        *mpaio_worker_process_get_subprocess (MpaioWorkerProcess *self);
void                mpaio_worker_process_set_pid    (MpaioWorkerProcess *self,
                                                     GPid                pid);
gboolean            mpaio_worker_process_is_open    (MpaioWorkerProcess *self);
void                mpaio_worker_process_send       (MpaioWorkerProcess *self,
                                                     MpaioMessageKind    kind,
                                                     GVariant           *body,
                                                     int                 fd);
void                mpaio_worker_process_close      (MpaioWorkerProcess *self);
void                mpaio_worker_process_kill       (MpaioWorkerProcess *self);
char               *mpaio_worker_process_describe_exit   (MpaioWorkerProcess *self);
char               *mpaio_worker_process_describe_stderr (MpaioWorkerProcess *self);
MPAIO_INTERNAL
guint64             mpaio_worker_process_get_stderr_dropped (void);

MPAIO_INTERNAL
char              **mpaio_current_command_line      (GError            **error);

G_END_DECLS
