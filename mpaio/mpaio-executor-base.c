/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "mpaio-error.h"
#include "mpaio-executor-base-private.h"
#include "mpaio-i18n-private.h"

void
mpaio_executor_base_init (MpaioExecutorBase           *self,
                          GObject                     *owner,
                          const MpaioExecutorMessages *messages)
{
  self->owner = owner;
  self->messages = messages;
  self->context = g_main_context_ref_thread_default ();
  self->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) mpaio_run_unref);
  self->next_run = 0;
  g_queue_init (&self->shutdown_tasks);
  self->closed = FALSE;
}

void
mpaio_executor_base_clear (MpaioExecutorBase *self)
{
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_pointer (&self->context, g_main_context_unref);
}

/* Whether a run may start: the executor is open, and used from its own
 * main context. */
gboolean
mpaio_executor_base_check (MpaioExecutorBase  *self,
                           GError            **error)
{
  g_autoptr(GMainContext) context = NULL;

  if (self->closed)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_CLOSED, _(self->messages->closed));
      return FALSE;
    }

  context = g_main_context_ref_thread_default ();
  if (context != self->context)
    {
      g_set_error_literal (error, MPAIO_ERROR, MPAIO_ERROR_WRONG_CONTEXT,
                           _(self->messages->wrong_context));
      return FALSE;
    }

  return TRUE;
}

/* Takes @run; a run without chunks ends, and detaches, at once. */
void
mpaio_executor_base_attach (MpaioExecutorBase *self,
                            MpaioRun          *run)
{
  g_ptr_array_add (self->runs, mpaio_run_ref (run));
  mpaio_run_start (run);
}

/* Returns %FALSE if @run was not attached. */
gboolean
mpaio_executor_base_detach (MpaioExecutorBase *self,
                            MpaioRun          *run)
{
  return g_ptr_array_remove (self->runs, run);
}

/* The next job of the attached runs, round-robin over them; @picker (or
 * %NULL) chooses chunks, as for mpaio_run_pull(). */
MpaioJob *
mpaio_executor_base_pull (MpaioExecutorBase *self,
                          MpaioChunkPicker   picker,
                          gpointer           picker_data)
{
  return mpaio_runs_pull (self->runs, &self->next_run, picker, picker_data);
}

/* Fails the runs still going with MPAIO_ERROR_CLOSED and refuses new ones.
 * Returns %FALSE if the executor was closed already. */
gboolean
mpaio_executor_base_close (MpaioExecutorBase *self)
{
  g_autoptr(GError) error = NULL;

  if (self->closed)
    return FALSE;

  self->closed = TRUE;
  error = g_error_new_literal (MPAIO_ERROR, MPAIO_ERROR_CLOSED,
                               _(self->messages->closed_during_run));
  mpaio_runs_fail (self->runs, error);
  return TRUE;
}

/* A shutdown waits until mpaio_executor_base_complete_shutdown(). */
void
mpaio_executor_base_queue_shutdown (MpaioExecutorBase   *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  GTask *task = g_task_new (self->owner, cancellable, callback, user_data);

  g_task_set_source_tag (task, mpaio_executor_shutdown_async);
  g_queue_push_tail (&self->shutdown_tasks, task);
}

/* The executor has stopped: every shutdown waiting for it completes. */
void
mpaio_executor_base_complete_shutdown (MpaioExecutorBase *self)
{
  GTask *task;

  while ((task = g_queue_pop_head (&self->shutdown_tasks)))
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
    }
}

gboolean
mpaio_executor_base_shutdown_finish (MpaioExecutor  *executor,
                                     GAsyncResult   *result,
                                     GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, executor), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == mpaio_executor_shutdown_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
