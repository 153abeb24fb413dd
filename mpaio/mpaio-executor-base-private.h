/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-executor-private.h"
#include "mpaio-internal-private.h"

G_BEGIN_DECLS

/* What every executor has: the main context it belongs to, whether it was
 * shut down, the runs attached to it (pulled round-robin) and the
 * shutdowns waiting for it to stop. An executor embeds one and adds only
 * what is its own. */

/* The executor's own wording, untranslated (N_()): "The process pool was
 * shut down; make a new one", "… during the run", "… belongs to another
 * main context; …". */
typedef struct
{
  const char *closed;
  const char *closed_during_run;
  const char *wrong_context;
} MpaioExecutorMessages;

typedef struct
{
  GObject                     *owner;             /* the executor, not owned */
  const MpaioExecutorMessages *messages;
  GMainContext                *context;
  GPtrArray                   *runs;              /* MpaioRun*, attached */
  guint                        next_run;
  GQueue                       shutdown_tasks;
  guint                        closed : 1;
} MpaioExecutorBase;

MPAIO_INTERNAL
void      mpaio_executor_base_init              (MpaioExecutorBase           *self,
                                                 GObject                     *owner,
                                                 const MpaioExecutorMessages *messages);
MPAIO_INTERNAL
void      mpaio_executor_base_clear             (MpaioExecutorBase           *self);
MPAIO_INTERNAL
gboolean  mpaio_executor_base_check             (MpaioExecutorBase           *self,
                                                 GError                     **error);
MPAIO_INTERNAL
void      mpaio_executor_base_attach            (MpaioExecutorBase           *self,
                                                 MpaioRun                    *run);
MPAIO_INTERNAL
gboolean  mpaio_executor_base_detach            (MpaioExecutorBase           *self,
                                                 MpaioRun                    *run);
MPAIO_INTERNAL
MpaioJob *mpaio_executor_base_pull              (MpaioExecutorBase           *self,
                                                 MpaioChunkPicker             picker,
                                                 gpointer                     picker_data);
MPAIO_INTERNAL
gboolean  mpaio_executor_base_close             (MpaioExecutorBase           *self);
MPAIO_INTERNAL
void      mpaio_executor_base_queue_shutdown    (MpaioExecutorBase           *self,
                                                 GCancellable                *cancellable,
                                                 GAsyncReadyCallback          callback,
                                                 gpointer                     user_data);
MPAIO_INTERNAL
void      mpaio_executor_base_complete_shutdown (MpaioExecutorBase           *self);
MPAIO_INTERNAL
gboolean  mpaio_executor_base_shutdown_finish   (MpaioExecutor               *executor,
                                                 GAsyncResult                *result,
                                                 GError                     **error);

G_END_DECLS
