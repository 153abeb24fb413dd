/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-data-iterator.h"
#include "mpaio-executor.h"
#include "mpaio-worker.h"

#include "mpaio-internal-private.h"

G_BEGIN_DECLS

/* One run of an orchestrator, as executors see it: a source of jobs
 * (mpaio_run_pull) and a sink for their outcomes. Every function here is
 * called on the run's main context. */
typedef struct _MpaioRun MpaioRun;

typedef struct
{
  MpaioWorker       *worker;
  char              *worker_name;   /* its type name, ellipsized for messages */
  MpaioDataIterator *iterator;
  MpaioSharedMemory *output;        /* nullable */
  gsize              output_element_size;
  GVariantType      *result_type;
  guint64            n_chunks;
  guint64            n_taken;       /* chunks pulled so far */
  guint8            *done;          /* one bit per chunk */
} MpaioRunPair;

typedef struct
{
  MpaioRun *run;                    /* owned */
  guint     pair;
  guint     attempts;               /* how many workers died on it alone */
  gboolean  suspect;                /* was in flight on a worker that died */
  guint64   chunk;
  guint64   start;
  guint64   end;
} MpaioJob;



/* Chooses the chunk of pair @pair of @run that the job pulled now is for,
 * among those not pulled yet; FALSE if none is for this puller. */
typedef gboolean (*MpaioChunkPicker) (gpointer  user_data,
                                      MpaioRun *run,
                                      guint     pair,
                                      guint64  *chunk);

/* Called after each delivered result, with its worker and chunk, and once
 * more when the run ends, with no worker. */
typedef void (*MpaioRunProgress) (gpointer     user_data,
                                  MpaioWorker *worker,
                                  guint64      chunk_index,
                                  guint64      n_done);

MPAIO_INTERNAL
MpaioRun     *mpaio_run_new          (GTask            *task,
                                      MpaioExecutor    *executor,
                                      GPtrArray        *pairs,
                                      MpaioRunProgress  progress,
                                      gpointer          progress_data);
MPAIO_INTERNAL
MpaioRun     *mpaio_run_ref          (MpaioRun         *run);
MPAIO_INTERNAL
void          mpaio_run_unref        (MpaioRun         *run);
MPAIO_INTERNAL
guint         mpaio_run_get_n_pairs  (MpaioRun         *run);
MPAIO_INTERNAL
MpaioRunPair *mpaio_run_get_pair     (MpaioRun         *run,
                                      guint             index);
MPAIO_INTERNAL
guint64       mpaio_run_get_n_total  (MpaioRun         *run);
MPAIO_INTERNAL
gboolean      mpaio_run_is_finished  (MpaioRun         *run);
MPAIO_INTERNAL
guint64       mpaio_run_get_n_pending (MpaioRun        *run);
MPAIO_INTERNAL
MpaioJob     *mpaio_run_pull         (MpaioRun         *run,
                                      MpaioChunkPicker  picker,
                                      gpointer          picker_data);
MPAIO_INTERNAL
void          mpaio_run_deliver      (MpaioRun         *run,
                                      MpaioJob         *job,
                                      GVariant         *result);
MPAIO_INTERNAL
void          mpaio_run_requeue      (MpaioRun         *run,
                                      MpaioJob         *job);
MPAIO_INTERNAL
void          mpaio_run_unpull       (MpaioRun         *run,
                                      MpaioJob         *job);
MPAIO_INTERNAL
void          mpaio_run_fail         (MpaioRun         *run,
                                      GError           *error);
MPAIO_INTERNAL
void          mpaio_run_start        (MpaioRun         *run);

MPAIO_INTERNAL
MpaioJob     *mpaio_runs_pull        (GPtrArray        *runs,
                                      guint            *next_run,
                                      MpaioChunkPicker  picker,
                                      gpointer          picker_data);
MPAIO_INTERNAL
void          mpaio_runs_fail        (GPtrArray        *runs,
                                      const GError     *error);

MPAIO_INTERNAL
void          mpaio_job_free         (MpaioJob         *job);
MPAIO_INTERNAL
const char   *mpaio_job_get_worker_name (MpaioJob      *job);
MPAIO_INTERNAL
void          mpaio_job_prefix_error (MpaioJob         *job,
                                      GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpaioRun, mpaio_run_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MpaioJob, mpaio_job_free)

G_END_DECLS
