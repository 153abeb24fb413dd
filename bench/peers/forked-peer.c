/* SPDX-License-Identifier: LGPL-2.1-or-later */

/*
 * The limit for separate processes: N forked children map one sealed memfd
 * and each sums its own contiguous part of the array.
 *
 *   forked-peer --workload startup|small|sum [--workers N] [--runs R]
 *               [--elements N]
 *
 * The array 1..n lives in a memfd filled and sealed before timing, as an
 * MpaioSharedMemory is. The first run forks the children, which map the
 * whole memfd read-only (MAP_SHARED, MADV_HUGEPAGE on 4 MiB or more, as Mpaio
 * does), sum their part and write the sum to a pipe: it pays the same page
 * faults as an Mpaio worker on a cold mapping, without any protocol. Each
 * later run asks the same children to sum their part again through the
 * mapping they kept: the warm limit.
 *
 * Prints one line per run, WORKLOAD workers=N chunks=N result=R seconds=S,
 * followed by run=K when there are several runs (the chunks are the
 * children's parts), and exits non-zero when a result is wrong.  Only sum
 * workloads are known: mix is compute-bound and needs no such limit.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "peer-util.h"

#define HUGE_PAGE_HINT_SIZE (4u << 20)
#define MAX_WORKERS 4096

typedef struct {
  const char *name;
  size_t n_elements;
} Workload;

static const Workload workloads[] = {
  { "startup", 1000 },
  { "small", 1000000 },
  { "sum", 100000000 },
};

typedef struct {
  pid_t pid;
  int command_fd;   /* parent writes one byte: sum again; EOF: exit */
  int result_fd;    /* child writes each sum, 8 bytes */
} Child;

static void
die (const char *what)
{
  fprintf (stderr, "forked-peer: %s: %s\n", what, strerror (errno));
  exit (1);
}

static int
make_sealed_array (size_t n)
{
  size_t size = n * sizeof (uint64_t);
  int fd = memfd_create ("forked-peer", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  uint64_t *values;

  if (fd < 0 || ftruncate (fd, (off_t) size) < 0)
    die ("memfd");
  values = mmap (NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (values == MAP_FAILED)
    die ("mmap");
  for (size_t i = 0; i < n; i++)
    values[i] = i + 1;
  munmap (values, size);
  if (fcntl (fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
    die ("sealing");
  return fd;
}

static void
write_all (int fd, const void *data, size_t length)
{
  const char *p = data;

  while (length > 0)
    {
      ssize_t n = write (fd, p, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        die ("write");
      p += n;
      length -= (size_t) n;
    }
}

static int
read_all (int fd, void *data, size_t length)
{
  char *p = data;

  while (length > 0)
    {
      ssize_t n = read (fd, p, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      p += n;
      length -= (size_t) n;
    }
  return 0;
}

static void
child_main (int memfd, size_t n, size_t start, size_t end,
            int command_fd, int result_fd)
{
  size_t size = n * sizeof (uint64_t);
  const uint64_t *values = mmap (NULL, size, PROT_READ, MAP_SHARED, memfd, 0);
  char command;

  if (values == MAP_FAILED)
    die ("mmap in a child");
  if (size >= HUGE_PAGE_HINT_SIZE)
    madvise ((void *) values, size, MADV_HUGEPAGE);

  do
    {
      uint64_t acc = 0;

      for (size_t i = start; i < end; i++)
        acc += values[i];
      write_all (result_fd, &acc, sizeof acc);
    }
  while (read_all (command_fd, &command, 1) == 0);

  _exit (0);
}

/* Forks children[i]. It must not hold the pipes of its elder siblings, or
 * they would never see the end of their command pipe. */
static void
spawn (Child *children, long i, int memfd, size_t n, size_t start, size_t end)
{
  Child *child = &children[i];
  int command[2], result[2];

  if (pipe2 (command, O_CLOEXEC) < 0 || pipe2 (result, O_CLOEXEC) < 0)
    die ("pipe");
  child->pid = fork ();
  if (child->pid < 0)
    die ("fork");
  if (child->pid == 0)
    {
      for (long k = 0; k < i; k++)
        {
          close (children[k].command_fd);
          close (children[k].result_fd);
        }
      close (command[1]);
      close (result[0]);
      child_main (memfd, n, start, end, command[0], result[1]);
    }
  close (command[0]);
  close (result[1]);
  child->command_fd = command[1];
  child->result_fd = result[0];
}

static uint64_t
collect (Child *children, long workers)
{
  uint64_t total = 0;

  for (long i = 0; i < workers; i++)
    {
      uint64_t sum;

      if (read_all (children[i].result_fd, &sum, sizeof sum) < 0)
        {
          fprintf (stderr, "forked-peer: child %ld died\n", (long) children[i].pid);
          exit (1);
        }
      total += sum;
    }
  return total;
}

static void
usage (const char *argv0)
{
  fprintf (stderr,
           "usage: %s --workload startup|small|sum [--workers N] [--runs R] "
           "[--elements N]\n", argv0);
  exit (2);
}

static long
count_or_usage (const char *text, long max, const char *argv0)
{
  long value = parse_count (text, max);

  if (value < 0)
    usage (argv0);
  return value;
}

int
main (int argc, char **argv)
{
  const Workload *w = NULL;
  long workers = sysconf (_SC_NPROCESSORS_ONLN);
  long runs = 1;
  long n_elements = 0;
  Child *children;
  int memfd;
  size_t n;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--workload") == 0 && i + 1 < argc)
        {
          const char *name = argv[++i];

          for (size_t k = 0; k < sizeof workloads / sizeof workloads[0]; k++)
            if (strcmp (name, workloads[k].name) == 0)
              w = &workloads[k];
          if (w == NULL)
            usage (argv[0]);
        }
      else if (strcmp (argv[i], "--workers") == 0 && i + 1 < argc)
        workers = count_or_usage (argv[++i], MAX_WORKERS, argv[0]);
      else if (strcmp (argv[i], "--runs") == 0 && i + 1 < argc)
        runs = count_or_usage (argv[++i], 1000000, argv[0]);
      else if (strcmp (argv[i], "--elements") == 0 && i + 1 < argc)
        n_elements = count_or_usage (argv[++i], (long) (SIZE_MAX / 16), argv[0]);
      else
        usage (argv[0]);
    }
  if (w == NULL || workers < 1)
    usage (argv[0]);

  n = n_elements > 0 ? (size_t) n_elements : w->n_elements;
  memfd = make_sealed_array (n);
  children = calloc ((size_t) workers, sizeof *children);
  if (children == NULL)
    die ("calloc");

  for (long run = 1; run <= runs; run++)
    {
      double t0 = now_seconds ();
      uint64_t result;

      for (long i = 0; i < workers; i++)
        {
          if (run == 1)
            spawn (children, i, memfd, n, n * (size_t) i / (size_t) workers,
                   n * (size_t) (i + 1) / (size_t) workers);
          else
            write_all (children[i].command_fd, "r", 1);
        }
      result = collect (children, workers);

      printf ("%s workers=%ld chunks=%ld result=%" PRIu64 " seconds=%.9f",
              w->name, workers, workers, result, now_seconds () - t0);
      if (runs > 1)
        printf (" run=%ld", run);
      printf ("\n");
      fflush (stdout);
      if (result != sum_to (n))
        {
          fprintf (stderr, "forked-peer: wrong result: expected %" PRIu64 "\n", sum_to (n));
          return 1;
        }
    }

  for (long i = 0; i < workers; i++)
    {
      close (children[i].command_fd);
      close (children[i].result_fd);
      waitpid (children[i].pid, NULL, 0);
    }
  free (children);
  close (memfd);
  return 0;
}
