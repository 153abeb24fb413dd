/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <mpaio.h>

G_BEGIN_DECLS

/* Sums int64 chunks, and misbehaves on request: each "*-on-chunk" property
 * names a chunk index (-1 for none). In the caller's process it records
 * what process_callback saw. */
#define TEST_TYPE_SUM_WORKER (test_sum_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestSumWorker, test_sum_worker, TEST, SUM_WORKER, GObject)

struct _TestSumWorker
{
  GObject       parent_instance;

  /* Sent to the worker process. */
  gint64        fail_on_chunk;
  gint64        crash_on_chunk;
  gint64        abort_on_chunk;
  gint64        exit_on_chunk;
  gint64        block_on_chunk;
  gint64        null_on_chunk;
  char         *crash_once_file;
  char         *block_once_file;
  char         *fail_domain;      /* for fail-on-chunk; G_IO_ERROR if unset */
  gboolean      block_all;
  gboolean      wrong_type;
  gboolean      write_input;

  /* Seen in the caller's process. */
  gint          n_processed;      /* by process(), when it runs here */
  gint64        total;
  guint         n_callbacks;
  GHashTable   *seen_chunks;
  GMainContext *expected_context;
  gboolean      wrong_context;
};

/* Concatenates chunks of fixed-width strings, keeping parts by index. */
#define TEST_TYPE_CONCAT_WORKER (test_concat_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestConcatWorker, test_concat_worker, TEST, CONCAT_WORKER, GObject)

struct _TestConcatWorker
{
  GObject    parent_instance;
  GPtrArray *parts;
};

char *test_concat_worker_dup_text (TestConcatWorker *self);

/* Squares int64 elements into the run's output memory; returns how many it
 * wrote. "overrun" writes one element past its region, "through-api" writes
 * with mpaio_chunk_write_output() as bindings do. */
#define TEST_TYPE_SQUARE_WORKER (test_square_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestSquareWorker, test_square_worker, TEST, SQUARE_WORKER, GObject)

/* Has a property of every kind that crosses, and one that cannot. */
#define TEST_TYPE_PROPS_WORKER (test_props_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestPropsWorker, test_props_worker, TEST, PROPS_WORKER, GObject)

/* Reports, from its worker process, what that process remembers: its
 * memories, worker instances and bindings, and its resident pages. "tag"
 * only makes the specs of two instances differ. */
#define TEST_TYPE_CACHE_WORKER (test_cache_worker_get_type ())
G_DECLARE_FINAL_TYPE (TestCacheWorker, test_cache_worker, TEST, CACHE_WORKER, GObject)

TestCacheWorker *test_cache_worker_new        (guint            tag);
void             test_cache_worker_get_counts (TestCacheWorker *self,
                                               guint           *n_memories,
                                               guint           *n_workers,
                                               guint           *n_bindings,
                                               guint64         *resident_pages);

void test_workers_register (void);

/* Helpers for the tests that run things. */
typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} TestRunWait;

void               test_run_start         (MpaioOrchestrator *orchestrator,
                                           GCancellable      *cancellable,
                                           TestRunWait       *wait);
MpaioSharedMemory *test_make_int64_memory (guint64 n);
gint64             test_sum_1_to_n        (guint64 n);
gboolean           test_run_sync          (MpaioOrchestrator *orchestrator,
                                           GCancellable      *cancellable,
                                           GError           **error);
void               test_assert_run_fails  (MpaioOrchestrator *orchestrator,
                                           GQuark             domain,
                                           int                code);
void               test_shutdown_sync     (MpaioExecutor     *executor);
char             **test_worker_argv       (gboolean           register_types);
MpaioOrchestrator *test_make_sum_run      (MpaioExecutor     *executor,
                                           guint64            n_values,
                                           guint64            chunk_size,
                                           TestSumWorker    **worker_out);
gboolean           test_pids_gone         (const int         *pids,
                                           guint              n_pids);
void               test_wait_for_pids_gone (const int        *pids,
                                           guint              n_pids);
void               test_iterate_a_while   (void);
gint64             test_thread_cpu_usec   (void);
gboolean           test_run_squares       (MpaioExecutor      *executor,
                                           guint64             n_values,
                                           guint64             chunk_size,
                                           TestSquareWorker   *worker,
                                           MpaioSharedMemory **output_out,
                                           GError            **error);
void               test_assert_squares    (MpaioSharedMemory  *output,
                                           guint64             n_values);
void               test_cancel_after_first_result (MpaioOrchestrator *orchestrator,
                                           GCancellable      *cancellable);

G_END_DECLS
