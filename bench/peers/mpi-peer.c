/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The plain MPI program that the MPI executor is measured against: rank 0
 * holds the array 1..n, sends each chunk's bytes to a worker rank (the next
 * chunk to whichever rank answered), and adds up the sums they send back.
 *
 *   mpirun -np N+1 mpi-peer --workload startup|small|sum|mix [--runs R]
 *
 * Blocking sends and receives, as a plain MPI program is written. Prints
 * WORKLOAD workers=N chunks=N result=R seconds=S (run=K with several runs)
 * on rank 0, and exits non-zero when a result is wrong.
 */

#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "peer-util.h"

/* A chunk's tag says its kernel. */
#define TAG_CHUNK_SUM 1
#define TAG_CHUNK_MIX 4
#define TAG_SUM 2
#define TAG_STOP 3

typedef struct {
  const char *name;
  long n_elements;
  long n_chunks;
  int tag;
  uint64_t expected;
} Workload;

static const Workload workloads[] = {
  { "startup", 1000, 1, TAG_CHUNK_SUM, UINT64_C (500500) },
  { "small", 1000000, 10000, TAG_CHUNK_SUM, UINT64_C (500000500000) },
  { "sum", 100000000, 8, TAG_CHUNK_SUM, UINT64_C (5000000050000000) },
  { "mix", 4000000, 8, TAG_CHUNK_MIX, UINT64_C (17859751705182148732) },
};

static void
serve (void)
{
  for (;;)
    {
      MPI_Status status;
      int count;
      int64_t *values;
      int64_t sum = 0;

      MPI_Probe (0, MPI_ANY_TAG, MPI_COMM_WORLD, &status);
      if (status.MPI_TAG == TAG_STOP)
        {
          MPI_Recv (NULL, 0, MPI_BYTE, 0, TAG_STOP, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          return;
        }
      MPI_Get_count (&status, MPI_INT64_T, &count);
      values = malloc ((size_t) count * sizeof *values + 1);
      MPI_Recv (values, count, MPI_INT64_T, 0, status.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      if (status.MPI_TAG == TAG_CHUNK_MIX)
        for (int i = 0; i < count; i++)
          sum ^= (int64_t) mix64 ((uint64_t) values[i]);
      else
        for (int i = 0; i < count; i++)
          sum += values[i];
      free (values);
      MPI_Send (&sum, 1, MPI_INT64_T, 0, TAG_SUM, MPI_COMM_WORLD);
    }
}

static void
send_chunk (const int64_t *values, const Workload *workload, long chunk, int rank)
{
  long n = workload->n_elements, n_chunks = workload->n_chunks;
  long size = (n + n_chunks - 1) / n_chunks;
  long start = chunk * size, end = start + size < n ? start + size : n;

  MPI_Send (values + start, (int) (end - start), MPI_INT64_T, rank, workload->tag, MPI_COMM_WORLD);
}

/* Two chunks in flight per worker, the next one to whoever answers. */
static uint64_t
run (const int64_t *values, const Workload *workload, int n_workers)
{
  long next = 0, n_done = 0;
  uint64_t total = 0;

  for (int round = 0; round < 2; round++)
    for (int rank = 1; rank <= n_workers && next < workload->n_chunks; rank++)
      send_chunk (values, workload, next++, rank);

  while (n_done < workload->n_chunks)
    {
      MPI_Status status;
      int64_t sum;

      MPI_Recv (&sum, 1, MPI_INT64_T, MPI_ANY_SOURCE, TAG_SUM, MPI_COMM_WORLD, &status);
      if (workload->tag == TAG_CHUNK_MIX)
        total ^= (uint64_t) sum;
      else
        total += (uint64_t) sum;
      n_done++;
      if (next < workload->n_chunks)
        send_chunk (values, workload, next++, status.MPI_SOURCE);
    }

  return total;
}

int
main (int argc, char **argv)
{
  const Workload *workload = NULL;
  long n_runs = 1;
  int rank, size, failed = 0;

  MPI_Init (&argc, &argv);
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &size);

  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--runs") == 0)
        n_runs = parse_count (argv[i + 1], 1000);
      else if (strcmp (argv[i], "--workload") == 0)
        for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++)
          if (strcmp (argv[i + 1], workloads[w].name) == 0)
            workload = &workloads[w];
    }

  if (workload == NULL || n_runs < 1 || size < 2)
    {
      if (rank == 0)
        fprintf (stderr, "Usage: mpirun -np N+1 %s --workload startup|small|sum|mix [--runs R]\n",
                 argv[0]);
      MPI_Finalize ();
      return 2;
    }

  if (rank > 0)
    serve ();
  else
    {
      int64_t *values = malloc ((size_t) workload->n_elements * sizeof *values);

      for (long i = 0; i < workload->n_elements; i++)
        values[i] = i + 1;

      for (long r = 1; r <= n_runs; r++)
        {
          double begin = now_seconds ();
          uint64_t result = run (values, workload, size - 1);

          printf ("%s workers=%d chunks=%ld result=%" PRIu64 " seconds=%.6f",
                  workload->name, size - 1, workload->n_chunks, result, now_seconds () - begin);
          printf (n_runs > 1 ? " run=%ld\n" : "\n", r);
          failed |= result != workload->expected;
        }

      for (int w = 1; w < size; w++)
        MPI_Send (NULL, 0, MPI_BYTE, w, TAG_STOP, MPI_COMM_WORLD);
      free (values);
    }

  MPI_Finalize ();
  return failed;
}
