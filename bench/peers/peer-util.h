/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the native peers share: the clock, the expected sum of a resized
 * array, the parsing of a count on the command line, and the mix kernel. */

#pragma once

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline double
now_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec * 1e-9;
}

/* The sum of 1..n modulo 2^64, as wrapping additions give it. */
static inline uint64_t
sum_to (uint64_t n)
{
  return n % 2 == 0 ? (n / 2) * (n + 1) : n * ((n + 1) / 2);
}

/* A count in 1..max, or -1. */
static inline long
parse_count (const char *text, long max)
{
  char *end;
  long value;

  errno = 0;
  value = strtol (text, &end, 10);
  if (errno != 0 || *end != '\0' || value < 1 || value > max)
    return -1;
  return value;
}

/* The mix workload's kernel: 32 rounds of splitmix64's finaliser. */
static inline uint64_t
mix64 (uint64_t x)
{
  for (int round = 0; round < 32; round++)
    {
      x += UINT64_C (0x9E3779B97F4A7C15);
      x = (x ^ (x >> 30)) * UINT64_C (0xBF58476D1CE4E5B9);
      x = (x ^ (x >> 27)) * UINT64_C (0x94D049BB133111EB);
      x ^= x >> 31;
    }
  return x;
}
