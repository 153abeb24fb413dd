/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * Native baseline peer for the Mpaio benchmarks.
 *
 *   c-peer --mode serial|openmp --workload startup|small|sum|mix [--workers N]
 *          [--elements N] [--chunks C]
 *
 * serial: one thread, a plain loop over the chunks (always prints workers=1).
 * openmp: `#pragma omp parallel for` over the chunks on N threads, with a
 *         reduction; N defaults to the number of processors.
 *
 * Prints one line: WORKLOAD workers=N chunks=C result=R seconds=S
 * and exits non-zero when the result is wrong.  The time covers the thread
 * team start-up and all the chunks, not filling the array.  --elements and
 * --chunks resize a sum workload (the array 1..N in C chunks) for
 * bench/compare --curves.
 */

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "peer-util.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef enum { KERNEL_SUM, KERNEL_MIX } Kernel;

typedef struct {
  const char *name;
  size_t n_elements;
  size_t n_chunks;   /* 0: n_elements / chunk_size */
  size_t chunk_size; /* used when n_chunks == 0 */
  Kernel kernel;
  uint64_t expected;
} Workload;

static const Workload workloads[] = {
  { "startup", 1000, 1, 0, KERNEL_SUM, UINT64_C (500500) },
  { "small", 1000000, 0, 100, KERNEL_SUM, UINT64_C (500000500000) },
  { "sum", 100000000, 8, 0, KERNEL_SUM, UINT64_C (5000000050000000) },
  { "mix", 4000000, 8, 0, KERNEL_MIX, UINT64_C (17859751705182148732) },
};

/* Chunk i covers [i * n / n_chunks, (i + 1) * n / n_chunks). */
static void
chunk_bounds (size_t n, size_t n_chunks, size_t i, size_t *start, size_t *end)
{
  *start = n * i / n_chunks;
  *end = n * (i + 1) / n_chunks;
}

static uint64_t
chunk_sum (const int64_t *data, size_t start, size_t end)
{
  int64_t acc = 0;

  for (size_t i = start; i < end; i++)
    acc += data[i];
  return (uint64_t) acc;
}

static uint64_t
chunk_mix (const uint64_t *data, size_t start, size_t end)
{
  uint64_t acc = 0;

  for (size_t i = start; i < end; i++)
    acc ^= mix64 (data[i]);
  return acc;
}

static uint64_t
run_serial (const Workload *w, const void *data, size_t n_chunks)
{
  uint64_t total = 0;

  for (size_t c = 0; c < n_chunks; c++)
    {
      size_t start, end;

      chunk_bounds (w->n_elements, n_chunks, c, &start, &end);
      if (w->kernel == KERNEL_SUM)
        total += chunk_sum (data, start, end);
      else
        total ^= chunk_mix (data, start, end);
    }
  return total;
}

#ifdef _OPENMP
static uint64_t
run_openmp (const Workload *w, const void *data, size_t n_chunks, int workers)
{
  uint64_t total = 0;
  long n = (long) n_chunks;

  omp_set_num_threads (workers);
  if (w->kernel == KERNEL_SUM)
    {
#pragma omp parallel for schedule(dynamic) reduction(+ : total)
      for (long c = 0; c < n; c++)
        {
          size_t start, end;

          chunk_bounds (w->n_elements, n_chunks, (size_t) c, &start, &end);
          total += chunk_sum (data, start, end);
        }
    }
  else
    {
#pragma omp parallel for schedule(dynamic) reduction(^ : total)
      for (long c = 0; c < n; c++)
        {
          size_t start, end;

          chunk_bounds (w->n_elements, n_chunks, (size_t) c, &start, &end);
          total ^= chunk_mix (data, start, end);
        }
    }
  return total;
}
#endif

static void
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s --mode serial|openmp --workload startup|small|sum|mix "
           "[--workers N] [--elements N] [--chunks C]\n",
           argv0);
  exit (2);
}

int
main (int argc, char **argv)
{
  const char *mode = "serial";
  const char *workload_name = NULL;
  const Workload *w = NULL;
  Workload resized;
  long workers = sysconf (_SC_NPROCESSORS_ONLN);
  long n_elements = 0, n_chunks_wanted = 0;
  size_t n_chunks;
  void *data;
  uint64_t result = 0;
  double t0, elapsed;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--mode") == 0 && i + 1 < argc)
        mode = argv[++i];
      else if (strcmp (argv[i], "--workload") == 0 && i + 1 < argc)
        workload_name = argv[++i];
      else if (strcmp (argv[i], "--workers") == 0 && i + 1 < argc)
        workers = parse_count (argv[++i], 4096);
      else if (strcmp (argv[i], "--elements") == 0 && i + 1 < argc)
        n_elements = parse_count (argv[++i], (long) (SIZE_MAX / 16));
      else if (strcmp (argv[i], "--chunks") == 0 && i + 1 < argc)
        n_chunks_wanted = parse_count (argv[++i], (long) (SIZE_MAX / 16));
      else
        usage (argv[0]);
      if (workers < 0 || n_elements < 0 || n_chunks_wanted < 0)
        usage (argv[0]);
    }

  for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
    if (workload_name != NULL && strcmp (workload_name, workloads[i].name) == 0)
      w = &workloads[i];
  if (w == NULL || (n_elements > 0 && w->kernel != KERNEL_SUM))
    usage (argv[0]);
  if (workers < 1)
    workers = 1;

  resized = *w;
  if (n_elements > 0)
    {
      resized.n_elements = (size_t) n_elements;
      resized.expected = sum_to (resized.n_elements);
    }
  if (n_chunks_wanted > 0)
    resized.n_chunks = (size_t) n_chunks_wanted;
  w = &resized;

  n_chunks = w->n_chunks != 0 ? w->n_chunks : w->n_elements / w->chunk_size;

  /* Fill the array (not timed). */
  data = malloc (w->n_elements * sizeof (uint64_t));
  if (data == NULL)
    {
      fprintf (stderr, "out of memory\n");
      return 1;
    }
  if (w->kernel == KERNEL_SUM)
    {
      int64_t *a = data;

      for (size_t i = 0; i < w->n_elements; i++)
        a[i] = (int64_t) i + 1;
    }
  else
    {
      uint64_t *a = data;

      for (size_t i = 0; i < w->n_elements; i++)
        a[i] = (uint64_t) i + 1;
    }

  t0 = now_seconds ();
  if (strcmp (mode, "serial") == 0)
    {
      workers = 1;
      result = run_serial (w, data, n_chunks);
    }
  else if (strcmp (mode, "openmp") == 0)
    {
#ifdef _OPENMP
      result = run_openmp (w, data, n_chunks, (int) workers);
#else
      fprintf (stderr, "%s: built without OpenMP support\n", argv[0]);
      free (data);
      return 2;
#endif
    }
  else
    usage (argv[0]);
  elapsed = now_seconds () - t0;

  free (data);

  if (w->kernel == KERNEL_SUM)
    printf ("%s workers=%ld chunks=%zu result=%" PRId64 " seconds=%.9f\n",
            w->name, workers, n_chunks, (int64_t) result, elapsed);
  else
    printf ("%s workers=%ld chunks=%zu result=%" PRIu64 " seconds=%.9f\n",
            w->name, workers, n_chunks, result, elapsed);

  if (result != w->expected)
    {
      fprintf (stderr, "%s: wrong result for %s: got %" PRIu64
               ", expected %" PRIu64 "\n",
               argv[0], w->name, result, w->expected);
      return 1;
    }
  return 0;
}
