/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <inttypes.h>

#include "mpaio-error.h"
#include "mpaio-executor-private.h"
#include "mpaio-i18n-private.h"
#include "mpaio-run-private.h"
#include "mpaio-util-private.h"

struct _MpaioRun
{
  gatomicrefcount   ref_count;

  GTask            *task;
  MpaioExecutor    *executor;
  GPtrArray        *pairs;
  GQueue            retries;        /* MpaioJob*, ahead of new chunks */
  guint             next_pair;      /* round-robin cursor over pairs */
  guint64           n_done;
  guint64           n_total;

  MpaioRunProgress  progress;
  gpointer          progress_data;

  guint             finished : 1;
  guint             attached : 1;
};

static void
pair_free (gpointer data)
{
  MpaioRunPair *pair = data;

  g_clear_object (&pair->worker);
  g_clear_pointer (&pair->worker_name, g_free);
  g_clear_object (&pair->iterator);
  g_clear_object (&pair->output);
  g_clear_pointer (&pair->result_type, g_variant_type_free);
  g_clear_pointer (&pair->done, g_free);
  g_free (pair);
}

/* @pairs holds MpaioRunPair with worker, iterator and n_chunks set; the run
 * takes it over. */
MpaioRun *
mpaio_run_new (GTask            *task,
               MpaioExecutor    *executor,
               GPtrArray        *pairs,
               MpaioRunProgress  progress,
               gpointer          progress_data)
{
  MpaioRun *run = g_new0 (MpaioRun, 1);

  g_atomic_ref_count_init (&run->ref_count);
  run->task = g_object_ref (task);
  run->executor = g_object_ref (executor);
  run->pairs = g_ptr_array_ref (pairs);
  g_ptr_array_set_free_func (pairs, pair_free);
  g_queue_init (&run->retries);
  run->progress = progress;
  run->progress_data = progress_data;

  for (guint i = 0; i < pairs->len; i++)
    {
      MpaioRunPair *pair = g_ptr_array_index (pairs, i);

      pair->done = g_malloc0 (pair->n_chunks / 8 + 1);
      pair->worker_name = mpaio_ellipsize (G_OBJECT_TYPE_NAME (pair->worker));
      pair->result_type = mpaio_worker_dup_result_type (pair->worker);
      run->n_total += pair->n_chunks;
    }

  return run;
}

MpaioRun *
mpaio_run_ref (MpaioRun *run)
{
  g_atomic_ref_count_inc (&run->ref_count);
  return run;
}

void
mpaio_run_unref (MpaioRun *run)
{
  if (!g_atomic_ref_count_dec (&run->ref_count))
    return;

  g_queue_clear_full (&run->retries, (GDestroyNotify) mpaio_job_free);
  g_clear_pointer (&run->pairs, g_ptr_array_unref);
  g_clear_object (&run->executor);
  g_clear_object (&run->task);
  g_free (run);
}

guint
mpaio_run_get_n_pairs (MpaioRun *run)
{
  return run->pairs->len;
}

MpaioRunPair *
mpaio_run_get_pair (MpaioRun *run,
                    guint     index)
{
  return g_ptr_array_index (run->pairs, index);
}

guint64
mpaio_run_get_n_total (MpaioRun *run)
{
  return run->n_total;
}

gboolean
mpaio_run_is_finished (MpaioRun *run)
{
  return run->finished;
}

/* How many jobs are waiting to be pulled. */
guint64
mpaio_run_get_n_pending (MpaioRun *run)
{
  guint64 n_pending;

  if (run->finished)
    return 0;

  n_pending = run->retries.length;
  for (guint i = 0; i < run->pairs->len; i++)
    {
      MpaioRunPair *pair = g_ptr_array_index (run->pairs, i);

      n_pending += pair->n_chunks - pair->n_taken;
    }

  return n_pending;
}

static void
finish (MpaioRun *run,
        GError   *error)
{
  g_autoptr(MpaioRun) hold = mpaio_run_ref (run);
  g_autoptr(GTask) task = NULL;

  if (run->finished)
    {
      g_clear_error (&error);
      return;
    }

  run->finished = TRUE;
  task = g_steal_pointer (&run->task);

  if (run->attached)
    {
      run->attached = FALSE;
      mpaio_executor_detach_run (run->executor, run);
    }

  /* Jobs of the run that linger in the executor must keep neither the
   * executor nor the orchestrator alive; those waiting here for a retry
   * would keep the run itself alive. */
  g_clear_object (&run->executor);
  g_queue_clear_full (&run->retries, (GDestroyNotify) mpaio_job_free);

  run->progress (run->progress_data, NULL, 0, run->n_done);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
mpaio_run_fail (MpaioRun *run,
                GError   *error)
{
  finish (run, error);
}

/* Called once the executor has taken the run. */
void
mpaio_run_start (MpaioRun *run)
{
  run->attached = TRUE;

  if (run->n_total == 0)
    finish (run, NULL);
}

static gboolean
check_range (MpaioRun      *run,
             MpaioRunPair  *pair,
             guint64        chunk,
             guint64        start,
             guint64        end)
{
  guint64 n_elements = mpaio_data_iterator_get_n_elements (pair->iterator);

  if (start <= end && end <= n_elements)
    return TRUE;

  finish (run, g_error_new (MPAIO_ERROR, MPAIO_ERROR_INVALID_LAYOUT,
                            _("%s says chunk %" PRIu64 " covers elements %"
                              PRIu64 " to %" PRIu64 ", which is not "
                              "a range inside its %" PRIu64 " elements"),
                            G_OBJECT_TYPE_NAME (pair->iterator), chunk, start, end, n_elements));
  return FALSE;
}

/* Takes the next job to run: a retried one first, then a chunk of each
 * pair in turn, so that all pairs progress together: the one @picker
 * chooses, or without one the next in order. */
MpaioJob *
mpaio_run_pull (MpaioRun         *run,
                MpaioChunkPicker  picker,
                gpointer          picker_data)
{
  if (run->finished)
    return NULL;

  if (run->retries.length > 0)
    return g_queue_pop_head (&run->retries);

  for (guint n = 0; n < run->pairs->len; n++)
    {
      guint index = (run->next_pair + n) % run->pairs->len;
      MpaioRunPair *pair = g_ptr_array_index (run->pairs, index);
      MpaioJob *job;
      guint64 chunk, start, end;

      if (pair->n_taken >= pair->n_chunks)
        continue;

      if (picker == NULL)
        chunk = pair->n_taken;
      else if (!picker (picker_data, run, index, &chunk))
        continue;

      g_assert (chunk < pair->n_chunks);
      mpaio_data_iterator_get_chunk_range (pair->iterator, chunk, &start, &end);
      if (!check_range (run, pair, chunk, start, end))
        return NULL;

      job = g_new0 (MpaioJob, 1);
      job->run = mpaio_run_ref (run);
      job->pair = index;
      job->chunk = chunk;
      job->start = start;
      job->end = end;
      pair->n_taken++;
      run->next_pair = index + 1;
      return job;
    }

  return NULL;
}

/* Puts a job back, to run again ahead of new chunks. Takes the job. */
void
mpaio_run_requeue (MpaioRun *run,
                   MpaioJob *job)
{
  if (run->finished)
    mpaio_job_free (job);
  else
    g_queue_push_tail (&run->retries, job);
}

/* Gives back a job just pulled, to be pulled first next time. */
void
mpaio_run_unpull (MpaioRun *run,
                  MpaioJob *job)
{
  if (run->finished)
    mpaio_job_free (job);
  else
    g_queue_push_head (&run->retries, job);
}

/* Hands a result to the worker's process_callback. Each chunk is delivered
 * at most once, whatever the executor reports. */
void
mpaio_run_deliver (MpaioRun *run,
                   MpaioJob *job,
                   GVariant *result)
{
  MpaioRunPair *pair = g_ptr_array_index (run->pairs, job->pair);
  guint8 bit = 1 << (job->chunk % 8);
  GError *error = NULL;

  if (run->finished || (pair->done[job->chunk / 8] & bit))
    return;

  if (pair->result_type != NULL && !g_variant_is_of_type (result, pair->result_type))
    {
      g_autofree char *expected = g_variant_type_dup_string (pair->result_type);

      finish (run, g_error_new (MPAIO_ERROR, MPAIO_ERROR_INVALID_RESULT,
                                _("%s returned a result of type “%s” for chunk %"
                                  PRIu64 ", but its result type is “%s”"),
                                pair->worker_name,
                                g_variant_get_type_string (result), job->chunk, expected));
      return;
    }

  pair->done[job->chunk / 8] |= bit;
  run->n_done++;

  if (!mpaio_worker_process_callback_full (pair->worker, job->chunk, result, &error))
    finish (run, error);

  if (run->finished)
    return;

  run->progress (run->progress_data, pair->worker, job->chunk, run->n_done);

  if (run->n_done == run->n_total)
    finish (run, NULL);
}

void
mpaio_job_free (MpaioJob *job)
{
  g_clear_pointer (&job->run, mpaio_run_unref);
  g_free (job);
}

const char *
mpaio_job_get_worker_name (MpaioJob *job)
{
  MpaioRunPair *pair = g_ptr_array_index (job->run->pairs, job->pair);

  return pair->worker_name;
}

/* Says which worker and chunk an error of the worker's own came from. */
void
mpaio_job_prefix_error (MpaioJob  *job,
                        GError   **error)
{
  g_prefix_error (error, _("%s failed on chunk %" PRIu64 " (elements %"
                           PRIu64 " to %" PRIu64 "): "),
                  mpaio_job_get_worker_name (job), job->chunk, job->start, job->end);
}

/* Takes the next job from the runs attached to an executor, round-robin
 * over runs from *@next_run, so that runs sharing an executor progress
 * together; @picker as for mpaio_run_pull(). */
MpaioJob *
mpaio_runs_pull (GPtrArray        *runs,
                 guint            *next_run,
                 MpaioChunkPicker  picker,
                 gpointer          picker_data)
{
  for (guint n = 0; n < runs->len; n++)
    {
      guint index = (*next_run + n) % runs->len;
      MpaioJob *job = mpaio_run_pull (g_ptr_array_index (runs, index), picker, picker_data);

      if (job != NULL)
        {
          *next_run = index + 1;
          return job;
        }
    }

  return NULL;
}

/* Fails every run of @runs; each detaches itself from @runs as it ends. */
void
mpaio_runs_fail (GPtrArray    *runs,
                 const GError *error)
{
  g_autoptr(GPtrArray) copy = g_ptr_array_copy (runs, (GCopyFunc) mpaio_run_ref, NULL);

  g_ptr_array_set_free_func (copy, (GDestroyNotify) mpaio_run_unref);
  for (guint i = 0; i < copy->len; i++)
    mpaio_run_fail (g_ptr_array_index (copy, i), g_error_copy (error));
}
