/* SPDX-License-Identifier: LGPL-2.1-or-later */

/* What the native peers share: the clock, the expected sum of a resized
 * array, and the parsing of a count on the command line. */

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
