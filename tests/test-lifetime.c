/* SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * How long the pool and its worker processes remember worker specs and
 * memories: bounded for an application that makes a new worker and a new
 * memory for each run; a memory stays mapped while the caller holds it, so
 * a second run on it faults no pages, and is unmapped once it is finalized
 * or memory runs low. MPAIO_LIFETIME_RUNS sets the number of runs of the
 * first test (default 10000). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mpaio-process-pool-private.h"

#include "test-workers.h"

#define MEBI (1024 * 1024)
#define N_32_MIB (32 * MEBI / sizeof (gint64))

typedef struct
{
  MpaioProcessPool *pool;
  int               pid;
} Fixture;

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_auto(GStrv) argv = test_worker_argv (TRUE);

  fixture->pool = mpaio_process_pool_new_for_argv ((const char * const *) argv, 1);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  test_shutdown_sync (MPAIO_EXECUTOR (fixture->pool));
  g_clear_object (&fixture->pool);
}

/* Runs @worker on the first @n int64 of @memory. */
static void
run_worker (Fixture           *fixture,
            MpaioWorker       *worker,
            MpaioSharedMemory *memory,
            guint64            n,
            guint64            chunk_size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MpaioDataIterator) iterator = mpaio_data_iterator_new_for_dtype (memory, "<i8", n,
                                                                              chunk_size, &error);
  g_autoptr(MpaioOrchestrator) orchestrator = mpaio_orchestrator_new (MPAIO_EXECUTOR (fixture->pool));
  g_autofree int *pids = NULL;
  guint n_pids;

  g_assert_no_error (error);
  mpaio_orchestrator_add (orchestrator, worker, iterator);
  g_assert_true (test_run_sync (orchestrator, NULL, &error));
  g_assert_no_error (error);

  pids = mpaio_process_pool_dup_worker_pids (fixture->pool, &n_pids);
  g_assert_cmpuint (n_pids, ==, 1);
  fixture->pid = pids[0];
}

/* One run of a TestCacheWorker on a one-element memory: what the worker
 * process remembers. */
static void
run_cache_worker (Fixture           *fixture,
                  guint              tag,
                  MpaioSharedMemory *memory,
                  guint             *n_memories,
                  guint             *n_workers,
                  guint64           *resident_pages)
{
  g_autoptr(TestCacheWorker) worker = test_cache_worker_new (tag);
  guint n_bindings;

  run_worker (fixture, MPAIO_WORKER (worker), memory, 1, 1);
  test_cache_worker_get_counts (worker, n_memories, n_workers, &n_bindings, resident_pages);
  g_assert_cmpuint (n_bindings, ==, 1);  /* this run's */
}

static guint
count_fds (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n++;

  return n;
}

static guint
runs_wanted (void)
{
  const char *value = g_getenv ("MPAIO_LIFETIME_RUNS");

  return value != NULL ? (guint) g_ascii_strtoull (value, NULL, 10) : 10000;
}

/* A new worker (with its own properties) and a new memory for each run:
 * the pool's tables and the worker process's stay bounded, so do the fds
 * of both processes, and so does the worker's resident memory (reported,
 * not asserted: the allocator decides). */
static void
test_new_worker_each_run (Fixture       *fixture,
                          gconstpointer  data)
{
  guint n_runs = runs_wanted ();
  guint64 resident_pages = 0, resident_at_100 = 0, most_resident = 0;
  guint most_memories = 0, most_workers = 0, most_specs = 0, most_kept = 0;
  guint fds_at_first = 0, worker_fds_at_first = 0;

  for (guint run = 1; run <= n_runs; run++)
    {
      g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (1);
      guint n_memories, n_workers, n_specs, n_kept;

      run_cache_worker (fixture, run, memory, &n_memories, &n_workers, &resident_pages);
      mpaio_dispatch_count_cached (&fixture->pool->dispatch, &n_specs, &n_kept);
      most_memories = MAX (most_memories, n_memories);
      most_workers = MAX (most_workers, n_workers);
      most_specs = MAX (most_specs, n_specs);
      most_kept = MAX (most_kept, n_kept);
      if (run == MIN (100, n_runs))
        resident_at_100 = resident_pages;
      if (run == 1)
        {
          fds_at_first = count_fds (getpid ());
          worker_fds_at_first = count_fds (fixture->pid);
        }
      most_resident = MAX (most_resident, resident_pages);
    }

  g_test_message ("%u runs: the worker process held at most %u memories and %u workers; "
                  "the pool at most %u specs and %u memories; resident pages of the worker "
                  "process after 100 runs %" G_GUINT64_FORMAT ", at most %" G_GUINT64_FORMAT
                  ", at the end %" G_GUINT64_FORMAT,
                  n_runs, most_memories, most_workers, most_specs, most_kept,
                  resident_at_100, most_resident, resident_pages);

  /* The run's own, and the previous run's memory, forgotten just after
   * this run's messages went; 8 idle specs and the run's own. */
  g_assert_cmpuint (most_memories, <=, 2);
  g_assert_cmpuint (most_kept, <=, 2);
  g_assert_cmpuint (most_workers, <=, 9);
  g_assert_cmpuint (most_specs, <=, 9);
  g_assert_cmpuint (count_fds (getpid ()), <=, fds_at_first);
  g_assert_cmpuint (count_fds (fixture->pid), <=, worker_fds_at_first);
}

/* The same spec from a new worker object finds the worker process's
 * instance: only the specs that fall out of the idle ones are forgotten. */
static void
test_same_spec_kept (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (1);
  guint n_memories, n_workers;
  guint64 resident;

  for (guint tag = 1; tag <= 3; tag++)
    run_cache_worker (fixture, tag, memory, &n_memories, &n_workers, &resident);
  g_assert_cmpuint (n_workers, ==, 3);
  run_cache_worker (fixture, 1, memory, &n_memories, &n_workers, &resident);
  g_assert_cmpuint (n_workers, ==, 3);
  g_assert_cmpuint (n_memories, ==, 1);
}

static guint64
minor_faults (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char *after_name;
  guint64 faults = 0;

  g_assert_true (g_file_get_contents (path, &stat, NULL, NULL));
  /* After "pid (comm) ": state ppid pgrp session tty_nr tpgid flags minflt. */
  after_name = strrchr (stat, ')');
  g_assert_nonnull (after_name);
  g_assert_cmpint (sscanf (after_name + 2, "%*c %*d %*d %*d %*d %*d %*u %" G_GUINT64_FORMAT,
                           &faults), ==, 1);
  return faults;
}

/* Whether the worker process maps a memfd of exactly @size bytes; if so,
 * @resident says how many bytes of that mapping are resident. */
static gboolean
find_memfd_mapping (int      pid,
                    gsize    size,
                    guint64 *resident)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/smaps", pid);
  g_autofree char *smaps = NULL;
  g_auto(GStrv) lines = NULL;
  gboolean in_mapping = FALSE;

  g_assert_true (g_file_get_contents (path, &smaps, NULL, NULL));
  lines = g_strsplit (smaps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 start, end, kib;

      if (sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x", &start, &end) == 2)
        in_mapping = strstr (lines[i], "/memfd:mpaio ") != NULL && end - start == size;
      else if (in_mapping && sscanf (lines[i], "Rss: %" G_GUINT64_FORMAT " kB", &kib) == 1)
        {
          *resident = kib * 1024;
          return TRUE;
        }
    }

  return FALSE;
}

static gboolean
maps_memfd_of_size (int   pid,
                    gsize size)
{
  guint64 resident;

  return find_memfd_mapping (pid, size, &resident);
}

static guint64
resident_in_mapping (int   pid,
                     gsize size)
{
  guint64 resident = 0;

  find_memfd_mapping (pid, size, &resident);
  return resident;
}

/* A TestSumWorker sums the first @n int64 of @memory: the faults it took
 * in the worker process. */
static guint64
faults_of_run (Fixture           *fixture,
               MpaioSharedMemory *memory,
               guint64            n)
{
  g_autoptr(TestSumWorker) worker = g_object_new (TEST_TYPE_SUM_WORKER, NULL);
  guint64 before = minor_faults (fixture->pid);

  run_worker (fixture, MPAIO_WORKER (worker), memory, n, 64 * 1024);
  g_assert_cmpint (worker->total, ==, test_sum_1_to_n (n));
  return minor_faults (fixture->pid) - before;
}

/* A second run on the same memory faults no pages of it in the worker
 * process; once the caller drops the memory, the worker unmaps it. The
 * worker populates nothing ahead here, so that every fault counted is
 * process()'s. */
static void
test_warm_second_run (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(MpaioSharedMemory) small = test_make_int64_memory (1);
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (N_32_MIB);
  guint64 pages = 32 * MEBI / sysconf (_SC_PAGESIZE), cold, warm, resident;
  guint n_memories, n_workers;

  /* The worker process starts, and is ready, before anything is counted. */
  g_setenv ("MPAIO_POPULATE", "fault", TRUE);
  run_cache_worker (fixture, 1, small, &n_memories, &n_workers, &resident);
  g_unsetenv ("MPAIO_POPULATE");

  cold = faults_of_run (fixture, memory, N_32_MIB);
  warm = faults_of_run (fixture, memory, N_32_MIB);
  g_test_message ("Minor faults of the worker process on %" G_GUINT64_FORMAT " pages: "
                  "%" G_GUINT64_FORMAT " on the first run, %" G_GUINT64_FORMAT " on the second",
                  pages, cold, warm);
  /* The kernel maps up to 16 pages around each fault of a shared file. */
  g_assert_cmpuint (cold, >=, pages / 32);
  g_assert_cmpuint (warm, <, pages / 100);
  g_assert_true (maps_memfd_of_size (fixture->pid, 32 * MEBI));

  /* Messages go in order: once the next run is over, the worker has
   * forgotten the memory. */
  g_clear_object (&memory);
  run_cache_worker (fixture, 1, small, &n_memories, &n_workers, &resident);
  g_assert_cmpuint (n_memories, ==, 1);
  g_assert_false (maps_memfd_of_size (fixture->pid, 32 * MEBI));
}

/* Under AddressSanitizer the worker's first read of a mapping also faults
 * in its shadow, one page for every eight: populating the mapping itself
 * cannot spare those. */
static guint64
asan_shadow_pages (guint64 pages)
{
#if defined(__SANITIZE_ADDRESS__)
  return pages / 8;
#else
  return 0;
#endif
}

static gboolean
on_deadline (gpointer data)
{
  g_error ("The worker process did not populate its mapping in 20 s");
  return G_SOURCE_REMOVE;
}

/* By default, a worker populates the rest of a sealed memfd while it has
 * nothing to do: after a run on its first MiB, the worker maps all of it,
 * and a run on all of it faults no page. */
static void
test_warm_while_idle (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr(MpaioSharedMemory) small = test_make_int64_memory (1);
  g_autoptr(MpaioSharedMemory) memory = test_make_int64_memory (N_32_MIB);
  guint64 pages = 32 * MEBI / sysconf (_SC_PAGESIZE), faults, resident;
  guint n_memories, n_workers, deadline;

  run_cache_worker (fixture, 1, small, &n_memories, &n_workers, &resident);
  faults_of_run (fixture, memory, MEBI / sizeof (gint64));

  deadline = g_timeout_add_seconds (20, on_deadline, NULL);
  while (resident_in_mapping (fixture->pid, 32 * MEBI) < 32 * MEBI)
    test_iterate_a_while ();
  g_source_remove (deadline);

  faults = faults_of_run (fixture, memory, N_32_MIB);
  g_test_message ("Minor faults of the worker process on %" G_GUINT64_FORMAT " pages, "
                  "populated while it was idle: %" G_GUINT64_FORMAT, pages, faults);
  g_assert_cmpuint (faults, <, pages / 100 + asan_shadow_pages (pages));
}

/* A low-memory warning unmaps the memories no run uses; the next run on
 * one maps it again. */
static void
test_low_memory (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr(MpaioSharedMemory) small = test_make_int64_memory (1);
  g_autoptr(MpaioSharedMemory) other = test_make_int64_memory (2);
  g_autoptr(GMemoryMonitor) monitor = NULL;
  guint n_memories, n_workers, n_specs, n_kept;
  guint64 resident;

  run_cache_worker (fixture, 1, other, &n_memories, &n_workers, &resident);
  run_cache_worker (fixture, 1, small, &n_memories, &n_workers, &resident);
  g_assert_cmpuint (n_memories, ==, 2);

  monitor = g_memory_monitor_dup_default ();
  g_assert_nonnull (monitor);
  g_signal_emit_by_name (monitor, "low-memory-warning", G_MEMORY_MONITOR_WARNING_LEVEL_LOW);

  run_cache_worker (fixture, 1, small, &n_memories, &n_workers, &resident);
  g_assert_cmpuint (n_memories, ==, 1);
  mpaio_dispatch_count_cached (&fixture->pool->dispatch, &n_specs, &n_kept);
  g_assert_cmpuint (n_kept, ==, 2);     /* still alive: remembered, not mapped */

  run_cache_worker (fixture, 1, other, &n_memories, &n_workers, &resident);
  g_assert_cmpuint (n_memories, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  test_workers_register ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/mpaio/lifetime/new-worker-each-run", test_new_worker_each_run);
  ADD ("/mpaio/lifetime/same-spec-kept", test_same_spec_kept);
  ADD ("/mpaio/lifetime/warm-second-run", test_warm_second_run);
  ADD ("/mpaio/lifetime/warm-while-idle", test_warm_while_idle);
  ADD ("/mpaio/lifetime/low-memory", test_low_memory);
#undef ADD

  return g_test_run ();
}
