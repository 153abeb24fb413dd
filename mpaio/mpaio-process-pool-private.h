/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "mpaio-dispatch-private.h"
#include "mpaio-executor-base-private.h"
#include "mpaio-process-pool.h"

G_BEGIN_DECLS

/* Shared by mpaio-process-pool.c (the GObject and its API) and
 * mpaio-process-transport.c (worker processes as the dispatch's peers). */
struct _MpaioProcessPool
{
  GObject            parent_instance;

  MpaioExecutorBase  base;
  MpaioDispatch      dispatch;
  char             **argv;              /* NULL: the program again */
};

extern const MpaioTransport mpaio_process_transport;

G_END_DECLS
