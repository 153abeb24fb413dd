/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-cpu-monitor.h"

G_BEGIN_DECLS

/* One core's counters from a "cpuN" line of /proc/stat, in clock ticks. */
typedef struct
{
  guint64  idle;      /* idle + iowait */
  guint64  total;     /* user .. steal; guest time is already in user */
  gboolean present;   /* the line was there: cores can go offline */
} MpaioCpuTimes;

GArray  *mpaio_cpu_times_parse          (const char          *text,
                                         gsize                length,
                                         GError             **error);
double   mpaio_cpu_times_usage          (const MpaioCpuTimes *previous,
                                         const MpaioCpuTimes *current);

void     mpaio_cpu_monitor_set_stat_path (MpaioCpuMonitor    *self,
                                          const char         *path);

G_END_DECLS
