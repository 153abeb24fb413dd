/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(MPAIO_INSIDE) && !defined(MPAIO_COMPILATION)
# error "Only <mpaio.h> can be included directly."
#endif

#include <gio/gio.h>

#include "mpaio-orchestrator.h"
#include "mpaio-version-macros.h"

G_BEGIN_DECLS

#define MPAIO_TYPE_CPU_MONITOR (mpaio_cpu_monitor_get_type ())

MPAIO_AVAILABLE_IN_ALL
G_DECLARE_FINAL_TYPE (MpaioCpuMonitor, mpaio_cpu_monitor, MPAIO, CPU_MONITOR, GObject)

MPAIO_AVAILABLE_IN_ALL
MpaioCpuMonitor *mpaio_cpu_monitor_new               (void);
MPAIO_AVAILABLE_IN_ALL
guint            mpaio_cpu_monitor_get_interval      (MpaioCpuMonitor    *self);
MPAIO_AVAILABLE_IN_ALL
void             mpaio_cpu_monitor_set_interval      (MpaioCpuMonitor    *self,
                                                      guint               interval);
MPAIO_AVAILABLE_IN_ALL
gboolean         mpaio_cpu_monitor_start             (MpaioCpuMonitor    *self,
                                                      GError            **error);
MPAIO_AVAILABLE_IN_ALL
void             mpaio_cpu_monitor_stop              (MpaioCpuMonitor    *self);
MPAIO_AVAILABLE_IN_ALL
gboolean         mpaio_cpu_monitor_is_running        (MpaioCpuMonitor    *self);
MPAIO_AVAILABLE_IN_ALL
gboolean         mpaio_cpu_monitor_watch             (MpaioCpuMonitor    *self,
                                                      MpaioOrchestrator  *orchestrator,
                                                      GError            **error);
MPAIO_AVAILABLE_IN_ALL
void             mpaio_cpu_monitor_unwatch           (MpaioCpuMonitor    *self);
MPAIO_AVAILABLE_IN_ALL
guint            mpaio_cpu_monitor_get_n_cores       (MpaioCpuMonitor    *self);
MPAIO_AVAILABLE_IN_ALL
guint            mpaio_cpu_monitor_get_n_samples     (MpaioCpuMonitor    *self);
MPAIO_AVAILABLE_IN_ALL
double           mpaio_cpu_monitor_get_timestamp     (MpaioCpuMonitor    *self,
                                                      guint               sample);
MPAIO_AVAILABLE_IN_ALL
double           mpaio_cpu_monitor_get_usage         (MpaioCpuMonitor    *self,
                                                      guint               sample,
                                                      guint               core);
MPAIO_AVAILABLE_IN_ALL
double           mpaio_cpu_monitor_get_mean_usage    (MpaioCpuMonitor    *self,
                                                      guint               sample);
MPAIO_AVAILABLE_IN_ALL
double          *mpaio_cpu_monitor_dup_timestamps    (MpaioCpuMonitor    *self,
                                                      guint              *n_samples);
MPAIO_AVAILABLE_IN_ALL
double          *mpaio_cpu_monitor_dup_core_usages   (MpaioCpuMonitor    *self,
                                                      guint               core,
                                                      guint              *n_samples);
MPAIO_AVAILABLE_IN_ALL
gboolean         mpaio_cpu_monitor_write_csv         (MpaioCpuMonitor    *self,
                                                      GOutputStream      *stream,
                                                      GCancellable       *cancellable,
                                                      GError            **error);

G_END_DECLS
